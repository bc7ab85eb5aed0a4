// frame -> request -> operation -> answer. Every failure becomes an error answer with a status: bad input 4, with
// a short message; an unexpected exception 1, logged with its stack at most once per STACK_TRACE_INTERVAL_MS (the
// others are counted), and the server carries on. Each outcome is counted under Aerospike's statistic names.
import { TallyError } from '../protocol/errors.js'
import { BIN_OP, OP, SERVER_MESSAGE_ID, type BatchItem, type InfoResult, type RecordResult, type Request, type WriteToken } from '../protocol/messages.js'
import type { MsgpackReader } from '../protocol/msgpack-reader.js'
import { EncodeError, type FrameWriter } from '../protocol/msgpack-writer.js'
import { decodeRequest, peekRequestId } from '../protocol/request-codec.js'
import { writeBatchOperateResponse, writeBatchResponse, writeErrorResponse, writeInfoResponse, writeRecordResponse } from '../protocol/response-codec.js'
import { STATUS } from '../protocol/status.js'
import type { Logger } from './log.js'
import type { ConnectionScans } from './scans/connection-scans.js'
import type { BatchTally } from './metrics/batch-tally.js'
import { runOperation, type OpContext } from './ops/index.js'
import type { NamespaceRequestStats } from './store/request-stats.js'
import { tokenOf } from './window/write-window.js'
import type { Session } from './security/session.js'

/**
 * A cluster node's routing (server/cluster/routing.ts): true if another node serves the request, whose answer then
 * comes later, not from `dispatch`; throws a TallyError to refuse it (the owner is down, say).
 */
export type Forward = (request: Request, body: Uint8Array) => boolean

/**
 * Decodes the request in `buf[start, end)`, runs it, and writes its answer as one frame into `w`. Returns the id it
 * answered (SERVER_MESSAGE_ID when the request was too broken to have one, or its answer comes later: a scan's
 * frames are sent by `scans`, a forwarded request's answer by the connection). With security, `session` decides
 * first whether the request may run; AUTH and USER_ADMIN are its own, answered later (`Session.takeDeferred`). A
 * write with a token is answered from the window if it was answered before (PROTOCOL.md §3.1); otherwise its answer
 * is remembered there. Never throws.
 */
export function dispatch(context: OpContext, buf: Buffer, start: number, end: number, r: MsgpackReader, w: FrameWriter, log: Logger, tally: BatchTally, scans?: ConnectionScans, session?: Session, forward?: Forward): number {
  let id = SERVER_MESSAGE_ID
  let request: Request | undefined
  let token: WriteToken | undefined
  try {
    request = decodeRequest(r.reset(buf, start, end), context.limits)
    id = request.id
    if (session !== undefined) {
      if (request.op === OP.AUTH || request.op === OP.USER_ADMIN) {
        session.defer(request)
        return SERVER_MESSAGE_ID
      }
      session.check(request)
    }
    if (forward !== undefined && forward(request, buf.subarray(start, end))) return SERVER_MESSAGE_ID
    if (request.op === OP.SCAN) {
      // Its frames are sent by the scan, later (PROTOCOL.md §4.11); only a scan that cannot start is answered here.
      if (scans === undefined) throw new TallyError(STATUS.UNSUPPORTED_FEATURE, 'SCAN is not served on this connection')
      scans.handle(request)
      if (request.spec !== null) countOutcome(context, request, undefined, STATUS.OK, tally) // started: counted once
      return SERVER_MESSAGE_ID
    }
    token = context.window?.enabled === true ? tokenOf(request) : undefined
    if (token !== undefined && context.window!.replay(token, id, w)) {
      tally.requests++ // held like any other answer; not counted again as served
      return id
    }
    const result = runOperation(context, request)
    if (session !== undefined && request.op === OP.INFO) session.redactInfo(result as InfoResult)
    w.begin()
    if (request.op === OP.BATCH_GET) writeBatchResponse(w, id, result as BatchItem[])
    else if (request.op === OP.BATCH_OPERATE) writeBatchOperateResponse(w, id, result as RecordResult[])
    else if (request.op === OP.INFO) writeInfoResponse(w, id, result as InfoResult)
    else writeRecordResponse(w, id, result as RecordResult)
    if (w.bodyLength > context.limits.maxFrameBytes) {
      w.rollback()
      const message = `the answer exceeds the frame limit of ${context.limits.maxFrameBytes} bytes`
      throw new TallyError(STATUS.RECORD_TOO_BIG, message)
    }
    w.end()
    if (token !== undefined) context.window!.remember(token, result as RecordResult | RecordResult[], w)
    countOutcome(context, request, result, STATUS.OK, tally)
    return id
  } catch (err) {
    w.rollback()
    if (id === SERVER_MESSAGE_ID) id = peekRequestId(buf.subarray(start, end))
    let failure: TallyError
    if (err instanceof TallyError) failure = err
    else if (err instanceof EncodeError) failure = new TallyError(STATUS.SERVER_ERROR, `cannot encode the answer: ${err.message}`)
    else {
      logInternalError(log, `request ${id}`, err)
      failure = new TallyError(STATUS.SERVER_ERROR, `internal error: ${(err as Error)?.message ?? String(err)}`)
    }
    if (request !== undefined) countOutcome(context, request, undefined, failure.code, tally, failure.index)
    w.begin()
    writeErrorResponse(w, id, failure.code, failure.message, failure.gen, failure.index)
    w.end()
    if (token !== undefined) context.window!.rememberFailure(token, failure.code, w)
    return id
  }
}

