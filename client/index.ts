// The public API of the Tally client library.
export { connect, Client, type TallyRecord, type OperateResult, type BatchOperation } from './client.js'
export { ops, type Operation, type Numeric } from './ops.js'
export { CountersSession, SessionCounters, type SessionOptions, type SavedCounters, type CounterValue } from './session.js'
export { DEFAULT_CLIENT_OPTIONS, DEFAULT_POLICY, type ClientOptions, type ClientTlsOptions, type HostAddress, type Policy } from './options.js'
export { Users } from './users.js'
export { TallyError } from '../protocol/errors.js'
export { STATUS, CLIENT_STATUS, statusName } from '../protocol/status.js'
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
