// INCREMENT: add to a numeric bin atomically and answer its new value; a missing bin (or record) starts at the
// initial value if one is given, else at the offset. PROTOCOL.md §4.6
import type { IncrementRequest, RecordResult } from '../../protocol/messages.js'
import { TXN } from '../store/namespace.js'
import type { OpContext } from './context.js'

export function increment({ store }: OpContext, request: IncrementRequest): RecordResult {
  const ns = store.namespace(request.address.ns)
  const txn = ns.begin(request.address, request.policy, TXN.WRITE | TXN.NO_REPLACE)
  txn.payload = txn.increment(request.bin, request.offset, request.initial)
  return ns.commit(txn, request.token)
}
