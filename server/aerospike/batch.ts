// Batch reads on the Aerospike listener ("batch-any", reference §7): each row is a record read served by the same
// operations as a single read (GET or EXISTS), with its own outcome; the answer is bounded by the frame limit, as
// Tally's BATCH_GET is. Rows that write are answered 16: batch writes are not served.
import { BatchAnswerWriter, decodeBatchRequest } from '../../protocol/aerospike/batch.js'
import type { AsResponseInput } from '../../protocol/aerospike/record-response.js'
import { resultCodeOf } from '../../protocol/aerospike/result-codes.js'
import type { WireWriter } from '../../protocol/aerospike/wire.js'
import { TallyError } from '../../protocol/errors.js'
import type { RecordResult, Request } from '../../protocol/messages.js'
import { STATUS } from '../../protocol/status.js'
import type { ConnectionContext } from '../connection.js'
import { countOutcome } from '../dispatch.js'
import type { BatchTally } from '../metrics/batch-tally.js'
import { runOperation } from '../ops/index.js'
import { answerOf } from './answers.js'
import { failureOf } from './failures.js'
import { requestOf, unsupported, unsupportedField } from './requests.js'
import type { Session } from '../security/session.js'

/**
 * Serves the batch message `body`, appending every frame of its answer to `writer`; with security, each row the
 * session's user may not read is refused (80 or 81). Never throws.
 */
export function serveBatch(context: ConnectionContext, body: Buffer, writer: WireWriter, tally: BatchTally, session?: Session): void {
  const { limits } = context
  let answers = new BatchAnswerWriter()
  let status: number = STATUS.OK
  try {
    const batch = decodeBatchRequest(body, limits.maxBatchKeys)
    if (batch.otherFields.length > 0) throw unsupportedField(batch.otherFields[0]!)
    if (batch.filter !== null) throw unsupported('filter expressions are')
    const nowMs = context.store.clock.nowMs()
    for (const { index, request: row } of batch.rows) {
      let request: Request | undefined
      try {
        if (row.write) throw unsupported('writes in a batch are')
        request = requestOf(row)
        session?.check(request)
        context.cluster?.checkLocal(request)
        const result = runOperation(context, request) as RecordResult
        addAnswer(answers, index, answerOf(row, request, result, nowMs))
        countOutcome(context, request, result, STATUS.OK, tally)
      } catch (err) {
        const failure = failureOf(err, context.log, `batch row ${index}`)
        answers.add(index, { resultCode: resultCodeOf(failure.code) })
        if (request !== undefined) countOutcome(context, request, undefined, failure.code, tally)
      }
      if (answers.bytes > limits.maxFrameBytes)
        throw new TallyError(STATUS.PARAMETER, `the batch's answer would exceed ${limits.maxFrameBytes} bytes; split the batch`)
    }
  } catch (err) {
    status = failureOf(err, context.log, 'a batch').code
    answers = new BatchAnswerWriter()
  }
  writer.bytes(answers.end(resultCodeOf(status)))
}


// A value that cannot be encoded is the server's fault (status 1), not the request's.
function addAnswer(answers: BatchAnswerWriter, index: number, answer: AsResponseInput): void {
  try {
    answers.add(index, answer)
  } catch (err) {
    throw new TallyError(STATUS.SERVER_ERROR, `cannot encode the answer: ${(err as Error).message}`)
  }
}
