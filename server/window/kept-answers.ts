// What the window keeps of an answer, and how it sends it again. A record's answer of the usual shapes goes into a
// ring slot's fields and is encoded again when needed, to the same bytes; any other answer (a batch's, a failure's,
// reads of several values) is kept as its bytes, without its id (PROTOCOL.md §3.1).
import type { RecordResult } from '../../protocol/messages.js'
import { KIND } from '../../protocol/msgpack-format.js'
import { MsgpackReader } from '../../protocol/msgpack-reader.js'
import { MsgpackWriter, type FrameWriter } from '../../protocol/msgpack-writer.js'
import { writeAnswerWithoutId, writeKeptAnswer, writeRecordResponse } from '../../protocol/response-codec.js'
import { STATUS } from '../../protocol/status.js'
import { Double } from '../../protocol/types.js'
import { ANSWER, type AnswerKind, type ClientRing } from './client-ring.js'

/** An answer as a ring slot holds it. `kept`: its bytes, for BYTES. */
export interface KeptAnswer {
  kind: AnswerKind
  gen: number
  ttl: number
  value: number
  kept: Uint8Array | undefined
}

/** How a successful result is kept: in a slot's fields when its payload allows, else as bytes (BYTES). */
export function kindOf(result: RecordResult | RecordResult[]): AnswerKind {
  if (Array.isArray(result)) return ANSWER.BYTES
  const { payload } = result
  if (payload === undefined) return ANSWER.META
  if (typeof payload === 'number') return Number.isSafeInteger(payload) ? ANSWER.INT : ANSWER.BYTES
  if (payload instanceof Double) return ANSWER.DOUBLE
  return Array.isArray(payload) && payload.length === 0 ? ANSWER.NO_READS : ANSWER.BYTES
}

/** The result a slot of one of the field kinds stands for. */
function resultOf(ring: ClientRing, slot: number): RecordResult {
  const gen = ring.gen(slot)
  const ttl = ring.ttl(slot)
  switch (ring.kind(slot)) {
    case ANSWER.INT:
      return { gen, ttl, payload: ring.value(slot) }
    case ANSWER.DOUBLE:
      return { gen, ttl, payload: new Double(ring.value(slot)) }
    case ANSWER.NO_READS:
      return { gen, ttl, payload: [] }
    default:
      return { gen, ttl, payload: undefined }
  }
}

/** Writes the answer in `slot` as the answer to request `id`. */
export function writeReplay(w: FrameWriter, id: number, ring: ClientRing, slot: number): void {
  if (ring.kind(slot) === ANSWER.BYTES) writeKeptAnswer(w, id, ring.kept(slot))
  else writeRecordResponse(w, id, resultOf(ring, slot))
}

/** Writes the answer in `slot` without its id, as the log and snapshots keep it. */
export function writeKept(w: MsgpackWriter, ring: ClientRing, slot: number): void {
  if (ring.kind(slot) === ANSWER.BYTES) w.raw(ring.kept(slot))
  else writeAnswerWithoutId(w, resultOf(ring, slot))
}

const reader = new MsgpackReader({ mapsAsObjects: false })

/**
 * An answer kept without its id, as read from the log or a snapshot: into a slot's fields if it has one of their
 * shapes and encodes again to exactly these bytes, else as a copy of the bytes.
 */
export function parseKept(bytes: Uint8Array): KeptAnswer {
  const asBytes = (): KeptAnswer => ({ kind: ANSWER.BYTES, gen: 0, ttl: 0, value: 0, kept: new Uint8Array(bytes) })
  try {
    const r = reader.reset(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
    const fields = r.array()
    if ((fields !== 3 && fields !== 4) || r.kind() !== KIND.INT || r.int() !== STATUS.OK) return asBytes()
    const gen = r.int()
    const ttl = r.int()
    const payload = fields === 4 ? r.value() : undefined
    r.finish()
    if (typeof gen !== 'number' || gen < 0 || gen > 0xffff || typeof ttl !== 'number' || (ttl | 0) !== ttl) return asBytes()
    const result = { gen, ttl, payload }
    const kind = kindOf(result)
    if (kind === ANSWER.BYTES || !sameBytes(result, bytes)) return asBytes()
    const value = payload instanceof Double ? payload.value : typeof payload === 'number' ? payload : 0
    return { kind, gen, ttl, value, kept: undefined }
  } catch {
    return asBytes()
  }
}

const check = new MsgpackWriter(64)

function sameBytes(result: RecordResult, bytes: Uint8Array): boolean {
  writeAnswerWithoutId(check, result)
  return check.take().equals(bytes)
}
