// Answers on the wire (PROTOCOL.md §5): the server writes them straight into its output buffer; the client reads
// the parts each call needs. Readers take an array's length from the wire and skip the fields they do not know, so
// a later version can add fields at the end of any answer or item.
import { MAX_MESSAGE_BYTES, TallyError, truncate } from './errors.js'
import { PROTOCOL_VERSION, SERVER_MESSAGE_ID, type BatchItem, type Hello, type InfoResult, type RecordResult } from './messages.js'
import { KIND } from './msgpack-format.js'
import type { MsgpackReader } from './msgpack-reader.js'
import { MsgpackWriter, type FrameWriter } from './msgpack-writer.js'
import { STATUS, statusName } from './status.js'

/** `[id, 0, gen, ttl]`, plus the payload when there is one. */
export function writeRecordResponse(w: FrameWriter, id: number, result: RecordResult): void {
  w.array(result.payload === undefined ? 4 : 5)
  w.number(id)
  recordFields(w, result)
}

function recordFields(w: MsgpackWriter, result: RecordResult): void {
  const { payload } = result
  w.number(STATUS.OK)
  w.number(result.gen)
  w.number(result.ttl)
  if (payload !== undefined) w.value(payload)
}

/** `[id, 0, [` of an answer whose payload is a list of `count` items. */
function writeItemsHead(w: FrameWriter, id: number, count: number): void {
  w.array(3)
  w.number(id)
  w.number(STATUS.OK)
  w.array(count)
}

/**
 * A successful answer without its id (PROTOCOL.md §3.1): `[0, gen, ttl, payload?]` for one record, `[0, [[gen, ttl,
 * reads], ...]]` for a BATCH_OPERATE. What a server keeps of the answer to a write token.
 */
export function writeAnswerWithoutId(w: MsgpackWriter, result: RecordResult | RecordResult[]): void {
  if (!Array.isArray(result)) {
    w.array(result.payload === undefined ? 3 : 4)
    return recordFields(w, result)
  }
  w.array(2)
  w.number(STATUS.OK)
  batchOperateItems(w, result)
}

/** The answer `body` (`[id, status, ...]`) without its id, `[status, ...]`, in memory of its own. */
export function answerWithoutId(body: Uint8Array): Uint8Array {
  const [fields, head] = arrayHeader(body)
  const id = body[head]!
  const idBytes = id <= 0x7f ? 1 : id === 0xcc ? 2 : id === 0xcd ? 3 : id === 0xce ? 5 : 0
  if (fields < 2 || idBytes === 0) throw new Error('an answer must be an array starting with id and status')
  const rest = body.subarray(head + idBytes)
  const newHead = fields - 1 < 16 ? 1 : fields - 1 < 0x10000 ? 3 : 5
  const out = new Uint8Array(newHead + rest.length)
  if (newHead === 1) out[0] = 0x90 | (fields - 1)
  else if (newHead === 3) out.set([0xdc, (fields - 1) >> 8, (fields - 1) & 0xff])
  else out.set([0xdd, (fields - 1) >>> 24, ((fields - 1) >> 16) & 0xff, ((fields - 1) >> 8) & 0xff, (fields - 1) & 0xff])
  out.set(rest, newHead)
  return out
}

/** An answer kept without its id, `[status, ...]`, written as the answer to request `id`: `[id, status, ...]`. */
export function writeKeptAnswer(w: FrameWriter, id: number, kept: Uint8Array): void {
  const [fields, head] = arrayHeader(kept)
  w.array(fields + 1)
  w.number(id)
  w.raw(kept.subarray(head))
}

/** The element count of the array at the start of `bytes`, and the bytes its header takes. */
function arrayHeader(bytes: Uint8Array): [number, number] {
  const b = bytes[0]!
  if (b >= 0x90 && b <= 0x9f) return [b & 0x0f, 1]
  if (b === 0xdc) return [(bytes[1]! << 8) | bytes[2]!, 3]
  if (b === 0xdd) return [((bytes[1]! << 24) | (bytes[2]! << 16) | (bytes[3]! << 8) | bytes[4]!) >>> 0, 5]
  throw new Error('an answer must be an array')
}

