// Batch reads, the "batch-any" index protocol (docs/aerospike.md "Batch"): one AS_MSG whose BATCH_INDEX field
// holds a row per key, each a full record spec or a REPEAT of the previous one; answered by one AS_MSG per key
// (transaction_ttl = the row's index) and a final message with info3 LAST, in as many frames as needed.
import { TallyError } from '../errors.js'
import { BATCH_FLAGS, BATCH_ROW, BATCH_ROW_MIN_BYTES, FIELD, INFO1, INFO3, PROTO_HEADER_BYTES, PROTO_TYPE } from './constants.js'
import { decodeMessage, type MessageField, readMessage, writeField, writeMessage, writeOp } from './message.js'
import { type AsRequest, type AsRequestInput, infoOf, newRequest, readRequestBody, recordTtlOf } from './record-request.js'
import { encodeUserKey } from './user-key.js'
import { type AsResponse, type AsResponseInput, responseOf, writeResponse } from './record-response.js'
import { writeProtoHeader } from './proto.js'
import { malformed, WireWriter } from './wire.js'

/** Default largest number of rows a batch may hold (Tally's `maxBatchKeys`). */
export const DEFAULT_MAX_BATCH_ROWS = 5000
/** Answer frames are closed once their body passes this size (as Aerospike's server does). */
export const BATCH_ANSWER_FRAME_BYTES = 128 * 1024

/** A row: its position in the caller's key list, which the answer echoes, and its record request. */
export interface AsBatchRow {
  index: number
  request: AsRequest
}

/** A decoded batch request. */
export interface AsBatchRequest {
  timeoutMs: number
  /** The batch index field's flags (BATCH_FLAGS). */
  flags: number
  compressResponse: boolean
  /** A filter expression for every row, which Tally does not evaluate. */
  filter: Buffer | null
  /** Types of other fields of the batch message. */
  otherFields: number[]
  rows: AsBatchRow[]
}

/**
 * Decodes a type-3 body holding a batch request. The row count is checked against `maxRows` and against the
 * bytes present before the rows are read. Throws status 4 naming what is malformed.
 */
export function decodeBatchRequest(body: Buffer, maxRows = DEFAULT_MAX_BATCH_ROWS): AsBatchRequest {
  const message = decodeMessage(body)
  if (!(message.info1 & INFO1.BATCH)) throw malformed('not a batch message: info1 lacks BATCH')
  if (message.ops.length !== 0) throw malformed(`a batch message carries ${message.ops.length} ops of its own`)
  let index: Buffer | null = null
  let filter: Buffer | null = null
  const otherFields: number[] = []
  for (const field of message.fields) {
    if (field.type === FIELD.BATCH_INDEX) {
      if (index !== null) throw malformed('the batch index field appears twice')
      index = field.data
    } else if (field.type === FIELD.FILTER) filter = field.data
    else otherFields.push(field.type)
  }
  if (index === null) throw malformed('the batch index field is missing')
  if (index.length < 5) throw malformed(`batch index field of ${index.length} bytes`)
  const count = index.readUInt32BE(0)
  if (count === 0) throw malformed('a batch of no keys')
  if (count > maxRows) throw malformed(`a batch of ${count} keys exceeds the limit of ${maxRows}`)
  if (count * BATCH_ROW_MIN_BYTES > index.length - 5) throw malformed(`batch announces ${count} keys in ${index.length - 5} bytes`)
  const rows = readRows(index, count, message.transactionTtl)
  return { timeoutMs: message.transactionTtl, flags: index[4]!, compressResponse: (message.info1 & INFO1.COMPRESS_RESPONSE) !== 0, filter, otherFields, rows }
}

