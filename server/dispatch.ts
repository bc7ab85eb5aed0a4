// message -> operation -> response. Every failure becomes an error response with a status; an unexpected
// exception is logged and answered with status 1, and the server carries on.
import { TallyError } from '../protocol/errors.js'
import {
  batchResponse,
  decodeRequest,
  errorResponse,
  OP,
  recordResponse,
  requestIdOf,
  type BatchItem,
  type RecordResult,
} from '../protocol/messages.js'
import { STATUS } from '../protocol/status.js'
import type { Logger } from './log.js'
import { runOperation, type OpContext } from './ops/index.js'

/** Answers one decoded request message with the response message to send back. Never throws. */
export function dispatch(context: OpContext, message: unknown, log: Logger): unknown[] {
  const id = requestIdOf(message)
  try {
    const request = decodeRequest(message)
    const result = runOperation(context, request)
    return request.op === OP.BATCH_GET ? batchResponse(id, result as BatchItem[]) : recordResponse(id, result as RecordResult)
  } catch (err) {
    if (err instanceof TallyError) return errorResponse(id, err.code, err.message, err.gen)
    log.error(`request ${id} failed unexpectedly: ${(err as Error)?.stack ?? String(err)}`)
    return errorResponse(id, STATUS.SERVER_ERROR, `internal error: ${(err as Error)?.message ?? String(err)}`)
  }
}
