// GET: all bins of a record, or only the named ones that exist (select). PROTOCOL.md §4.2
import type { GetRequest, RecordResult } from '../../protocol/messages.js'
import { checkBinName, selectBins } from '../store/bins.js'
import { TXN } from '../store/namespace.js'
import type { OpContext } from './context.js'

export function get({ store }: OpContext, request: GetRequest): RecordResult {
  const ns = store.namespace(request.address.ns)
  const txn = ns.begin(request.address, request.policy, TXN.READ)
  const names = request.binNames
  if (names !== null) names.forEach(checkBinName)
  txn.payload = names === null ? txn.bins : selectBins(txn.bins, names)
  return ns.readMeta(txn)
}
