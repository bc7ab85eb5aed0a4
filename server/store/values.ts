// Bin values as the store keeps them: checked on the way in, sized for the record limit and the memory budget by
// what they take in memory, and added exactly. Integers are numbers while they are safe (|n| < 2^53) and bigints
// beyond; doubles are always `Double`.
import { TallyError } from '../../protocol/errors.js'
import {
  ARRAY_BYTES,
  BYTES_BYTES,
  DOUBLE_BYTES,
  HEAP_NUMBER_BYTES,
  MAP_BYTES,
  MAP_ENTRY_BYTES,
  SLOT_BYTES,
  STRING_BYTES,
  stringBytes,
} from '../../protocol/memory-cost.js'
import { STATUS } from '../../protocol/status.js'
import { Double, type UserKey } from '../../protocol/types.js'

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n
/**
 * Bin values nest lists and maps at most this deep. Well below what the codec allows a whole message (64), so a
 * stored value always fits inside an answer or a log entry.
 */
export const MAX_VALUE_DEPTH = 32

/** A value as stored in a bin. */
export type StoredValue = number | bigint | string | boolean | Buffer | Uint8Array | Double | unknown[] | Map<unknown, unknown>

/** The kinds of bin value, for type rules such as "integers add to integers". */
export const KIND = { INT: 1, DOUBLE: 2, STRING: 3, BYTES: 4, BOOL: 5, LIST: 6, MAP: 7 } as const
export type Kind = (typeof KIND)[keyof typeof KIND]

/** The kind of a stored value. */
export function kindOf(value: StoredValue): Kind {
  switch (typeof value) {
    case 'number':
    case 'bigint':
      return KIND.INT
    case 'string':
      return KIND.STRING
    case 'boolean':
      return KIND.BOOL
    default:
      if (value instanceof Double) return KIND.DOUBLE
      if (value instanceof Uint8Array) return KIND.BYTES
      if (Array.isArray(value)) return KIND.LIST
      return KIND.MAP
  }
}

/** An int64 as the store keeps it: a number when safe, else a bigint. Null when out of int64 range. */
export function normalizeInt(value: bigint): number | bigint | null {
  if (value < INT64_MIN || value > INT64_MAX) return null
  return value >= -9007199254740991n && value <= 9007199254740991n ? Number(value) : value
}

/** a + b in int64, exactly; null on overflow (Tally never wraps). */
export function addInt(a: number | bigint, b: number | bigint): number | bigint | null {
  if (typeof a === 'number' && typeof b === 'number') {
    const sum = a + b
    if (Number.isSafeInteger(sum)) return sum
  }
  return normalizeInt(BigInt(a) + BigInt(b))
}

/**
 * Checks a value received for bin `bin` and returns its stored form: a safe integral number is an integer, any other
 * number a double. Throws status 4 for a type Tally does not store or an integer beyond int64.
 */
export function toStoredValue(value: unknown, bin: string): StoredValue {
  switch (typeof value) {
    case 'number':
      return Number.isSafeInteger(value) ? value : new Double(value)
    case 'bigint': {
      const int = normalizeInt(value)
      if (int === null) throw new TallyError(STATUS.PARAMETER, `bin '${bin}': integer ${value} is outside int64`)
      return int
    }
    case 'string':
    case 'boolean':
      return value
    default:
      if (value instanceof Double || value instanceof Uint8Array) return value
      if (Array.isArray(value) || value instanceof Map) {
        checkNested(value, bin, 1)
        return value
      }
      throw new TallyError(STATUS.PARAMETER, `bin '${bin}': unsupported value type ${describe(value)}`)
  }
}

function checkNested(value: unknown, bin: string, depth: number): void {
  if (depth > MAX_VALUE_DEPTH) throw new TallyError(STATUS.PARAMETER, `bin '${bin}': lists and maps nest deeper than ${MAX_VALUE_DEPTH}`)
  if (Array.isArray(value)) {
    for (const item of value) checkNested(item, bin, depth + 1)
  } else if (value instanceof Map) {
    for (const [k, v] of value) {
      checkNested(k, bin, depth + 1)
      checkNested(v, bin, depth + 1)
    }
  } else if (typeof value === 'bigint') {
    if (normalizeInt(value) === null) throw new TallyError(STATUS.PARAMETER, `bin '${bin}': integer ${value} is outside int64`)
  } else if (
    value !== null &&
    typeof value !== 'number' &&
    typeof value !== 'string' &&
    typeof value !== 'boolean' &&
    !(value instanceof Uint8Array) &&
    !(value instanceof Double)
  ) {
    throw new TallyError(STATUS.PARAMETER, `bin '${bin}': unsupported value type ${describe(value)} inside a list or map`)
  }
}

