// Single-record answers (docs/aerospike.md "Answers"): result code, generation, the record's void time, and one
// op per returned bin; encoded by the server, decoded by a client. Void times count seconds from 2010-01-01.
import { CITRUSLEAF_EPOCH_SEC, MSG_HEADER_BYTES, PROTO_HEADER_BYTES, PROTO_TYPE } from './constants.js'
import { decodeMessage, type Message, type OpInput, writeHeader, writeOp } from './message.js'
import { type AsValue, decodeParticle } from './particle.js'
import { writeProtoHeader } from './proto.js'
import { malformed, WireWriter } from './wire.js'

/** One answered bin: the request's op code (READ for read-all), the bin name, its value (null: no value). */
export interface AsResultOp {
  op: number
  name: string
  value: AsValue
}

/** An answer to a record request. */
export interface AsResponse {
  resultCode: number
  gen: number
  /** Seconds since 2010-01-01T00:00:00Z at which the record expires; 0: never (or deleted, or an error). */
  voidTime: number
  ops: AsResultOp[]
}

/** An answer to encode. An error answer (result code other than 0) carries no ops, whatever `ops` holds. */
export interface AsResponseInput {
  resultCode: number
  gen?: number
  voidTime?: number
  ops?: readonly OpInput[]
}

/** Writes one answer message (no proto header); `index` and `info3` serve batch rows and the batch's end. */
export function writeResponse(writer: WireWriter, response: AsResponseInput, index = 0, info3 = 0): void {
  const resultCode = response.resultCode
  if (!(resultCode >= 0 && resultCode <= 0xff)) throw malformed(`result code ${resultCode} does not fit a byte`)
  const ops = resultCode === 0 ? response.ops : undefined
  const nOps = ops === undefined ? 0 : ops.length
  if (nOps > 0xffff) throw malformed(`an answer holds at most 65535 ops, not ${nOps}`)
  writeHeader(writer, info3 << 8, resultCode, response.gen ?? 0, response.voidTime ?? 0, index, 0, nOps)
  for (let i = 0; i < nOps; i++) writeOp(writer, ops![i]!)
}

/**
 * Appends a whole type-3 frame holding one answer: the answers produced by one read of a socket can be written
 * into one writer and sent with one `take()`. If a value cannot be encoded, nothing is left of the frame and the
 * error (status 4) is thrown, so the writer still holds only whole frames.
 */
export function writeResponseFrame(writer: WireWriter, response: AsResponseInput): void {
  const start = writer.skip(PROTO_HEADER_BYTES)
  try {
    writeResponse(writer, response)
  } catch (err) {
    writer.pos = start
    throw err
  }
  writeProtoHeader(writer.buf, start, PROTO_TYPE.MESSAGE, writer.pos - start - PROTO_HEADER_BYTES)
}

/** A whole type-3 frame holding one answer. */
export function encodeResponse(response: AsResponseInput): Buffer {
  const writer = new WireWriter(MSG_HEADER_BYTES + PROTO_HEADER_BYTES)
  writeResponseFrame(writer, response)
  return writer.take()
}

/** Decodes a type-3 body holding one answer, as a client does; fields (transaction data) are skipped. */
export function decodeResponse(body: Buffer): AsResponse {
  return responseOf(decodeMessage(body))
}

/** The answer a decoded message holds (also used for batch rows). */
export function responseOf(message: Message): AsResponse {
  return {
    resultCode: message.resultCode,
    gen: message.generation,
    voidTime: message.recordTtl,
    ops: message.ops.map((op) => ({ op: op.op, name: op.name, value: decodeParticle(op.particleType, op.value, 0, op.value.length) })),
  }
}

/** The void time of a record with `ttlSec` seconds left at `nowMs`; -1 (never expires) and 0 give 0. */
export function voidTimeOf(ttlSec: number, nowMs: number): number {
  if (ttlSec <= 0) return 0
  return Math.floor(nowMs / 1000) - CITRUSLEAF_EPOCH_SEC + ttlSec
}

/** Seconds left until `voidTime` at `nowMs`, at least 1, as the official clients compute it; -1 for 0 (never). */
export function ttlOfVoidTime(voidTime: number, nowMs: number): number {
  if (voidTime === 0) return -1
  return Math.max(1, voidTime - (Math.floor(nowMs / 1000) - CITRUSLEAF_EPOCH_SEC))
}
