// Single-record requests (docs/aerospike.md "Requests"): an AS_MSG read into a typed request, with the info bits
// as named policies and the ops' values as Tally values; and the same request encoded, as a client sends it.
import { DIGEST_BYTES } from '../digest.js'
import { TallyError } from '../errors.js'
import { EXISTS, GEN_POLICY, type ExistsCode, type GenPolicyCode, type UserKey } from '../types.js'
import { FIELD, FIELD_HEADER_BYTES, INFO1, INFO2, INFO3, MSG, MSG_HEADER_BYTES, OP, OP_HEADER_BYTES } from './constants.js'
import { PROTO_HEADER_BYTES, PROTO_TYPE, WIRE_TTL } from './constants.js'
import { type MessageField, type OpInput, writeMessage } from './message.js'
import { type AsValue, decodeParticle, RawParticle } from './particle.js'
import { writeProtoHeader } from './proto.js'
import { decodeUserKey, encodeUserKey } from './user-key.js'
import { malformed, name, u16, u32, WireWriter } from './wire.js'

/** One op of a request: its code (OP), bin name, and value (null for READ, TOUCH and DELETE). */
export interface AsOp {
  op: number
  name: string
  value: AsValue
}

/** What a record request asks, in Tally's terms. */
export interface AsRequest {
  ns: string
  /** The set; '' for a key without one; null when the SET field is absent (a digest-only key). */
  set: string | null
  /** The record's 20-byte digest: a view of the request's bytes. */
  digest: Buffer
  /** The user key, sent with key policy SEND. */
  userKey: UserKey | null
  read: boolean
  /** Read every bin (info1 GET_ALL). */
  readAll: boolean
  /** Read metadata only (info1 GET_NOBINDATA): exists and header-only reads. */
  headerOnly: boolean
  write: boolean
  /** Remove the record (info2 WRITE|DELETE). */
  delete: boolean
  durableDelete: boolean
  /** One answer entry per op, in order (info2 RESPOND_ALL_OPS). */
  respondAllOps: boolean
  commitMaster: boolean
  /** The client accepts a compressed (type 4) answer. */
  compressResponse: boolean
  exists: ExistsCode
  genPolicy: GenPolicyCode
  /** The expected generation, for `genPolicy` eq/gt. */
  gen: number
  /** A write's TTL: 0 namespace default, -1 never expire, -2 keep the current one, else seconds (unchecked). */
  ttl: number
  /** A read's read-touch TTL percent: the same header field, signed. */
  readTouchTtlPercent: number
  /** The server-side timeout the client allows, in ms (0: none given). */
  timeoutMs: number
  /** A filter expression (msgpack), which Tally does not evaluate. */
  filter: Buffer | null
  /** Types of other fields present (scan, query, UDF, transaction fields): the request may need what Tally lacks. */
  otherFields: readonly number[]
  ops: readonly AsOp[]
}

/** A request to encode: `ns` and `digest`, plus whatever differs from the defaults (false, 0, null, ignore). */
export type AsRequestInput = Pick<AsRequest, 'ns' | 'digest'> & Partial<Omit<AsRequest, 'ns' | 'digest' | 'ops' | 'otherFields'>> & { ops?: readonly OpInput[] }

const NO_DIGEST = Buffer.alloc(0)
const NO_OPS: readonly AsOp[] = Object.freeze([])
/** Names of the field types 0-4, each of which may appear once. */
const SINGLE_FIELDS = ['namespace', 'set', 'key', 'record version', 'digest']
const NO_FIELDS: readonly number[] = Object.freeze([])
const OPS_WITHOUT_VALUE: ReadonlySet<number> = new Set([OP.READ, OP.TOUCH, OP.DELETE])
const OPS_WITH_VALUE: ReadonlySet<number> = new Set([OP.WRITE, OP.INCR, OP.APPEND, OP.PREPEND])
const OPS_KEPT_RAW: ReadonlySet<number> = new Set([OP.CDT_READ, OP.CDT_MODIFY, OP.EXP_READ, OP.EXP_MODIFY, OP.BIT_READ, OP.BIT_MODIFY, OP.HLL_READ, OP.HLL_MODIFY])

/**
 * Decodes a type-3 body holding one record request, in one pass over its bytes. Counts and sizes are checked
 * against the bytes present before anything is allocated; throws status 4 naming what is malformed.
 */
export function decodeRequest(body: Buffer): AsRequest {
  if (body.length < MSG_HEADER_BYTES) throw malformed(`message of ${body.length} bytes is shorter than its ${MSG_HEADER_BYTES}-byte header`)
  if (body[MSG.HEADER_SZ] !== MSG_HEADER_BYTES) throw malformed(`message header size ${body[MSG.HEADER_SZ]}, expected ${MSG_HEADER_BYTES}`)
  const info1 = body[MSG.INFO1]!
  if (info1 & INFO1.BATCH) throw malformed('a batch message is not a record request')
  const request = newRequest(info1, body[MSG.INFO2]!, body[MSG.INFO3]!, u32(body, MSG.GENERATION), u32(body, MSG.RECORD_TTL), u32(body, MSG.TRANSACTION_TTL))
  const end = readRequestBody(request, body, MSG_HEADER_BYTES, body.length, u16(body, MSG.N_FIELDS), u16(body, MSG.N_OPS), null)
  if (end !== body.length) throw malformed(`${body.length - end} bytes follow the message's fields and ops`)
  return request
}

