// The status table: one number per outcome, shared by the wire, the server and TallyError.
// Positive numbers match Aerospike's result codes (PROTOCOL.md §7); negative ones are raised by the client only.

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
for (const [name, code] of Object.entries(CLIENT_STATUS)) NAMES.set(code, `CLIENT_${name}`.replace('CLIENT_CLIENT_', 'CLIENT_'))

/** The symbolic name of a status code, e.g. `statusName(2) === 'NOT_FOUND'`; `STATUS_<n>` for unknown codes. */
export function statusName(code: number): string {
  return NAMES.get(code) ?? `STATUS_${code}`
}
