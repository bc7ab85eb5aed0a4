// msgpack settings shared by both ends (PROTOCOL.md §1): int64/uint64 decode as bigint (the receiver narrows safe
// values to numbers), bytes are copied out of socket buffers, and one extension type keeps integral doubles doubles.
import { addExtension, Packr, Unpackr } from 'msgpackr'
import { Double } from './types.js'

/** msgpack extension type carrying a `Double`: 8 bytes, big-endian IEEE 754. */
export const EXT_DOUBLE = 1

addExtension({
  Class: Double,
  type: EXT_DOUBLE,
  pack(value: Double): Buffer {
    const bytes = Buffer.allocUnsafe(8)
    bytes.writeDoubleBE(value.value, 0)
    return bytes
  },
  unpack(bytes: Buffer): Double {
    if (bytes.length !== 8) throw new Error(`a double extension holds 8 bytes, not ${bytes.length}`)
    return new Double(bytes.readDoubleBE(0))
  },
})

/** An encoder for messages in either direction. */
export function createPacker(): Packr {
  return new Packr({ useRecords: false })
}

/**
 * A decoder. The server keeps maps as `Map`s (any key type, no prototype surprises); the client turns them into
 * plain objects, which is what applications expect.
 */
export function createUnpacker(options: { mapsAsObjects: boolean }): Unpackr {
  return new Unpackr({
    useRecords: false,
    mapsAsObjects: options.mapsAsObjects,
    int64AsType: 'bigint',
    copyBuffers: true,
  })
}
