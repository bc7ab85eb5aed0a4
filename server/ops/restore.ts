// RESTORE: write one record exactly as it was backed up: generation, expiry, stored key and bins, which PUT cannot
// set. The policy says what happens to a record already there. Logged like any write. PROTOCOL.md §4.12
import { computeDigest } from '../../protocol/digest.js'
import { TallyError } from '../../protocol/errors.js'
import { RESTORE_OUTCOME, RESTORE_POLICY, type RecordResult, type RestoreRequest } from '../../protocol/messages.js'
import { STATUS } from '../../protocol/status.js'
import { checkBinName } from '../store/bins.js'
import { ttlSeconds, type RecordState } from '../store/namespace.js'
import { toStoredValue } from '../store/values.js'
import type { OpContext } from './context.js'

export function restore({ store }: OpContext, request: RestoreRequest): RecordResult {
  const ns = store.namespace(request.address.ns)
  const { address, recordGen, voidMs, restorePolicy } = request
  if (address.set === null) throw new TallyError(STATUS.PARAMETER, 'RESTORE: the set must be a string ("" for none)')
  const userKey = address.userKey ?? undefined
  // A stored key that does not give the digest would be a record no client can address by its key.
  if (userKey !== undefined && !computeDigest(address.set, userKey).equals(address.digest))
    throw new TallyError(STATUS.PARAMETER, 'RESTORE: the key and set do not give this digest')
  const now = store.clock.nowMs()
  if (voidMs !== 0 && voidMs <= now) return { gen: 0, ttl: 0, payload: RESTORE_OUTCOME.EXPIRED }
  const state: RecordState = { set: address.set, userKey, gen: recordGen, voidMs, bins: storedBins(request.bins) }
  const keep =
    restorePolicy === RESTORE_POLICY.REPLACE ? () => false : restorePolicy === RESTORE_POLICY.SKIP ? () => true : (existing: RecordState) => existing.gen >= recordGen
  const { written, state: after } = ns.putRecord(address.digest, state, keep)
  return { gen: after.gen, ttl: ttlSeconds(after.voidMs, now), payload: written ? RESTORE_OUTCOME.WRITTEN : RESTORE_OUTCOME.KEPT }
}

// Bins as the store keeps them: checked names, each once, values in their stored form.
function storedBins(bins: unknown[]): unknown[] {
  if (bins.length === 0) throw new TallyError(STATUS.PARAMETER, 'RESTORE: a record has at least one bin')
  const names = new Set<string>()
  const stored: unknown[] = []
  for (let i = 0; i < bins.length; i += 2) {
    const name = bins[i] as string
    checkBinName(name)
    if (names.has(name)) throw new TallyError(STATUS.PARAMETER, `RESTORE: bin '${name}' is given twice`)
    names.add(name)
    const value = bins[i + 1]
    if (value === null || value === undefined) throw new TallyError(STATUS.PARAMETER, `RESTORE: bin '${name}' has no value`)
    stored.push(name, toStoredValue(value, name))
  }
  return stored
}
