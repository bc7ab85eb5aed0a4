// Calls that move whole records, for truncate, backup and restore: TRUNCATE, RESTORE (a record with its generation,
// expiry and stored key) (PROTOCOL.md §4.11-§4.12).
import { RESTORE_POLICY, type RestoreOutcome, type RestorePolicyName } from '../protocol/messages.js'
import type { FrameWriter } from '../protocol/msgpack-writer.js'
import { writeRestoreRequest } from '../protocol/record-request.js'
import { writeTruncateRequest } from '../protocol/request-codec.js'
import type { UserKey } from '../protocol/types.js'
import { readMeta } from './calls.js'
import type { Call } from './connection.js'

/**
 * A record as stored, for backup and restore: its digest, set (`''`: none), stored key (null: none), generation,
 * expiry (`voidMs`, ms since the epoch on the server's clock, 0 = never) and bins as a flat list of names and values
 * (doubles as `Double`, so that 2.0 stays a double).
 */
export interface StoredRecord {
  digest: Uint8Array
  set: string
  key: UserKey | null
  gen: number
  voidMs: number
  bins: unknown[]
}

/** A TRUNCATE of a set (null: the whole namespace). */
export function truncateCall(ns: string, set: string | null): Call {
  return {
    isWrite: true,
    resolve: noop,
    reject: noop,
    deadline: 0,
    encode(w: FrameWriter, id: number): void {
      writeTruncateRequest(w, id, ns, set)
    },
    decode: (r, fields) => void readMeta(r, fields),
  }
}

/** A RESTORE of `record` into `ns`; resolves to what the server did with it. */
export function restoreCall(ns: string, record: StoredRecord, policy: RestorePolicyName): Call {
  return {
    isWrite: true,
    resolve: noop,
    reject: noop,
    deadline: 0,
    encode(w: FrameWriter, id: number): void {
      writeRestoreRequest(w, id, ns, record.set, record.digest, record.key, record, RESTORE_POLICY[policy.toUpperCase() as Uppercase<RestorePolicyName>])
    },
    decode(r, fields): RestoreOutcome {
      readMeta(r, fields)
      return Number(r.int()) as RestoreOutcome
    },
  }
}

function noop(): void {}