function describe(value: unknown): string {
  if (value === null) return 'nil'
  if (typeof value === 'object') return value.constructor?.name ?? 'object'
  return typeof value
}

/**
 * At least the size of a value encoded in msgpack (headers included): an answer is checked against the frame limit
 * with it before the change that answers is made.
 */
export function encodedBytesBound(value: unknown): number {
  switch (typeof value) {
    case 'number':
    case 'bigint':
      return 9
    case 'boolean':
      return 1
    case 'string':
      return 5 + Buffer.byteLength(value)
    default:
      if (value === null || value === undefined) return 1
      if (value instanceof Uint8Array) return 5 + value.length
      if (value instanceof Double) return 10
      if (Array.isArray(value)) {
        let bytes = 5
        for (const item of value) bytes += encodedBytesBound(item)
        return bytes
      }
      if (value instanceof Map) {
        let bytes = 5
        for (const [k, v] of value) bytes += encodedBytesBound(k) + encodedBytesBound(v)
        return bytes
      }
      return 10
  }
}

/**
 * What a value takes in memory, in bytes, beyond the slot that holds it (protocol/memory-cost.ts has the measured
 * costs): 0 for a small integer (int32), a boolean or nil; 16 for any other number or a bigint; 48 for a Double;
 * a string 16 + its bytes (two a character past Latin-1, and never less than its UTF-8 length); bytes 384 + their
 * length; a list 40 + 8 per element; a map 256 + 56 per entry; plus what their elements take. Never less than the
 * value's msgpack encoding once its slot is counted, so a sum of these also bounds an answer's size.
 */
export function valueBytes(value: unknown): number {
  switch (typeof value) {
    case 'number':
      return (value | 0) === value ? 0 : HEAP_NUMBER_BYTES
    case 'bigint':
      return HEAP_NUMBER_BYTES
    case 'boolean':
      return 0
    case 'string':
      return stringBytes(value)
    default:
      if (value === null || value === undefined) return 0
      if (value instanceof Uint8Array) return BYTES_BYTES + value.length
      if (value instanceof Double) return DOUBLE_BYTES
      if (Array.isArray(value)) {
        let bytes = ARRAY_BYTES
        for (const item of value) bytes += SLOT_BYTES + valueBytes(item)
        return bytes
      }
      if (value instanceof Map) {
        let bytes = MAP_BYTES
        for (const [k, v] of value) bytes += MAP_ENTRY_BYTES + valueBytes(k) + valueBytes(v)
        return bytes
      }
      return DOUBLE_BYTES
  }
}

/** What a record's stored user key takes in memory. */
export function keyBytes(key: UserKey | undefined): number {
  return key === undefined ? 0 : valueBytes(key)
}

/**
 * What a bin takes in a record's list of bins: its name's and its value's slots, its name (at most 15 bytes, counted
 * at two a character) and its value.
 */
export function binBytes(name: string, value: unknown): number {
  return 2 * SLOT_BYTES + STRING_BYTES + 2 * name.length + valueBytes(value)
}

/** `a` and `b` joined, in memory of their own (Buffer.concat would cut a small result from Node's shared pool). */
export function concatBytes(a: Uint8Array, b: Uint8Array): Buffer {
  const joined = Buffer.allocUnsafeSlow(a.length + b.length)
  joined.set(a, 0)
  joined.set(b, a.length)
  return joined
}

/**
 * `a + b` as one flat string. V8 joins strings lazily, into a 32-byte node pointing at both: a string grown by many
 * small appends would take 32 bytes per append over its length. Reading a character from the middle flattens it.
 */
export function concatString(a: string, b: string): string {
  const joined = a + b
  joined.charCodeAt(joined.length >> 1)
  return joined
}
