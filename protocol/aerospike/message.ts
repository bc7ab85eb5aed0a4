// AS_MSG, the body of a proto type 3 frame (docs/aerospike.md "Messages"): a 22-byte header, then n_fields
// fields and n_ops ops. This layer reads and writes that structure; record-request.ts, record-response.ts and
// batch.ts give it meaning.
import { FIELD_HEADER_BYTES, MSG, MSG_HEADER_BYTES, OP_HEADER_BYTES } from './constants.js'
import { particleTypeOf, writeParticle } from './particle.js'
import { malformed, utf8, type WireWriter } from './wire.js'

/** The header fields of an AS_MSG, as numbers. */
export interface MessageHeader {
  info1: number
  info2: number
  info3: number
  info4: number
  resultCode: number
  generation: number
  /** Requests: TTL (writes) or read-touch percent (reads). Answers: the record's void time. */
  recordTtl: number
  /** Requests: the server-side timeout in ms. Batch answers: the row's index. */
  transactionTtl: number
}

/** A field: its type and a view of its data. */
export interface MessageField {
  type: number
  data: Buffer
}

/** An op as it is on the wire: codes, the bin name, and a view of the value's bytes. */
export interface MessageOp {
  op: number
  particleType: number
  name: string
  value: Buffer
}

/** A decoded AS_MSG. Views refer to the bytes decoded. */
export interface Message extends MessageHeader {
  fields: MessageField[]
  ops: MessageOp[]
}

/** An op to encode: `value` is written as `particleType` when given, else as the type `particleTypeOf` picks. */
export interface OpInput {
  op: number
  name: string
  value?: unknown
  particleType?: number
}

/** A message to encode; header numbers left out are 0. */
export interface MessageInput extends Partial<MessageHeader> {
  fields?: readonly MessageField[]
  ops?: readonly OpInput[]
}

/**
 * Reads the AS_MSG at `buf[start, limit)`; returns it and where it ends. Counts and sizes are checked against the
 * bytes present before anything is allocated; every failure is status 4 naming what is wrong.
 */
export function readMessage(buf: Buffer, start: number, limit: number): { message: Message; end: number } {
  if (limit - start < MSG_HEADER_BYTES) throw malformed(`message of ${limit - start} bytes is shorter than its ${MSG_HEADER_BYTES}-byte header`)
  if (buf[start + MSG.HEADER_SZ] !== MSG_HEADER_BYTES) throw malformed(`message header size ${buf[start]}, expected ${MSG_HEADER_BYTES}`)
  const nFields = buf.readUInt16BE(start + MSG.N_FIELDS)
  const nOps = buf.readUInt16BE(start + MSG.N_OPS)
  const { fields, ops, end } = readFieldsAndOps(buf, start + MSG_HEADER_BYTES, limit, nFields, nOps)
  // One object literal of fixed shape: spreading a header object into it is many times slower in V8.
  const message: Message = {
    info1: buf[start + MSG.INFO1]!,
    info2: buf[start + MSG.INFO2]!,
    info3: buf[start + MSG.INFO3]!,
    info4: buf[start + MSG.INFO4]!,
    resultCode: buf[start + MSG.RESULT_CODE]!,
    generation: buf.readUInt32BE(start + MSG.GENERATION),
    recordTtl: buf.readUInt32BE(start + MSG.RECORD_TTL),
    transactionTtl: buf.readUInt32BE(start + MSG.TRANSACTION_TTL),
    fields,
    ops,
  }
  return { message, end }
}