/** An internal error's stack is logged at most this often; the errors in between are counted. */
export const STACK_TRACE_INTERVAL_MS = 10_000

// Per logger, so that servers in one process keep their own count.
const traces = new WeakMap<Logger, { loggedMs: number; unlogged: number }>()

/**
 * Logs an unexpected exception from serving `what` (`request 7`). A failing request can come thousands of times a
 * second: its stack goes to the log once per interval, with the number of internal errors since the last one logged.
 */
export function logInternalError(log: Logger, what: string, err: unknown): void {
  let trace = traces.get(log)
  if (trace === undefined) traces.set(log, (trace = { loggedMs: -Infinity, unlogged: 0 }))
  const now = Date.now()
  if (now - trace.loggedMs < STACK_TRACE_INTERVAL_MS) {
    trace.unlogged++
    return
  }
  const since = trace.unlogged > 0 ? ` (${trace.unlogged} more internal errors since the last one logged)` : ''
  log.error(`${what} failed unexpectedly${since}: ${(err as Error)?.stack ?? String(err)}`)
  trace.loggedMs = now
  trace.unlogged = 0
}

/** Counts a request's outcome for its namespace, and the request for the batch's latency. */
export function countOutcome(context: OpContext, request: Request, result: unknown, status: number, tally: BatchTally, failedIndex?: number): void {
  if (request.op === OP.SCAN || request.op === OP.TRUNCATE || request.op === OP.RESTORE) return tally.addAlone(request, status) // no Aerospike counter is theirs
  if (request.op === OP.INFO || request.op === OP.AUTH || request.op === OP.USER_ADMIN || request.op === OP.PEER) return // counted by neither
  tally.add(request, status)
  if (request.op === OP.BATCH_OPERATE) {
    request.items.forEach((item, i) => {
      const c = context.store.findNamespace(item.address.ns)?.requestStats
      if (c === undefined) return
      if (status === STATUS.OK) c.client_write_success++
      else if (i === (failedIndex ?? 0)) failedWrite(c, status, 'client_write_error') // a failed batch is one error
    })
    return
  }
  if (request.op === OP.BATCH_GET) {
    if (status !== STATUS.OK) return
    ;(result as BatchItem[]).forEach((item, i) => {
      const c = context.store.findNamespace(request.addresses[i]!.ns)?.requestStats
      if (c === undefined) return
      if (item.found) c.client_read_success++
      else if (item.status === STATUS.NOT_FOUND) c.client_read_not_found++
      else c.client_read_error++
    })
    return
  }
  const c = context.store.findNamespace(request.address.ns)?.requestStats
  const reads = request.op === OP.GET || request.op === OP.EXISTS || (request.op === OP.OPERATE && request.ops.every((o) => o.op === BIN_OP.READ))
  if (c === undefined) return
  if (reads) {
    if (status === STATUS.OK) c.client_read_success++
    else if (status === STATUS.NOT_FOUND) c.client_read_not_found++
    else c.client_read_error++
  } else if (request.op === OP.REMOVE) {
    if (status === STATUS.OK) c.client_delete_success++
    else if (status === STATUS.NOT_FOUND) c.client_delete_not_found++
    else failedWrite(c, status, 'client_delete_error')
  } else if (status === STATUS.OK) c.client_write_success++
  else failedWrite(c, status, 'client_write_error')
}

function failedWrite(c: NamespaceRequestStats, status: number, counter: 'client_write_error' | 'client_delete_error'): void {
  c[counter]++
  if (status === STATUS.GENERATION) c.fail_generation++
  else if (status === STATUS.RECORD_TOO_BIG) c.fail_record_too_big++
  else if (status === STATUS.KEY_BUSY) c.fail_key_busy++
}
