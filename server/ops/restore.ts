// RESTORE: write records exactly as they were backed up: generation, expiry, stored key and bins, which PUT cannot
// set. The policy says what happens to a record already there. Each record is written (and logged) or refused on
// its own; the answer says which, record by record. PROTOCOL.md §4.13
import { computeDigest } from '../../protocol/digest.js'
import { TallyError } from '../../protocol/errors.js'
import { RESTORE_OUTCOME, RESTORE_POLICY, type RecordResult, type RestoreItem, type RestoreOutcome, type RestoreRequest } from '../../protocol/messages.js'
import { STATUS } from '../../protocol/status.js'
import { checkBinName } from '../store/bins.js'
import type { RecordState } from '../store/namespace.js'
import type { Store } from '../store/store.js'
import { toStoredValue } from '../store/values.js'
import type { OpContext } from './context.js'

export function restore({ store }: OpContext, request: RestoreRequest): RecordResult {
  const outcomes: (RestoreOutcome | [number, string])[] = []
  for (const item of request.records) {
    try {
      outcomes.push(restoreOne(store, item, request.restorePolicy))
    } catch (err) {
      if (!(err instanceof TallyError)) throw err
      outcomes.push([err.code, err.message])
    }
  }
  return { gen: 0, ttl: 0, payload: outcomes }
}

function restoreOne(store: Store, item: RestoreItem, policy: number): RestoreOutcome {
  const { address, recordGen, voidMs } = item
  const ns = store.namespace(address.ns)
  const set = address.set!
  const userKey = address.userKey ?? undefined
  // A stored key that does not give the digest would be a record no client can address by its key.
  if (userKey !== undefined && !computeDigest(set, userKey).equals(address.digest))
    throw new TallyError(STATUS.PARAMETER, 'RESTORE: the key and set do not give this digest')
  if (voidMs !== 0 && voidMs <= store.clock.nowMs()) return RESTORE_OUTCOME.EXPIRED
  const state: RecordState = { set, userKey, gen: recordGen, voidMs, bins: storedBins(item.bins) }
  const keep = policy === RESTORE_POLICY.REPLACE ? () => false : policy === RESTORE_POLICY.SKIP ? () => true : (existing: RecordState) => existing.gen >= recordGen
  return ns.putRecord(address.digest, state, keep).written ? RESTORE_OUTCOME.WRITTEN : RESTORE_OUTCOME.KEPT
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
