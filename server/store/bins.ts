// A record's bins as one flat array, [name0, value0, name1, value1, ...]: the wire's shape, small in memory,
// and fast to search for the few bins a record usually has. Stored arrays are never changed in place;
// a write changes a copy and swaps it in, so a failed write leaves nothing behind.
import { describeValue, TallyError } from '../../protocol/errors.js'
import { STATUS } from '../../protocol/status.js'
import { ARRAY_BYTES } from '../../protocol/memory-cost.js'
import { binBytes, type StoredValue } from './values.js'

/** Flat bins: alternating names and values. */
export type BinList = unknown[]

/** The longest bin name, in UTF-8 bytes (Aerospike's limit). */
export const MAX_BIN_NAME_BYTES = 15

/** Throws status 21 unless `name` is a non-empty string of at most 15 UTF-8 bytes. */
export function checkBinName(name: string): void {
  if (name.length === 0) throw new TallyError(STATUS.BIN_NAME, 'bin name is empty')
  if (name.length > 5 && Buffer.byteLength(name) > MAX_BIN_NAME_BYTES)
    throw new TallyError(STATUS.BIN_NAME, `bin name ${describeValue(name)} is longer than ${MAX_BIN_NAME_BYTES} bytes`)
}

/** Index of the name of bin `name` in `bins`, or -1. */
export function findBin(bins: BinList, name: string): number {
  for (let i = 0; i < bins.length; i += 2) if (bins[i] === name) return i
  return -1
}

/** The value of bin `name`, or undefined. */
export function binValue(bins: BinList, name: string): StoredValue | undefined {
  const at = findBin(bins, name)
  return at < 0 ? undefined : (bins[at + 1] as StoredValue)
}

/** Sets bin `name` in a working copy, adding it at the end if new. */
export function setBin(bins: BinList, name: string, value: StoredValue): void {
  const at = findBin(bins, name)
  if (at >= 0) bins[at + 1] = value
  else bins.push(internBinName(name), value)
}

/** Removes bin `name` from a working copy; returns its old value. */
export function deleteBin(bins: BinList, name: string): StoredValue | undefined {
  const at = findBin(bins, name)
  if (at < 0) return undefined
  const old = bins[at + 1] as StoredValue
  bins.splice(at, 2)
  return old
}

/** What a record's bins take in memory: their list, names and values, as counted for the record size limit. */
export function binsBytes(bins: BinList): number {
  let bytes = ARRAY_BYTES
  for (let i = 0; i < bins.length; i += 2) bytes += binBytes(bins[i] as string, bins[i + 1])
  return bytes
}

/** The named bins that exist, in the order asked for. */
export function selectBins(bins: BinList, names: readonly string[]): BinList {
  const out: BinList = []
  for (const name of names) {
    const at = findBin(bins, name)
    if (at >= 0) out.push(name, bins[at + 1])
  }
  return out
}

// Bin names arrive as fresh strings with every request; a record keeps a shared copy, so a million records with a
// bin 'count' hold one string, not a million. The table is bounded so that random names cannot grow it forever.
const MAX_INTERNED = 65_536
const interned = new Map<string, string>()

function internBinName(name: string): string {
  const known = interned.get(name)
  if (known !== undefined) return known
  if (interned.size < MAX_INTERNED) interned.set(name, name)
  return name
}
