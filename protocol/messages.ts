// Request and response messages (PROTOCOL.md §3-§5): msgpack arrays, encoded by the client and decoded and checked
// by the server into typed requests that know nothing of msgpack.
import { TallyError } from './errors.js'
import { STATUS } from './status.js'
import { DIGEST_BYTES } from './digest.js'
import type { ExistsCode, GenPolicyCode, UserKey } from './types.js'

/** The protocol version stated in the server's hello. */
export const PROTOCOL_VERSION = 1
/** Request id reserved for messages the server sends on its own: the hello, and connection-level errors. */
export const SERVER_MESSAGE_ID = 0

/** Request op codes (PROTOCOL.md §4). */
export const OP = {
  PUT: 1,
  GET: 2,
  EXISTS: 3,
  REMOVE: 4,
  TOUCH: 5,
  INCREMENT: 6,
  OPERATE: 7,
  BATCH_GET: 8,
} as const
export type OpName = keyof typeof OP
export type OpCode = (typeof OP)[OpName]

/** Op codes inside an OPERATE request; the numbers are Aerospike's (PROTOCOL.md §4.7). */
export const BIN_OP = {
  READ: 1,
  WRITE: 2,
  INCR: 5,
  APPEND: 9,
  PREPEND: 10,
  TOUCH: 11,
  DELETE: 14,
} as const
export type BinOpName = keyof typeof BIN_OP
export type BinOpCode = (typeof BIN_OP)[BinOpName]

/** Bit layout of a request's `flags` field (PROTOCOL.md §3). */
export const FLAGS = {
  EXISTS_MASK: 0b0000_0111,
  GEN_SHIFT: 3,
  GEN_MASK: 0b0001_1000,
  COMMIT_MASTER: 0b0010_0000,
} as const

/** Which record a request addresses. `set` is null when the client does not know it (a digest-only key). */
export interface RecordAddress {
  ns: string
  set: string | null
  digest: Uint8Array
  userKey: UserKey | null
}

/** The write conditions every record request carries. `ttl` null: keep the current TTL. */
export interface RecordPolicy {
  ttl: number | null
  gen: number
  exists: ExistsCode
  genPolicy: GenPolicyCode
  commitMaster: boolean
}

/** One op of an OPERATE request. `value` is absent for READ, TOUCH and DELETE; `initial` only for INCR. */
export interface BinOp {
  op: BinOpCode
  bin: string
  value: unknown
  initial: unknown
}

interface RecordRequestBase {
  id: number
  address: RecordAddress
  policy: RecordPolicy
}

export type PutRequest = RecordRequestBase & { op: typeof OP.PUT; bins: unknown[] }
/** GET reads all bins when `binNames` is null, else the named bins that exist (select). */
export type GetRequest = RecordRequestBase & { op: typeof OP.GET; binNames: string[] | null }
export type ExistsRequest = RecordRequestBase & { op: typeof OP.EXISTS }
export type RemoveRequest = RecordRequestBase & { op: typeof OP.REMOVE }
export type TouchRequest = RecordRequestBase & { op: typeof OP.TOUCH }
export type IncrementRequest = RecordRequestBase & { op: typeof OP.INCREMENT; bin: string; offset: unknown; initial: unknown }
export type OperateRequest = RecordRequestBase & { op: typeof OP.OPERATE; ops: BinOp[] }
export type BatchGetRequest = { op: typeof OP.BATCH_GET; id: number; addresses: RecordAddress[]; binNames: string[] | null }

/** A decoded request. Values are left as decoded; the store checks their types and sizes. */
export type Request =
  | PutRequest
  | GetRequest
  | ExistsRequest
  | RemoveRequest
  | TouchRequest
  | IncrementRequest
  | OperateRequest
  | BatchGetRequest

/** What the server states in its hello frame. */
export interface Hello {
  protocol: number
  server: string
  maxFrameBytes: number
  maxRecordBytes: number
  maxBatchKeys: number
}

const RECORD_HEADER_FIELDS = 9 // id, op, ns, set, digest, userKey, ttl, gen, flags
const OP_NAMES = new Map<number, string>(Object.entries(OP).map(([name, code]) => [code, name]))
const BIN_OP_CODES = new Set<number>(Object.values(BIN_OP))

function bad(message: string): TallyError {
  return new TallyError(STATUS.PARAMETER, message)
}

function isUint(value: unknown, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max
}

