// PUT: write bins, merging with (or, under a replace policy, replacing) the record's bins. PROTOCOL.md §4.1
import { TallyError } from '../../protocol/errors.js'
import type { PutRequest, RecordResult } from '../../protocol/messages.js'
import { STATUS } from '../../protocol/status.js'
import { TXN } from '../store/namespace.js'
import type { OpContext } from './context.js'

export function put({ store }: OpContext, request: PutRequest): RecordResult {
  const bins = request.bins
  if (bins.length === 0 || bins.length % 2 !== 0) throw new TallyError(STATUS.PARAMETER, 'PUT: bins must be one or more name, value pairs')
  const ns = store.namespace(request.address.ns)
  // Deleting a bin needs the old record, which the replace policies drop: that combination is status 4.
  let deletes = false
  for (let i = 1; i < bins.length; i += 2) deletes ||= bins[i] === null || bins[i] === undefined
  const txn = ns.begin(request.address, request.policy, deletes ? TXN.WRITE | TXN.NO_REPLACE : TXN.WRITE)
  for (let i = 0; i < bins.length; i += 2) {
    const name = bins[i]
    if (typeof name !== 'string') throw new TallyError(STATUS.PARAMETER, `PUT: bin name ${i / 2} is not a string`)
    txn.write(name, bins[i + 1])
  }
  return ns.commit(txn, request.token)
}
