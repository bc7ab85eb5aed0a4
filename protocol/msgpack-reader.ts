// A msgpack reader that works in place on a frame's bytes. Request and response decoders read their fixed
// fields one by one, with no intermediate arrays; short strings (namespaces, sets, bin names) come from a small
// cache instead of being built anew for every request. Any value can still be read whole with `value()`.
import { TallyError } from './errors.js'
import { STATUS } from './status.js'
import { Double } from './types.js'

/** What the next value is. */
export const KIND = { NIL: 0, BOOL: 1, INT: 2, FLOAT: 3, STR: 4, BIN: 5, ARRAY: 6, MAP: 7, EXT: 8, INVALID: 9 } as const
export type Kind = (typeof KIND)[keyof typeof KIND]

/** msgpack ext type of a `Double` (PROTOCOL.md §1). */
export const EXT_DOUBLE = 1

/** What msgpack floats (float32, float64) and ext type 1 decode to. */
export const FLOATS = {
  /**
   * A float is a plain number, ext type 1 a `Double`. For log entries: before integers over 32 bits were written as
   * msgpack integers they were written as float64, and an integral number in a bin is an integer.
   */
  NUMBERS: 0,
  /** Every float is a `Double`, whatever its value, as is ext type 1: a double stays a double (requests). */
  DOUBLES: 1,
  /**
   * A `Double` when read as a value on its own (a bin, a read result), a plain number inside a list or map: the
   * client's API gives numbers, and tells doubles from integers only where it must (a bin that is a counter).
   */
  DOUBLES_AT_TOP: 2,
} as const
export type Floats = (typeof FLOATS)[keyof typeof FLOATS]
/** Lists and maps nest at most this deep; deeper input is refused rather than risk the stack. */
export const MAX_DEPTH = 64

const KINDS = new Uint8Array(256)
for (let b = 0; b < 256; b++) KINDS[b] = kindOfByte(b)

function kindOfByte(b: number): Kind {
  if (b <= 0x7f || b >= 0xe0) return KIND.INT
  if (b <= 0x8f) return KIND.MAP
  if (b <= 0x9f) return KIND.ARRAY
  if (b <= 0xbf) return KIND.STR
  switch (b) {
    case 0xc0:
      return KIND.NIL
    case 0xc2:
    case 0xc3:
      return KIND.BOOL
    case 0xc4:
    case 0xc5:
    case 0xc6:
      return KIND.BIN
    case 0xca:
    case 0xcb:
      return KIND.FLOAT
    case 0xd9:
    case 0xda:
    case 0xdb:
      return KIND.STR
    case 0xdc:
    case 0xdd:
      return KIND.ARRAY
    case 0xde:
    case 0xdf:
      return KIND.MAP
    default:
      if (b >= 0xcc && b <= 0xd3) return KIND.INT
      if ((b >= 0xc7 && b <= 0xc9) || (b >= 0xd4 && b <= 0xd8)) return KIND.EXT
      return KIND.INVALID
  }
}

function malformed(what: string): TallyError {
  return new TallyError(STATUS.PARAMETER, `malformed msgpack: ${what}`)
}

// Short strings by a hash of their bytes. A hit returns the same string object, which also makes comparisons of
// bin names a pointer check.
const CACHE_SLOTS = 4096
const CACHE_MAX_BYTES = 16
const cachedStrings: (string | undefined)[] = new Array(CACHE_SLOTS)
const cachedBytes = new Uint8Array(CACHE_SLOTS * CACHE_MAX_BYTES)
const cachedLengths = new Uint8Array(CACHE_SLOTS)

/** How a reader decodes maps and floats. */
export interface MsgpackReaderOptions {
  /** Decode maps as plain objects (the client) rather than `Map`s (the server). */
  mapsAsObjects: boolean
  /** What floats decode to; default FLOATS.NUMBERS. A message's decoder may change it after `reset`. */
  floats?: Floats
}

export class MsgpackReader {
  buf: Buffer = Buffer.alloc(0)
  pos = 0
  end = 0
  /** What floats decode to in the message being read; back to the reader's default on `reset`. */
  floats: Floats
  readonly #mapsAsObjects: boolean
  readonly #floats: Floats

