// Record digests, computed exactly as Aerospike computes them (PROTOCOL.md §2):
// RIPEMD-160 over the set name, one key type byte, and the key's bytes.
import { ripemd160 } from './ripemd160.js'
import type { UserKey } from './types.js'

/** Length of a record digest in bytes. */
export const DIGEST_BYTES = 20

/** The key type byte hashed into the digest; the same numbers as Aerospike's particle types. */
export const KEY_TYPE = { INTEGER: 1, STRING: 3, BYTES: 4 } as const

// Set, type byte and key are laid out here and hashed in one go; grown for unusually long keys.
let scratch = Buffer.allocUnsafe(256)

/** RIPEMD-160(set || keyType || keyBytes). An empty or null set contributes nothing. */
export function computeDigest(set: string | null, key: UserKey): Buffer {
  const setBytes = set ? Buffer.byteLength(set) : 0
  const keyBytes = typeof key === 'string' ? Buffer.byteLength(key) : typeof key === 'object' ? key.length : 8
  const length = setBytes + 1 + keyBytes
  if (length > scratch.length) scratch = Buffer.allocUnsafe(length * 2)
  if (set) scratch.write(set, 0, 'utf8')
  if (typeof key === 'string') {
    scratch[setBytes] = KEY_TYPE.STRING
    scratch.write(key, setBytes + 1, 'utf8')
  } else if (typeof key === 'number' || typeof key === 'bigint') {
    scratch[setBytes] = KEY_TYPE.INTEGER
    writeInt64BE(scratch, key, setBytes + 1)
  } else {
    scratch[setBytes] = KEY_TYPE.BYTES
    scratch.set(key, setBytes + 1)
  }
  return ripemd160(scratch, length)
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
