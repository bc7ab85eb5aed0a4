// Calls that move whole records, for truncate, backup and restore: TRUNCATE, and RESTORE of records with their
// generation, expiry and stored key (PROTOCOL.md §4.12-§4.13).
import { TallyError } from '../protocol/errors.js'
import { RESTORE_POLICY, type RestoreOutcome, type RestorePolicyName } from '../protocol/messages.js'
import { writeTruncateRequest } from '../protocol/request-codec.js'
import { writeRestoreRequest, type RestoreRecord } from '../protocol/restore-request.js'
import { readMeta } from './calls.js'
import type { Call } from './connection.js'

/**
 * A record as stored, for backup and restore: its digest, set (`''`: none), stored key (null: none), generation,
 * expiry (`voidMs`, ms since the epoch on the server's clock, 0 = never) and bins as a flat list of names and values
 * (doubles as `Double`, so that 2.0 stays a double).
 */
export type StoredRecord = RestoreRecord

/** A TRUNCATE of a set (null: the whole namespace). */
export function truncateCall(ns: string, set: string | null): Call {
  return {
    isWrite: true,
    resolve: noop,
    reject: noop,
    deadline: 0,
    encode(w, id): void {
      writeTruncateRequest(w, id, ns, set)
    },
    decode: (r, fields) => void readMeta(r, fields),
  }
}

/** A RESTORE of `records` into `ns`; resolves to what the server did with each, or why it refused it. */
export function restoreCall(ns: string, records: readonly StoredRecord[], policy: RestorePolicyName): Call {
  return {
    isWrite: true,
    resolve: noop,
    reject: noop,
    deadline: 0,
    encode(w, id): void {
      writeRestoreRequest(w, id, ns, records, RESTORE_POLICY[policy.toUpperCase() as Uppercase<RestorePolicyName>])
    },
    decode(r, fields): (RestoreOutcome | TallyError)[] {
      readMeta(r, fields)
      const outcomes = r.value() as (number | [number, string])[]
      return outcomes.map((o, i) => (Array.isArray(o) ? new TallyError(o[0], `record ${i}: ${o[1]}`) : (o as RestoreOutcome)))
    },
  }
}

function noop(): void {}
