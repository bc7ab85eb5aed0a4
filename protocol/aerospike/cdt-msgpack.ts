// List and map bin values (particles 20 and 19) as Aerospike writes them: msgpack in which a string is a str
// whose payload starts with particle type 3, bytes a str starting with 4, doubles float64, and a map or list may
// open with an ext element holding its order flags (docs/aerospike.md "Particles"). Translated to and from
// Tally's values: lists are arrays, maps `Map`s (in wire order), doubles `Double`s, integers numbers (bigints
// beyond 2^53). Order flags are not kept: a map in key order is marked key-ordered again when written.
import { KIND, MAX_DEPTH } from '../msgpack-format.js'
import { MsgpackReader } from '../msgpack-reader.js'
import { Double } from '../types.js'
import { PARTICLE } from './constants.js'
import { malformed, utf8, type WireWriter } from './wire.js'

const reader = new MsgpackReader({ mapsAsObjects: false })
const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n
/** The flags of a key-ordered map (aerospike-common `AS_PACKED_MAP_FLAG_K_ORDERED`). */
const MAP_KEY_ORDERED = 0x01

/** Decodes a LIST or MAP particle's bytes into an array or a `Map`. Throws status 4 for what Tally cannot hold. */
export function decodeCdt(data: Buffer, particleType: typeof PARTICLE.LIST | typeof PARTICLE.MAP): unknown[] | Map<unknown, unknown> {
  reader.reset(data)
  const expected = particleType === PARTICLE.LIST ? KIND.ARRAY : KIND.MAP
  if (reader.kind() !== expected) throw malformed(`a ${particleType === PARTICLE.LIST ? 'list' : 'map'} particle holds another msgpack type`)
  const value = readValue(0) as unknown[] | Map<unknown, unknown>
  if (reader.pos !== reader.end) throw malformed(`${reader.end - reader.pos} bytes follow the ${particleType === PARTICLE.LIST ? 'list' : 'map'}`)
  return value
}

function readValue(depth: number): unknown {
  switch (reader.kind()) {
    case KIND.NIL:
    case KIND.BOOL:
      return reader.value()
    case KIND.INT:
      return readInt()
    case KIND.FLOAT:
      return new Double(Number(reader.value()))
    case KIND.STR:
    case KIND.BIN:
      return readTyped()
    case KIND.ARRAY:
      return readList(depth + 1)
    case KIND.MAP:
      return readMap(depth + 1)
    case KIND.EXT:
      throw malformed('msgpack extensions inside lists and maps are only allowed as their first element')
    default:
      throw malformed(`msgpack byte 0x${reader.buf[reader.pos]!.toString(16)} starts no value`)
  }
}

function readInt(): number | bigint {
  const value = reader.int()
  if (typeof value === 'number') return value
  const signed = BigInt.asIntN(64, value) // Aerospike reads a uint64 as the int64 of the same bits
  return signed >= -9007199254740991n && signed <= 9007199254740991n ? Number(signed) : signed
}

// A str or bin element: a particle type byte, then the bytes. An empty one is empty bytes, as Aerospike reads it.
function readTyped(): string | Buffer {
  const buf = reader.buf
  const b = buf[reader.pos++]!
  let length: number
  if ((b & 0xe0) === 0xa0) length = b & 0x1f
  else if (b === 0xd9 || b === 0xc4) length = readUint(1)
  else if (b === 0xda || b === 0xc5) length = readUint(2)
  else length = readUint(4)
  if (length > reader.end - reader.pos) throw malformed('truncated string in a list or map')
  const start = reader.pos
  reader.pos += length
  if (length === 0) return Buffer.alloc(0)
  switch (buf[start]) {
    case PARTICLE.STRING:
      return utf8(buf, start + 1, start + length, 'a string in a list or map')
    case PARTICLE.BLOB:
      return Buffer.from(buf.subarray(start + 1, start + length))
    default:
      throw malformed(`values of particle type ${buf[start]} inside lists and maps are not supported`)
  }
}

