// BATCH_OPERATE: ops on many records, atomically: every record is checked and worked out first, and only if all
// succeed are the changes made, together (and logged as one entry). A failure names the record that failed, and
// changes nothing. PROTOCOL.md §4.10
import { TallyError } from '../../protocol/errors.js'
import { MAX_OPERATE_OPS, type BatchOperateRequest, type RecordResult } from '../../protocol/messages.js'
import { STATUS } from '../../protocol/status.js'
import type { Namespace, Plan } from '../store/namespace.js'
import type { OpContext } from './context.js'
import { encodedBytesBound } from '../store/values.js'
import { ANSWER_HEADROOM_BYTES, apply, modeOf } from './operate.js'

/** Room in an answer for one record's gen and ttl around its read values. */
const ITEM_HEADROOM_BYTES = 16

export function batchOperate({ store, limits }: OpContext, request: BatchOperateRequest): RecordResult[] {
  const { items } = request
  if (items.length === 0) throw new TallyError(STATUS.PARAMETER, 'BATCH_OPERATE: needs at least one record')
  if (items.length > limits.maxBatchKeys)
    throw new TallyError(STATUS.PARAMETER, `BATCH_OPERATE: ${items.length} records, more than the limit of ${limits.maxBatchKeys}`)
  const seen = new Set<string>()
  const plans: [Namespace, Plan][] = []
  const results: RecordResult[] = []
  let answerBytes = ANSWER_HEADROOM_BYTES
  items.forEach((item, index) => {
    try {
      const { ns: name, digest } = item.address
      const key = `${name}\u0000${Buffer.from(digest.buffer, digest.byteOffset, digest.byteLength).toString('latin1')}`
      if (seen.has(key)) throw new TallyError(STATUS.PARAMETER, 'the record appears twice in the batch; put its ops in one item')
      seen.add(key)
      if (item.ops.length === 0 || item.ops.length > MAX_OPERATE_OPS)
        throw new TallyError(STATUS.PARAMETER, `an item needs 1 to ${MAX_OPERATE_OPS} ops`)
      const ns = store.namespace(name)
      const txn = ns.begin(item.address, item.policy, modeOf(item.ops))
      for (const op of item.ops) apply(txn, op)
      txn.payload = txn.results
      // Reads can repeat large bins: an answer over the frame limit is refused before anything is committed.
      answerBytes += ITEM_HEADROOM_BYTES + encodedBytesBound(txn.results)
      if (answerBytes > limits.maxFrameBytes)
        throw new TallyError(STATUS.RECORD_TOO_BIG, `BATCH_OPERATE: the reads would answer over ${limits.maxFrameBytes} bytes, the frame limit; split the batch`)
      const plan = ns.prepare(txn)
      if (plan !== undefined) plans.push([ns, plan])
      else if (txn.id >= 0) ns.readMeta(txn)
      results.push(txn)
    } catch (err) {
      if (!(err instanceof TallyError)) throw err
      throw new TallyError(err.code, err.message, { gen: err.gen, index })
    }
  })
  store.commitBatch(plans, request.token === undefined ? undefined : { token: request.token, answer: results })
  return results
}
