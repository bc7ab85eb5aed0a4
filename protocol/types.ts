// The vocabulary shared by server and client: keys, bin values, record metadata and the policy names of the wire.
import { computeDigest, DIGEST_BYTES } from './digest.js'
import { TallyError } from './errors.js'
import { CLIENT_STATUS } from './status.js'

/** A user key: a string, an int64 (number within 2^53, or bigint), or bytes. */
export type UserKey = string | number | bigint | Uint8Array

/**
 * A double that stays a double on the wire even when its value is integral (`new Double(2)`).
 * Plain JS numbers are sent as integers when they are integral and as doubles otherwise.
 */
export class Double {
  constructor(readonly value: number) {}
  valueOf(): number {
    return this.value
  }
}

/** A bin value. `null` deletes the bin when written. Reads return doubles as plain numbers. */
export type Value =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | Double
  | Value[]
  | { [key: string]: Value }
  | Map<Value, Value>

/** The bins of a record, by name. */
export type Bins = { [name: string]: Value }

/** Record expiry and generation, as returned by every call that touches a record. */
export interface RecordMeta {
  /** Remaining seconds to live, rounded up; -1 if the record never expires. */
  ttl: number
  /** Generation: 1 on create, +1 per write, wrapping 65535 -> 1. */
  gen: number
}

/** Metadata given with a write. */
export interface WriteMeta {
  /**
   * Seconds to live: 0 = the namespace default, -1 = never expire, -2 = keep the current TTL.
   * Omitted: keep the current TTL (a new record gets the namespace default).
   */
  ttl?: number
  /** The expected generation, used with the `gen: 'eq' | 'gt'` policy. */
  gen?: number
}

/** Special TTL values, as in Aerospike. */
export const TTL = {
  NAMESPACE_DEFAULT: 0,
  NEVER_EXPIRE: -1,
  DONT_UPDATE: -2,
} as const

/** The largest TTL accepted: 10 years, in seconds. */
export const MAX_TTL_SEC = 315_360_000

/** Exists policies and their wire values (PROTOCOL.md §3, §6.4). */
export const EXISTS = { ignore: 0, create: 1, update: 2, replace: 3, createOrReplace: 4 } as const
export type ExistsPolicy = keyof typeof EXISTS
export type ExistsCode = (typeof EXISTS)[ExistsPolicy]

/** Generation policies and their wire values. */
export const GEN_POLICY = { ignore: 0, eq: 1, gt: 2 } as const
export type GenPolicy = keyof typeof GEN_POLICY
export type GenPolicyCode = (typeof GEN_POLICY)[GenPolicy]

/** Key policies: keep only the digest, or also send and store the user key. */
export const KEY_POLICY = { digest: 0, send: 1 } as const
export type KeyPolicy = keyof typeof KEY_POLICY

/** Commit levels. A single node commits to its master copy either way; both are accepted. */
export const COMMIT_LEVEL = { all: 0, master: 1 } as const
export type CommitLevel = keyof typeof COMMIT_LEVEL

const MAX_NAMESPACE_BYTES = 31
const MAX_SET_BYTES = 63
const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

function paramError(message: string): TallyError {
  return new TallyError(CLIENT_STATUS.PARAMETER, message)
}

/**
 * A record's address: namespace, set and user key, hashed to a 20-byte RIPEMD-160 digest exactly as Aerospike
 * does. A key may also be given by digest alone: `new Key('test', null, null, digest)`.
 */
export class Key {
  readonly ns: string
  readonly set: string | null
  readonly key: UserKey | null
  #digest: Buffer | undefined

  constructor(ns: string, set: string | null | undefined, key: UserKey | null | undefined, digest?: Uint8Array) {
    if (typeof ns !== 'string' || ns.length === 0 || Buffer.byteLength(ns) > MAX_NAMESPACE_BYTES || ns.includes('\0'))
      throw paramError(`namespace must be a non-empty string of at most ${MAX_NAMESPACE_BYTES} bytes`)
    if (set != null && (typeof set !== 'string' || Buffer.byteLength(set) > MAX_SET_BYTES || set.includes('\0')))
      throw paramError(`set must be a string of at most ${MAX_SET_BYTES} bytes, or null`)
    this.ns = ns
    this.set = set || null
    this.key = key == null ? null : checkUserKey(key)
    if (digest != null) {
      if (!(digest instanceof Uint8Array) || digest.length !== DIGEST_BYTES)
        throw paramError(`digest must be ${DIGEST_BYTES} bytes`)
      this.#digest = Buffer.from(digest)
    } else if (this.key === null) {
      throw paramError('a key needs a user key or a digest')
    }
  }

  /** The 20-byte RIPEMD-160 digest that identifies the record within its namespace. */
  get digest(): Buffer {
    return (this.#digest ??= computeDigest(this.set, this.key as UserKey))
  }

  toString(): string {
    const key = this.key === null ? `digest:${this.digest.toString('hex')}` : String(this.key)
    return `${this.ns}:${this.set ?? ''}:${key}`
  }
}

function checkUserKey(key: UserKey): UserKey {
  switch (typeof key) {
    case 'string':
      return key
    case 'number':
      if (!Number.isSafeInteger(key)) throw paramError(`integer keys must be safe integers (use a bigint beyond 2^53): ${key}`)
      return key
    case 'bigint':
      if (key < INT64_MIN || key > INT64_MAX) throw paramError(`integer key out of int64 range: ${key}`)
      return key
    default:
      if (key instanceof Uint8Array) return key
      throw paramError(`a user key must be a string, an integer or bytes, not ${typeof key}`)
  }
}
