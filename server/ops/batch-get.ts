// BATCH_GET: read many records in one round trip. Each key gets its own outcome (found, or a status such as 2);
// the batch itself fails only when it is too large. PROTOCOL.md §4.8
import { TallyError } from '../../protocol/errors.js'
import type { BatchGetRequest, BatchItem, RecordAddress, RecordPolicy } from '../../protocol/messages.js'
import { STATUS } from '../../protocol/status.js'
import { checkBinName, selectBins } from '../store/bins.js'
import { TXN } from '../store/namespace.js'
import type { Store } from '../store/store.js'
import type { OpContext } from './context.js'

const READ_POLICY: RecordPolicy = { ttl: null, gen: 0, exists: 0, genPolicy: 0, commitMaster: false, deleteMissingOk: false }

export function batchGet({ store, limits }: OpContext, request: BatchGetRequest): BatchItem[] {
  const { addresses, binNames } = request
  if (addresses.length > limits.maxBatchKeys)
    throw new TallyError(STATUS.PARAMETER, `BATCH_GET: ${addresses.length} keys, more than the limit of ${limits.maxBatchKeys}`)
  if (binNames !== null) binNames.forEach(checkBinName)
  const items: BatchItem[] = []
  let bytes = 0
  for (const address of addresses) {
    const [item, itemBytes] = readOne(store, address, binNames)
    bytes += itemBytes
    if (bytes > limits.maxFrameBytes)
      throw new TallyError(STATUS.PARAMETER, `BATCH_GET: the answer would exceed ${limits.maxFrameBytes} bytes; split the batch`)
    items.push(item)
  }
  return items
}

/** One key's outcome and the approximate size of its bins. */
function readOne(store: Store, address: RecordAddress, binNames: string[] | null): [BatchItem, number] {
  try {
    const ns = store.namespace(address.ns)
    const txn = ns.begin(address, READ_POLICY, TXN.READ)
    const { gen, ttl } = ns.readMeta(txn)
    const bins = binNames === null ? txn.bins : selectBins(txn.bins, binNames)
    return [{ found: true, gen, ttl, bins }, txn.bytes]
  } catch (err) {
    if (!(err instanceof TallyError)) throw err
    return [{ found: false, status: err.code, message: err.message }, err.message.length]
  }
}