/** Reads `nFields` fields then `nOps` ops from `buf[at, limit)`. */
function readFieldsAndOps(buf: Buffer, at: number, limit: number, nFields: number, nOps: number): { fields: MessageField[]; ops: MessageOp[]; end: number } {
  if (nFields * FIELD_HEADER_BYTES + nOps * OP_HEADER_BYTES > limit - at)
    throw malformed(`message announces ${nFields} fields and ${nOps} ops in ${limit - at} bytes`)
  const fields = new Array<MessageField>(nFields)
  for (let i = 0; i < nFields; i++) {
    if (at + FIELD_HEADER_BYTES > limit) throw malformed(`field ${i} is truncated`)
    const size = buf.readUInt32BE(at)
    if (size < 1 || size > limit - at - 4) throw malformed(`field ${i} has size ${size}, ${limit - at - 4} bytes remain`)
    fields[i] = { type: buf[at + 4]!, data: buf.subarray(at + FIELD_HEADER_BYTES, at + 4 + size) }
    at += 4 + size
  }
  const ops = new Array<MessageOp>(nOps)
  for (let i = 0; i < nOps; i++) {
    if (at + OP_HEADER_BYTES > limit) throw malformed(`op ${i} is truncated`)
    const size = buf.readUInt32BE(at)
    const nameBytes = buf[at + 7]!
    if (size < 4 + nameBytes || size > limit - at - 4) throw malformed(`op ${i} has size ${size} (name of ${nameBytes} bytes), ${limit - at - 4} bytes remain`)
    if (buf[at + 6] !== 0) throw malformed(`op ${i} has flags 0x${buf[at + 6]!.toString(16)}; clients send 0`)
    const nameEnd = at + OP_HEADER_BYTES + nameBytes
    const name = utf8(buf, at + OP_HEADER_BYTES, nameEnd, `the name of op ${i}`)
    ops[i] = { op: buf[at + 4]!, particleType: buf[at + 5]!, name, value: buf.subarray(nameEnd, at + 4 + size) }
    at += 4 + size
  }
  return { fields, ops, end: at }
}

/** Decodes a body holding exactly one AS_MSG. */
export function decodeMessage(body: Buffer): Message {
  const { message, end } = readMessage(body, 0, body.length)
  if (end !== body.length) throw malformed(`${body.length - end} bytes follow the message's fields and ops`)
  return message
}

/** Appends one AS_MSG (no proto header) to `writer`. */
export function writeMessage(writer: WireWriter, message: MessageInput): void {
  const fields = message.fields ?? NONE
  const ops = message.ops ?? NONE
  if (fields.length > 0xffff || ops.length > 0xffff) throw malformed(`a message holds at most 65535 fields and ops`)
  const info = ((message.info1 ?? 0) << 24) | ((message.info2 ?? 0) << 16) | ((message.info3 ?? 0) << 8) | (message.info4 ?? 0)
  writeHeader(writer, info, message.resultCode ?? 0, message.generation ?? 0, message.recordTtl ?? 0, message.transactionTtl ?? 0, fields.length, ops.length)
  for (const field of fields) writeField(writer, field.type, field.data)
  for (const op of ops) writeOp(writer, op as OpInput)
}
const NONE: readonly never[] = []

/**
 * Appends a 22-byte AS_MSG header; `info` packs info1..info4 from the high byte down. Bytes are stored one by one:
 * answers are written for every request, and this is many times cheaper than Buffer's checked writers.
 */
export function writeHeader(
  writer: WireWriter,
  info: number,
  resultCode: number,
  generation: number,
  recordTtl: number,
  transactionTtl: number,
  nFields: number,
  nOps: number,
): void {
  const at = writer.skip(MSG_HEADER_BYTES)
  const buf = writer.buf
  buf[at] = MSG_HEADER_BYTES
  buf[at + 1] = info >>> 24
  buf[at + 2] = info >>> 16
  buf[at + 3] = info >>> 8
  buf[at + 4] = info
  buf[at + 5] = resultCode
  store32(buf, at + MSG.GENERATION, generation)
  store32(buf, at + MSG.RECORD_TTL, recordTtl)
  store32(buf, at + MSG.TRANSACTION_TTL, transactionTtl)
  buf[at + 18] = nFields >>> 8
  buf[at + 19] = nFields
  buf[at + 20] = nOps >>> 8
  buf[at + 21] = nOps
}

function store32(buf: Buffer, at: number, value: number): void {
  buf[at] = value >>> 24
  buf[at + 1] = value >>> 16
  buf[at + 2] = value >>> 8
  buf[at + 3] = value
}

/** Appends one field. */
export function writeField(writer: WireWriter, type: number, data: Uint8Array): void {
  writer.u32(1 + data.length)
  writer.u8(type)
  writer.bytes(data)
}

/** Appends one op; its size is patched in once the value is written. */
export function writeOp(writer: WireWriter, op: OpInput): void {
  const particleType = op.particleType ?? (op.value === undefined ? 0 : particleTypeOf(op.value))
  const sizeAt = writer.skip(4)
  writer.u8(op.op)
  writer.u8(particleType)
  writer.u8(0)
  const nameAt = writer.skip(1)
  const nameBytes = writer.text(op.name)
  if (nameBytes > 0xff) throw malformed(`bin name of ${nameBytes} bytes; at most 255 fit an op`)
  writer.buf[nameAt] = nameBytes
  if (op.value !== undefined) writeParticle(writer, particleType, op.value)
  writer.patchU32(sizeAt, writer.pos - sizeAt - 4)
}
