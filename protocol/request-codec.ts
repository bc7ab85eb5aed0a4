// Requests on the wire (PROTOCOL.md §3-§4): reads any request from a frame into a typed request, checking every
// field and naming the one that is wrong. Each kind of request has its writer beside its reader: single-record
// requests in record-request.ts, batches in batch-request.ts, SCAN in scan-codec.ts, INFO here.
import { describeValue } from './errors.js'
import { readBatchGetRequest, readBatchOperateRequest } from './batch-request.js'
import { OP, SERVER_MESSAGE_ID, USER_COMMANDS, type AuthRequest, type InfoRequest, type OpCode, type PeerRequest, type Request, type TruncateRequest, type UserAdminRequest, type UserCommand } from './messages.js'
import { FLOATS, KIND } from './msgpack-format.js'
import type { MsgpackReader } from './msgpack-reader.js'
import type { FrameWriter } from './msgpack-writer.js'
import { readRecordRequest } from './record-request.js'
import { readScanRequest } from './scan-codec.js'
import { readRestoreRequest } from './restore-request.js'
import { bad, intField, readStrings } from './request-fields.js'

// By op code: an array, looked up on every request.
const OP_NAMES: (string | undefined)[] = []
for (const [name, code] of Object.entries(OP)) OP_NAMES[code] = name

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

/** What the server allows in one request, checked while it is decoded. */
export interface DecodeLimits {
  /** Most keys in a BATCH_GET, records in a BATCH_OPERATE. */
  maxBatchKeys: number
}

/**
 * A request may decode into at most this much memory (as memory-cost.ts counts it), plus DECODED_BYTES_PER_BYTE for
 * every byte of its frame: a list of 1-byte values takes 8 bytes a value (PROTOCOL.md §1).
 */
export const DECODED_BYTES_BASE = 4 * 1024 * 1024
export const DECODED_BYTES_PER_BYTE = 8

/**
 * Reads one request from the reader's frame. Throws TallyError(4) naming what is wrong, as soon as it is found:
 * counts over a limit or over the bytes left, and a request that would decode into more memory than its budget,
 * are refused before anything is allocated for them.
 */
export function decodeRequest(r: MsgpackReader, limits: DecodeLimits = { maxBatchKeys: Infinity }): Request {
  r.floats = FLOATS.DOUBLES // a float in a request is a double, whatever its value (PROTOCOL.md §1)
  r.limitDecodedBytes(DECODED_BYTES_BASE + DECODED_BYTES_PER_BYTE * (r.end - r.pos))
  if (r.kind() !== KIND.ARRAY) throw bad('a request must be a msgpack array')
  const fields = r.array()
  if (fields < 2) throw bad('a request starts with an id and an op code')
  const id = intField(r, 1, 0xffff_ffff, 'request id must be an integer from 1 to 2^32-1')
  const op = r.kind() === KIND.INT ? Number(r.int()) : NaN
  const opName = Number.isInteger(op) && op >= 0 ? OP_NAMES[op] : undefined
  if (opName === undefined) throw bad(`unknown op ${Number.isNaN(op) ? describeValue(r.value()) : op}`)
  let request: Request
  let read: number
  if (op <= OP.OPERATE) [request, read] = readRecordRequest(r, id, op as OpCode, opName, fields) // the usual: first
  else if (op === OP.BATCH_OPERATE) [request, read] = readBatchOperateRequest(r, id, fields, limits.maxBatchKeys)
  else if (op === OP.BATCH_GET) [request, read] = readBatchGetRequest(r, id, fields, limits.maxBatchKeys)
  else if (op === OP.INFO) [request, read] = readInfoRequest(r, id, fields)
  else if (op === OP.SCAN) [request, read] = readScanRequest(r, id, fields)
  else if (op === OP.TRUNCATE) [request, read] = readTruncateRequest(r, id, fields)
  else if (op === OP.RESTORE) [request, read] = readRestoreRequest(r, id, fields, limits.maxBatchKeys)
  else if (op === OP.AUTH) [request, read] = readAuthRequest(r, id, fields)
  else if (op === OP.USER_ADMIN) [request, read] = readUserAdminRequest(r, id, fields)
  else if (op === OP.PEER) [request, read] = readPeerRequest(r, id, fields)
  else throw new Error(`no reader for op ${opName}`)
  for (; read < fields; read++) r.value() // fields a later protocol version added
  r.finish()
  return request
}

/**
 * PEER (PROTOCOL.md §4.16): `[id, 16]`, or `[id, 16, node, proof]` on a cluster with a peer secret, or
 * `[id, 16, nil, nil, user, roles]` to act for a user.
 */
export function writePeerRequest(w: FrameWriter, id: number, fields: Partial<Pick<PeerRequest, 'node' | 'proof' | 'user' | 'roles'>> = {}): void {
  const { node = null, proof = null, user = null, roles = null } = fields
  w.array(user !== null ? 6 : node !== null ? 4 : 2)
  w.number(id)
  w.number(OP.PEER)
  if (node === null && user === null) return
  w.value(node)
  w.value(proof)
  if (user === null) return
  w.str(user)
  w.value(roles ?? [])
}

