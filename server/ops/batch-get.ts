// BATCH_GET: read many records in one round trip. Each key gets its own outcome (found, or a status such as 2);
// the batch itself fails only when it is too large. PROTOCOL.md §4.8
import { TallyError } from '../../protocol/errors.js'
import type { BatchGetRequest, BatchItem, RecordAddress, RecordPolicy } from '../../protocol/messages.js'
import { STATUS } from '../../protocol/status.js'
import { checkBinName, selectBins } from '../store/bins.js'
import { TXN } from '../store/namespace.js'
import type { Store } from '../store/store.js'
import { encodedBytesBound } from '../store/values.js'
import type { OpContext } from './context.js'

/** An item's array header, status, generation and TTL, at their widest. */
const ITEM_HEADER_BYTES = 1 + 1 + 3 + 9

const READ_POLICY: RecordPolicy = { ttl: null, gen: 0, exists: 0, genPolicy: 0, commitMaster: false, deleteMissingOk: false }

export function batchGet({ store, limits }: OpContext, request: BatchGetRequest): BatchItem[] {
  const { addresses, binNames } = request
  if (addresses.length > limits.maxBatchKeys)
    throw new TallyError(STATUS.PARAMETER, `BATCH_GET: ${addresses.length} keys, more than the limit of ${limits.maxBatchKeys}`)
  if (binNames !== null) binNames.forEach(checkBinName)
  const items: BatchItem[] = []
  let bytes = 0
  for (const address of addresses) {
    const [item, memoryBytes] = readOne(store, address, binNames)
    // What a record takes in memory bounds its encoding from above; near the limit, the encoding is sized itself.
    bytes += bytes + memoryBytes <= limits.maxFrameBytes ? memoryBytes : itemBytesBound(item)
    if (bytes > limits.maxFrameBytes)
      throw new TallyError(STATUS.PARAMETER, `BATCH_GET: the answer would exceed ${limits.maxFrameBytes} bytes; split the batch`)
    items.push(item)
  }
  return items
}

/** At least the size of an item's encoding in the answer. */
function itemBytesBound(item: BatchItem): number {
  return item.found ? ITEM_HEADER_BYTES + encodedBytesBound(item.bins) : ITEM_HEADER_BYTES + Buffer.byteLength(item.message)
}

/** One key's outcome and, for a record, what its bins take in memory (at least their encoded size). */
function readOne(store: Store, address: RecordAddress, binNames: string[] | null): [BatchItem, number] {
  try {
    const ns = store.namespace(address.ns)
    const txn = ns.begin(address, READ_POLICY, TXN.READ)
    const { gen, ttl } = ns.readMeta(txn)
    const bins = binNames === null ? txn.bins : selectBins(txn.bins, binNames)
    return [{ found: true, gen, ttl, bins }, txn.bytes]
  } catch (err) {
    if (!(err instanceof TallyError)) throw err
    const item: BatchItem = { found: false, status: err.code, message: err.message }
    return [item, itemBytesBound(item)]
  }
}