/** `[id, 0, items]`, each item `[0, gen, ttl, bins]` or `[status, message]` (cut to MAX_MESSAGE_BYTES). */
export function writeBatchResponse(w: FrameWriter, id: number, items: BatchItem[]): void {
  writeItemsHead(w, id, items.length)
  for (const item of items) {
    if (item.found) {
      w.array(4)
      w.number(STATUS.OK)
      w.number(item.gen)
      w.number(item.ttl)
      w.value(item.bins)
    } else {
      w.array(2)
      w.number(item.status)
      w.str(truncate(item.message, MAX_MESSAGE_BYTES))
    }
  }
}

/** `[id, 0, [[command, value], ...]]`. */
export function writeInfoResponse(w: FrameWriter, id: number, result: InfoResult): void {
  writeItemsHead(w, id, result.length)
  for (const [command, value] of result) {
    w.array(2)
    w.str(command)
    w.str(value)
  }
}

/** `[id, 0, [[gen, ttl, reads], ...]]`: one entry per record, in order. */
export function writeBatchOperateResponse(w: FrameWriter, id: number, results: RecordResult[]): void {
  w.array(3)
  w.number(id)
  w.number(STATUS.OK)
  batchOperateItems(w, results)
}

function batchOperateItems(w: MsgpackWriter, results: RecordResult[]): void {
  w.array(results.length)
  for (const result of results) {
    w.array(3)
    w.number(result.gen)
    w.number(result.ttl)
    w.value(result.payload ?? [])
  }
}

/**
 * `[id, status, message]`, the message cut to MAX_MESSAGE_BYTES; plus the record's generation on a generation
 * mismatch, and, in a batch, the position of the record that failed: `[id, status, message, gen | nil, index]`.
 */
export function writeErrorResponse(w: FrameWriter, id: number, status: number, message: string, gen?: number, index?: number): void {
  w.array(index !== undefined ? 5 : gen !== undefined ? 4 : 3)
  w.number(id)
  w.number(status)
  w.str(truncate(message, MAX_MESSAGE_BYTES))
  if (gen !== undefined) w.number(gen)
  else if (index !== undefined) w.nil()
  if (index !== undefined) w.number(index)
}

/** The hello: `[0, 0, {protocol, server, maxFrameBytes, maxRecordBytes, maxBatchKeys}]`. */
export function writeHello(w: FrameWriter, hello: Hello): void {
  w.array(3)
  w.number(SERVER_MESSAGE_ID)
  w.number(STATUS.OK)
  w.value(hello)
}

/**
 * Reads a hello frame and checks it; throws an Error saying what is wrong, or what the server said instead (a
 * connection error, such as a refusal over its connection limit: PROTOCOL.md §5.3).
 */
export function readHello(r: MsgpackReader): Hello {
  const message = r.value() as unknown[]
  if (Array.isArray(message) && message[0] === SERVER_MESSAGE_ID && typeof message[1] === 'number' && message[1] !== STATUS.OK)
    throw new Error(`status ${message[1]} (${statusName(message[1])}) instead of a hello: ${String(message[2])}`)
  if (!Array.isArray(message) || message[0] !== SERVER_MESSAGE_ID || message[1] !== STATUS.OK) throw new Error('the first frame is not a hello')
  const hello = message[2] as Hello
  if (hello?.protocol !== PROTOCOL_VERSION) throw new Error(`protocol version ${String(hello?.protocol)} is not supported (this client speaks ${PROTOCOL_VERSION})`)
  for (const limit of ['maxFrameBytes', 'maxRecordBytes', 'maxBatchKeys'] as const)
    if (!Number.isInteger(hello[limit]) || hello[limit] <= 0) throw new Error(`the hello's ${limit} is not a positive integer`)
  return hello
}

