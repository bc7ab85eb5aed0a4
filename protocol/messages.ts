// The messages of the protocol (PROTOCOL.md §3-§5): op codes, flag bits, and the typed requests and results that
// the server's operations work with, whatever the encoding. Encoders and decoders live beside this file.
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
  INFO: 9,
  BATCH_OPERATE: 10,
  PEER: 16,
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

/** Most ops in one OPERATE request, or in one record's part of a BATCH_OPERATE (PROTOCOL.md §4.7). */
export const MAX_OPERATE_OPS = 4096

/** Bit layout of a request's `flags` field (PROTOCOL.md §3). */
export const FLAGS = {
  EXISTS_MASK: 0b0000_0111,
  GEN_SHIFT: 3,
  GEN_MASK: 0b0001_1000,
  COMMIT_MASTER: 0b0010_0000,
  /** Deleting a bin that does not exist, or bins of a record that does not exist, changes nothing (no status 2). */
  DELETE_MISSING_OK: 0b0100_0000,
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
  /** Deleting a missing bin, or bins of a missing record, is a no-op (not a change, not status 2). */
  deleteMissingOk: boolean
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
/** One record's part of a BATCH_OPERATE: its address, conditions and ops. */
export interface BatchOperateItem {
  address: RecordAddress
  policy: RecordPolicy
  ops: BinOp[]
}
/** BATCH_OPERATE applies ops to many records atomically: all of them, or (on any failure) none. */
export type BatchOperateRequest = { op: typeof OP.BATCH_OPERATE; id: number; items: BatchOperateItem[] }
/** INFO asks for named server facts, as Aerospike's info protocol does (`status`, `statistics`, ...). */
export type InfoRequest = { op: typeof OP.INFO; id: number; commands: string[] }

/**
 * PEER declares a connection node-to-node (docs/cluster.md): a cluster node forwards requests over it, and the node
 * receiving them serves them itself, never forwarding them again.
 */
export type PeerRequest = { op: typeof OP.PEER; id: number }

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
  | InfoRequest
  | BatchOperateRequest
  | PeerRequest

/** What the server states in its hello frame. */
export interface Hello {
  protocol: number
  server: string
  maxFrameBytes: number
  maxRecordBytes: number
  maxBatchKeys: number
  /** The cluster's name, when the server is a node of one (PROTOCOL.md §4.11); absent otherwise. */
  cluster?: string
}

/** The outcome of a record request, before encoding: metadata plus the op's payload (bins, a value, reads). */
export interface RecordResult {
  gen: number
  ttl: number
  payload?: unknown
}

/** One key's outcome in a batch: found, with metadata and bins, or an error status with a message. */
export type BatchItem = { found: true; gen: number; ttl: number; bins: unknown[] } | { found: false; status: number; message: string }

/** An INFO answer: each command asked, with its value (or `ERROR:<code>:<message>`), in order. */
export type InfoResult = [command: string, value: string][]

/** Packs exists, generation policy and commit level into a request's flags field. */
export function encodeFlags(exists: ExistsCode, genPolicy: GenPolicyCode, commitMaster: boolean): number {
  return exists | (genPolicy << FLAGS.GEN_SHIFT) | (commitMaster ? FLAGS.COMMIT_MASTER : 0)
}
