// Batch reads on the Aerospike listener ("batch-any", reference §7): each row is a record read served by the same
// operations as a single read (GET or EXISTS), with its own outcome, here or (on a cluster node) by its partition's
// owner; the answer is bounded by the frame limit. Rows that write are answered 16: batch writes are not served.
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

/** A row's answer: ready, or to come from its partition's owner (never rejecting). */
interface RowAnswer {
  index: number
  answer: AsResponseInput | Promise<AsResponseInput>
}

/**
 * Serves the batch message `body`, appending every frame of its answer to `writer`; with security, each row the
 * session's user may not read is refused (80 or 81). On a cluster node, rows of another node's partitions are sent
 * to their owner, each as a single read: the answer is then written once they are all answered, and the promise
 * returned says when (undefined: written already). Never throws or rejects.
 */
export function serveBatch(context: ConnectionContext, body: Buffer, writer: WireWriter, tally: BatchTally, session?: Session): Promise<void> | undefined {
  let rows: RowAnswer[]
  try {
    rows = serveRows(context, body, tally, session)
  } catch (err) {
    writer.bytes(new BatchAnswerWriter().end(resultCodeOf(failureOf(err, context.log, 'a batch').code)))
    return undefined
  }
  if (!rows.some((row) => row.answer instanceof Promise)) return writeAnswers(context, rows as { index: number; answer: AsResponseInput }[], writer)
  return Promise.all(rows.map(async ({ index, answer }) => ({ index, answer: await answer }))).then((ready) => writeAnswers(context, ready, writer))
}

// Runs (or forwards) every row; throws for a batch refused whole.
function serveRows(context: ConnectionContext, body: Buffer, tally: BatchTally, session: Session | undefined): RowAnswer[] {
  const batch = decodeBatchRequest(body, context.limits.maxBatchKeys)
  if (batch.otherFields.length > 0) throw unsupportedField(batch.otherFields[0]!)
  if (batch.filter !== null) throw unsupported('filter expressions are')
  const nowMs = context.store.clock.nowMs()
  const rows: RowAnswer[] = []
  for (const { index, request: row } of batch.rows) {
    let request: Request | undefined
    try {
      if (row.write) throw unsupported('writes in a batch are')
      request = requestOf(row)
      session?.check(request)
      const forwarded = context.cluster?.forward(request, session?.user)
      if (forwarded !== undefined) {
        const read = request
        const answer = forwarded.then(
          (result) => answerOf(row, read, result, context.store.clock.nowMs()),
          (err: unknown) => ({ resultCode: resultCodeOf(failureOf(err, context.log, `batch row ${index}`).code) }),
        )
        rows.push({ index, answer })
        continue
      }
      const result = runOperation(context, request) as RecordResult
      rows.push({ index, answer: answerOf(row, request, result, nowMs) })
      countOutcome(context, request, result, STATUS.OK, tally)
    } catch (err) {
      const failure = failureOf(err, context.log, `batch row ${index}`)
      rows.push({ index, answer: { resultCode: resultCodeOf(failure.code) } })
      if (request !== undefined) countOutcome(context, request, undefined, failure.code, tally)
    }
  }
  return rows
}

// The answer, bounded by the frame limit, as Tally's BATCH_GET is. A value that cannot be encoded is the server's
// fault (status 1), not the request's.
function writeAnswers(context: ConnectionContext, rows: { index: number; answer: AsResponseInput }[], writer: WireWriter): undefined {
  const limit = context.limits.maxFrameBytes
  let answers = new BatchAnswerWriter()
  let status: number = STATUS.OK
  try {
    for (const { index, answer } of rows) {
      try {
        answers.add(index, answer)
      } catch {
        answers.add(index, { resultCode: resultCodeOf(STATUS.SERVER_ERROR) })
      }
      if (answers.bytes > limit) throw new TallyError(STATUS.PARAMETER, `the batch's answer would exceed ${limit} bytes; split the batch`)
    }
  } catch (err) {
    status = failureOf(err, context.log, 'a batch').code
    answers = new BatchAnswerWriter()
  }
  writer.bytes(answers.end(resultCodeOf(status)))
  return undefined
}
