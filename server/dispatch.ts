// frame -> request -> operation -> answer. Every failure becomes an error answer with a status; an unexpected
// exception is logged and answered with status 1, and the server carries on.
import { TallyError } from '../protocol/errors.js'
import { OP, SERVER_MESSAGE_ID, type BatchItem, type RecordResult } from '../protocol/messages.js'
import type { MsgpackReader } from '../protocol/msgpack-reader.js'
import { EncodeError, type FrameWriter } from '../protocol/msgpack-writer.js'
import { decodeRequest, peekRequestId } from '../protocol/request-codec.js'
import { writeBatchResponse, writeErrorResponse, writeRecordResponse } from '../protocol/response-codec.js'
import { STATUS } from '../protocol/status.js'
import type { Logger } from './log.js'
import { runOperation, type OpContext } from './ops/index.js'

/**
 * Decodes the request in `buf[start, end)`, runs it, and writes its answer as one frame into `w`. Returns the id it
 * answered (SERVER_MESSAGE_ID when the request was too broken to have one). Never throws.
 */
export function dispatch(context: OpContext, buf: Buffer, start: number, end: number, r: MsgpackReader, w: FrameWriter, log: Logger): number {
  let id = SERVER_MESSAGE_ID
  try {
    const request = decodeRequest(r.reset(buf, start, end))
    id = request.id
    const result = runOperation(context, request)
    w.begin()
    if (request.op === OP.BATCH_GET) writeBatchResponse(w, id, result as BatchItem[])
    else writeRecordResponse(w, id, result as RecordResult)
    if (w.bodyLength > context.limits.maxFrameBytes) {
      w.rollback()
      const message = `the answer exceeds the frame limit of ${context.limits.maxFrameBytes} bytes`
      return writeError(w, id, new TallyError(STATUS.RECORD_TOO_BIG, message))
    }
    w.end()
    return id
  } catch (err) {
    w.rollback()
    if (id === SERVER_MESSAGE_ID) id = peekRequestId(buf.subarray(start, end))
    if (err instanceof TallyError) return writeError(w, id, err)
    if (err instanceof EncodeError) return writeError(w, id, new TallyError(STATUS.SERVER_ERROR, `cannot encode the answer: ${err.message}`))
    log.error(`request ${id} failed unexpectedly: ${(err as Error)?.stack ?? String(err)}`)
    return writeError(w, id, new TallyError(STATUS.SERVER_ERROR, `internal error: ${(err as Error)?.message ?? String(err)}`))
  }
}

function writeError(w: FrameWriter, id: number, err: TallyError): number {
  w.begin()
  writeErrorResponse(w, id, err.code, err.message, err.gen)
  w.end()
  return id
}