function readList(depth: number): unknown[] {
  if (depth > MAX_DEPTH) throw malformed(`lists and maps nest deeper than ${MAX_DEPTH}`)
  let n = reader.array()
  if (n > 0 && reader.kind() === KIND.EXT) {
    skipExt() // order flags: an ordered list comes back as a plain one
    n--
  }
  const list = new Array<unknown>(n)
  for (let i = 0; i < n; i++) list[i] = readValue(depth)
  return list
}

function readMap(depth: number): Map<unknown, unknown> {
  if (depth > MAX_DEPTH) throw malformed(`lists and maps nest deeper than ${MAX_DEPTH}`)
  const b = reader.buf[reader.pos++]!
  let n = b <= 0x8f ? b & 0x0f : readUint(b === 0xde ? 2 : 4)
  if (n * 2 > reader.end - reader.pos) throw malformed('map longer than its particle')
  if (n > 0 && reader.kind() === KIND.EXT) {
    skipExt() // order flags, paired with a nil value
    readValue(depth)
    n--
  }
  const map = new Map<unknown, unknown>()
  for (let i = 0; i < n; i++) map.set(readValue(depth), readValue(depth))
  return map
}

function skipExt(): void {
  const b = reader.buf[reader.pos++]!
  const length = b >= 0xd4 && b <= 0xd8 ? 1 << (b - 0xd4) : readUint(b === 0xc7 ? 1 : b === 0xc8 ? 2 : 4)
  if (1 + length > reader.end - reader.pos) throw malformed('truncated msgpack extension')
  reader.pos += 1 + length // the type byte, then the data
}

function readUint(bytes: number): number {
  if (bytes > reader.end - reader.pos) throw malformed('truncated msgpack header')
  let n = 0
  for (let i = 0; i < bytes; i++) n = n * 256 + reader.buf[reader.pos++]!
  return n
}

/** Writes an array, a `Map` or a plain object as Aerospike's msgpack. */
export function encodeCdt(writer: WireWriter, value: unknown): void {
  writeValue(writer, value, 0)
}

function writeValue(writer: WireWriter, value: unknown, depth: number): void {
  switch (typeof value) {
    case 'boolean':
      return writer.u8(value ? 0xc3 : 0xc2)
    case 'number':
      return Number.isSafeInteger(value) ? writeInt(writer, value) : writeFloat(writer, value)
    case 'bigint':
      if (value < INT64_MIN || value > INT64_MAX) throw malformed(`integer ${value} does not fit in 64 bits`)
      return writeInt(writer, value)
    case 'string':
      return writeTyped(writer, PARTICLE.STRING, Buffer.from(value, 'utf8'))
    case 'object':
      return writeObject(writer, value, depth)
    default:
      throw malformed(`a value of type ${typeof value} cannot be stored in a list or map`)
  }
}

function writeObject(writer: WireWriter, value: object | null, depth: number): void {
  if (value === null) return writer.u8(0xc0)
  if (value instanceof Double) return writeFloat(writer, value.value)
  if (value instanceof Uint8Array) return writeTyped(writer, PARTICLE.BLOB, value)
  if (depth >= MAX_DEPTH) throw malformed(`lists and maps nest deeper than ${MAX_DEPTH}`)
  if (Array.isArray(value)) {
    writeHeader(writer, value.length, 0x90, 0xdc)
    for (const item of value) writeValue(writer, item, depth + 1)
  } else if (value instanceof Map) {
    writeMapHeader(writer, [...value.keys()])
    for (const [k, v] of value) {
      writeValue(writer, k, depth + 1)
      writeValue(writer, v, depth + 1)
    }
  } else if (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null) {
    const keys = Object.keys(value)
    writeMapHeader(writer, keys)
    for (const key of keys) {
      writeValue(writer, key, depth + 1)
      writeValue(writer, (value as Record<string, unknown>)[key], depth + 1)
    }
  } else {
    throw malformed(`a ${value.constructor?.name ?? 'object'} cannot be stored in a list or map`)
  }
}

