// Requests on the wire (PROTOCOL.md §3-§4): the client writes them straight into its output buffer; the server
// reads them straight from the frame into typed requests, checking every field and naming the one that is wrong.
import { DIGEST_BYTES } from './digest.js'
import { TallyError } from './errors.js'
import {
  BIN_OP,
  FLAGS,
  type BatchOperateItem,
  OP,
  SERVER_MESSAGE_ID,
  type BinOp,
  type BinOpCode,
  type OpCode,
  type RecordAddress,
  type RecordPolicy,
  type Request,
} from './messages.js'
import { KIND, type MsgpackReader } from './msgpack-reader.js'
import type { FrameWriter } from './msgpack-writer.js'
import { STATUS } from './status.js'
import type { ExistsCode, GenPolicyCode, UserKey } from './types.js'

const RECORD_HEADER_FIELDS = 9 // id, op, ns, set, digest, userKey, ttl, gen, flags
const OP_NAMES = new Map<number, string>(Object.entries(OP).map(([name, code]) => [code, name]))
const BIN_OP_CODES = new Set<number>(Object.values(BIN_OP))

function bad(message: string): TallyError {
  return new TallyError(STATUS.PARAMETER, message)
}

/**
 * The request id at the start of a frame body that failed to decode, so the error can still be matched to its
 * request: the body must open with an array header followed by a positive integer. SERVER_MESSAGE_ID otherwise.
 */
export function peekRequestId(body: Uint8Array): number {
  let at: number
  const head = body[0]
  if (head === undefined) return SERVER_MESSAGE_ID
  if (head >= 0x90 && head <= 0x9f) at = 1
  else if (head === 0xdc) at = 3
  else if (head === 0xdd) at = 5
  else return SERVER_MESSAGE_ID
  const tag = body[at]
  if (tag === undefined) return SERVER_MESSAGE_ID
  if (tag <= 0x7f) return tag
  const width = tag === 0xcc ? 1 : tag === 0xcd ? 2 : tag === 0xce ? 4 : 0
  if (width === 0 || body.length < at + 1 + width) return SERVER_MESSAGE_ID
  let id = 0
  for (let i = 1; i <= width; i++) id = id * 256 + body[at + i]!
  return id
}

/** An integer field within [min, max], or a status 4 naming it. */
function intField(r: MsgpackReader, min: number, max: number, what: string): number {
  if (r.kind() !== KIND.INT) throw bad(what)
  const value = Number(r.int())
  if (!(value >= min && value <= max)) throw bad(what)
  return value
}

/** Reads one request from the reader's frame. Throws TallyError(4) naming what is wrong. */
export function decodeRequest(r: MsgpackReader): Request {
  if (r.kind() !== KIND.ARRAY) throw bad('a request must be a msgpack array')
  const fields = r.array()
  if (fields < 2) throw bad('a request starts with an id and an op code')
  const id = intField(r, 1, 0xffff_ffff, 'request id must be an integer from 1 to 2^32-1')
  const op = r.kind() === KIND.INT ? Number(r.int()) : NaN
  const opName = OP_NAMES.get(op)
  if (opName === undefined) throw bad(`unknown op ${Number.isNaN(op) ? JSON.stringify(r.value()) : op}`)
  let request: Request
  let read: number
  if (op === OP.BATCH_OPERATE) {
    if (fields < 3 || r.kind() !== KIND.ARRAY) throw bad('BATCH_OPERATE: items must be an array')
    const count = r.array()
    const items: BatchOperateItem[] = []
    for (let i = 0; i < count; i++) {
      try {
        items.push(readBatchItem(r, i))
      } catch (err) {
        // A malformed item is named by its position, as a failing one is.
        throw err instanceof TallyError ? new TallyError(err.code, err.message, { index: i }) : err
      }
    }
    request = { op, id, items }
    read = 3
  } else if (op === OP.INFO) {
    const commands = fields > 2 ? readStrings(r, 'INFO: commands') : null
    request = { op, id, commands: commands ?? [] }
    read = Math.min(fields, 3)
  } else if (op === OP.BATCH_GET) {
    if (fields < 3 || r.kind() !== KIND.ARRAY) throw bad('BATCH_GET: keys must be an array')
    const count = r.array()
    const addresses: RecordAddress[] = []
    for (let i = 0; i < count; i++) addresses.push(readBatchKey(r, i))
    request = { op, id, addresses, binNames: fields > 3 ? readBinNames(r, opName) : null }
    read = Math.min(fields, 4)
  } else {
    if (fields < RECORD_HEADER_FIELDS) throw bad(`${opName}: expected at least ${RECORD_HEADER_FIELDS} fields, got ${fields}`)
    const address = readAddress(r, opName)
    const policy = readPolicy(r, opName)
    ;[request, read] = readArgs(r, id, op as OpCode, opName, address, policy, fields)
  }
  for (; read < fields; read++) r.value() // fields a later protocol version added
  r.finish()
  return request
}