/** A request holding what the header bytes say; `readRequestBody` fills in the fields and ops. */
export function newRequest(info1: number, info2: number, info3: number, generation: number, recordTtl: number, transactionTtl: number): AsRequest {
  // One literal of fixed shape, filled in afterwards: building it by spreading objects is many times slower in V8.
  return {
    ns: '',
    set: null,
    digest: NO_DIGEST,
    userKey: null,
    read: (info1 & INFO1.READ) !== 0,
    readAll: (info1 & INFO1.GET_ALL) !== 0,
    headerOnly: (info1 & INFO1.GET_NO_BINS) !== 0,
    write: (info2 & INFO2.WRITE) !== 0,
    delete: (info2 & INFO2.DELETE) !== 0,
    durableDelete: (info2 & INFO2.DURABLE_DELETE) !== 0,
    respondAllOps: (info2 & INFO2.RESPOND_ALL_OPS) !== 0,
    commitMaster: (info3 & INFO3.COMMIT_MASTER) !== 0,
    compressResponse: (info1 & INFO1.COMPRESS_RESPONSE) !== 0,
    exists: existsOf(info2, info3),
    genPolicy: info2 & INFO2.GENERATION ? GEN_POLICY.eq : info2 & INFO2.GENERATION_GT ? GEN_POLICY.gt : GEN_POLICY.ignore,
    gen: generation,
    ttl: ttlOf(recordTtl),
    readTouchTtlPercent: recordTtl | 0,
    timeoutMs: transactionTtl,
    filter: null,
    otherFields: NO_FIELDS,
    ops: NO_OPS,
  }
}

/**
 * Reads `nFields` fields, then `nOps` ops, from `buf[at, limit)` into `request`; returns where they end. A batch
 * row passes the `digest` it carries, in place of a digest field.
 */
export function readRequestBody(request: AsRequest, buf: Buffer, at: number, limit: number, nFields: number, nOps: number, digest: Buffer | null): number {
  if (nFields * FIELD_HEADER_BYTES + nOps * OP_HEADER_BYTES > limit - at)
    throw malformed(`message announces ${nFields} fields and ${nOps} ops in ${limit - at} bytes`)
  let seen = 0 // bits 1 << type of the fields that may appear once
  let other: number[] | null = null
  for (let i = 0; i < nFields; i++) {
    if (at + FIELD_HEADER_BYTES > limit) throw malformed(`field ${i} is truncated`)
    const size = u32(buf, at)
    if (size < 1 || size > limit - at - 4) throw malformed(`field ${i} has size ${size}, ${limit - at - 4} bytes remain`)
    const type = buf[at + 4]!
    const start = at + FIELD_HEADER_BYTES
    at += 4 + size
    if (type <= FIELD.DIGEST) {
      if (seen & (1 << type)) throw malformed(`the ${SINGLE_FIELDS[type]} field appears twice`)
      seen |= 1 << type
    }
    if (type === FIELD.NAMESPACE) request.ns = name(buf, start, at, 'the namespace')
    else if (type === FIELD.SET) request.set = name(buf, start, at, 'the set name')
    else if (type === FIELD.DIGEST) {
      if (at - start !== DIGEST_BYTES) throw malformed(`digest field of ${at - start} bytes; ${DIGEST_BYTES} expected`)
      request.digest = digest ?? buf.subarray(start, at)
    } else if (type === FIELD.KEY) request.userKey = decodeUserKey(buf, start, at)
    else if (type === FIELD.FILTER) request.filter = buf.subarray(start, at)
    else (other ??= []).push(type)
  }
  if (other !== null) request.otherFields = other
  if (!(seen & (1 << FIELD.NAMESPACE))) throw malformed('the namespace field is missing')
  if (digest !== null) request.digest = digest
  else if (!(seen & (1 << FIELD.DIGEST))) throw malformed('the digest field is missing')
  const ops = nOps > 0 ? new Array<AsOp>(nOps) : NO_OPS
  for (let i = 0; i < nOps; i++) {
    if (at + OP_HEADER_BYTES > limit) throw malformed(`op ${i} is truncated`)
    const size = u32(buf, at)
    const nameEnd = at + OP_HEADER_BYTES + buf[at + 7]!
    if (size < 4 + buf[at + 7]! || size > limit - at - 4) throw malformed(`op ${i} has size ${size} (name of ${buf[at + 7]} bytes), ${limit - at - 4} bytes remain`)
    if (buf[at + 6] !== 0) throw malformed(`op ${i} has flags 0x${buf[at + 6]!.toString(16)}; clients send 0`)
    const bin = name(buf, at + OP_HEADER_BYTES, nameEnd, `the name of op ${i}`)
    ;(ops as AsOp[])[i] = opOf(buf[at + 4]!, buf[at + 5]!, bin, buf, nameEnd, at + 4 + size, i)
    at += 4 + size
  }
  request.ops = ops
  return at
}

