// Record digests, computed exactly as Aerospike computes them (PROTOCOL.md §2):
// RIPEMD-160 over the set name, one key type byte, and the key's bytes.
import { createHash } from 'node:crypto'
import type { UserKey } from './types.js'

/** Length of a record digest in bytes. */
export const DIGEST_BYTES = 20

/** The key type byte hashed into the digest; the same numbers as Aerospike's particle types. */
export const KEY_TYPE = { INTEGER: 1, STRING: 3, BYTES: 4 } as const

/** RIPEMD-160(set || keyType || keyBytes). An empty or null set contributes nothing. */
export function computeDigest(set: string | null, key: UserKey): Buffer {
  const hash = createHash('ripemd160')
  if (set) hash.update(set, 'utf8')
  if (typeof key === 'string') {
    hash.update(STRING_TYPE)
    hash.update(key, 'utf8')
  } else if (typeof key === 'number' || typeof key === 'bigint') {
    const bytes = Buffer.allocUnsafe(9)
    bytes[0] = KEY_TYPE.INTEGER
    bytes.writeBigInt64BE(BigInt(key), 1)
    hash.update(bytes)
  } else {
    hash.update(BYTES_TYPE)
    hash.update(key)
  }
  return hash.digest()
}

const STRING_TYPE = Buffer.from([KEY_TYPE.STRING])
const BYTES_TYPE = Buffer.from([KEY_TYPE.BYTES])
