// The numbers of Aerospike's wire (docs/aerospike.md): proto types, AS_MSG header bits, field, op and particle
// types, batch row flags and admin commands. The values are the Aerospike server's and C client's; no other file
// under protocol/aerospike/ spells a wire number.

/** The proto header: version byte, type byte, 48-bit big-endian body length. */
export const PROTO_VERSION = 2
export const PROTO_HEADER_BYTES = 8
/** The largest body the official clients accept (`PROTO_SIZE_MAX`). */
export const PROTO_SIZE_MAX = 128 * 1024 * 1024

/** Proto types. 5 (internal XDR) is not spoken to clients. */
export const PROTO_TYPE = { INFO: 1, ADMIN: 2, MESSAGE: 3, COMPRESSED: 4 } as const
export type ProtoTypeName = keyof typeof PROTO_TYPE
export type ProtoType = (typeof PROTO_TYPE)[ProtoTypeName]

/** A compressed body starts with the uncompressed size of the inner message, header included. */
export const COMPRESSED_SIZE_BYTES = 8

/** The AS_MSG header (22 bytes): sizes and offsets within the body. */
export const MSG_HEADER_BYTES = 22
export const MSG = {
  HEADER_SZ: 0,
  INFO1: 1,
  INFO2: 2,
  INFO3: 3,
  INFO4: 4,
  RESULT_CODE: 5,
  GENERATION: 6,
  RECORD_TTL: 10,
  TRANSACTION_TTL: 14,
  N_FIELDS: 18,
  N_OPS: 20,
} as const

/** info1: read attributes. */
export const INFO1 = {
  READ: 0x01,
  GET_ALL: 0x02,
  SHORT_QUERY: 0x04,
  BATCH: 0x08,
  XDR: 0x10,
  GET_NO_BINS: 0x20,
  READ_MODE_AP_ALL: 0x40,
  COMPRESS_RESPONSE: 0x80,
} as const

/** info2: write attributes. */
export const INFO2 = {
  WRITE: 0x01,
  DELETE: 0x02,
  GENERATION: 0x04,
  GENERATION_GT: 0x08,
  DURABLE_DELETE: 0x10,
  CREATE_ONLY: 0x20,
  RELAX_AP_LONG_QUERY: 0x40,
  RESPOND_ALL_OPS: 0x80,
} as const

/** info3: more attributes; LAST ends a multi-message answer (batch). */
export const INFO3 = {
  LAST: 0x01,
  COMMIT_MASTER: 0x02,
  PARTITION_DONE: 0x04,
  UPDATE_ONLY: 0x08,
  CREATE_OR_REPLACE: 0x10,
  REPLACE_ONLY: 0x20,
  SC_READ_TYPE: 0x40,
  SC_READ_RELAX: 0x80,
} as const

/** info4: multi-record transaction bits; a key-value server ignores them. */
export const INFO4 = { MRT_VERIFY_READ: 0x01, MRT_ROLL_FORWARD: 0x02, MRT_ROLL_BACK: 0x04, MRT_ON_LOCKING_ONLY: 0x10 } as const

/** A field: u32 size (counting the type byte), u8 type, then size - 1 bytes of data. */
export const FIELD_HEADER_BYTES = 5

/** Field types. */
export const FIELD = {
  NAMESPACE: 0,
  SET: 1,
  KEY: 2,
  RECORD_VERSION: 3,
  DIGEST: 4,
  MRT_ID: 5,
  MRT_DEADLINE: 6,
  TRID: 7,
  SOCKET_TIMEOUT: 9,
  RECS_PER_SEC: 10,
  PID_ARRAY: 11,
  DIGEST_ARRAY: 12,
  MAX_RECORDS: 13,
  LUT: 14,
  BVAL_ARRAY: 15,
  INDEX_NAME: 21,
  INDEX_RANGE: 22,
  INDEX_CONTEXT: 23,
  INDEX_EXPRESSION: 24,
  INDEX_TYPE: 26,
  UDF_PACKAGE_NAME: 30,
  UDF_FUNCTION: 31,
  UDF_ARGLIST: 32,
  UDF_OP: 33,
  QUERY_BINLIST: 40,
  BATCH_INDEX: 41,
  BATCH_WITH_SET: 42,
  FILTER: 43,
} as const
export type FieldType = (typeof FIELD)[keyof typeof FIELD]

