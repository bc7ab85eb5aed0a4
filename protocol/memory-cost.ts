// What decoded values cost in memory: the decoder's budget per message (PROTOCOL.md §1) and the store's record
// sizes (§6.7) count with these. Measured on Node 20 x64 (8-byte references, no pointer compression) with
// --expose-gc: heapUsed (and RSS for memory outside the heap) before and after 100,000 objects of each shape.
// Each figure rounds the measurement up, so that what is counted is never less than what is held.

/** A reference: an element of an array, a field of an object. */
export const SLOT_BYTES = 8
/** An array's object and header, before its elements (measured 24 empty, 40 + 8 per element from 1 to 1,025). */
export const ARRAY_BYTES = 40
/** A Map: 176 bytes up to 4 entries (measured); its hash table then doubles as it grows. */
export const MAP_BYTES = 256
/** Per Map entry: key, value and chain slots plus buckets, doubled just after a growth (1,025 entries: 57,408). */
export const MAP_ENTRY_BYTES = 56
/** A string's header; then one byte per character, two for a string with any character past Latin-1. */
export const STRING_BYTES = 16
/** A number that is not a small integer (beyond int32, or fractional) is a heap object; a 64-bit bigint too. */
export const HEAP_NUMBER_BYTES = 16
/** A `Double`: its object and its number (measured 42). */
export const DOUBLE_BYTES = 48
/** Bytes with their own memory: ~200 on the heap, the rest a backing store outside it (RSS measured ~380). */
export const BYTES_BYTES = 384

/** A decoded op of an OPERATE (measured 56 with its slot). */
export const BIN_OP_BYTES = 64
/** A decoded BATCH_GET key: its address and the view of its digest (measured 152 with its slot). */
export const BATCH_KEY_BYTES = 160
/** A decoded BATCH_OPERATE item: address, digest view, policy, op list (measured 385 with one op and its slot). */
export const BATCH_ITEM_BYTES = 400

/** A string's characters as V8 holds them, and never less than their UTF-8 encoding, plus its header. */
export function stringBytes(value: string): number {
  const chars = value.length
  if (chars === 0) return 0 // one shared ''
  const utf8 = Buffer.byteLength(value)
  return STRING_BYTES + (utf8 === chars ? chars : Math.max(utf8, 2 * chars))
}
