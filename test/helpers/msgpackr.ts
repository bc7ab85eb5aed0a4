// msgpackr, a widely used msgpack implementation, set up as a reference: tests encode and decode with it to check
// that Tally's own codec agrees with msgpack as others write it, and to send what Tally's writer never would.
import { addExtension, Packr, Unpackr } from 'msgpackr'
import { EXT_DOUBLE } from '../../protocol/msgpack-format.js'
import { Double } from '../../protocol/types.js'

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

/** A reference encoder. */
export function createPacker(): Packr {
  return new Packr({ useRecords: false })
}

/** A reference decoder: maps as `Map`s or as plain objects. */
export function createUnpacker(options: { mapsAsObjects: boolean }): Unpackr {
  return new Unpackr({
    useRecords: false,
    mapsAsObjects: options.mapsAsObjects,
    int64AsType: 'bigint',
    copyBuffers: true,
  })
}
