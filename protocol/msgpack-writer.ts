// Writes msgpack straight into one output buffer: frames for the wire (FrameWriter), and the base that log
// entries share (MsgpackWriter). No intermediate arrays, no copy per message.
import { FRAME_HEADER_BYTES } from './frame.js'
import { EXT_DOUBLE, MAX_DEPTH } from './msgpack-format.js'
import { Double } from './types.js'

/** Thrown for a value msgpack (or Tally) cannot carry; `rollback()` then drops the partly written frame. */
export class EncodeError extends Error {
  override readonly name = 'EncodeError'
}

/** Batches up to this size are copied out of the working buffer rather than taking it over. */
const COPY_OUT_BYTES = 4096

/** msgpack encoding into a growing buffer, handed over whole with `take`. */
export class MsgpackWriter {
  protected buf: Buffer
  protected pos = 0
  protected readonly minBytes: number

  constructor(initialBytes = 16 * 1024) {
    this.minBytes = initialBytes
    this.buf = Buffer.allocUnsafe(initialBytes)
  }

  /** Bytes written since the last `take`. */
  get length(): number {
    return this.pos
  }

  /**
   * Everything written so far, as one buffer that the writer will not touch again. Small batches are copied out
   * (into Node's pooled small buffers) so the working buffer is reused; large ones hand the buffer over.
   */
  take(): Buffer {
    let out: Buffer
    if (this.pos <= COPY_OUT_BYTES) {
      out = Buffer.allocUnsafe(this.pos)
      this.buf.copy(out, 0, 0, this.pos)
    } else {
      out = this.buf.subarray(0, this.pos)
      this.buf = Buffer.allocUnsafe(this.minBytes)
    }
    this.pos = 0
    this.afterTake()
    return out
  }

  protected afterTake(): void {}

  /** Appends bytes as they are: encoded msgpack values, or whole frames. */
  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length)
    this.buf.set(bytes, this.pos)
    this.pos += bytes.length
  }

  array(length: number): void {
    this.header(length, 0x90, 0xdc)
  }

  map(length: number): void {
    this.header(length, 0x80, 0xde)
  }

  nil(): void {
    this.ensure(1)
    this.buf[this.pos++] = 0xc0
  }

  bool(value: boolean): void {
    this.ensure(1)
    this.buf[this.pos++] = value ? 0xc3 : 0xc2
  }

  /**
   * A number: a safe integer (|n| < 2^53) as a msgpack integer, in its smallest encoding; anything else as float64
   * (PROTOCOL.md §1). Write a `Double` with `double` to send an integral value as a double.
   */
  number(value: number): void {
    this.ensure(9)
    const buf = this.buf
    if (value >= 0 && value < 0x80 && (value | 0) === value) {
      buf[this.pos++] = value // positive fixint: ids of early requests, statuses, generations, small values
      return
    }
    let at = this.pos
    if (Number.isInteger(value) && value >= -0x8000_0000 && value <= 0xffff_ffff) {
      if (value >= 0) {
        if (value < 0x80) buf[at++] = value
        else if (value < 0x100) {
          buf[at++] = 0xcc
          buf[at++] = value
        } else if (value < 0x10000) {
          buf[at++] = 0xcd
          buf.writeUInt16BE(value, at)
          at += 2
        } else {
          buf[at++] = 0xce
          buf.writeUInt32BE(value, at)
          at += 4
        }
      } else if (value >= -32) buf[at++] = value & 0xff
      else if (value >= -128) {
        buf[at++] = 0xd0
        buf[at++] = value & 0xff
      } else if (value >= -32768) {
        buf[at++] = 0xd1
        buf.writeInt16BE(value, at)
        at += 2
      } else {
        buf[at++] = 0xd2
        buf.writeInt32BE(value, at)
        at += 4
      }
    } else if (Number.isSafeInteger(value)) {
      // Beyond 32 bits: uint 64 or int 64, written as two 32-bit words (the high one signed for int 64).
      const high = Math.floor(value / 0x1_0000_0000)
      buf[at++] = value >= 0 ? 0xcf : 0xd3
      buf.writeInt32BE(high, at)
      buf.writeUInt32BE(value - high * 0x1_0000_0000, at + 4)
      at += 8
    } else {
      buf[at++] = 0xcb
      buf.writeDoubleBE(value, at)
      at += 8
    }
    this.pos = at
  }

  /** An int64 (or uint64 above int64's range). */
  bigint(value: bigint): void {
    this.ensure(9)
    if (value >= -(2n ** 63n) && value < 2n ** 63n) {
      this.buf[this.pos] = 0xd3
      this.buf.writeBigInt64BE(value, this.pos + 1)
    } else if (value >= 0n && value < 2n ** 64n) {
      this.buf[this.pos] = 0xcf
      this.buf.writeBigUInt64BE(value, this.pos + 1)
    } else {
      throw new EncodeError(`integer ${value} does not fit in 64 bits`)
    }
    this.pos += 9
  }

  /** A double that stays a double even when integral: ext type 1 (PROTOCOL.md §1). */
  double(value: number): void {
    this.ensure(10)
    this.buf[this.pos] = 0xd7
    this.buf[this.pos + 1] = EXT_DOUBLE
    this.buf.writeDoubleBE(value, this.pos + 2)
    this.pos += 10
  }

  str(value: string): void {
    const chars = value.length
    if (chars < 32) {
      // Short strings are nearly always ASCII: copy the char codes, falling back to UTF-8 at the first other one.
      this.ensure(1 + chars)
      const buf = this.buf
      const start = this.pos
      let i = 0
      for (; i < chars; i++) {
        const code = value.charCodeAt(i)
        if (code >= 0x80) break
        buf[start + 1 + i] = code
      }
      if (i === chars) {
        buf[start] = 0xa0 | chars
        this.pos = start + 1 + chars
        return
      }
    }
    const bytes = Buffer.byteLength(value)
    this.header(bytes, 0xa0, 0xd9, true)
    this.ensure(bytes)
    this.buf.write(value, this.pos, 'utf8')
    this.pos += bytes
  }

  bin(value: Uint8Array): void {
    const length = value.length
    this.ensure(5 + length)
    const buf = this.buf
    if (length < 0x100) {
      buf[this.pos++] = 0xc4
      buf[this.pos++] = length
    } else if (length < 0x10000) {
      buf[this.pos] = 0xc5
      buf.writeUInt16BE(length, this.pos + 1)
      this.pos += 3
    } else {
      buf[this.pos] = 0xc6
      buf.writeUInt32BE(length, this.pos + 1)
      this.pos += 5
    }
    buf.set(value, this.pos)
    this.pos += length
  }

  /**
   * Any value Tally carries: null, booleans, numbers, bigints, strings, bytes, Doubles, lists, and maps (Map or
   * plain object). Throws EncodeError for anything else.
   */
  value(value: unknown, depth = 0): void {
    switch (typeof value) {
      case 'number':
        return this.number(value)
      case 'string':
        return this.str(value)
      case 'bigint':
        return this.bigint(value)
      case 'boolean':
        return this.bool(value)
      case 'object':
        return this.object(value, depth)
      default:
        throw new EncodeError(`cannot encode a value of type ${typeof value}`)
    }
  }

  protected object(value: object | null, depth: number): void {
    if (value === null) return this.nil()
    if (value instanceof Uint8Array) return this.bin(value)
    if (value instanceof Double) return this.double(value.value)
    if (depth >= MAX_DEPTH) throw new EncodeError(`lists and maps nest deeper than ${MAX_DEPTH}`)
    if (Array.isArray(value)) {
      this.array(value.length)
      for (const item of value) this.value(item, depth + 1)
    } else if (value instanceof Map) {
      this.map(value.size)
      for (const [k, v] of value) {
        this.value(k, depth + 1)
        this.value(v, depth + 1)
      }
    } else if (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null) {
      const keys = Object.keys(value)
      this.map(keys.length)
      for (const key of keys) {
        this.str(key)
        this.value((value as Record<string, unknown>)[key], depth + 1)
      }
    } else {
      throw new EncodeError(`cannot encode a ${value.constructor?.name ?? 'object'}`)
    }
  }

  // fix/16/32 header for arrays and maps; fix/8/16/32 for strings (`str8`).
  protected header(length: number, fix: number, wide: number, str8 = false): void {
    this.ensure(5)
    const buf = this.buf
    const fixLimit = str8 ? 32 : 16
    if (length < fixLimit) buf[this.pos++] = fix | length
    else if (str8 && length < 0x100) {
      buf[this.pos++] = wide
      buf[this.pos++] = length
    } else if (length < 0x10000) {
      buf[this.pos] = str8 ? wide + 1 : wide
      buf.writeUInt16BE(length, this.pos + 1)
      this.pos += 3
    } else {
      buf[this.pos] = str8 ? wide + 2 : wide + 1
      buf.writeUInt32BE(length, this.pos + 1)
      this.pos += 5
    }
  }

  protected ensure(bytes: number): void {
    const need = this.pos + bytes
    if (need <= this.buf.length) return
    const next = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2))
    this.buf.copy(next, 0, 0, this.pos)
    this.buf = next
  }
}