  constructor(options: MsgpackReaderOptions) {
    this.#mapsAsObjects = options.mapsAsObjects
    this.floats = this.#floats = options.floats ?? FLOATS.NUMBERS
  }

  /** Reads from `buf[start, end)` from now on. */
  reset(buf: Buffer, start = 0, end = buf.length): this {
    this.buf = buf
    this.pos = start
    this.end = end
    this.floats = this.#floats
    return this
  }

  /** Throws unless every byte has been read. */
  finish(): void {
    if (this.pos !== this.end) throw malformed(`${this.end - this.pos} bytes after the message`)
  }

  /** The kind of the next value. */
  kind(): Kind {
    if (this.pos >= this.end) throw malformed('truncated')
    return KINDS[this.buf[this.pos]!] as Kind
  }

  /** Consumes a nil if one is next. */
  nil(): boolean {
    if (this.pos < this.end && this.buf[this.pos] === 0xc0) {
      this.pos++
      return true
    }
    return false
  }

  /** An array header: the number of elements. */
  array(): number {
    const b = this.#byte()
    let n: number
    if (b >= 0x90 && b <= 0x9f) n = b & 0x0f
    else if (b === 0xdc) n = this.#uint(2)
    else if (b === 0xdd) n = this.#uint(4)
    else throw malformed('expected an array')
    if (n > this.end - this.pos) throw malformed('array longer than its frame')
    return n
  }

  /** An integer of any msgpack width: a number when it is a safe integer (|n| < 2^53), else a bigint. */
  int(): number | bigint {
    const b = this.#byte()
    if (b <= 0x7f) return b
    if (b >= 0xe0) return b - 0x100
    switch (b) {
      case 0xcc:
        return this.#uint(1)
      case 0xcd:
        return this.#uint(2)
      case 0xce:
        return this.#uint(4)
      case 0xcf:
        return this.#int64(false)
      case 0xd0:
        this.#need(1)
        return this.buf.readInt8(this.pos++)
      case 0xd1:
        this.#need(2)
        return this.buf.readInt16BE((this.pos += 2) - 2)
      case 0xd2:
        this.#need(4)
        return this.buf.readInt32BE((this.pos += 4) - 4)
      case 0xd3:
        return this.#int64(true)
      default:
        this.pos--
        throw malformed('expected an integer')
    }
  }

  /** A string. */
  str(): string {
    const b = this.#byte()
    let length: number
    if (b >= 0xa0 && b <= 0xbf) length = b & 0x1f
    else if (b === 0xd9) length = this.#uint(1)
    else if (b === 0xda) length = this.#uint(2)
    else if (b === 0xdb) length = this.#uint(4)
    else throw malformed('expected a string')
    this.#need(length)
    const start = this.pos
    this.pos += length
    return length <= CACHE_MAX_BYTES ? this.#shortString(start, length) : this.buf.toString('utf8', start, start + length)
  }

  /** Binary data: a view of the frame's bytes (no copy) when `copy` is false. */
  bin(copy: boolean): Buffer {
    const b = this.#byte()
    let length: number
    if (b === 0xc4) length = this.#uint(1)
    else if (b === 0xc5) length = this.#uint(2)
    else if (b === 0xc6) length = this.#uint(4)
    else throw malformed('expected binary data')
    this.#need(length)
    const view = this.buf.subarray(this.pos, (this.pos += length))
    return copy ? Buffer.from(view) : view
  }

  /** Binary data of exactly `into.length` bytes, copied into `into`; false (and nothing consumed) otherwise. */
  binInto(into: Uint8Array): boolean {
    const start = this.pos
    const b = this.#byte()
    const length = b === 0xc4 ? this.#uint(1) : b === 0xc5 ? this.#uint(2) : b === 0xc6 ? this.#uint(4) : -1
    if (length !== into.length || this.pos + length > this.end) {
      this.pos = start
      return false
    }
    const buf = this.buf
    for (let i = 0; i < length; i++) into[i] = buf[this.pos + i]!
    this.pos += length
    return true
  }

