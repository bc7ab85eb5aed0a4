// Bin values on Aerospike's wire: a particle type and its bytes (docs/aerospike.md "Particles"), translated to
// Tally's values and back. Integers are int64 (numbers while safe, else bigints), doubles are `Double`, strings
// UTF-8, blobs bytes, lists and maps msgpack (cdt-msgpack.ts). Particle types Tally does not interpret travel as
// a `RawParticle`, unchanged.
import { Double } from '../types.js'
import { decodeCdt, encodeCdt } from './cdt-msgpack.js'
import { PARTICLE } from './constants.js'
import { malformed, readInt64, utf8, type WireWriter } from './wire.js'

/** A value of a particle type Tally keeps as it came (language blobs, GeoJSON, HLL, vectors, CDT op arguments). */
export class RawParticle {
  constructor(
    readonly type: number,
    readonly bytes: Buffer,
  ) {}
}

/** A bin value as the Aerospike codec carries it. */
export type AsValue = null | boolean | number | bigint | string | Uint8Array | Double | unknown[] | Map<unknown, unknown> | RawParticle

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

/** Particle types kept as raw bytes: known to Aerospike, not interpreted by Tally. */
const RAW_TYPES: ReadonlySet<number> = new Set([
  PARTICLE.JAVA_BLOB,
  PARTICLE.CSHARP_BLOB,
  PARTICLE.PYTHON_BLOB,
  PARTICLE.RUBY_BLOB,
  PARTICLE.PHP_BLOB,
  PARTICLE.ERLANG_BLOB,
  PARTICLE.VECTOR,
  PARTICLE.HLL,
  PARTICLE.GEOJSON,
])

/**
 * The value of particle `type` held in `buf[start, end)`. Integers of 1, 2 or 4 bytes are unsigned, 8 bytes
 * signed, as Aerospike's server reads them. Blobs and raw particles are copied; nothing returned refers to `buf`.
 * Throws status 4 for a size the type cannot have, a string that is not UTF-8, or an unknown type.
 */
export function decodeParticle(type: number, buf: Buffer, start: number, end: number): AsValue {
  const size = end - start
  switch (type) {
    case PARTICLE.NULL:
      if (size !== 0) throw malformed(`a null particle holds ${size} bytes`)
      return null
    case PARTICLE.INTEGER:
      if (size === 8) return readInt64(buf, start)
      if (size === 4) return buf.readUInt32BE(start)
      if (size === 2) return buf.readUInt16BE(start)
      if (size === 1) return buf[start]!
      throw malformed(`an integer particle of ${size} bytes; 1, 2, 4 or 8 expected`)
    case PARTICLE.FLOAT:
      if (size !== 8) throw malformed(`a float particle of ${size} bytes; 8 expected`)
      return new Double(buf.readDoubleBE(start))
    case PARTICLE.STRING:
      return utf8(buf, start, end, 'a string particle')
    case PARTICLE.BLOB:
      return Buffer.from(buf.subarray(start, end))
    case PARTICLE.BOOL:
      if (size !== 1 || buf[start]! > 1) throw malformed('a bool particle must be one byte, 0 or 1')
      return buf[start] === 1
    case PARTICLE.LIST:
    case PARTICLE.MAP:
      return decodeCdt(buf.subarray(start, end), type)
    default:
      if (RAW_TYPES.has(type)) return new RawParticle(type, Buffer.from(buf.subarray(start, end)))
      throw malformed(`unknown particle type ${type}`)
  }
}

/**
 * The particle type that carries `value`: a safe integral number or a bigint is an INTEGER, any other number or
 * a `Double` a FLOAT. Throws status 4 for a value no particle carries.
 */
export function particleTypeOf(value: unknown): number {
  switch (typeof value) {
    case 'number':
      return Number.isSafeInteger(value) ? PARTICLE.INTEGER : PARTICLE.FLOAT
    case 'bigint':
      return PARTICLE.INTEGER
    case 'string':
      return PARTICLE.STRING
    case 'boolean':
      return PARTICLE.BOOL
    case 'object':
      if (value === null) return PARTICLE.NULL
      if (value instanceof Double) return PARTICLE.FLOAT
      if (value instanceof Uint8Array) return PARTICLE.BLOB
      if (value instanceof RawParticle) return value.type
      if (Array.isArray(value)) return PARTICLE.LIST
      if (value instanceof Map || Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null) return PARTICLE.MAP
      throw malformed(`a ${value.constructor?.name ?? 'object'} cannot be sent as a bin value`)
    default:
      throw malformed(`a value of type ${typeof value} cannot be sent as a bin value`)
  }
}

/** Writes the bytes of `value` as particle `type` (from `particleTypeOf`). Integers take 8 bytes. */
export function writeParticle(writer: WireWriter, type: number, value: unknown): void {
  switch (type) {
    case PARTICLE.NULL:
      return
    case PARTICLE.INTEGER:
      if (typeof value === 'bigint' && (value < INT64_MIN || value > INT64_MAX)) throw malformed(`integer ${value} does not fit in 64 bits`)
      return writer.i64(value as number | bigint)
    case PARTICLE.FLOAT:
      return writer.f64(value instanceof Double ? value.value : (value as number))
    case PARTICLE.STRING:
      writer.text(value as string)
      return
    case PARTICLE.BLOB:
      return writer.bytes(value as Uint8Array)
    case PARTICLE.BOOL:
      return writer.u8(value ? 1 : 0)
    case PARTICLE.LIST:
    case PARTICLE.MAP:
      return encodeCdt(writer, value)
    default:
      return writer.bytes((value as RawParticle).bytes)
  }
}
