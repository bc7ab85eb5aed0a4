// The status table: one number per outcome, shared by the wire, the server and TallyError.
// Positive numbers match Aerospike's result codes (PROTOCOL.md §7), but for Tally's own, numbered from 240 up, where
// Aerospike defines none; negative ones are raised by the client only.

/** Status codes sent by the server. The numbers are Aerospike's. */
export const STATUS = {
  OK: 0,
  SERVER_ERROR: 1,
  NOT_FOUND: 2,
  GENERATION: 3,
  PARAMETER: 4,
  RECORD_EXISTS: 5,
  /** A cluster node was asked for a partition it does not own by another node (their maps differ). */
  CLUSTER_CHANGE: 7,
  OUT_OF_SPACE: 8,
  TIMEOUT: 9,
  /** The partition's owner is down, or there is no partition map yet. */
  UNAVAILABLE: 11,
  INCOMPATIBLE_TYPE: 12,
  RECORD_TOO_BIG: 13,
  KEY_BUSY: 14,
  UNSUPPORTED_FEATURE: 16,
  KEY_MISMATCH: 19,
  NAMESPACE: 20,
  BIN_NAME: 21,
  FORBIDDEN: 22,
  OP_NOT_APPLICABLE: 26,
  /** Security (users and roles) is not enabled on this server: AUTH and user commands are refused. */
  SECURITY_NOT_ENABLED: 52,
  /** A user command the server does not know, or one missing a field. */
  SECURITY_COMMAND: 54,
  /** No such user, or a user name that cannot be one. */
  INVALID_USER: 60,
  /** The user to create exists already. */
  USER_EXISTS: 61,
  /** Wrong user or password at login, or a password that cannot be one. */
  INVALID_PASSWORD: 62,
  /** A session token the server did not issue. */
  INVALID_CREDENTIAL: 65,
  /** A session token past its TTL: log in again. */
  EXPIRED_SESSION: 66,
  /** A role that does not exist, or a scope a role cannot take. */
  INVALID_ROLE: 70,
  /** Security is enabled and this connection has not logged in. */
  NOT_AUTHENTICATED: 80,
  /** The user's roles do not allow this request. */
  ROLE_VIOLATION: 81,
} as const

/** Status codes of Tally's own, from 240 up (Aerospike's result codes stop well below). Only the Tally protocol sends them. */
export const TALLY_STATUS = {
  /**
   * A retried write whose token is older than the server's window (PROTOCOL.md §3.1): it may or may not have been
   * applied, and it was not applied again.
   */
  OUTCOME_UNKNOWN: 240,
} as const

/** Status codes raised by the client library itself; the server never sends them. */
export const CLIENT_STATUS = {
  /** The client is closed, or an internal client failure. */
  CLIENT_ERROR: -1,
  /** A bad argument, caught before anything was sent. */
  PARAMETER: -2,
  /** A host string that cannot be parsed. */
  INVALID_HOST: -4,
  /** Connecting failed, or the connection was lost. */
  CONNECTION: -10,
  /** More requests are waiting than the client allows (`maxPendingRequests`). */
  QUEUE_FULL: -11,
} as const

export type StatusName = keyof typeof STATUS
export type StatusCode = (typeof STATUS)[StatusName]
export type ClientStatusName = keyof typeof CLIENT_STATUS
export type ClientStatusCode = (typeof CLIENT_STATUS)[ClientStatusName]

const NAMES = new Map<number, string>()
for (const [name, code] of Object.entries(STATUS)) NAMES.set(code, name)
for (const [name, code] of Object.entries(TALLY_STATUS)) NAMES.set(code, name)
for (const [name, code] of Object.entries(CLIENT_STATUS)) NAMES.set(code, `CLIENT_${name}`.replace('CLIENT_CLIENT_', 'CLIENT_'))

/** The symbolic name of a status code, e.g. `statusName(2) === 'NOT_FOUND'`; `STATUS_<n>` for unknown codes. */
export function statusName(code: number): string {
  return NAMES.get(code) ?? `STATUS_${code}`
}
