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
  SCAN: 11,
  TRUNCATE: 12,
  RESTORE: 13,
  /** The client's hello on a server with security: who it is (PROTOCOL.md §4.14). */
  AUTH: 14,
  /** Users and their roles (PROTOCOL.md §4.15). */
  USER_ADMIN: 15,
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

/** What RESTORE does when the record already exists (PROTOCOL.md §4.13). */
export const RESTORE_POLICY = {
  /** Keep the record there. */
  SKIP: 0,
  /** Replace it with the restored one. */
  REPLACE: 1,
  /** Replace it only if the restored one has a higher generation. */
  NEWER: 2,
} as const
/** The policies by the names the client and the CLI use: `skip`, `replace`, `newer`. */
export type RestorePolicyName = Lowercase<keyof typeof RESTORE_POLICY>
export type RestorePolicyCode = (typeof RESTORE_POLICY)[keyof typeof RESTORE_POLICY]

/** What a RESTORE did with one record: an element of its answer's payload (PROTOCOL.md §4.13). */
export const RESTORE_OUTCOME = {
  /** The record there was kept (policy skip, or newer with a generation not lower). */
  KEPT: 0,
  WRITTEN: 1,
  /** Not written: its expiry time has passed. */
  EXPIRED: 2,
} as const
export type RestoreOutcome = (typeof RESTORE_OUTCOME)[keyof typeof RESTORE_OUTCOME]

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

/**
 * A write's token (PROTOCOL.md §3.1): the client's 64-bit id, as two big-endian halves read as signed 32-bit
 * integers (which V8 holds without allocating), and the write's number in
 * that client's sequence; a retry carries the same. `resent`: an earlier attempt may have reached a server.
 * `settledBelow`: every write of the client numbered below it is settled, never sent again (0: not said).
 */
export interface WriteToken {
  clientHi: number
  clientLo: number
  seq: number
  resent: boolean
  settledBelow: number
}

interface RecordRequestBase {
  id: number
  address: RecordAddress
  policy: RecordPolicy
  /** Writes only; undefined when the request carries none. */
  token: WriteToken | undefined
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
export type BatchOperateRequest = { op: typeof OP.BATCH_OPERATE; id: number; items: BatchOperateItem[]; token: WriteToken | undefined }
/** TRUNCATE removes every record of a set, or of the namespace when `set` is null. */
export type TruncateRequest = { op: typeof OP.TRUNCATE; id: number; ns: string; set: string | null }
/** One record of a RESTORE: where it goes, and its generation, expiry (`voidMs`, ms since the epoch, 0 = never) and bins. */
export interface RestoreItem {
  address: RecordAddress
  recordGen: number
  voidMs: number
  bins: unknown[]
}
/**
 * RESTORE writes records exactly as backed up: generation, expiry, stored key (the address's `userKey`) and bins;
 * `restorePolicy` says what happens to a record already there. Each record is written or refused on its own.
 */
export type RestoreRequest = { op: typeof OP.RESTORE; id: number; restorePolicy: RestorePolicyCode; records: RestoreItem[] }
/** INFO asks for named server facts, as Aerospike's info protocol does (`status`, `statistics`, ...). */
export type InfoRequest = { op: typeof OP.INFO; id: number; commands: string[] }

/** What a scan reads, and how fast (PROTOCOL.md §4.11). */
export interface ScanSpec {
  ns: string
  /** null: every record of the namespace; '' the records without a set. */
  set: string | null
  /** null: all bins; [] none (metadata only). */
  binNames: string[] | null
  /** Partition ids in the order to scan them; null: all of them, in order. */
  partitions: number[] | null
  /** Most records sent per second; 0: no limit. */
  recordsPerSecond: number
  /** Frames the server may send ahead of the client's reading (its first credit). */
  framesAhead: number
  /** Most records in one answer frame. */
  recordsPerFrame: number
}

/**
 * SCAN streams a namespace's records in many answer frames. With `spec`, it starts a scan; without, it grants the
 * scan of this id `frames` more frames (0 stops it).
 */
export type ScanRequest = { op: typeof OP.SCAN; id: number; spec: ScanSpec | null; frames: number }

/** AUTH: the user and their credential, bcrypt(password) with Aerospike's fixed salt (PROTOCOL.md §4.14). */
export type AuthRequest = { op: typeof OP.AUTH; id: number; user: string; credential: string }
/** The commands of USER_ADMIN (PROTOCOL.md §4.15). */
export const USER_COMMANDS = ['create', 'drop', 'set-password', 'grant', 'revoke', 'list'] as const
export type UserCommand = (typeof USER_COMMANDS)[number]
/** USER_ADMIN: a command and the fields it takes (null where it takes none). */
export type UserAdminRequest = {
  op: typeof OP.USER_ADMIN
  id: number
  command: UserCommand
  user: string | null
  credential: string | null
  roles: string[] | null
}
/**
 * PEER declares a connection node-to-node (docs/cluster.md): a cluster node forwards requests over it, and the node
 * receiving them serves them itself, never forwarding them again. On a cluster with a peer secret the first PEER
 * names the node and proves it holds the secret (`proof`); with security, a later PEER names the user (and the
 * roles) the requests that follow it act for (PROTOCOL.md §4.16).
 */
export type PeerRequest = { op: typeof OP.PEER; id: number; node: string | null; proof: Uint8Array | null; user: string | null; roles: string[] | null }

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
  | ScanRequest
  | TruncateRequest
  | RestoreRequest
  | AuthRequest
  | UserAdminRequest
  | PeerRequest

/** What the server states in its hello frame. */
export interface Hello {
  protocol: number
  server: string
  maxFrameBytes: number
  maxRecordBytes: number
  maxBatchKeys: number
  /** How long the server remembers answers to write tokens (PROTOCOL.md §3.1); absent or 0: it keeps none. */
  writeWindowMs?: number
  /** The cluster's name, when the server is a node of one (PROTOCOL.md §4.16); absent otherwise. */
  cluster?: string
  /** On a node of a cluster with a peer secret: this connection's challenge, which a PEER's proof covers (§4.16). */
  peerNonce?: Uint8Array
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
