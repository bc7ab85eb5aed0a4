// The digest variants of bench/codec-ab.ts: RIPEMD-160 of (set, key type, key) for integer and string keys, by
// Tally's plain-JS code and by node:crypto, the way each would be called on the client's hot path.
import { createHash, hash } from 'node:crypto'
import { computeDigest } from '../protocol/digest.js'

const KEYS = 1024
let sink = 0

const stringKeys = Array.from({ length: KEYS }, (_, i) => `user:${100_000 + i}`)

/** Tally's `computeDigest`, n times over alternating integer and string keys. */
export function oursDigests(n: number): number {
  for (let i = 0; i < n; i++) sink += computeDigest(i & 1 ? 'users' : 'bench', i & 1 ? stringKeys[i & (KEYS - 1)]! : i)[0]!
  return sink
}

const INTEGER_TYPE = 1
const STRING_TYPE = Buffer.from([3])

/** node:crypto's createHash, fed as Tally fed it before its own RIPEMD-160: set, type byte, key bytes. */
function createHashDigest(set: string, key: string | number): Buffer {
  const h = createHash('ripemd160').update(set, 'utf8')
  if (typeof key === 'string') return h.update(STRING_TYPE).update(key, 'utf8').digest()
  const bytes = Buffer.allocUnsafe(9)
  bytes[0] = INTEGER_TYPE
  bytes.writeBigInt64BE(BigInt(key), 1)
  return h.update(bytes).digest()
}

/** The same keys through `createHash`. */
export function createHashDigests(n: number): number {
  for (let i = 0; i < n; i++) sink += createHashDigest(i & 1 ? 'users' : 'bench', i & 1 ? stringKeys[i & (KEYS - 1)]! : i)[0]!
  return sink
}

const scratch = Buffer.allocUnsafe(256)
/** node:crypto's one-shot `hash()` (no Hash object) over the bytes laid out in one buffer, as Tally lays them out. */
function oneShotDigest(set: string, key: string | number): Buffer {
  let at = scratch.write(set, 0, 'utf8')
  if (typeof key === 'string') {
    scratch[at++] = STRING_TYPE[0]!
    at += scratch.write(key, at, 'utf8')
  } else {
    scratch[at++] = INTEGER_TYPE
    scratch.writeBigInt64BE(BigInt(key), at)
    at += 8
  }
  return hash('ripemd160', scratch.subarray(0, at), 'buffer')
}

/** The same keys through the one-shot `hash`. */
export function oneShotDigests(n: number): number {
  for (let i = 0; i < n; i++) sink += oneShotDigest(i & 1 ? 'users' : 'bench', i & 1 ? stringKeys[i & (KEYS - 1)]! : i)[0]!
  return sink
}

/** Throws unless the three ways agree, on an integer key and a string key. */
export function checkDigests(): void {
  for (const [set, key] of [['bench', 12345], ['users', 'user:100001']] as const) {
    const expected = computeDigest(set, key)
    if (!createHashDigest(set, key).equals(expected) || !oneShotDigest(set, key).equals(expected)) throw new Error('the digests disagree')
  }
}