/** The request id of a message, or SERVER_MESSAGE_ID when the message is too broken to have one. */
export function requestIdOf(message: unknown): number {
  return Array.isArray(message) && isUint(message[0], 0xffff_ffff) ? message[0] : SERVER_MESSAGE_ID
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

/** Checks a decoded msgpack value and turns it into a typed request. Throws TallyError(4) naming what is wrong. */
export function decodeRequest(message: unknown): Request {
  if (!Array.isArray(message)) throw bad('a request must be a msgpack array')
  const [id, op] = message
  if (!isUint(id, 0xffff_ffff) || id === SERVER_MESSAGE_ID) throw bad('request id must be an integer from 1 to 2^32-1')
  const opName = typeof op === 'number' ? OP_NAMES.get(op) : undefined
  if (opName === undefined) throw bad(`unknown op ${JSON.stringify(op)}`)
  if (op === OP.BATCH_GET) {
    if (!Array.isArray(message[2])) throw bad('BATCH_GET: keys must be an array')
    return { op, id, addresses: message[2].map((k, i) => decodeBatchKey(k, i)), binNames: decodeBinNames(message[3], opName) }
  }
  if (message.length < RECORD_HEADER_FIELDS) throw bad(`${opName}: expected at least ${RECORD_HEADER_FIELDS} fields, got ${message.length}`)
  const address = decodeAddress(message[2], message[3], message[4], message[5], opName)
  const policy = decodePolicy(message[6], message[7], message[8], opName)
  switch (op) {
    case OP.PUT:
      if (!Array.isArray(message[9])) throw bad('PUT: bins must be an array of name, value pairs')
      return { id, address, policy, op, bins: message[9] }
    case OP.GET:
      return { id, address, policy, op, binNames: decodeBinNames(message[9], opName) }
    case OP.INCREMENT:
      if (typeof message[9] !== 'string') throw bad('INCREMENT: bin name must be a string')
      return { id, address, policy, op, bin: message[9], offset: message[10], initial: message[11] ?? undefined }
    case OP.OPERATE:
      if (!Array.isArray(message[9])) throw bad('OPERATE: ops must be an array')
      return { id, address, policy, op, ops: message[9].map((o, i) => decodeBinOp(o, i)) }
    default:
      return { id, address, policy, op: op as typeof OP.EXISTS | typeof OP.REMOVE | typeof OP.TOUCH }
  }
}

function decodeAddress(ns: unknown, set: unknown, digest: unknown, userKey: unknown, where: string): RecordAddress {
  if (typeof ns !== 'string' || ns.length === 0) throw bad(`${where}: namespace must be a non-empty string`)
  if (set !== null && set !== undefined && typeof set !== 'string') throw bad(`${where}: set must be a string or nil`)
  if (!(digest instanceof Uint8Array) || digest.length !== DIGEST_BYTES) throw bad(`${where}: digest must be ${DIGEST_BYTES} bytes`)
  return { ns, set: (set as string | null | undefined) ?? null, digest, userKey: decodeUserKey(userKey, where) }
}

function decodeUserKey(key: unknown, where: string): UserKey | null {
  if (key === null || key === undefined) return null
  if (typeof key === 'string' || typeof key === 'bigint' || key instanceof Uint8Array) return key
  if (typeof key === 'number' && Number.isSafeInteger(key)) return key
  throw bad(`${where}: user key must be a string, an integer or bytes`)
}

function decodePolicy(ttl: unknown, gen: unknown, flags: unknown, where: string): RecordPolicy {
  if (ttl !== null && ttl !== undefined && !(typeof ttl === 'number' && Number.isInteger(ttl)))
    throw bad(`${where}: ttl must be an integer or nil`)
  if (!isUint(gen, 0xffff)) throw bad(`${where}: generation must be an integer from 0 to 65535`)
  if (!isUint(flags, 0xff)) throw bad(`${where}: flags must be an integer from 0 to 255`)
  const exists = flags & FLAGS.EXISTS_MASK
  const genPolicy = (flags & FLAGS.GEN_MASK) >> FLAGS.GEN_SHIFT
  if (exists > 4) throw bad(`${where}: unknown exists policy ${exists}`)
  if (genPolicy > 2) throw bad(`${where}: unknown generation policy ${genPolicy}`)
  return {
    ttl: (ttl as number | null | undefined) ?? null,
    gen,
    exists: exists as ExistsCode,
    genPolicy: genPolicy as GenPolicyCode,
    commitMaster: (flags & FLAGS.COMMIT_MASTER) !== 0,
  }
}

function decodeBinNames(names: unknown, where: string): string[] | null {
  if (names === null || names === undefined) return null
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) throw bad(`${where}: bin names must be an array of strings`)
  return names
}

function decodeBatchKey(key: unknown, index: number): RecordAddress {
  if (!Array.isArray(key)) throw bad(`BATCH_GET: key ${index} must be an array [ns, set, digest, userKey]`)
  return decodeAddress(key[0], key[1], key[2], key[3], `BATCH_GET key ${index}`)
}

function decodeBinOp(op: unknown, index: number): BinOp {
  if (!Array.isArray(op) || !BIN_OP_CODES.has(op[0])) throw bad(`OPERATE: op ${index} must be [code, bin, value] with a known code`)
  const bin = op[1] ?? ''
  if (typeof bin !== 'string') throw bad(`OPERATE: op ${index} bin name must be a string`)
  return { op: op[0], bin, value: op[2] ?? undefined, initial: op[3] ?? undefined }
}

/** The outcome of a record request, before encoding: metadata plus the op's payload (bins, a value, reads). */
export interface RecordResult {
  gen: number
  ttl: number
  payload?: unknown
}

/** One key's outcome in a batch: found, with metadata and bins, or an error status with a message. */
export type BatchItem = { found: true; gen: number; ttl: number; bins: unknown[] } | { found: false; status: number; message: string }

/** Packs exists, generation policy and commit level into a request's flags field. */
export function encodeFlags(exists: ExistsCode, genPolicy: GenPolicyCode, commitMaster: boolean): number {
  return exists | (genPolicy << FLAGS.GEN_SHIFT) | (commitMaster ? FLAGS.COMMIT_MASTER : 0)
}

/** A successful record response: `[id, 0, gen, ttl]` plus the op's payload, if any. */
export function recordResponse(id: number, result: RecordResult): unknown[] {
  const { gen, ttl, payload } = result
  return payload === undefined ? [id, STATUS.OK, gen, ttl] : [id, STATUS.OK, gen, ttl, payload]
}

/** A batch response: `[id, 0, items]`, each item `[0, gen, ttl, bins]` or `[status, message]`. */
export function batchResponse(id: number, items: BatchItem[]): unknown[] {
  return [id, STATUS.OK, items.map((item) => (item.found ? [STATUS.OK, item.gen, item.ttl, item.bins] : [item.status, item.message]))]
}

/** An error response: `[id, status, message]`, plus the record's generation on a generation mismatch. */
export function errorResponse(id: number, code: number, message: string, gen?: number): unknown[] {
  return gen === undefined ? [id, code, message] : [id, code, message, gen]
}