function readArgs(r: MsgpackReader, id: number, op: OpCode, opName: string, address: RecordAddress, policy: RecordPolicy, fields: number): [Request, number] {
  const has = (n: number): boolean => fields > RECORD_HEADER_FIELDS + n
  switch (op) {
    case OP.PUT:
      if (!has(0) || r.kind() !== KIND.ARRAY) throw bad('PUT: bins must be an array of name, value pairs')
      return [{ id, address, policy, op, bins: readBinList(r) }, RECORD_HEADER_FIELDS + 1]
    case OP.GET:
      return [{ id, address, policy, op, binNames: has(0) ? readBinNames(r, opName) : null }, RECORD_HEADER_FIELDS + (has(0) ? 1 : 0)]
    case OP.INCREMENT: {
      if (!has(0) || r.kind() !== KIND.STR) throw bad('INCREMENT: bin name must be a string')
      const bin = r.str()
      const offset = has(1) ? r.value() : undefined
      const initial = has(2) ? r.value() : undefined
      return [{ id, address, policy, op, bin, offset, initial: initial ?? undefined }, Math.min(fields, RECORD_HEADER_FIELDS + 3)]
    }
    case OP.OPERATE: {
      if (!has(0) || r.kind() !== KIND.ARRAY) throw bad('OPERATE: ops must be an array')
      const count = r.array()
      const ops: BinOp[] = []
      for (let i = 0; i < count; i++) ops.push(readBinOp(r, i))
      return [{ id, address, policy, op, ops }, RECORD_HEADER_FIELDS + 1]
    }
    default:
      return [{ id, address, policy, op: op as typeof OP.EXISTS | typeof OP.REMOVE | typeof OP.TOUCH }, RECORD_HEADER_FIELDS]
  }
}

// The digest of the single-record request being decoded. Requests are decoded and served one at a time, so one
// buffer serves them all: a request's digest is valid until the next request is decoded (see Mutation).
const currentDigest = new Uint8Array(DIGEST_BYTES)

/**
 * `ns, set, digest, userKey`. `shared`: the digest goes into the one buffer of single-record requests; batches keep a
 * view of the frame per record. Without `hasUserKey` (a batch key of three fields) the user key is nil.
 */
function readAddress(r: MsgpackReader, where: string, shared = true, hasUserKey = true): RecordAddress {
  if (r.kind() !== KIND.STR) throw bad(`${where}: namespace must be a non-empty string`)
  const ns = r.str()
  if (ns.length === 0) throw bad(`${where}: namespace must be a non-empty string`)
  let set: string | null = null
  if (!r.nil()) {
    if (r.kind() !== KIND.STR) throw bad(`${where}: set must be a string or nil`)
    set = r.str()
  }
  if (r.kind() !== KIND.BIN) throw bad(`${where}: digest must be ${DIGEST_BYTES} bytes`)
  let digest: Uint8Array = currentDigest
  if (shared) {
    if (!r.binInto(currentDigest)) throw bad(`${where}: digest must be ${DIGEST_BYTES} bytes`)
  } else {
    digest = r.bin(false)
    if (digest.length !== DIGEST_BYTES) throw bad(`${where}: digest must be ${DIGEST_BYTES} bytes`)
  }
  return { ns, set, digest, userKey: hasUserKey ? readUserKey(r, where) : null }
}

function readUserKey(r: MsgpackReader, where: string): UserKey | null {
  if (r.nil()) return null
  switch (r.kind()) {
    case KIND.STR:
      return r.str()
    case KIND.INT:
      return r.int()
    case KIND.BIN:
      return r.bin(true)
    default:
      throw bad(`${where}: user key must be a string, an integer or bytes`)
  }
}

function readPolicy(r: MsgpackReader, where: string): RecordPolicy {
  const ttl = r.nil() ? null : intField(r, -(2 ** 31), 2 ** 32 - 1, `${where}: ttl must be an integer or nil`)
  const gen = intField(r, 0, 0xffff, `${where}: generation must be an integer from 0 to 65535`)
  const flags = intField(r, 0, 0xff, `${where}: flags must be an integer from 0 to 255`)
  const exists = flags & FLAGS.EXISTS_MASK
  const genPolicy = (flags & FLAGS.GEN_MASK) >> FLAGS.GEN_SHIFT
  if (exists > 4) throw bad(`${where}: unknown exists policy ${exists}`)
  if (genPolicy > 2) throw bad(`${where}: unknown generation policy ${genPolicy}`)
  return { ttl, gen, exists: exists as ExistsCode, genPolicy: genPolicy as GenPolicyCode, commitMaster: (flags & FLAGS.COMMIT_MASTER) !== 0, deleteMissingOk: (flags & FLAGS.DELETE_MISSING_OK) !== 0 }
}

