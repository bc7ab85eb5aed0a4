// Record digests, computed exactly as Aerospike computes them (PROTOCOL.md §2):
// RIPEMD-160 over the set name, one key type byte, and the key's bytes.
import { ripemd160 } from './ripemd160.js'
import type { UserKey } from './types.js'

/** Length of a record digest in bytes. */
export const DIGEST_BYTES = 20

// Partitions are worked out from digests in partitions.ts; re-exported here for the codecs that hash and place keys.
export { PARTITIONS, partitionOf } from './partitions.js'

/** The key type byte hashed into the digest; the same numbers as Aerospike's particle types. */
export const KEY_TYPE = { INTEGER: 1, STRING: 3, BYTES: 4 } as const

// Set, type byte and key are laid out here and hashed in one go; grown for unusually long keys.
let scratch = Buffer.allocUnsafe(256)

/** RIPEMD-160(set || keyType || keyBytes). An empty or null set contributes nothing. */
export function computeDigest(set: string | null, key: UserKey): Buffer {
  const setBytes = set ? utf8Length(set) : 0
  const keyBytes = typeof key === 'string' ? utf8Length(key) : typeof key === 'object' ? key.length : 8
  const length = setBytes + 1 + keyBytes
  if (length > scratch.length) scratch = Buffer.allocUnsafe(length * 2)
  if (set) writeUtf8(set, setBytes, 0)
  if (typeof key === 'string') {
    scratch[setBytes] = KEY_TYPE.STRING
    writeUtf8(key, keyBytes, setBytes + 1)
  } else if (typeof key === 'number' || typeof key === 'bigint') {
    scratch[setBytes] = KEY_TYPE.INTEGER
    writeInt64BE(scratch, key, setBytes + 1)
  } else {
    scratch[setBytes] = KEY_TYPE.BYTES
    scratch.set(key, setBytes + 1)
  }
  return ripemd160(scratch, length)
}

// Names and keys are nearly always short ASCII: measure and copy them in JS, leaving other text to Buffer.
function utf8Length(text: string): number {
  if (text.length > 64) return Buffer.byteLength(text)
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x80) return Buffer.byteLength(text)
  return text.length
}

function writeUtf8(text: string, bytes: number, at: number): void {
  if (bytes !== text.length || bytes > 64) {
    scratch.write(text, at, 'utf8')
    return
  }
  for (let i = 0; i < bytes; i++) scratch[at + i] = text.charCodeAt(i)
}

/** Writes an int64 big-endian without going through BigInt when the number is safe. */
function writeInt64BE(buf: Buffer, value: number | bigint, at: number): void {
  if (typeof value === 'bigint') {
    buf.writeBigInt64BE(value, at)
    return
  }
  const high = Math.floor(value / 2 ** 32)
  buf.writeInt32BE(high, at)
  buf.writeUInt32BE(value - high * 2 ** 32, at + 4)
}
