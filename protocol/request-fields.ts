// The fields requests share (PROTOCOL.md §3): a record's address, its write conditions, bin ops and lists of names,
// each with its writer and its reader. A reader checks its field and names it in a status 4 when it is wrong.
import { DIGEST_BYTES } from './digest.js'
import { TallyError } from './errors.js'
import { ARRAY_BYTES, BIN_OP_BYTES, SLOT_BYTES, STRING_BYTES } from './memory-cost.js'
import { BIN_OP, FLAGS, MAX_OPERATE_OPS, type BinOp, type BinOpCode, type RecordAddress, type RecordPolicy, type WriteToken } from './messages.js'
import { KIND } from './msgpack-format.js'
import type { MsgpackReader } from './msgpack-reader.js'
import type { FrameWriter } from './msgpack-writer.js'
import { STATUS } from './status.js'
import type { ExistsCode, GenPolicyCode, Key, UserKey } from './types.js'

const BIN_OP_CODES = new Set<number>(Object.values(BIN_OP))

/** A status 4 with `message`. */
export function bad(message: string): TallyError {
  return new TallyError(STATUS.PARAMETER, message)
}

/** An integer field within [min, max], or a status 4 naming it. */
export function intField(r: MsgpackReader, min: number, max: number, what: string): number {
  if (r.kind() !== KIND.INT) throw bad(what)
  const value = Number(r.int())
  if (!(value >= min && value <= max)) throw bad(what)
  return value
}

/** The set field of a request: '' for "no set", nil for a digest-only key whose set is unknown. */
export function setField(key: Key): string | null {
  return key.set ?? (key.key === null ? null : '')
}

/** `ns, set, digest, userKey` of `key`; the user key only when it is sent. */
export function writeAddress(w: FrameWriter, key: Key, sendKey: boolean): void {
  w.str(key.ns)
  const set = setField(key)
  if (set === null) w.nil()
  else w.str(set)
  w.bin(key.digest)
  w.value(sendKey ? key.key : null)
}

// The digest of the single-record request being decoded. Requests are decoded and served one at a time, so one
// buffer serves them all: a request's digest is valid until the next request is decoded (see Mutation).
const currentDigest = new Uint8Array(DIGEST_BYTES)

/**
 * `ns, set, digest, userKey`. `shared`: the digest goes into the one buffer of single-record requests; batches keep a
 * view of the frame per record. Without `hasUserKey` (a batch key of three fields) the user key is nil.
 */
