// The KEY field (docs/aerospike.md "Requests"), sent with key policy SEND: a particle type byte, then the key as
// that particle's bytes. Integer keys are exactly 8 bytes; strings UTF-8; blobs raw.
import type { UserKey } from '../types.js'
import { PARTICLE } from './constants.js'
import { malformed, readInt64, utf8, WireWriter } from './wire.js'

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

/** The user key in a KEY field's data, `buf[start, end)`. Throws status 4 for a type or size a key cannot have. */
export function decodeUserKey(buf: Buffer, start: number, end: number): UserKey {
  if (end - start < 1) throw malformed('the key field is empty')
  switch (buf[start]) {
    case PARTICLE.INTEGER:
      if (end - start !== 9) throw malformed(`an integer key of ${end - start - 1} bytes; 8 expected`)
      return readInt64(buf, start + 1)
    case PARTICLE.STRING:
      return utf8(buf, start + 1, end, 'the string key')
    case PARTICLE.BLOB:
      return Buffer.from(buf.subarray(start + 1, end))
    default:
      throw malformed(`user keys of particle type ${buf[start]} are not supported`)
  }
}

/** A KEY field's data for `key`. */
export function encodeUserKey(key: UserKey): Buffer {
  const writer = new WireWriter(64)
  if (typeof key === 'string') {
    writer.u8(PARTICLE.STRING)
    writer.text(key)
  } else if (key instanceof Uint8Array) {
    writer.u8(PARTICLE.BLOB)
    writer.bytes(key)
  } else {
    if (typeof key === 'number' ? !Number.isSafeInteger(key) : key < INT64_MIN || key > INT64_MAX)
      throw malformed(`integer key ${key} is not a safe integer or int64`)
    writer.u8(PARTICLE.INTEGER)
    writer.i64(key)
  }
  return writer.take()
}
