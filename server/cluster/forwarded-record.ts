// A single-record request that reached this node in another protocol (Aerospike's), forwarded to its partition's
// owner as the Tally request it stands for, over the same peer link as Tally's own, and its answer read back into
// the result the operations would have given here (docs/cluster.md).
import { FRAME_HEADER_BYTES } from '../../protocol/frame.js'
import { TallyError } from '../../protocol/errors.js'
import type { RecordResult } from '../../protocol/messages.js'
import { FLOATS } from '../../protocol/msgpack-format.js'
import { MsgpackReader } from '../../protocol/msgpack-reader.js'
import { EncodeError, FrameWriter } from '../../protocol/msgpack-writer.js'
import { writeRecordRequest, type RecordRequest } from '../../protocol/record-request.js'
import { readError, readResponseHead } from '../../protocol/response-codec.js'
import { STATUS } from '../../protocol/status.js'
import type { User } from '../security/users.js'
import type { PeerLink } from './peer-link.js'

// Values come back as the store holds them: maps as Maps, every float as a Double (an Aerospike answer keeps a
// double bin a FLOAT even when its value is whole).
const reader = new MsgpackReader({ mapsAsObjects: false, floats: FLOATS.DOUBLES })
const writer = new FrameWriter(256)

/**
 * Sends `request` to the owner over `link` (acting for `user`, with security); resolves to its result, rejects with
 * the owner's TallyError.
 */
export async function forwardRecord(link: PeerLink, request: RecordRequest, user?: User): Promise<RecordResult> {
  writer.begin()
  try {
    writeRecordRequest(writer, 1, request)
  } catch (err) {
    // Left half-written, the shared writer would put this frame's start in front of the next one.
    writer.rollback()
    if (err instanceof EncodeError) throw new TallyError(STATUS.PARAMETER, `the request cannot be forwarded to the partition's owner: ${err.message}`)
    throw err
  }
  writer.end()
  const frame = writer.take()
  const answer = await link.forward(frame.subarray(FRAME_HEADER_BYTES), 1, user)
  return resultOf(answer)
}

/** The result in the answer frame `frame` (`[id, 0, gen, ttl, payload?]`); throws the error it carries. */
export function resultOf(frame: Uint8Array): RecordResult {
  const buf = Buffer.isBuffer(frame) ? frame : Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength)
  const r = reader.reset(buf, FRAME_HEADER_BYTES, buf.length)
  const head = { id: 0, status: 0, fields: 0 }
  readResponseHead(r, head)
  if (head.status !== STATUS.OK) throw readError(r, head.status, head.fields)
  if (head.fields < 4) throw new Error(`the owner's answer has ${head.fields} fields, not [id, 0, gen, ttl]`)
  const gen = Number(r.int())
  const ttl = Number(r.int())
  return head.fields > 4 ? { gen, ttl, payload: r.value() } : { gen, ttl }
}