// Exists policies are independent bits on the wire; these are the combinations a policy can express.
function existsOf(info2: number, info3: number): ExistsCode {
  const mustExist = (info3 & (INFO3.UPDATE_ONLY | INFO3.REPLACE_ONLY)) !== 0
  const replace = (info3 & (INFO3.CREATE_OR_REPLACE | INFO3.REPLACE_ONLY)) !== 0
  if (info2 & INFO2.CREATE_ONLY) {
    if (mustExist) throw malformed('create-only together with update-only or replace-only')
    return EXISTS.create
  }
  if (mustExist) return replace ? EXISTS.replace : EXISTS.update
  return replace ? EXISTS.createOrReplace : EXISTS.ignore
}

function ttlOf(wire: number): number {
  if (wire === WIRE_TTL.NEVER_EXPIRE) return -1
  if (wire === WIRE_TTL.DONT_UPDATE) return -2
  return wire
}

function opOf(op: number, particleType: number, bin: string, buf: Buffer, start: number, end: number, index: number): AsOp {
  if (OPS_WITH_VALUE.has(op)) {
    try {
      return { op, name: bin, value: decodeParticle(particleType, buf, start, end) }
    } catch (err) {
      throw err instanceof TallyError ? malformed(`op ${index} (bin '${bin}'): ${err.message}`) : err
    }
  }
  if (OPS_WITHOUT_VALUE.has(op)) {
    if (end !== start) throw malformed(`op ${index} (code ${op}) carries a value of ${end - start} bytes`)
    return { op, name: bin, value: null }
  }
  if (OPS_KEPT_RAW.has(op)) return { op, name: bin, value: new RawParticle(particleType, Buffer.from(buf.subarray(start, end))) }
  throw malformed(`op ${index} has unknown op code ${op}`)
}

/** A whole type-3 frame for `request`, with fields in the official clients' order: namespace, set, digest, key, filter. */
export function encodeRequest(request: AsRequestInput, writer = new WireWriter()): Buffer {
  const start = writer.skip(PROTO_HEADER_BYTES)
  const fields: MessageField[] = [{ type: FIELD.NAMESPACE, data: Buffer.from(request.ns) }]
  if (request.set != null) fields.push({ type: FIELD.SET, data: Buffer.from(request.set) })
  fields.push({ type: FIELD.DIGEST, data: request.digest })
  if (request.userKey != null) fields.push({ type: FIELD.KEY, data: encodeUserKey(request.userKey) })
  if (request.filter != null) fields.push({ type: FIELD.FILTER, data: request.filter })
  const { info1, info2, info3 } = infoOf(request)
  const generation = request.gen ?? 0
  writeMessage(writer, { info1, info2, info3, generation, recordTtl: recordTtlOf(request), transactionTtl: request.timeoutMs ?? 0, fields, ops: request.ops })
  writeProtoHeader(writer.buf, start, PROTO_TYPE.MESSAGE, writer.pos - start - PROTO_HEADER_BYTES)
  return writer.take()
}

/** The info bytes that express a request's policies. */
export function infoOf(request: AsRequestInput): { info1: number; info2: number; info3: number } {
  const exists = request.exists ?? EXISTS.ignore
  const info1 =
    (request.read ? INFO1.READ : 0) |
    (request.readAll ? INFO1.GET_ALL : 0) |
    (request.headerOnly ? INFO1.GET_NO_BINS : 0) |
    (request.compressResponse ? INFO1.COMPRESS_RESPONSE : 0)
  const info2 =
    (request.write ? INFO2.WRITE : 0) |
    (request.delete ? INFO2.DELETE : 0) |
    (request.durableDelete ? INFO2.DURABLE_DELETE : 0) |
    (request.respondAllOps ? INFO2.RESPOND_ALL_OPS : 0) |
    (request.genPolicy === GEN_POLICY.eq ? INFO2.GENERATION : request.genPolicy === GEN_POLICY.gt ? INFO2.GENERATION_GT : 0) |
    (exists === EXISTS.create ? INFO2.CREATE_ONLY : 0)
  const info3 =
    (request.commitMaster ? INFO3.COMMIT_MASTER : 0) |
    (exists === EXISTS.update ? INFO3.UPDATE_ONLY : exists === EXISTS.replace ? INFO3.REPLACE_ONLY : exists === EXISTS.createOrReplace ? INFO3.CREATE_OR_REPLACE : 0)
  return { info1, info2, info3 }
}

/** The header's record_ttl for a request: a write's TTL (special values as uint32), else the read-touch percent. */
export function recordTtlOf(request: AsRequestInput): number {
  if (!request.write) return (request.readTouchTtlPercent ?? 0) >>> 0
  const ttl = request.ttl ?? 0
  return ttl === -1 ? WIRE_TTL.NEVER_EXPIRE : ttl === -2 ? WIRE_TTL.DONT_UPDATE : ttl >>> 0
}