function readRows(data: Buffer, count: number, timeoutMs: number): AsBatchRow[] {
  const rows = new Array<AsBatchRow>(count)
  let previous = -1 // where the last full row's spec starts
  let previousHasKey = false
  let at = 5
  for (let i = 0; i < count; i++) {
    if (at + BATCH_ROW_MIN_BYTES > data.length) throw malformed(`batch row ${i} is truncated`)
    const index = data.readUInt32BE(at)
    const digest = data.subarray(at + 4, at + 24)
    const flags = data[at + 24]!
    at += BATCH_ROW_MIN_BYTES
    if (flags & BATCH_ROW.REPEAT) {
      if (previous < 0) throw malformed('the first batch row repeats a previous one')
      if (previousHasKey) throw malformed(`batch row ${i} repeats a row that carries a key`)
      // The previous row's spec, read again for this digest (it was read once, so it reads again).
      rows[i] = { index, request: readRowSpec(data, previous, timeoutMs, digest, i).request }
      continue
    }
    const spec = readRowSpec(data, at, timeoutMs, digest, i)
    rows[i] = { index, request: spec.request }
    previous = at
    previousHasKey = spec.request.userKey !== null
    at = spec.end
  }
  if (at !== data.length) throw malformed(`${data.length - at} bytes follow the batch rows`)
  return rows
}

// A full row, after its flags byte (at `at - 1`): info1 [info2 info3] [info4] [gen u16] [ttl u32] n_fields u16
// n_ops u16, fields, ops.
function readRowSpec(data: Buffer, at: number, timeoutMs: number, digest: Buffer, row: number): { request: AsRequest; end: number } {
  const flags = data[at - 1]!
  const metaBytes = 1 + (flags & BATCH_ROW.INFO ? 2 : 0) + (flags & BATCH_ROW.INFO4 ? 1 : 0) + (flags & BATCH_ROW.GEN ? 2 : 0) + (flags & BATCH_ROW.TTL ? 4 : 0)
  if (at + metaBytes + 4 > data.length) throw malformed(`batch row ${row} is truncated`)
  // Compression and XDR apply to the batch, never to a row (Aerospike's server clears them too).
  const info1 = data[at++]! & ~(INFO1.COMPRESS_RESPONSE | INFO1.XDR)
  const info2 = flags & BATCH_ROW.INFO ? data[at++]! : 0
  const info3 = flags & BATCH_ROW.INFO ? data[at++]! : 0
  if (flags & BATCH_ROW.INFO4) at++ // transaction bits, which Tally ignores
  const generation = flags & BATCH_ROW.GEN ? data.readUInt16BE(at) : 0
  if (flags & BATCH_ROW.GEN) at += 2
  const recordTtl = flags & BATCH_ROW.TTL ? data.readUInt32BE(at) : 0
  if (flags & BATCH_ROW.TTL) at += 4
  // Old clients sent 0 fields but always the namespace.
  const nFields = Math.max(1, data.readUInt16BE(at))
  const nOps = data.readUInt16BE(at + 2)
  try {
    const request = newRequest(info1, info2, info3, generation, recordTtl, timeoutMs)
    return { request, end: readRequestBody(request, data, at + 4, data.length, nFields, nOps, digest) }
  } catch (err) {
    throw err instanceof TallyError ? malformed(`batch row ${row}: ${err.message}`) : err
  }
}

/** A row to encode: a record request; `index` defaults to the row's position. */
export interface AsBatchRowInput {
  index?: number
  request: AsRequestInput
}

/**
 * A whole type-3 frame asking for `rows`, as the official clients build it: a row identical to the previous full
 * one (same namespace, set, policies and ops, no key) is REPEAT-coded.
 */
export function encodeBatchRequest(batch: { rows: readonly AsBatchRowInput[]; timeoutMs?: number; flags?: number; filter?: Buffer | null }): Buffer {
  const data = new WireWriter()
  data.u32(batch.rows.length)
  data.u8(batch.flags ?? BATCH_FLAGS.INLINE_IN_MEMORY | BATCH_FLAGS.RESPOND_ALL_KEYS | BATCH_FLAGS.ALWAYS)
  let previous: Buffer | null = null
  for (const [i, { index, request }] of batch.rows.entries()) {
    data.u32(index ?? i)
    data.bytes(request.digest)
    const spec = encodeRowSpec(request)
    if (previous !== null && request.userKey == null && spec.equals(previous)) {
      data.u8(BATCH_ROW.REPEAT)
      continue
    }
    data.u8(BATCH_ROW.INFO | BATCH_ROW.TTL | (request.write ? BATCH_ROW.GEN : 0))
    data.bytes(spec)
    previous = request.userKey == null ? spec : null
  }
  const fields: MessageField[] = []
  if (batch.filter != null) fields.push({ type: FIELD.FILTER, data: batch.filter })
  fields.push({ type: FIELD.BATCH_INDEX, data: data.take() })
  const writer = new WireWriter()
  writer.skip(PROTO_HEADER_BYTES)
  writeMessage(writer, { info1: INFO1.BATCH, transactionTtl: batch.timeoutMs ?? 0, fields })
  writeProtoHeader(writer.buf, 0, PROTO_TYPE.MESSAGE, writer.pos - PROTO_HEADER_BYTES)
  return writer.take()
}

