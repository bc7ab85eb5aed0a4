// Aerospike record requests as Tally's typed requests (protocol/messages.ts), so that the same operations serve
// both protocols (docs/aerospike.md "What the listener serves"). What Tally lacks (scans, queries, UDFs, filter
// expressions, CDT, bit and HLL operations, transactions, read-touch) is refused with 16, naming it.
import { OP as AS_OP, FIELD, PARTICLE } from '../../protocol/aerospike/constants.js'
import { RawParticle } from '../../protocol/aerospike/particle.js'
import type { AsOp, AsRequest } from '../../protocol/aerospike/record-request.js'
import { TallyError } from '../../protocol/errors.js'
import { BIN_OP, OP, type BinOp, type RecordAddress, type RecordPolicy } from '../../protocol/messages.js'
import type { RecordRequest } from '../../protocol/record-request.js'
import { STATUS } from '../../protocol/status.js'

/** The Tally op of each Aerospike op Tally serves. */
const BIN_OPS: ReadonlyMap<number, BinOp['op']> = new Map<number, BinOp['op']>([
  [AS_OP.READ, BIN_OP.READ],
  [AS_OP.WRITE, BIN_OP.WRITE],
  [AS_OP.INCR, BIN_OP.INCR],
  [AS_OP.APPEND, BIN_OP.APPEND],
  [AS_OP.PREPEND, BIN_OP.PREPEND],
  [AS_OP.TOUCH, BIN_OP.TOUCH],
  [AS_OP.DELETE, BIN_OP.DELETE],
])

/** What the ops Tally does not serve are, for the refusal. */
const UNSUPPORTED_OPS: Readonly<Record<number, string>> = {
  [AS_OP.CDT_READ]: 'list and map operations (CDT)',
  [AS_OP.CDT_MODIFY]: 'list and map operations (CDT)',
  [AS_OP.EXP_READ]: 'expression operations',
  [AS_OP.EXP_MODIFY]: 'expression operations',
  [AS_OP.BIT_READ]: 'bit operations',
  [AS_OP.BIT_MODIFY]: 'bit operations',
  [AS_OP.HLL_READ]: 'HyperLogLog operations',
  [AS_OP.HLL_MODIFY]: 'HyperLogLog operations',
}

const FIELD_NAMES: Readonly<Record<number, string>> = Object.fromEntries(Object.entries(FIELD).map(([name, type]) => [type, name]))
const PARTICLE_NAMES: Readonly<Record<number, string>> = Object.fromEntries(Object.entries(PARTICLE).map(([name, type]) => [type, name]))

/** A status 16 refusal of something Aerospike offers and Tally does not. */
export function unsupported(what: string): TallyError {
  return new TallyError(STATUS.UNSUPPORTED_FEATURE, `${what} not supported by Tally`)
}

function parameter(message: string): TallyError {
  return new TallyError(STATUS.PARAMETER, message)
}

/** Status 16 for a request field Tally does not serve (scan, query, UDF, transaction fields), naming it. */
export function unsupportedField(type: number): TallyError {
  return unsupported(`the ${FIELD_NAMES[type] ?? `type ${type}`} field (scans, queries, UDFs and transactions are)`)
}

/**
 * The Tally request for an Aerospike record request: writes are REMOVE, PUT (only whole-bin writes), TOUCH (a lone
 * touch) or OPERATE; reads EXISTS (header only), GET (all bins, or the named ones) or OPERATE (reads answering
 * every op). Throws status 4 for a request that makes no sense, 16 for one Tally cannot serve.
 */
export function requestOf(as: AsRequest): RecordRequest {
  if (as.otherFields.length > 0) throw unsupportedField(as.otherFields[0]!)
  if (as.filter !== null) throw unsupported('filter expressions are')
  // An empty set name is no set name to a read or a delete (clients send one for a key given by digest alone); a
  // write of a record in a set must name it, as on Aerospike's server.
  const set = as.set === '' && (!as.write || as.delete) ? null : as.set
  const address: RecordAddress = { ns: as.ns, set, digest: as.digest, userKey: as.userKey }
  if (as.write) return writeOf(as, address)
  if (as.read) return readOf(as, address)
  throw parameter('the message neither reads (info1 READ) nor writes (info2 WRITE)')
}

function policyOf(as: AsRequest, ttl: number | null): RecordPolicy {
  return { ttl, gen: as.gen, exists: as.exists, genPolicy: as.genPolicy, commitMaster: as.commitMaster, deleteMissingOk: false }
}

function writeOf(as: AsRequest, address: RecordAddress): RecordRequest {
  const policy = policyOf(as, as.ttl)
  const ops = as.ops
  if (as.delete) {
    if (ops.length > 0) throw parameter(`a delete carries ${ops.length} ops`)
    return { op: OP.REMOVE, id: 0, address, policy, token: undefined }
  }
  if (ops.length === 0) throw parameter('a write carries no ops')
  if (ops.length === 1 && ops[0]!.op === AS_OP.TOUCH) return { op: OP.TOUCH, id: 0, address, policy, token: undefined }
  if (!as.respondAllOps && ops.every((op) => op.op === AS_OP.WRITE)) {
    const bins = new Array<unknown>(ops.length * 2)
    for (let i = 0; i < ops.length; i++) {
      bins[2 * i] = ops[i]!.name
      bins[2 * i + 1] = valueOf(ops[i]!)
    }
    return { op: OP.PUT, id: 0, address, policy, token: undefined, bins }
  }
  return { op: OP.OPERATE, id: 0, address, policy, token: undefined, ops: ops.map((op) => binOpOf(op, as)) }
}

function readOf(as: AsRequest, address: RecordAddress): RecordRequest {
  const percent = as.readTouchTtlPercent
  if (percent !== 0 && percent !== -1) throw unsupported(`read-touch (a read-touch-ttl-percent of ${percent}) is`)
  const policy = policyOf(as, null)
  if (as.headerOnly) return { op: OP.EXISTS, id: 0, address, policy, token: undefined }
  const ops = as.ops
  for (const op of ops) if (op.op !== AS_OP.READ) throw parameter(`op code ${op.op} in a read: a change needs info2 WRITE`)
  if (as.readAll) return { op: OP.GET, id: 0, address, policy, token: undefined, binNames: null }
  if (as.respondAllOps) return { op: OP.OPERATE, id: 0, address, policy, token: undefined, ops: ops.map((op) => binOpOf(op, as)) }
  return { op: OP.GET, id: 0, address, policy, token: undefined, binNames: ops.map((op) => op.name) }
}

function binOpOf(op: AsOp, as: AsRequest): BinOp {
  const code = BIN_OPS.get(op.op)
  if (code === undefined) throw unsupported(`${UNSUPPORTED_OPS[op.op] ?? `op code ${op.op}`} are`)
  if (code === BIN_OP.READ && op.name === '' && as.readAll) throw unsupported('reading all bins among other ops is; read them with a get')
  return { op: code, bin: op.name, value: valueOf(op), initial: undefined }
}

// A value Tally stores; particles it keeps as bytes (GeoJSON, HLL, language blobs, vectors) are refused.
function valueOf(op: AsOp): unknown {
  const value = op.value
  if (value instanceof RawParticle) throw unsupported(`bin '${op.name}': values of particle type ${PARTICLE_NAMES[value.type] ?? value.type} are`)
  return value
}
