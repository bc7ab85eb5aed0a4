// A msgpack reader that works in place on a frame's bytes. Request and response decoders read their fixed
// fields one by one, with no intermediate arrays; short strings (namespaces, sets, bin names) come from a small
// cache instead of being built anew for every request. Any value can still be read whole with `value()`.
// Counts are checked against the bytes left before anything is allocated, nesting against MAX_DEPTH, and, when a
// message's decoder sets one, what the message decodes to against a memory budget.
import { constants } from 'node:buffer'
import { TallyError } from './errors.js'
import { EXT_DOUBLE, FLOATS, KIND, KINDS, MAX_DEPTH, TRUNCATED, valueEnd, type Floats, type Kind } from './msgpack-format.js'
import { ARRAY_BYTES, BYTES_BYTES, DOUBLE_BYTES, HEAP_NUMBER_BYTES, MAP_BYTES, MAP_ENTRY_BYTES, SLOT_BYTES, STRING_BYTES } from './memory-cost.js'
import { STATUS } from './status.js'
import { cachedString, CACHE_MAX_BYTES } from './string-cache.js'
import { Double } from './types.js'

// V8's longest string, in characters. A string of more UTF-8 bytes than this is refused (status 4) rather than
// failing inside Node; only frame limits far past the default allow one.
const MAX_STRING_LENGTH = constants.MAX_STRING_LENGTH

/** Lists up to this long are allocated at their full length at once. */
const PREALLOCATED_ELEMENTS = 65_536

/**
 * An array for `n` elements, to be filled in order. A long one grows as it is filled: allocating millions of slots
 * up front takes longer than refusing the message that announced them usually does.
 */
export function newList(n: number): unknown[] {
  return n <= PREALLOCATED_ELEMENTS ? new Array<unknown>(n) : []
}

function malformed(what: string): TallyError {
  return new TallyError(STATUS.PARAMETER, `malformed msgpack: ${what}`)
}

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
  #budget = Infinity // bytes of memory the message may still decode into
  #maxDecodedBytes = Infinity

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
    this.#budget = this.#maxDecodedBytes = Infinity
    return this
  }

  /**
   * Refuses (status 4) to decode the message being read into more than `bytes` of memory, as memory-cost.ts counts
   * it: containers are counted from their headers, before they are allocated. Until the next `reset`.
   */
  limitDecodedBytes(bytes: number): void {
    this.#budget = this.#maxDecodedBytes = bytes
  }

  /** Counts `bytes` of memory a decoder is about to allocate for the message against its budget. */
  charge(bytes: number): void {
    if ((this.#budget -= bytes) < 0)
      throw new TallyError(STATUS.PARAMETER, `the message decodes to more than ${this.#maxDecodedBytes} bytes of memory, its limit; send less in one request`)
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
    return this.#strBody(this.#strHeader())
  }

  #strHeader(): number {
    const b = this.#byte()
    let length: number
    if (b >= 0xa0 && b <= 0xbf) length = b & 0x1f
    else if (b === 0xd9) length = this.#uint(1)
    else if (b === 0xda) length = this.#uint(2)
    else if (b === 0xdb) length = this.#uint(4)
    else throw malformed('expected a string')
    this.#need(length)
    if (length > MAX_STRING_LENGTH) throw malformed(`a string of ${length} bytes, longer than a string can be`)
    return length
  }

  #strBody(length: number): string {
    const start = this.pos
    this.pos += length
    return length <= CACHE_MAX_BYTES ? cachedString(this.buf, start, length) : this.buf.toString('utf8', start, start + length)
  }

  /**
   * Binary data: a view of the frame's bytes (no copy) when `copy` is false. A copy has memory of its own: a small
   * one cut from Node's shared pool would keep a whole 8 KiB slab alive for as long as it is stored.
   */
  bin(copy: boolean): Buffer {
    const length = this.#binHeader()
    return copy ? this.#binCopy(length) : this.buf.subarray(this.pos, (this.pos += length))
  }

  #binCopy(length: number): Buffer {
    const own = Buffer.allocUnsafeSlow(length)
    this.buf.copy(own, 0, this.pos, (this.pos += length))
    return own
  }

  #binHeader(): number {
    const b = this.#byte()
    let length: number
    if (b === 0xc4) length = this.#uint(1)
    else if (b === 0xc5) length = this.#uint(2)
    else if (b === 0xc6) length = this.#uint(4)
    else throw malformed('expected binary data')
    this.#need(length)
    return length
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

  /** The next value's encoded bytes, whole and undecoded: a view of the frame's bytes (no copy). */
  raw(): Buffer {
    const start = this.pos
    const end = valueEnd(this.buf, start, this.end)
    if (end < 0) throw malformed(end === TRUNCATED ? 'truncated' : 'not msgpack')
    this.pos = end
    return this.buf.subarray(start, end)
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
      case KIND.STR: {
        const length = this.#strHeader()
        if (length > 0) this.charge(STRING_BYTES + length)
        return this.#strBody(length)
      }
      case KIND.BIN: {
        const length = this.#binHeader()
        this.charge(BYTES_BYTES + length)
        return this.#binCopy(length)
      }
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
    this.charge(ARRAY_BYTES + n * SLOT_BYTES)
    const list = newList(n)
    for (let i = 0; i < n; i++) list[i] = this.value(depth + 1)
    return list
  }

  #map(depth: number): unknown {
    if (depth >= MAX_DEPTH) throw malformed(`lists and maps nest deeper than ${MAX_DEPTH}`)
    const b = this.#byte()
    const n = b <= 0x8f ? b & 0x0f : this.#uint(b === 0xde ? 2 : 4)
    if (n * 2 > this.end - this.pos) throw malformed('map longer than its frame')
    this.charge(MAP_BYTES + n * MAP_ENTRY_BYTES)
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
    return this.#double(value, this.floats !== FLOATS.DOUBLES_AT_TOP || depth === 0)
  }

  #float(depth: number): Double | number {
    const b = this.#byte()
    this.#need(b === 0xca ? 4 : 8)
    const value = b === 0xca ? this.buf.readFloatBE((this.pos += 4) - 4) : this.buf.readDoubleBE((this.pos += 8) - 8)
    const floats = this.floats
    return this.#double(value, floats === FLOATS.DOUBLES || (floats === FLOATS.DOUBLES_AT_TOP && depth === 0))
  }

  #double(value: number, asDouble: boolean): Double | number {
    this.charge(asDouble ? DOUBLE_BYTES : HEAP_NUMBER_BYTES)
    return asDouble ? new Double(value) : value
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
