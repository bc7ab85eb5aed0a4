// Single-record requests (docs/aerospike.md "Requests"): an AS_MSG read into a typed request, with the info bits
// as named policies and the ops' values as Tally values; and the same request encoded, as a client sends it.
import { TallyError } from '../errors.js'
import { EXISTS, GEN_POLICY, type ExistsCode, type GenPolicyCode, type UserKey } from '../types.js'
import { FIELD, INFO1, INFO2, INFO3, OP, PARTICLE, PROTO_HEADER_BYTES, PROTO_TYPE, WIRE_TTL } from './constants.js'
import { type Message, type MessageField, type MessageOp, type OpInput, readMessage, writeMessage } from './message.js'
import { type AsValue, decodeParticle, RawParticle } from './particle.js'
import { writeProtoHeader } from './proto.js'
import { malformed, readInt64, utf8, WireWriter } from './wire.js'

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
  otherFields: number[]
  ops: AsOp[]
}

/** A request to encode: `ns` and `digest`, plus whatever differs from the defaults (false, 0, null, ignore). */
export type AsRequestInput = Pick<AsRequest, 'ns' | 'digest'> & Partial<Omit<AsRequest, 'ns' | 'digest' | 'ops' | 'otherFields'>> & { ops?: readonly OpInput[] }

const DIGEST_BYTES = 20
const OPS_WITHOUT_VALUE: ReadonlySet<number> = new Set([OP.READ, OP.TOUCH, OP.DELETE])
const OPS_WITH_VALUE: ReadonlySet<number> = new Set([OP.WRITE, OP.INCR, OP.APPEND, OP.PREPEND])
const OPS_KEPT_RAW: ReadonlySet<number> = new Set([OP.CDT_READ, OP.CDT_MODIFY, OP.EXP_READ, OP.EXP_MODIFY, OP.BIT_READ, OP.BIT_MODIFY, OP.HLL_READ, OP.HLL_MODIFY])

/** Decodes a type-3 body holding one record request. Throws status 4 naming what is malformed. */
export function decodeRequest(body: Buffer): AsRequest {
  const { message, end } = readMessage(body, 0, body.length)
  if (end !== body.length) throw malformed(`${body.length - end} bytes follow the message's fields and ops`)
  if (message.info1 & INFO1.BATCH) throw malformed('a batch message is not a record request')
  return requestOf(message)
}

/**
 * The typed request a decoded message holds. A batch row passes the `digest` it carries in place of a digest
 * field.
 */
export function requestOf(message: Message, digest?: Buffer): AsRequest {
  const { info1, info2, info3 } = message
  const fields = readFields(message.fields, digest)
  return {
    ...fields,
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
    gen: message.generation,
    ttl: ttlOf(message.recordTtl),
    readTouchTtlPercent: message.recordTtl | 0,
    timeoutMs: message.transactionTtl,
    ops: message.ops.map(opOf),
  }
}

type RequestFields = Pick<AsRequest, 'ns' | 'set' | 'digest' | 'userKey' | 'filter' | 'otherFields'>

