// OPERATE: an ordered list of bin ops applied atomically to one record; the reads see the ops before them, and a
// failing op rolls the whole list back. Answers the value of each read, in order. PROTOCOL.md §4.7
import { TallyError } from '../../protocol/errors.js'
import { BIN_OP, MAX_OPERATE_OPS, type BinOp, type OperateRequest, type RecordResult } from '../../protocol/messages.js'
import { STATUS } from '../../protocol/status.js'
import type { RecordTxn } from '../store/record-txn.js'
import { TXN } from '../store/namespace.js'
import { encodedBytesBound } from '../store/values.js'
import type { OpContext } from './context.js'

/** Room in a frame for an answer's header around its read values. */
export const ANSWER_HEADROOM_BYTES = 1024

export function operate({ store, limits }: OpContext, request: OperateRequest): RecordResult {
  const ops = request.ops
  if (ops.length === 0) throw new TallyError(STATUS.PARAMETER, 'OPERATE: needs at least one op')
  if (ops.length > MAX_OPERATE_OPS) throw new TallyError(STATUS.PARAMETER, `OPERATE: more than ${MAX_OPERATE_OPS} ops`)
  const ns = store.namespace(request.address.ns)
  const txn = ns.begin(request.address, request.policy, modeOf(ops))
  for (const op of ops) apply(txn, op)
  // Reads can repeat a large bin: an answer over the frame limit is refused before anything is committed.
  const answerBytes = encodedBytesBound(txn.results)
  if (answerBytes > limits.maxFrameBytes - ANSWER_HEADROOM_BYTES)
    throw new TallyError(STATUS.RECORD_TOO_BIG, `OPERATE: the reads would answer ~${answerBytes} bytes, over the frame limit of ${limits.maxFrameBytes}`)
  txn.payload = txn.results
  return ns.commit(txn, request.token)
}

/** The transaction mode a list of ops needs. */
export function modeOf(ops: BinOp[]): number {
  let mode: number = TXN.READ
  for (const { op, value } of ops) {
    if (op === BIN_OP.READ) continue
    mode |= TXN.WRITE
    if (op === BIN_OP.TOUCH) mode |= TXN.MUST_EXIST
    // Only writes of whole bin values fit a replace policy; in-place changes and deletes need the old record.
    if (op !== BIN_OP.WRITE || value === undefined || value === null) mode |= TXN.NO_REPLACE
  }
  return mode
}

/** Applies one op to a transaction's working copy. */
export function apply(txn: RecordTxn, { op, bin, value, initial }: BinOp): void {
  switch (op) {
    case BIN_OP.READ:
      txn.read(bin)
      return
    case BIN_OP.WRITE:
      txn.write(bin, value)
      return
    case BIN_OP.INCR:
      txn.increment(bin, value, initial)
      return
    case BIN_OP.APPEND:
    case BIN_OP.PREPEND:
      txn.append(bin, value, op === BIN_OP.PREPEND)
      return
    case BIN_OP.TOUCH:
      txn.touch()
      return
    case BIN_OP.DELETE:
      txn.deleteRecord()
      return
  }
}
