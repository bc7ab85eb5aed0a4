// Single-record requests (PROTOCOL.md §3, §4.1-§4.7): a fixed header, then the op's arguments. The client writes
// the header and its arguments; the server reads them into a typed request.
import { ARRAY_BYTES, SLOT_BYTES } from './memory-cost.js'
import { encodeFlags, FLAGS, OP, type OpCode, type RecordAddress, type RecordPolicy, type Request } from './messages.js'
import { KIND } from './msgpack-format.js'
import { newList, type MsgpackReader } from './msgpack-reader.js'
import type { FrameWriter } from './msgpack-writer.js'
import { bad, readAddress, readBinOps, readPolicy, readStrings, readToken } from './request-fields.js'
import type { UserKey } from './types.js'

/** id, op, ns, set, digest, userKey, ttl, gen, flags */
export const RECORD_HEADER_FIELDS = 9

/** Where a write's token goes: after every argument of its op, missing ones sent as nil (PROTOCOL.md §3.1). */
export const TOKEN_FIELD: Partial<Record<OpCode, number>> = {
  [OP.PUT]: RECORD_HEADER_FIELDS + 1,
  [OP.REMOVE]: RECORD_HEADER_FIELDS,
  [OP.TOUCH]: RECORD_HEADER_FIELDS,
  [OP.INCREMENT]: RECORD_HEADER_FIELDS + 3,
  [OP.OPERATE]: RECORD_HEADER_FIELDS + 1,
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

/**
 * Reads the rest of a single-record request whose array of `fields` fields has been read up to its op code.
 * Returns the request and how many of its fields were read.
 */
export function readRecordRequest(r: MsgpackReader, id: number, op: OpCode, opName: string, fields: number): [Request, number] {
  if (fields < RECORD_HEADER_FIELDS) throw bad(`${opName}: expected at least ${RECORD_HEADER_FIELDS} fields, got ${fields}`)
  const address = readAddress(r, opName)
  const policy = readPolicy(r, opName)
  const [request, read] = readArgs(r, id, op, address, policy, fields)
  if (read === TOKEN_FIELD[op] && fields > read) {
    request.token = readToken(r, opName)
    return [request, read + 1]
  }
  return [request, read]
}

/** A single-record request, typed. */
export type RecordRequest = Extract<Request, { address: RecordAddress }>

/**
 * Writes the typed single-record request `request` under `id`, as a client would send it: how a cluster node
 * forwards a request that reached it in another protocol (docs/cluster.md). Its token, if any, is not written.
 */
export function writeRecordRequest(w: FrameWriter, id: number, request: RecordRequest): void {
  const { address, policy } = request
  const flags = encodeFlags(policy.exists, policy.genPolicy, policy.commitMaster) | (policy.deleteMissingOk ? FLAGS.DELETE_MISSING_OK : 0)
  writeRecordHeader(w, id, request.op, argumentCount(request), address.ns, address.set, address.digest, address.userKey, policy.ttl, policy.gen, flags)
  switch (request.op) {
    case OP.PUT:
      return w.value(request.bins)
    case OP.GET:
      if (request.binNames !== null) w.value(request.binNames)
      return
    case OP.INCREMENT:
      w.str(request.bin)
      if (request.offset !== undefined || request.initial !== undefined) w.value(request.offset ?? null)
      if (request.initial !== undefined) w.value(request.initial)
      return
    case OP.OPERATE:
      w.array(request.ops.length)
      for (const op of request.ops) {
        w.array(4)
        w.number(op.op)
        w.str(op.bin)
        w.value(op.value ?? null)
        w.value(op.initial ?? null)
      }
  }
}

// Arguments after the header: an INCREMENT's offset and initial value are left out when absent (not sent as nil).
function argumentCount(request: RecordRequest): number {
  switch (request.op) {
    case OP.PUT:
    case OP.OPERATE:
      return 1
    case OP.GET:
      return request.binNames === null ? 0 : 1
    case OP.INCREMENT:
      return request.initial !== undefined ? 3 : request.offset !== undefined ? 2 : 1
    default:
      return 0
  }
}

function readArgs(r: MsgpackReader, id: number, op: OpCode, address: RecordAddress, policy: RecordPolicy, fields: number): [RecordRequest, number] {
  const has = (n: number): boolean => fields > RECORD_HEADER_FIELDS + n
  switch (op) {
    case OP.PUT:
      if (!has(0) || r.kind() !== KIND.ARRAY) throw bad('PUT: bins must be an array of name, value pairs')
      return [{ id, address, policy, token: undefined, op, bins: readBinList(r, 'PUT') }, RECORD_HEADER_FIELDS + 1]
    case OP.GET:
      return [{ id, address, policy, token: undefined, op, binNames: has(0) ? readStrings(r, 'GET: bin names') : null }, RECORD_HEADER_FIELDS + (has(0) ? 1 : 0)]
    case OP.INCREMENT: {
      if (!has(0) || r.kind() !== KIND.STR) throw bad('INCREMENT: bin name must be a string')
      const bin = r.str()
      const offset = has(1) ? r.value() : undefined
      const initial = has(2) ? r.value() : undefined
      return [{ id, address, policy, token: undefined, op, bin, offset, initial: initial ?? undefined }, Math.min(fields, RECORD_HEADER_FIELDS + 3)]
    }
    case OP.OPERATE:
      if (!has(0)) throw bad('OPERATE: ops must be an array')
      return [{ id, address, policy, token: undefined, op, ops: readBinOps(r, 'OPERATE') }, RECORD_HEADER_FIELDS + 1]
    default:
      return [{ id, address, policy, token: undefined, op: op as typeof OP.EXISTS | typeof OP.REMOVE | typeof OP.TOUCH }, RECORD_HEADER_FIELDS]
  }
}

/** Flat bins: string names alternating with values of any type. */
export function readBinList(r: MsgpackReader, opName: string): unknown[] {
  const count = r.array()
  if (count % 2 !== 0) throw bad(`${opName}: bins must be name, value pairs`)
  r.charge(ARRAY_BYTES + count * SLOT_BYTES)
  const bins = newList(count)
  for (let i = 0; i < count; i += 2) {
    if (r.kind() !== KIND.STR) throw bad(`${opName}: bin name ${i / 2} is not a string`)
    bins[i] = r.str()
    bins[i + 1] = r.value()
  }
  return bins
}
