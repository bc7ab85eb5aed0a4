// The public API of the Tally client library.
export { connect, Client, type TallyRecord, type OperateResult, type BatchOperation } from './client.js'
export { Scan, DEFAULT_SCAN_OPTIONS, type ScanOptions, type ScanRecord, type PartitionRange } from './scan.js'
export { ops, type Operation, type Numeric } from './ops.js'
export { type StoredRecord } from './records.js'
export { RESTORE_POLICY, RESTORE_OUTCOME, type RestorePolicyName, type RestoreOutcome } from '../protocol/messages.js'
export { CountersSession, SessionCounters, type SessionOptions, type SavedCounters, type CounterValue } from './session.js'
export { DEFAULT_CLIENT_OPTIONS, DEFAULT_POLICY, type ClientOptions, type ClientTlsOptions, type HostAddress, type Policy } from './options.js'
export { Users } from './users.js'
export { TallyError } from '../protocol/errors.js'
export { STATUS, TALLY_STATUS, CLIENT_STATUS, statusName } from '../protocol/status.js'
export {
  Key,
  Double,
  TTL,
  MAX_TTL_SEC,
  type Bins,
  type Value,
  type UserKey,
  type RecordMeta,
  type WriteMeta,
  type ExistsPolicy,
  type GenPolicy,
  type KeyPolicy,
  type CommitLevel,
} from '../protocol/types.js'