export function readAddress(r: MsgpackReader, where: string, shared = true, hasUserKey = true): RecordAddress {
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

/** `ttl, gen, flags`. */
export function readPolicy(r: MsgpackReader, where: string): RecordPolicy {
  const ttl = r.nil() ? null : intField(r, -(2 ** 31), 2 ** 32 - 1, `${where}: ttl must be an integer or nil`)
  const gen = intField(r, 0, 0xffff, `${where}: generation must be an integer from 0 to 65535`)
  const flags = intField(r, 0, 0xff, `${where}: flags must be an integer from 0 to 255`)
  const exists = flags & FLAGS.EXISTS_MASK
  const genPolicy = (flags & FLAGS.GEN_MASK) >> FLAGS.GEN_SHIFT
  if (exists > 4) throw bad(`${where}: unknown exists policy ${exists}`)
  if (genPolicy > 2) throw bad(`${where}: unknown generation policy ${genPolicy}`)
  return { ttl, gen, exists: exists as ExistsCode, genPolicy: genPolicy as GenPolicyCode, commitMaster: (flags & FLAGS.COMMIT_MASTER) !== 0, deleteMissingOk: (flags & FLAGS.DELETE_MISSING_OK) !== 0 }
}

/** Bytes of a client id in a write token. */
export const CLIENT_ID_BYTES = 8

/** A write token as a client sends it (PROTOCOL.md §3.1): `client` is CLIENT_ID_BYTES bytes. */
export interface SentToken {
  client: Uint8Array
  seq: number
  resent: boolean
  /** Every write of this client numbered below this is settled: it will not be sent again. */
  settledBelow: number
}

/** A write token, `[client, seq, resent, settledBelow]`. */
export function writeToken(w: FrameWriter, token: SentToken): void {
  w.array(4)
  w.bin(token.client)
  w.number(token.seq)
  w.bool(token.resent)
  w.number(token.settledBelow)
}

/** `[client, seq, resent, settledBelow?]`; fields after these are skipped. */
export function readToken(r: MsgpackReader, where: string): WriteToken {
  return readUsualToken(r) ?? readAnyToken(r, where)
}

// The form clients send: fixarray 4 (3 from older ones), bin 8, a seq, true or false, a settledBelow. Read straight
// from the bytes (on every write's path); undefined for any other form, read then by `readAnyToken`.
function readUsualToken(r: MsgpackReader): WriteToken | undefined {
  const { buf, pos, end } = r
  const fields = buf[pos]
  if (pos + 13 > end || (fields !== 0x94 && fields !== 0x93) || buf[pos + 1] !== 0xc4 || buf[pos + 2] !== CLIENT_ID_BYTES) return undefined
  const seq = usualUint(buf, pos + 11, end)
  const flag = seq > 0 && uintEnd < end ? buf[uintEnd] : undefined
  if (flag !== 0xc2 && flag !== 0xc3) return undefined
  let settledBelow = 0
  let next = uintEnd + 1
  if (fields === 0x94) {
    settledBelow = usualUint(buf, next, end)
    if (settledBelow < 0 || settledBelow > seq) return undefined
    next = uintEnd
  }
  r.pos = next
  return { clientHi: int32(buf, pos + 3), clientLo: int32(buf, pos + 7), seq, resent: flag === 0xc3, settledBelow }
}

// Where the last `usualUint` read ended.
let uintEnd = 0

// The uint at `at` as a positive fixint, uint8, uint16 or uint32 that ends by `end`, or -1 (any other form, wider
// ones included, takes the other way).
function usualUint(buf: Buffer, at: number, end: number): number {
  const b = buf[at]!
  const width = b <= 0x7f ? 0 : b === 0xcc ? 1 : b === 0xcd ? 2 : b === 0xce ? 4 : -1
  uintEnd = at + 1 + width
  if (width < 0 || uintEnd > end) return -1
  return width === 0 ? b : width === 1 ? buf[at + 1]! : width === 2 ? (buf[at + 1]! << 8) | buf[at + 2]! : uint32(buf, at + 1)
}

const uint32 = (buf: Buffer, at: number): number => buf[at]! * 0x100_0000 + ((buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!)
const int32 = (buf: Buffer, at: number): number => (buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!

// The client id of the token being decoded, read here and then into the token's two numbers.
const tokenClient = Buffer.alloc(CLIENT_ID_BYTES)

function readAnyToken(r: MsgpackReader, where: string): WriteToken {
  const what = `${where}: the token must be [client (${CLIENT_ID_BYTES} bytes), seq, resent, settledBelow?]`
  const fields = r.kind() === KIND.ARRAY ? r.array() : 0
  if (fields < 3 || r.kind() !== KIND.BIN || !r.binInto(tokenClient)) throw bad(what)
  const seq = intField(r, 1, Number.MAX_SAFE_INTEGER, `${where}: the token's seq must be an integer from 1 to 2^53-1`)
  if (r.kind() !== KIND.BOOL) throw bad(what)
  const resent = r.value() === true
  let settledBelow = 0
  if (fields >= 4 && r.kind() === KIND.NIL) r.value()
  else if (fields >= 4) settledBelow = intField(r, 0, seq, `${where}: the token's settledBelow must be an integer from 0 to its seq`)
  for (let i = 4; i < fields; i++) r.value()
  return { clientHi: tokenClient.readInt32BE(0), clientLo: tokenClient.readInt32BE(4), seq, resent, settledBelow }
}

/** An array of ops, each `[code, bin, value, initial]` (PROTOCOL.md §4.7). */
export function readBinOps(r: MsgpackReader, where: string): BinOp[] {
  if (r.kind() !== KIND.ARRAY) throw bad(`${where}: ops must be an array`)
  const count = r.array()
  if (count > MAX_OPERATE_OPS) throw bad(`${where}: ${count} ops, more than the limit of ${MAX_OPERATE_OPS}`)
  r.charge(ARRAY_BYTES + count * BIN_OP_BYTES)
  const ops: BinOp[] = []
  for (let i = 0; i < count; i++) ops.push(readBinOp(r, i, where))
  return ops
}

function readBinOp(r: MsgpackReader, index: number, where: string): BinOp {
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

/** Nil, or an array of strings; `what` names the field in the error. */
export function readStrings(r: MsgpackReader, what: string): string[] | null {
  if (r.nil()) return null
  if (r.kind() !== KIND.ARRAY) throw bad(`${what} must be an array of strings`)
  const count = r.array()
  r.charge(ARRAY_BYTES + count * (SLOT_BYTES + STRING_BYTES))
  const names: string[] = []
  for (let i = 0; i < count; i++) {
    if (r.kind() !== KIND.STR) throw bad(`${what} must be an array of strings`)
    names.push(r.str())
  }
  return names
}