function readPeerRequest(r: MsgpackReader, id: number, fields: number): [PeerRequest, number] {
  const node = fields > 2 && !r.nil() ? readString(r, 'PEER: node') : null
  let proof: Uint8Array | null = null
  if (fields > 3 && !r.nil()) {
    if (r.kind() !== KIND.BIN) throw bad('PEER: proof must be bytes')
    proof = r.bin(true)
  }
  const user = fields > 4 && !r.nil() ? readString(r, 'PEER: user') : null
  const roles = fields > 5 ? readStrings(r, 'PEER: roles') : null
  return [{ op: OP.PEER, id, node, proof, user, roles }, Math.min(fields, 6)]
}

/**
 * The frame body `body` with its request (or answer) id replaced by `id`, written as a uint32: a node forwards a
 * request under an id of its own and gives the answer back its client's id. `body` must start with an id
 * (peekRequestId finds one).
 */
export function withRequestId(body: Uint8Array, id: number): Buffer {
  const head = body[0]!
  const at = head >= 0x90 && head <= 0x9f ? 1 : head === 0xdc ? 3 : 5
  const tag = body[at]!
  const width = tag <= 0x7f ? 0 : tag === 0xcc ? 1 : tag === 0xcd ? 2 : 4
  const rest = at + 1 + width
  const out = Buffer.allocUnsafe(4 + at + 5 + body.length - rest)
  out.writeUInt32BE(out.length - 4, 0)
  out.set(body.subarray(0, at), 4)
  out[4 + at] = 0xce
  out.writeUInt32BE(id, 5 + at)
  out.set(body.subarray(rest), 9 + at)
  return out
}

/** INFO: `[id, 9, commands]`, the commands an array of strings (PROTOCOL.md §4.9). */
export function writeInfoRequest(w: FrameWriter, id: number, commands: readonly string[]): void {
  w.array(3)
  w.number(id)
  w.number(OP.INFO)
  w.value(commands)
}

/** TRUNCATE: `[id, 12, ns, set]`, the set a string or nil for the whole namespace (PROTOCOL.md §4.12). */
export function writeTruncateRequest(w: FrameWriter, id: number, ns: string, set: string | null): void {
  w.array(4)
  w.number(id)
  w.number(OP.TRUNCATE)
  w.str(ns)
  if (set === null) w.nil()
  else w.str(set)
}

function readTruncateRequest(r: MsgpackReader, id: number, fields: number): [TruncateRequest, number] {
  if (fields < 4) throw bad(`TRUNCATE: expected 4 fields, got ${fields}`)
  if (r.kind() !== KIND.STR) throw bad('TRUNCATE: namespace must be a non-empty string')
  const ns = r.str()
  if (ns.length === 0) throw bad('TRUNCATE: namespace must be a non-empty string')
  let set: string | null = null
  if (!r.nil()) {
    if (r.kind() !== KIND.STR) throw bad('TRUNCATE: set must be a string or nil')
    set = r.str()
  }
  return [{ op: OP.TRUNCATE, id, ns, set }, 4]
}

function readInfoRequest(r: MsgpackReader, id: number, fields: number): [InfoRequest, number] {
  const commands = fields > 2 ? readStrings(r, 'INFO: commands') : null
  return [{ op: OP.INFO, id, commands: commands ?? [] }, Math.min(fields, 3)]
}

/** AUTH: `[id, 14, user, credential]` (PROTOCOL.md §4.14). */
export function writeAuthRequest(w: FrameWriter, id: number, user: string, credential: string): void {
  w.array(4)
  w.number(id)
  w.number(OP.AUTH)
  w.str(user)
  w.str(credential)
}

function readAuthRequest(r: MsgpackReader, id: number, fields: number): [AuthRequest, number] {
  if (fields < 4) throw bad('AUTH: [id, 14, user, credential]')
  const user = readString(r, 'AUTH: user')
  const credential = readString(r, 'AUTH: credential')
  return [{ op: OP.AUTH, id, user, credential }, 4]
}

/** USER_ADMIN: `[id, 15, command, user, credential, roles]`, nil for the fields a command does not take (§4.15). */
export function writeUserAdminRequest(w: FrameWriter, id: number, request: Omit<UserAdminRequest, 'op' | 'id'>): void {
  w.array(6)
  w.number(id)
  w.number(OP.USER_ADMIN)
  w.str(request.command)
  w.value(request.user)
  w.value(request.credential)
  w.value(request.roles)
}

function readUserAdminRequest(r: MsgpackReader, id: number, fields: number): [UserAdminRequest, number] {
  if (fields < 6) throw bad('USER_ADMIN: [id, 15, command, user, credential, roles]')
  const command = readString(r, 'USER_ADMIN: command')
  if (!(USER_COMMANDS as readonly string[]).includes(command)) throw bad(`USER_ADMIN: unknown command ${JSON.stringify(command.slice(0, 32))} (${USER_COMMANDS.join(', ')})`)
  const user = r.nil() ? null : readString(r, 'USER_ADMIN: user')
  const credential = r.nil() ? null : readString(r, 'USER_ADMIN: credential')
  const roles = readStrings(r, 'USER_ADMIN: roles')
  return [{ op: OP.USER_ADMIN, id, command: command as UserCommand, user, credential, roles }, 6]
}

function readString(r: MsgpackReader, what: string): string {
  if (r.kind() !== KIND.STR) throw bad(`${what} must be a string`)
  return r.str()
}