/** Flat bins: string names alternating with values of any type. */
function readBinList(r: MsgpackReader): unknown[] {
  const count = r.array()
  if (count % 2 !== 0) throw bad('PUT: bins must be name, value pairs')
  const bins = new Array<unknown>(count)
  for (let i = 0; i < count; i += 2) {
    if (r.kind() !== KIND.STR) throw bad(`PUT: bin name ${i / 2} is not a string`)
    bins[i] = r.str()
    bins[i + 1] = r.value()
  }
  return bins
}

/** Nil, or an array of strings; `what` names the field in the error. */
function readStrings(r: MsgpackReader, what: string): string[] | null {
  if (r.nil()) return null
  if (r.kind() !== KIND.ARRAY) throw bad(`${what} must be an array of strings`)
  const count = r.array()
  const names: string[] = []
  for (let i = 0; i < count; i++) {
    if (r.kind() !== KIND.STR) throw bad(`${what} must be an array of strings`)
    names.push(r.str())
  }
  return names
}

function readBinNames(r: MsgpackReader, where: string): string[] | null {
  return readStrings(r, `${where}: bin names`)
}

function readBatchKey(r: MsgpackReader, index: number): RecordAddress {
  if (r.kind() !== KIND.ARRAY) throw bad(`BATCH_GET: key ${index} must be an array [ns, set, digest, userKey]`)
  const fields = r.array()
  if (fields < 3) throw bad(`BATCH_GET: key ${index} must be an array [ns, set, digest, userKey]`)
  const address = readAddress(r, `BATCH_GET key ${index}`, false, fields > 3)
  for (let i = 4; i < fields; i++) r.value()
  return address
}

function readBatchItem(r: MsgpackReader, index: number): BatchOperateItem {
  const where = `BATCH_OPERATE item ${index}`
  if (r.kind() !== KIND.ARRAY) throw bad(`${where} must be an array [ns, set, digest, userKey, ttl, gen, flags, ops]`)
  const fields = r.array()
  if (fields < 8) throw bad(`${where} must be an array [ns, set, digest, userKey, ttl, gen, flags, ops]`)
  const address = readAddress(r, where, false)
  const policy = readPolicy(r, where)
  if (r.kind() !== KIND.ARRAY) throw bad(`${where}: ops must be an array`)
  const count = r.array()
  const ops: BinOp[] = []
  for (let i = 0; i < count; i++) ops.push(readBinOp(r, i, where))
  for (let i = 8; i < fields; i++) r.value()
  return { address, policy, ops }
}

function readBinOp(r: MsgpackReader, index: number, where = 'OPERATE'): BinOp {
  const fields = r.kind() === KIND.ARRAY ? r.array() : 0
  const code = fields > 0 && r.kind() === KIND.INT ? Number(r.int()) : NaN
  if (!BIN_OP_CODES.has(code)) throw bad(`${where}: op ${index} must be [code, bin, value] with a known code`)
  let bin = ''
  if (fields > 1 && !r.nil()) {
    if (r.kind() !== KIND.STR) throw bad(`${where}: op ${index} bin name must be a string`)
    bin = r.str()
  }
  const value = fields > 2 ? r.value() : undefined
  const initial = fields > 3 ? r.value() : undefined
  for (let i = 4; i < fields; i++) r.value()
  return { op: code as BinOpCode, bin, value: value ?? undefined, initial: initial ?? undefined }
}

/**
 * Starts a single-record request: `[id, op, ns, set, digest, userKey, ttl, gen, flags]`, to be followed by the
 * op's `args` arguments (PROTOCOL.md §3). `set` null: unknown (digest-only key); `userKey` null: not sent.
 */
export function writeRecordHeader(
  w: FrameWriter,
  id: number,
  op: OpCode,
  args: number,
  ns: string,
  set: string | null,
  digest: Uint8Array,
  userKey: UserKey | null,
  ttl: number | null,
  gen: number,
  flags: number,
): void {
  w.array(RECORD_HEADER_FIELDS + args)
  w.number(id)
  w.number(op)
  w.str(ns)
  if (set === null) w.nil()
  else w.str(set)
  w.bin(digest)
  if (userKey === null) w.nil()
  else w.value(userKey)
  if (ttl === null) w.nil()
  else w.number(ttl)
  w.number(gen)
  w.number(flags)
}
