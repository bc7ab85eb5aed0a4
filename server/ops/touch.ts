// TOUCH: renew a record's TTL and bump its generation; status 2 when there is no such record. PROTOCOL.md §4.5
import type { RecordResult, TouchRequest } from '../../protocol/messages.js'
import { TXN } from '../store/namespace.js'
import type { OpContext } from './context.js'

export function touch({ store }: OpContext, request: TouchRequest): RecordResult {
  const ns = store.namespace(request.address.ns)
  const txn = ns.begin(request.address, request.policy, TXN.WRITE | TXN.MUST_EXIST | TXN.NO_REPLACE)
  txn.touch()
  return ns.commit(txn, request.token)
}
