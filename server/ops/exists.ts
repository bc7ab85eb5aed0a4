// EXISTS: a record's metadata without its bins; status 2 when there is no such record. PROTOCOL.md §4.3
import type { ExistsRequest, RecordResult } from '../../protocol/messages.js'
import { TXN } from '../store/namespace.js'
import type { OpContext } from './context.js'

export function exists({ store }: OpContext, request: ExistsRequest): RecordResult {
  const ns = store.namespace(request.address.ns)
  const txn = ns.begin(request.address, request.policy, TXN.READ)
  return ns.readMeta(txn)
}
