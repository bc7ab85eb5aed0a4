// Byte-level helpers shared by the Aerospike codecs: the one error they throw for bad input, UTF-8 text checked
// rather than silently repaired, and a growing big-endian writer whose sizes are patched in after the fact.
import { isUtf8 } from 'node:buffer'
import { TallyError } from '../errors.js'
import { STATUS } from '../status.js'

/** The error for input that does not follow the wire format: status 4, with a message naming what is wrong. */
export function malformed(what: string): TallyError {
  return new TallyError(STATUS.PARAMETER, what)
}

/** Text of `buf[start, end)`; throws status 4 if it is not UTF-8 (a string would otherwise come back altered). */
export function utf8(buf: Buffer, start: number, end: number, what: string): string {
  let ascii = true
  for (let i = start; i < end; i++) {
    if (buf[i]! >= 0x80) {
      ascii = false
      break
    }
  }
  if (!ascii && !isUtf8(buf.subarray(start, end))) throw malformed(`${what} is not valid UTF-8`)
  return buf.toString(ascii ? 'latin1' : 'utf8', start, end)
}

// Short names (namespaces, sets, bins) by a hash of their bytes: the same few names arrive in every request, and a
// hit costs no new string.
const NAME_SLOTS = 1024
const NAME_MAX_BYTES = 16
const names: (string | undefined)[] = new Array(NAME_SLOTS)
const nameBytes = new Uint8Array(NAME_SLOTS * NAME_MAX_BYTES)
const nameLengths = new Uint8Array(NAME_SLOTS)

/** Like `utf8`, for names: short ASCII ones come from a small cache. */
export function name(buf: Buffer, start: number, end: number, what: string): string {
  const length = end - start
  if (length > NAME_MAX_BYTES) return utf8(buf, start, end, what)
  let hash = length
  for (let i = start; i < end; i++) {
    const b = buf[i]!
    if (b >= 0x80) return utf8(buf, start, end, what)
    hash = Math.imul(hash ^ b, 0x01000193)
  }
  const slot = (hash >>> 0) & (NAME_SLOTS - 1)
  const base = slot * NAME_MAX_BYTES
  const cached = names[slot]
  if (cached !== undefined && nameLengths[slot] === length) {
    let same = true
    for (let i = 0; i < length; i++) {
      if (nameBytes[base + i] !== buf[start + i]) {
        same = false
        break
      }
    }
    if (same) return cached
  }
  const value = buf.toString('latin1', start, end)
  names[slot] = value
  nameLengths[slot] = length
  nameBytes.set(buf.subarray(start, end), base)
  return value
}

const MIN_WRITER_BYTES = 256

/** Big-endian writes into one growing buffer. Sizes that precede what they count are written last (`patch*`). */
export class WireWriter {
  buf: Buffer
  pos = 0

  constructor(initialBytes = 1024) {
    this.buf = Buffer.allocUnsafe(Math.max(initialBytes, MIN_WRITER_BYTES))
  }

  /** Everything written, as a buffer of its own; the writer starts again empty. */
  take(): Buffer {
    const out = Buffer.allocUnsafe(this.pos)
    this.buf.copy(out, 0, 0, this.pos)
    this.pos = 0
    return out
  }

  ensure(bytes: number): void {
    const need = this.pos + bytes
    if (need <= this.buf.length) return
    const next = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2))
    this.buf.copy(next, 0, 0, this.pos)
    this.buf = next
  }

  u8(value: number): void {
    this.ensure(1)
    this.buf[this.pos++] = value
  }

  u16(value: number): void {
    this.ensure(2)
    this.buf.writeUInt16BE(value, this.pos)
    this.pos += 2
  }

  u32(value: number): void {
    this.ensure(4)
    this.buf.writeUInt32BE(value >>> 0, this.pos)
    this.pos += 4
  }

  /** Reserves `bytes` bytes to be patched later; returns their offset. */
  skip(bytes: number): number {
    this.ensure(bytes)
    const at = this.pos
    this.pos += bytes
    return at
  }

  patchU32(at: number, value: number): void {
    this.buf.writeUInt32BE(value >>> 0, at)
  }

  bytes(value: Uint8Array): void {
    this.ensure(value.length)
    this.buf.set(value, this.pos)
    this.pos += value.length
  }

  /** A string as UTF-8, without any length; returns the bytes written. */
  text(value: string): number {
    const chars = value.length
    this.ensure(chars * 3)
    const written = this.buf.write(value, this.pos, 'utf8')
    this.pos += written
    return written
  }

  /** A signed 64-bit integer given as a safe number or a bigint. */
  i64(value: number | bigint): void {
    this.ensure(8)
    if (typeof value === 'bigint') this.buf.writeBigInt64BE(value, this.pos)
    else {
      const high = Math.floor(value / 0x1_0000_0000)
      this.buf.writeInt32BE(high, this.pos)
      this.buf.writeUInt32BE(value - high * 0x1_0000_0000, this.pos + 4)
    }
    this.pos += 8
  }

  f64(value: number): void {
    this.ensure(8)
    this.buf.writeDoubleBE(value, this.pos)
    this.pos += 8
  }
}

/** A big-endian uint32 at `buf[at]`, which the caller has checked is in range (no bounds check: hot paths). */
export function u32(buf: Uint8Array, at: number): number {
  return buf[at]! * 0x100_0000 + ((buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!)
}

/** A big-endian uint16 at `buf[at]`, which the caller has checked is in range. */
export function u16(buf: Uint8Array, at: number): number {
  return (buf[at]! << 8) | buf[at + 1]!
}

const TWO_32 = 0x1_0000_0000
const SAFE_HIGH = 0x20_0000 // |value| < 2^53 when the high word is in [-2^21, 2^21)

/** An int64 read big-endian: a number when it is safe (|n| < 2^53), else a bigint. */
export function readInt64(buf: Buffer, at: number): number | bigint {
  const high = buf.readInt32BE(at)
  if (high >= -SAFE_HIGH && high < SAFE_HIGH) {
    const value = high * TWO_32 + buf.readUInt32BE(at + 4)
    if (Number.isSafeInteger(value)) return value
  }
  return buf.readBigInt64BE(at)
}