/** Frames of msgpack: every answer (or request) encoded in one turn goes out in one write, with no copy each. */
export class FrameWriter extends MsgpackWriter {
  private frameCount = 0
  private frameStart = -1
  private lastStart = -1 // body of the frame ended last: [lastStart, pos) until more is written

  /** Complete frames written since the last `take`. */
  get frames(): number {
    return this.frameCount
  }

  /** Appends one frame whose body is `body`. */
  push(body: Uint8Array): void {
    this.ensure(FRAME_HEADER_BYTES + body.length)
    this.buf.writeUInt32BE(body.length, this.pos)
    this.buf.set(body, this.pos + FRAME_HEADER_BYTES)
    this.pos += FRAME_HEADER_BYTES + body.length
    this.frameCount++
  }

  /** Bytes written into the frame begun last. */
  get bodyLength(): number {
    return this.pos - this.frameStart - FRAME_HEADER_BYTES
  }

  /** Starts a frame; its body is what is written until `end`. */
  begin(): void {
    this.ensure(FRAME_HEADER_BYTES)
    this.frameStart = this.pos
    this.pos += FRAME_HEADER_BYTES
  }

  /** Closes the frame begun last and returns its body's length. */
  end(): number {
    const length = this.pos - this.frameStart - FRAME_HEADER_BYTES
    this.buf.writeUInt32BE(length, this.frameStart)
    this.lastStart = this.frameStart + FRAME_HEADER_BYTES
    this.frameStart = -1
    this.frameCount++
    return length
  }

  /** A view of the body of the frame ended last, valid until anything more is written. */
  lastBody(): Uint8Array {
    return this.buf.subarray(this.lastStart, this.pos)
  }

  /** Drops the frame begun last, as if it had never been started. */
  rollback(): void {
    if (this.frameStart >= 0) this.pos = this.frameStart
    this.frameStart = -1
  }

  protected override afterTake(): void {
    this.frameCount = 0
  }
}
