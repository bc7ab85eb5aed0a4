// Short strings (namespaces, sets, bin names) by a hash of their UTF-8 bytes, so that the same few strings are
// not built anew for every request. A hit returns the same string object, which also makes comparisons of bin
// names a pointer check.

const CACHE_SLOTS = 4096
/** Strings up to this many bytes are cached. */
export const CACHE_MAX_BYTES = 16
const cachedStrings: (string | undefined)[] = new Array(CACHE_SLOTS)
const cachedBytes = new Uint8Array(CACHE_SLOTS * CACHE_MAX_BYTES)
const cachedLengths = new Uint8Array(CACHE_SLOTS)

/** The string of the UTF-8 bytes `buf[start, start + length)`, at most CACHE_MAX_BYTES of them. */
export function cachedString(buf: Buffer, start: number, length: number): string {
  let hash = length
  for (let i = 0; i < length; i++) hash = Math.imul(hash ^ buf[start + i]!, 0x01000193)
  const slot = (hash >>> 0) & (CACHE_SLOTS - 1)
  const base = slot * CACHE_MAX_BYTES
  if (cachedLengths[slot] === length) {
    let same = true
    for (let i = 0; i < length; i++) {
      if (cachedBytes[base + i] !== buf[start + i]) {
        same = false
        break
      }
    }
    if (same && cachedStrings[slot] !== undefined) return cachedStrings[slot]
  }
  const value = buf.toString('utf8', start, start + length)
  cachedStrings[slot] = value
  cachedLengths[slot] = length
  for (let i = 0; i < length; i++) cachedBytes[base + i] = buf[start + i]!
  return value
}