// What follows a full row's flags: info bytes, [gen], ttl, counts, fields, ops.
function encodeRowSpec(row: AsRequestInput): Buffer {
  const { info1, info2, info3 } = infoOf(row)
  const writer = new WireWriter(256)
  writer.u8(info1)
  writer.u8(info2)
  writer.u8(info3)
  if (row.write) writer.u16(row.gen ?? 0)
  writer.u32(recordTtlOf(row))
  const fields: MessageField[] = [{ type: FIELD.NAMESPACE, data: Buffer.from(row.ns) }]
  if (row.set != null) fields.push({ type: FIELD.SET, data: Buffer.from(row.set) })
  if (row.userKey != null) fields.push({ type: FIELD.KEY, data: encodeUserKey(row.userKey) })
  const ops = row.ops ?? []
  writer.u16(fields.length)
  writer.u16(ops.length)
  for (const field of fields) writeField(writer, field.type, field.data)
  for (const op of ops) writeOp(writer, op)
  return writer.take()
}

/**
 * Builds a batch answer: one message per row, then the LAST message, in frames of about
 * `BATCH_ANSWER_FRAME_BYTES`. A row that failed carries no ops (the clients read none after an error).
 */
export class BatchAnswerWriter {
  readonly #writer = new WireWriter(4096)
  readonly #frameBytes: number
  #frameStart = 0

  constructor(frameBytes = BATCH_ANSWER_FRAME_BYTES) {
    this.#frameBytes = frameBytes
    this.#writer.skip(PROTO_HEADER_BYTES)
  }

  /** Bytes of the answer so far, frame headers included. */
  get bytes(): number {
    return this.#writer.pos
  }

  /** Appends the answer for the row at `index`; if a value cannot be encoded, nothing of it is left (status 4). */
  add(index: number, response: AsResponseInput): void {
    const start = this.#writer.pos
    try {
      writeResponse(this.#writer, response, index)
    } catch (err) {
      this.#writer.pos = start
      throw err
    }
    if (this.#writer.pos - this.#frameStart - PROTO_HEADER_BYTES >= this.#frameBytes) {
      this.#closeFrame()
      this.#frameStart = this.#writer.skip(PROTO_HEADER_BYTES)
    }
  }

  /** Appends the LAST message (`resultCode` other than 0 fails the whole batch) and returns every frame. */
  end(resultCode = 0): Buffer {
    writeResponse(this.#writer, { resultCode }, 0, INFO3.LAST)
    this.#closeFrame()
    return this.#writer.take()
  }

  #closeFrame(): void {
    writeProtoHeader(this.#writer.buf, this.#frameStart, PROTO_TYPE.MESSAGE, this.#writer.pos - this.#frameStart - PROTO_HEADER_BYTES)
  }
}

/** One row's answer, as a client reads it. */
export interface AsBatchItem extends AsResponse {
  index: number
}

/**
 * Decodes one frame body of a batch answer, as a client does: the rows it holds, and whether it ended with the
 * LAST message (and that message's result code). Nothing may follow LAST.
 */
export function decodeBatchResponse(body: Buffer): { items: AsBatchItem[]; done: boolean; resultCode: number } {
  const items: AsBatchItem[] = []
  let at = 0
  while (at < body.length) {
    const { message, end } = readMessage(body, at, body.length)
    at = end
    if (message.info3 & INFO3.LAST) {
      if (at !== body.length) throw malformed(`${body.length - at} bytes follow the batch's last message`)
      return { items, done: true, resultCode: message.resultCode }
    }
    const response = responseOf(message)
    items.push({ index: message.transactionTtl, resultCode: response.resultCode, gen: response.gen, voidTime: response.voidTime, ops: response.ops })
  }
  return { items, done: false, resultCode: 0 }
}