/**
 * A map whose keys are all integers, or all strings, in ascending order is marked key-ordered, as the official
 * clients mark the maps they build (so such a map comes back byte for byte as it was written); any other map is
 * sent unordered.
 */
function writeMapHeader(writer: WireWriter, keys: unknown[]): void {
  if (!ascending(keys)) return writeHeader(writer, keys.length, 0x80, 0xde)
  writeHeader(writer, keys.length + 1, 0x80, 0xde)
  writer.u8(0xc7) // ext 8: no data, type = the map's flags
  writer.u8(0)
  writer.u8(MAP_KEY_ORDERED)
  writer.u8(0xc0) // its value: nil
}

function ascending(keys: unknown[]): boolean {
  if (keys.length === 0) return true
  if (typeof keys[0] === 'string') {
    let previous = Buffer.from(keys[0], 'utf8')
    for (let i = 1; i < keys.length; i++) {
      const key = keys[i]
      if (typeof key !== 'string') return false
      const bytes = Buffer.from(key, 'utf8')
      if (Buffer.compare(previous, bytes) >= 0) return false
      previous = bytes
    }
    return true
  }
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]
    if (!(typeof key === 'bigint' || Number.isSafeInteger(key))) return false
    if (i > 0 && (keys[i - 1] as number | bigint) >= (key as number | bigint)) return false
  }
  return true
}

// fix / 16-bit / 32-bit headers of arrays (0x90, 0xdc) and maps (0x80, 0xde).
function writeHeader(writer: WireWriter, length: number, fix: number, wide: number): void {
  if (length < 16) return writer.u8(fix | length)
  if (length < 0x10000) {
    writer.u8(wide)
    return writer.u16(length)
  }
  writer.u8(wide + 1)
  writer.u32(length)
}

// The smallest encoding, as Aerospike packs an int64: unsigned forms for values >= 0, signed ones below.
function writeInt(writer: WireWriter, value: number | bigint): void {
  const n = Number(value)
  if (n >= 0) {
    if (n < 0x80) return writer.u8(n)
    if (n < 0x100) return writeTypeByte(writer, 0xcc, 1, n)
    if (n < 0x10000) return writeTypeByte(writer, 0xcd, 2, n)
    if (n < 0x1_0000_0000) return writeTypeByte(writer, 0xce, 4, n)
    writer.u8(0xcf)
    return writer.i64(value)
  }
  if (n >= -32) return writer.u8(n & 0xff)
  if (n >= -0x80) return writeTypeByte(writer, 0xd0, 1, n & 0xff)
  if (n >= -0x8000) return writeTypeByte(writer, 0xd1, 2, n & 0xffff)
  if (n >= -0x8000_0000) return writeTypeByte(writer, 0xd2, 4, n >>> 0)
  writer.u8(0xd3)
  writer.i64(value)
}

function writeTypeByte(writer: WireWriter, type: number, bytes: 1 | 2 | 4, value: number): void {
  writer.u8(type)
  if (bytes === 1) writer.u8(value)
  else if (bytes === 2) writer.u16(value)
  else writer.u32(value)
}

function writeFloat(writer: WireWriter, value: number): void {
  writer.u8(0xcb)
  writer.f64(value)
}

// A typed blob: a str header counting the type byte, the type byte, the bytes.
function writeTyped(writer: WireWriter, type: number, bytes: Uint8Array): void {
  const length = bytes.length + 1
  if (length < 32) writer.u8(0xa0 | length)
  else if (length < 0x100) writeTypeByte(writer, 0xd9, 1, length)
  else if (length < 0x10000) writeTypeByte(writer, 0xda, 2, length)
  else writeTypeByte(writer, 0xdb, 4, length)
  writer.u8(type)
  writer.bytes(bytes)
}