/**
 * Reads the start of an answer, `[id, status, ...`: returns the id and leaves the status in `head.status`, with
 * the reader at the first field after it. `fields` is the array's length.
 */
export function readResponseHead(r: MsgpackReader, head: { id: number; status: number; fields: number }): void {
  head.fields = r.array()
  if (head.fields < 2 || r.kind() !== KIND.INT) throw new Error('an answer must be an array starting with id and status')
  head.id = Number(r.int())
  if (r.kind() !== KIND.INT) throw new Error('an answer must be an array starting with id and status')
  head.status = Number(r.int())
}

/** The error carried by a failed answer, read after its head. */
export function readError(r: MsgpackReader, status: number, fields: number): TallyError {
  const message = fields > 2 ? String(r.value()) : `status ${status}`
  const gen = fields > 3 ? r.value() : null
  const index = fields > 4 ? r.value() : null
  return new TallyError(status, message, { gen: gen === null ? undefined : Number(gen), index: index === null ? undefined : Number(index) })
}

/** Skips the fields of an array of `fields` after the first `read` of them. */
function skipFields(r: MsgpackReader, read: number, fields: number): void {
  for (let i = read; i < fields; i++) r.value()
}

/** An item list's header; `what` names the answer in the error. */
function itemsHead(r: MsgpackReader, fields: number, what: string): number {
  if (fields < 3 || r.kind() !== KIND.ARRAY) throw new Error(`${what} answer without its items`)
  return r.array()
}

/** Flat bins, each name and value read as a value of its own (a double bin stays a Double). */
export function readBins(r: MsgpackReader): unknown[] {
  const count = r.array()
  const bins = new Array<unknown>(count)
  for (let i = 0; i < count; i++) bins[i] = r.value()
  return bins
}

/** A BATCH_GET answer's items, read after its head (`fields`: the answer's length). */
export function readBatchResponse(r: MsgpackReader, fields: number): BatchItem[] {
  const count = itemsHead(r, fields, 'a BATCH_GET')
  const items: BatchItem[] = []
  for (let i = 0; i < count; i++) {
    const itemFields = r.array()
    const status = itemFields > 0 ? Number(r.int()) : STATUS.SERVER_ERROR
    if (status === STATUS.OK && itemFields >= 4) {
      items.push({ found: true, gen: Number(r.int()), ttl: Number(r.int()), bins: readBins(r) })
      skipFields(r, 4, itemFields)
    } else {
      items.push({ found: false, status, message: itemFields > 1 ? String(r.value()) : `status ${status}` })
      skipFields(r, 2, itemFields)
    }
  }
  return items
}

/** A BATCH_OPERATE answer's entries, `{gen, ttl, payload: reads}` each, read after its head. */
export function readBatchOperateResponse(r: MsgpackReader, fields: number): RecordResult[] {
  const count = itemsHead(r, fields, 'a BATCH_OPERATE')
  const results: RecordResult[] = []
  for (let i = 0; i < count; i++) {
    const entryFields = r.array()
    if (entryFields < 3) throw new Error(`BATCH_OPERATE answer entry ${i} has ${entryFields} fields, not [gen, ttl, reads]`)
    const gen = Number(r.int())
    const ttl = Number(r.int())
    results.push({ gen, ttl, payload: r.value() })
    skipFields(r, 3, entryFields)
  }
  return results
}

/** An INFO answer's `[command, value]` pairs, read after its head. */
export function readInfoResponse(r: MsgpackReader, fields: number): InfoResult {
  const count = itemsHead(r, fields, 'an INFO')
  const result: InfoResult = []
  for (let i = 0; i < count; i++) {
    const pairFields = r.array()
    if (pairFields < 2) throw new Error(`INFO answer entry ${i} has ${pairFields} fields, not [command, value]`)
    result.push([r.str(), r.str()])
    skipFields(r, 2, pairFields)
  }
  return result
}