/** An op: u32 size (counting what follows it), u8 op, u8 particle type, u8 flags, u8 name length, name, value. */
export const OP_HEADER_BYTES = 8

/** Op types. 6 is unused. */
export const OP = {
  READ: 1,
  WRITE: 2,
  CDT_READ: 3,
  CDT_MODIFY: 4,
  INCR: 5,
  EXP_READ: 7,
  EXP_MODIFY: 8,
  APPEND: 9,
  PREPEND: 10,
  TOUCH: 11,
  BIT_READ: 12,
  BIT_MODIFY: 13,
  DELETE: 14,
  HLL_READ: 15,
  HLL_MODIFY: 16,
} as const
export type OpName = keyof typeof OP
export type OpCode = (typeof OP)[OpName]

/** Particle types: the type of a bin value, of a KEY field, and of a typed blob inside list/map msgpack. */
export const PARTICLE = {
  NULL: 0,
  INTEGER: 1,
  FLOAT: 2,
  STRING: 3,
  BLOB: 4,
  JAVA_BLOB: 7,
  CSHARP_BLOB: 8,
  PYTHON_BLOB: 9,
  RUBY_BLOB: 10,
  PHP_BLOB: 11,
  ERLANG_BLOB: 12,
  VECTOR: 16,
  BOOL: 17,
  HLL: 18,
  MAP: 19,
  LIST: 20,
  GEOJSON: 23,
} as const
export type ParticleName = keyof typeof PARTICLE
export type ParticleType = (typeof PARTICLE)[ParticleName]

/** Flags of the batch index field (one byte after the key count). The official clients send 0x0d. */
export const BATCH_FLAGS = { INLINE_IN_MEMORY: 0x01, INLINE_ON_DEVICE: 0x02, RESPOND_ALL_KEYS: 0x04, ALWAYS: 0x08 } as const

/** A batch row's flags byte: REPEAT alone, or a mask of the optional parts that follow (in this order). */
export const BATCH_ROW = { REPEAT: 0x01, INFO: 0x02, GEN: 0x04, TTL: 0x08, INFO4: 0x10 } as const
/** index (u32) + digest (20) + row flags (u8): all a REPEAT row holds. */
export const BATCH_ROW_MIN_BYTES = 25

/** Admin (security) messages: a 16-byte header (scheme, result, command, field count, 12 zero bytes), fields. */
export const ADMIN_HEADER_BYTES = 16
export const ADMIN = { SCHEME: 0, RESULT: 1, COMMAND: 2, N_FIELDS: 3 } as const
/** Admin commands (the C client's as_admin.c): login, sessions, and the user commands Tally serves. */
export const ADMIN_COMMAND = {
  AUTHENTICATE: 0,
  CREATE_USER: 1,
  DROP_USER: 2,
  SET_PASSWORD: 3,
  CHANGE_PASSWORD: 4,
  GRANT_ROLES: 5,
  REVOKE_ROLES: 6,
  QUERY_USERS: 9,
  LOGIN: 20,
} as const
export const ADMIN_FIELD = {
  USER: 0,
  PASSWORD: 1,
  OLD_PASSWORD: 2,
  CREDENTIAL: 3,
  CLEAR_PASSWORD: 4,
  SESSION_TOKEN: 5,
  SESSION_TTL: 6,
  ROLES: 10,
} as const

/** Record TTLs in a write request's record_ttl (uint32): special values. Any other value is seconds. */
export const WIRE_TTL = { NAMESPACE_DEFAULT: 0, NEVER_EXPIRE: 0xffff_ffff, DONT_UPDATE: 0xffff_fffe } as const

/** Void times count seconds from 2010-01-01T00:00:00Z (the "citrusleaf epoch"); 0 means never expires. */
export const CITRUSLEAF_EPOCH_SEC = 1_262_304_000

/** Namespace names hold at most 31 bytes. */
export const MAX_NAMESPACE_BYTES = 31