  /** Any value: scalars, lists, maps and Doubles. Bytes are copied. */
  value(depth = 0): unknown {
    const kind = this.kind()
    switch (kind) {
      case KIND.NIL:
        this.pos++
        return null
      case KIND.BOOL:
        return this.buf[this.pos++] === 0xc3
      case KIND.INT:
        return this.int()
      case KIND.FLOAT:
        return this.#float(depth)
      case KIND.STR:
        return this.str()
      case KIND.BIN:
        return this.bin(true)
      case KIND.ARRAY:
        return this.#list(depth)
      case KIND.MAP:
        return this.#map(depth)
      case KIND.EXT:
        return this.#ext(depth)
      default:
        throw malformed(`byte 0x${this.buf[this.pos]!.toString(16)} starts no value`)
    }
  }

  #list(depth: number): unknown[] {
    if (depth >= MAX_DEPTH) throw malformed(`lists and maps nest deeper than ${MAX_DEPTH}`)
    const n = this.array()
    const list = new Array<unknown>(n)
    for (let i = 0; i < n; i++) list[i] = this.value(depth + 1)
    return list
  }

  #map(depth: number): unknown {
    if (depth >= MAX_DEPTH) throw malformed(`lists and maps nest deeper than ${MAX_DEPTH}`)
    const b = this.#byte()
    const n = b <= 0x8f ? b & 0x0f : this.#uint(b === 0xde ? 2 : 4)
    if (n * 2 > this.end - this.pos) throw malformed('map longer than its frame')
    if (!this.#mapsAsObjects) {
      const map = new Map<unknown, unknown>()
      for (let i = 0; i < n; i++) map.set(this.value(depth + 1), this.value(depth + 1))
      return map
    }
    const object: Record<string, unknown> = {}
    for (let i = 0; i < n; i++) {
      const key = String(this.value(depth + 1))
      const value = this.value(depth + 1)
      if (key === '__proto__') Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true })
      else object[key] = value
    }
    return object
  }

  #ext(depth: number): Double | number {
    const b = this.#byte()
    const length = b >= 0xd4 ? 1 << (b - 0xd4) : this.#uint(b === 0xc7 ? 1 : b === 0xc8 ? 2 : 4)
    const type = this.#uint(1)
    this.#need(length)
    if (type !== EXT_DOUBLE || length !== 8)
      throw new TallyError(STATUS.PARAMETER, `msgpack extension type ${(type << 24) >> 24} (${length} bytes) is not supported; type 1 holds a double`)
    const value = this.buf.readDoubleBE((this.pos += 8) - 8)
    return this.floats === FLOATS.DOUBLES_AT_TOP && depth > 0 ? value : new Double(value)
  }

  #float(depth: number): Double | number {
    const b = this.#byte()
    this.#need(b === 0xca ? 4 : 8)
    const value = b === 0xca ? this.buf.readFloatBE((this.pos += 4) - 4) : this.buf.readDoubleBE((this.pos += 8) - 8)
    const floats = this.floats
    return floats === FLOATS.DOUBLES || (floats === FLOATS.DOUBLES_AT_TOP && depth === 0) ? new Double(value) : value
  }

  // int 64 / uint 64: a number while it is safe; the high word's sign decides whether it can be.
  #int64(signed: boolean): number | bigint {
    this.#need(8)
    const buf = this.buf
    const at = this.pos
    this.pos += 8
    const high = signed ? buf.readInt32BE(at) : buf.readUInt32BE(at)
    const value = high * 0x1_0000_0000 + buf.readUInt32BE(at + 4)
    if (Number.isSafeInteger(value)) return value
    return signed ? buf.readBigInt64BE(at) : buf.readBigUInt64BE(at)
  }

  #shortString(start: number, length: number): string {
    const buf = this.buf
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
    cachedBytes.set(buf.subarray(start, start + length), base)
    return value
  }

  #byte(): number {
    if (this.pos >= this.end) throw malformed('truncated')
    return this.buf[this.pos++]!
  }

  #need(bytes: number): void {
    if (this.pos + bytes > this.end) throw malformed('truncated')
  }

  #uint(bytes: number): number {
    this.#need(bytes)
    const buf = this.buf
    let at = this.pos
    let n = 0
    for (let i = 0; i < bytes; i++) n = n * 256 + buf[at++]!
    this.pos = at
    return n
  }
}