function readFields(fields: MessageField[], digest: Buffer | undefined): RequestFields {
  let ns: string | null = null
  let set: string | null = null
  let userKey: UserKey | null = null
  let filter: Buffer | null = null
  let digestField: Buffer | null = null
  const otherFields: number[] = []
  for (const field of fields) {
    const data = field.data
    switch (field.type) {
      case FIELD.NAMESPACE:
        if (ns !== null) throw malformed('the namespace field appears twice')
        ns = utf8(data, 0, data.length, 'the namespace')
        break
      case FIELD.SET:
        if (set !== null) throw malformed('the set field appears twice')
        set = utf8(data, 0, data.length, 'the set name')
        break
      case FIELD.KEY:
        if (userKey !== null) throw malformed('the key field appears twice')
        userKey = decodeUserKey(data)
        break
      case FIELD.DIGEST:
        if (digestField !== null) throw malformed('the digest field appears twice')
        if (data.length !== DIGEST_BYTES) throw malformed(`digest field of ${data.length} bytes; ${DIGEST_BYTES} expected`)
        digestField = data
        break
      case FIELD.FILTER:
        filter = data
        break
      default:
        otherFields.push(field.type)
    }
  }
  if (ns === null) throw malformed('the namespace field is missing')
  const recordDigest = digest ?? digestField
  if (recordDigest === null) throw malformed('the digest field is missing')
  return { ns, set, digest: recordDigest, userKey, filter, otherFields }
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

function opOf(op: MessageOp, index: number): AsOp {
  if (OPS_WITHOUT_VALUE.has(op.op)) {
    if (op.value.length !== 0) throw malformed(`op ${index} (code ${op.op}) carries a value of ${op.value.length} bytes`)
    return { op: op.op, name: op.name, value: null }
  }
  if (OPS_WITH_VALUE.has(op.op)) {
    try {
      return { op: op.op, name: op.name, value: decodeParticle(op.particleType, op.value, 0, op.value.length) }
    } catch (err) {
      throw err instanceof TallyError ? malformed(`op ${index} (bin '${op.name}'): ${err.message}`) : err
    }
  }
  if (OPS_KEPT_RAW.has(op.op)) return { op: op.op, name: op.name, value: new RawParticle(op.particleType, Buffer.from(op.value)) }
  throw malformed(`op ${index} has unknown op code ${op.op}`)
}

function decodeUserKey(data: Buffer): UserKey {
  if (data.length < 1) throw malformed('the key field is empty')
  switch (data[0]) {
    case PARTICLE.INTEGER:
      if (data.length !== 9) throw malformed(`an integer key of ${data.length - 1} bytes; 8 expected`)
      return readInt64(data, 1)
    case PARTICLE.STRING:
      return utf8(data, 1, data.length, 'the string key')
    case PARTICLE.BLOB:
      return Buffer.from(data.subarray(1))
    default:
      throw malformed(`user keys of particle type ${data[0]} are not supported`)
  }
}

/** A whole type-3 frame for `request`, with fields in the official clients' order: namespace, set, digest, key, filter. */
export function encodeRequest(request: AsRequestInput, writer = new WireWriter()): Buffer {
  const start = writer.skip(PROTO_HEADER_BYTES)
  const fields: MessageField[] = [{ type: FIELD.NAMESPACE, data: Buffer.from(request.ns) }]
  if (request.set != null) fields.push({ type: FIELD.SET, data: Buffer.from(request.set) })
  fields.push({ type: FIELD.DIGEST, data: request.digest })
  if (request.userKey != null) fields.push({ type: FIELD.KEY, data: encodeUserKey(request.userKey) })
  if (request.filter != null) fields.push({ type: FIELD.FILTER, data: request.filter })
  writeMessage(writer, { ...infoOf(request), generation: request.gen ?? 0, recordTtl: recordTtlOf(request), transactionTtl: request.timeoutMs ?? 0, fields, ops: request.ops ?? [] })
  writeProtoHeader(writer.buf, start, PROTO_TYPE.MESSAGE, writer.pos - start - PROTO_HEADER_BYTES)
  return writer.take()
}

/** The info bytes that express a request's policies. */
export function infoOf(request: AsRequestInput): { info1: number; info2: number; info3: number } {
  const exists = request.exists ?? EXISTS.ignore
  const info1 = (request.read ? INFO1.READ : 0) | (request.readAll ? INFO1.GET_ALL : 0) | (request.headerOnly ? INFO1.GET_NO_BINS : 0) | (request.compressResponse ? INFO1.COMPRESS_RESPONSE : 0)
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

function recordTtlOf(request: AsRequestInput): number {
  if (!request.write) return (request.readTouchTtlPercent ?? 0) >>> 0
  const ttl = request.ttl ?? 0
  return ttl === -1 ? WIRE_TTL.NEVER_EXPIRE : ttl === -2 ? WIRE_TTL.DONT_UPDATE : ttl >>> 0
}

/** A KEY field's data: the particle type, then the key's bytes. */
export function encodeUserKey(key: UserKey): Buffer {
  if (typeof key === 'string') return Buffer.concat([Buffer.from([PARTICLE.STRING]), Buffer.from(key, 'utf8')])
  if (key instanceof Uint8Array) return Buffer.concat([Buffer.from([PARTICLE.BLOB]), key])
  if (typeof key === 'number' ? !Number.isSafeInteger(key) : key < -(2n ** 63n) || key >= 2n ** 63n)
    throw malformed(`integer key ${key} is not a safe integer or int64`)
  const writer = new WireWriter(16)
  writer.u8(PARTICLE.INTEGER)
  writer.i64(key)
  return writer.take()
}
