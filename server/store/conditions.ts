// The conditions a request puts on a record, checked before anything changes (PROTOCOL.md §6): generation,
// stored key and set, TTL range; and how a request's TTL becomes an expiry time.
import { describeValue, TallyError } from '../../protocol/errors.js'
import type { RecordAddress, RecordPolicy } from '../../protocol/messages.js'
import { STATUS } from '../../protocol/status.js'
import { GEN_POLICY, MAX_TTL_SEC, type UserKey } from '../../protocol/types.js'

/** Status 3 unless the generation policy holds for a record at generation `current` (0: no record). */
export function checkGeneration(current: number, policy: RecordPolicy): void {
  if (policy.genPolicy === GEN_POLICY.ignore) return
  const ok = policy.genPolicy === GEN_POLICY.eq ? policy.gen === current : policy.gen > current
  if (!ok) {
    const rule = policy.genPolicy === GEN_POLICY.eq ? 'equal to' : 'greater than'
    throw new TallyError(STATUS.GENERATION, `generation ${current} is not what the policy expects (${rule} ${policy.gen})`, { gen: current })
  }
}

/** Status 19 if the request's key differs from the stored one; status 4 if its set differs from the record's. */
export function checkIdentity(storedKey: UserKey | undefined, storedSet: string, address: RecordAddress): void {
  if (address.userKey !== null && storedKey !== undefined && !sameUserKey(storedKey, address.userKey))
    throw new TallyError(STATUS.KEY_MISMATCH, 'the key sent differs from the key stored with this digest')
  if (address.set !== null && storedSet !== address.set)
    throw new TallyError(STATUS.PARAMETER, `the record belongs to set '${storedSet}', not ${describeValue(address.set)}`)
}

/** Status 4 for a TTL outside -2 .. 10 years. */
export function checkTtl(ttl: number | null): void {
  if (ttl !== null && (ttl < -2 || ttl > MAX_TTL_SEC)) throw new TallyError(STATUS.PARAMETER, `ttl ${ttl} is out of range (-2 to ${MAX_TTL_SEC} seconds)`)
}

/**
 * The expiry (ms since the epoch; 0 = never) a write with `ttl` gives a record: null and -2 keep the current
 * expiry (a new record gets the default), 0 the namespace default, -1 never, n seconds from now.
 */
export function expiryOf(ttl: number | null, existed: boolean, oldVoidMs: number, nowMs: number, defaultTtlSec: number): number {
  if ((ttl === null || ttl === -2) && existed) return oldVoidMs
  const seconds = ttl === null || ttl === -2 || ttl === 0 ? defaultTtlSec : ttl
  return seconds <= 0 ? 0 : nowMs + seconds * 1000
}

function sameUserKey(a: UserKey, b: UserKey): boolean {
  if (a instanceof Uint8Array || b instanceof Uint8Array)
    return a instanceof Uint8Array && b instanceof Uint8Array && Buffer.compare(a, b) === 0
  if (typeof a === 'string' || typeof b === 'string') return a === b
  return BigInt(a) === BigInt(b)
}
