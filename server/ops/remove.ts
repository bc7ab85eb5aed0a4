// REMOVE: delete a record; status 2 when there is none. The generation policy applies. PROTOCOL.md §4.4
import type { RecordResult, RemoveRequest } from '../../protocol/messages.js'
import { TXN } from '../store/namespace.js'
import type { OpContext } from './context.js'

export function remove({ store }: OpContext, request: RemoveRequest): RecordResult {
  const ns = store.namespace(request.address.ns)
  const txn = ns.begin(request.address, request.policy, TXN.WRITE | TXN.MUST_EXIST | TXN.NO_REPLACE | TXN.REMOVE)
  txn.deleteRecord()
  return ns.commit(txn, request.token)
}
