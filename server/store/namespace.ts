// One namespace: its records, the digest index over them, and expiry. Every single-record operation is a
// transaction: `begin` finds the record and checks the request's conditions in Aerospike's order, the op works on
// the transaction's copy, and `commit` applies the result in one step and reports it to the mutation listener.
import { DIGEST_BYTES, PARTITIONS, partitionOf } from '../../protocol/digest.js'
import { TallyError } from '../../protocol/errors.js'
import type { RecordAddress, RecordPolicy, RecordResult, WriteToken } from '../../protocol/messages.js'
import { STATUS } from '../../protocol/status.js'
import { EXISTS, type UserKey } from '../../protocol/types.js'
import { binsBytes, type BinList } from './bins.js'
import type { Clock } from './clock.js'
import { checkGeneration, checkIdentity, checkTtl, expiryOf } from './conditions.js'
import { NamespaceRequestStats } from './request-stats.js'
import { DigestIndex } from './digest-index.js'
import { ExpiryIndex } from './expiry-index.js'
import { RecordTable } from './record-table.js'
import { RecordTxn } from './record-txn.js'
import { BinNames } from './bin-names.js'
import { SetNames } from './sets.js'
import { Truncation } from './truncation.js'
import { keyBytes } from './values.js'

/** Settings of one namespace. */
export interface NamespaceConfig {
  name: string
  /** TTL for records written with ttl 0 (and new records that give none), in seconds; 0 = never expire. */
  defaultTtlSec: number
  /** Largest record, in bytes of memory its bins and key take (values.ts); larger writes fail with status 13. */
  maxRecordBytes: number
  /** `disk`: every change is logged and survives a restart; `memory`: nothing is written anywhere. */
  storage: 'memory' | 'disk'
  /** Disk only. True: a write is answered once its log entry is fsynced (shared with concurrent writes). */
  commitToDevice: boolean
  /** Disk only, without commitToDevice: a write is answered once written, and fsynced at most this many ms later. */
  flushMs: number
  /** How often expired records are swept away (Aerospike's nsup-period), in ms; 0: never (they stay invisible). */
  nsupPeriodMs: number
  /** Memory budget for the namespace's records, in bytes; 0: none. `used` counts bins and keys plus a fixed cost per record. */
  dataSizeBytes: number
  /** With a budget: above this share of it, writes fail with status 8 (reads and removes go on). */
  stopWritesUsedPct: number
  /** With a budget: above this share of it, the records closest to expiry are evicted (never ones without a TTL); 0: off. */
  evictUsedPct: number
}

/** A record's whole state, as logged and restored. `bins` is never changed in place. */
export interface RecordState {
  set: string
  userKey: UserKey | undefined
  gen: number
  /** Expiry in ms since the Unix epoch; 0 = never. */
  voidMs: number
  bins: BinList
}

/**
 * The write token of the request a change was made for (PROTOCOL.md §3.1), and the answer the request gets: a log
 * keeps both with the change, so that a retry after a restart gets that answer.
 */
export interface TokenedAnswer {
  token: WriteToken
  answer: RecordResult | RecordResult[]
}

/** A record written: its whole state after the write, and before it (null: there was no record). */
export type WriteMutation = { type: 'write'; ns: string; digest: Uint8Array; state: RecordState; previous: RecordState | null; by?: TokenedAnswer }
/** A record deleted, and its state before. */
export type DeleteMutation = { type: 'delete'; ns: string; digest: Uint8Array; reason: DeleteReason; previous: RecordState; by?: TokenedAnswer }

/** Every record of a set (or of the namespace: `set` null) removed; it cannot be undone. */
export type TruncateMutation = { type: 'truncate'; ns: string; set: string | null }

/**
 * A change to the store, reported before it is made and in the order changes are made, with the record's state
 * before it so that it can be undone. A batch is several records changed together, all or none. `digest` is only
 * lent for the duration of the call: a listener that keeps it must copy it.
 */
export type Mutation = WriteMutation | DeleteMutation | TruncateMutation | { type: 'batch'; mutations: (WriteMutation | DeleteMutation)[]; by?: TokenedAnswer }

/** Why a record went: removed by a request, expired, evicted to keep the namespace under its memory budget, or truncated. */
export type DeleteReason = 'remove' | 'expire' | 'evict' | 'truncate'

/** What a transaction is for; `begin` checks the conditions that apply. */
export const TXN = {
  /** Only reads: the record must exist. */
  READ: 0,
  /** Changes the record: exists and generation policies apply, a missing record may be created. */
  WRITE: 1,
  /** Has ops that modify bins in place, which the replace exists policies do not allow (status 4). */
  NO_REPLACE: 2,
  /** The record must exist even for a write (touch, remove). */
  MUST_EXIST: 4,
  /** Removes the record: allowed when the namespace is over its stop-writes threshold. */
  REMOVE: 8,
} as const

/**
 * What a record takes beyond its bins and key, for the memory budget: its 48-byte slot, its place in its chunk's
 * list of bins (8) and its digest index entry (8 bytes a slot, tables kept at most 3/4 full).
 */
export const RECORD_OVERHEAD_BYTES = 72

/** Remaining TTL in whole seconds, rounded up and at least 1; -1 for a record that never expires. */
export function ttlSeconds(voidMs: number, nowMs: number): number {
  return voidMs === 0 ? -1 : Math.max(1, Math.ceil((voidMs - nowMs) / 1000))
}

/**
 * A transaction's changes, checked and worked out but not yet made: `prepare` can fail, `apply` cannot. Batches
 * prepare every record before applying any.
 */
export interface Plan {
  txn: RecordTxn
  /** The record goes (its last bin was deleted). */
  deletes: boolean
  gen: number
  voidMs: number
  oldVoidMs: number
  setId: number
  userKey: UserKey | undefined
}

export class Namespace {
  readonly config: NamespaceConfig
  readonly #clock: Clock
  /** Receives every change, in order, when set (the store sets it while anyone listens). */
  onMutation: ((mutation: Mutation) => void) | undefined = undefined
  /** Request outcomes, counted by the server. */
  readonly requestStats = new NamespaceRequestStats()
  /** When set, every write fails with this error (stop-writes): storage failed, or memory is full. Reads go on. */
  writeBlock: TallyError | undefined = undefined
  readonly #records = new RecordTable()
  readonly #index = new DigestIndex(this.#records)
  readonly #expiry = new ExpiryIndex()
  readonly #sets = new SetNames()
  readonly #binNames = new BinNames()
  /** Truncations whose records are hidden but not all removed yet; undefined when there are none. */
  #truncations: Truncation[] | undefined = undefined
  #truncatedObjects = 0
  #expiredObjects = 0
  #evictedObjects = 0
  #usedBytes = 0

  constructor(config: NamespaceConfig, clock: Clock) {
    this.config = config
    this.#clock = clock
  }

  get name(): string {
    return this.config.name
  }

  /** Live records (expired ones not yet swept included until they are noticed). */
  get objects(): number {
    return this.#records.size
  }

  /** Records removed because their TTL ran out. */
  get expiredObjects(): number {
    return this.#expiredObjects
  }

  /** Records removed by truncations. */
  get truncatedObjects(): number {
    return this.#truncatedObjects
  }

  /** True while a truncation's records are still being removed (they are hidden already). */
  get truncating(): boolean {
    return this.#truncations !== undefined
  }

  /** Records evicted to stay under the memory budget. */
  get evictedObjects(): number {
    return this.#evictedObjects
  }

  /** Memory the records use, for the budget: their bins and keys, and a fixed cost per record. */
  get usedBytes(): number {
    return this.#usedBytes
  }

  /** Share of `dataSizeBytes` in use, in percent; 0 without a budget. */
  get usedPct(): number {
    const budget = this.config.dataSizeBytes
    return budget > 0 ? (this.#usedBytes * 100) / budget : 0
  }

  /** True while writes are refused for being over the stop-writes threshold. */
  get stopWrites(): boolean {
    const budget = this.config.dataSizeBytes
    return budget > 0 && this.#usedBytes * 100 > budget * this.config.stopWritesUsedPct
  }

  /** Entries waiting in the expiry index (an upper bound on records with a TTL). */
  get expiryEntries(): number {
    return this.#expiry.entries
  }

  /** Sets that hold records (the empty name: records without a set), with their record counts. */
  sets(): { name: string; objects: number }[] {
    return this.#sets.list()
  }

  /** Names of the bins records of this namespace have held (Aerospike's `bins` info), in order of first use. */
  binNames(): readonly string[] {
    return this.#binNames.list()
  }

  /** Starts a transaction on one record, checking the request's conditions. Throws the failing condition's status. */
  begin(address: RecordAddress, policy: RecordPolicy, mode: number): RecordTxn {
    const now = this.#clock.nowMs()
    const records = this.#records
    let id = this.#index.find(address.digest)
    if (id >= 0) {
      const voidMs = records.voidMs(id)
      if (voidMs !== 0 && voidMs <= now) {
        this.#delete(id, address.digest, 'expire')
        id = -1
      }
    }
    if (id >= 0 && this.#truncations !== undefined && this.#doomed(id)) {
      this.#remove(id, 'truncate')
      id = -1
    }
    const write = (mode & TXN.WRITE) !== 0
    if (write && this.writeBlock !== undefined) throw this.writeBlock
    if (write && (mode & TXN.REMOVE) === 0 && this.stopWrites)
      throw new TallyError(STATUS.OUT_OF_SPACE, `namespace '${this.name}' is over its stop-writes threshold (${this.usedPct.toFixed(1)}% of data-size used); reads and removes still work`)
    const exists = policy.exists
    const replaces = exists === EXISTS.replace || exists === EXISTS.createOrReplace
    if (write && replaces && (mode & TXN.NO_REPLACE) !== 0)
      throw new TallyError(STATUS.PARAMETER, 'the replace exists policies only apply to writes of whole bins')
    if (id < 0) {
      if (!write || (mode & TXN.MUST_EXIST) !== 0 || exists === EXISTS.update || exists === EXISTS.replace)
        throw new TallyError(STATUS.NOT_FOUND, 'record not found')
    } else if (write && exists === EXISTS.create) {
      throw new TallyError(STATUS.RECORD_EXISTS, 'record already exists')
    }
    if (write) checkGeneration(id < 0 ? 0 : records.gen(id), policy)
    if (id >= 0) checkIdentity(records.userKey(id), this.#sets.name(records.setId(id)), address)
    if (write) checkTtl(policy.ttl)
    const txn =
      id < 0
        ? new RecordTxn(-1, address, policy, now, undefined, 0, true)
        : new RecordTxn(id, address, policy, now, records.bins(id), records.bytes(id), records.ownsBins(id))
    if (write && replaces) txn.dropAllBins()
    return txn
  }

  /**
   * Applies a transaction's changes and sets its `gen` and `ttl` to the record's new ones (0 and 0 when the record
   * was deleted). A transaction that changed nothing gets the current metadata. Returns the transaction. `token`: the
   * request's write token, reported with the change and its answer (the transaction).
   */
  commit(txn: RecordTxn, token?: WriteToken): RecordTxn {
    const plan = this.prepare(txn)
    if (plan === undefined) return txn.id < 0 ? txn : this.readMeta(txn)
    // The change is reported (logged) before it is made: a listener that throws leaves the record untouched. With
    // no listener (records in memory only) nothing is worked out for it.
    const listener = this.onMutation
    if (listener !== undefined) {
      const mutation = this.mutationOf(plan)
      if (token !== undefined) mutation.by = { token, answer: txn }
      listener(mutation)
    }
    this.apply(plan)
    return txn
  }

  /**
   * Checks a transaction's result and works out the record's new metadata, which become the transaction's `gen` and
   * `ttl` (its answer, known before the change is reported); undefined if it changed nothing.
   */
  prepare(txn: RecordTxn): Plan | undefined {
    if (!txn.changed) return undefined
    const records = this.#records
    const id = txn.id
    const existed = id >= 0
    if (txn.bins.length === 0) {
      if (!existed) throw new TallyError(STATUS.NOT_FOUND, 'record not found')
      txn.gen = txn.ttl = 0
      return { txn, deletes: true, gen: 0, voidMs: 0, oldVoidMs: 0, setId: 0, userKey: undefined }
    }
    const { address, policy, nowMs } = txn
    const userKey = (existed ? records.userKey(id) : undefined) ?? address.userKey ?? undefined
    const bytes = txn.bytes + keyBytes(userKey)
    if (bytes > this.config.maxRecordBytes)
      throw new TallyError(STATUS.RECORD_TOO_BIG, `record of ${bytes} bytes in memory exceeds the limit of ${this.config.maxRecordBytes} bytes`)
    const oldVoidMs = existed ? records.voidMs(id) : 0
    const oldGen = existed ? records.gen(id) : 0
    const plan = {
      txn,
      deletes: false,
      gen: !existed || oldGen >= 0xffff ? 1 : oldGen + 1,
      voidMs: expiryOf(policy.ttl, existed, oldVoidMs, nowMs, this.config.defaultTtlSec),
      oldVoidMs,
      // A new set name stays registered even if the change then fails, like a set whose records were all removed.
      setId: existed ? records.setId(id) : this.#sets.id(address.set ?? '', this.name),
      userKey,
    }
    txn.gen = plan.gen
    txn.ttl = ttlSeconds(plan.voidMs, nowMs)
    return plan
  }

  /** The mutation a plan makes, for the listeners. */
  mutationOf(plan: Plan): WriteMutation | DeleteMutation {
    const { txn } = plan
    const digest = txn.address.digest
    if (plan.deletes) return { type: 'delete', ns: this.name, digest, reason: 'remove', previous: this.#stateOf(txn.id) }
    const state = { set: this.#sets.name(plan.setId), userKey: plan.userKey, gen: plan.gen, voidMs: plan.voidMs, bins: txn.bins }
    return { type: 'write', ns: this.name, digest, state, previous: txn.id >= 0 ? this.#stateOf(txn.id) : null }
  }

  /** Makes a prepared change. */
  apply(plan: Plan): void {
    const { txn } = plan
    const records = this.#records
    let id = txn.id
    if (plan.deletes) {
      this.#remove(id, 'remove')
      return
    }
    if (id < 0) {
      id = records.allocate()
      this.#truncations?.forEach((t) => t.born(id))
      records.setDigest(id, txn.address.digest)
      records.setSetId(id, plan.setId)
      this.#index.insert(id)
      this.#usedBytes += RECORD_OVERHEAD_BYTES + txn.bytes + keyBytes(plan.userKey)
      this.#sets.count(plan.setId, 1)
    } else {
      this.#usedBytes += RECORD_OVERHEAD_BYTES + txn.bytes + keyBytes(plan.userKey) - this.#footprint(id)
    }
    if (plan.userKey !== records.userKey(id)) records.setUserKey(id, plan.userKey)
    records.write(id, plan.gen, plan.voidMs, txn.bins, txn.bytes)
    if (txn.addedBin) this.#binNames.note(txn.bins)
    // An earlier expiry than before needs an index entry; a later one is found through the old entry (see sweep).
    if (plan.voidMs !== 0 && (plan.oldVoidMs === 0 || plan.voidMs < plan.oldVoidMs)) this.#expiry.add(id, plan.voidMs)
  }

  /** Sets a transaction's `gen` and `ttl` from its (existing) record, as they stand; returns the transaction. */
  readMeta(txn: RecordTxn): RecordTxn {
    txn.gen = this.#records.gen(txn.id)
    txn.ttl = ttlSeconds(this.#records.voidMs(txn.id), txn.nowMs)
    return txn
  }

  /**
   * Looks at up to `limit` expiry entries that are due and deletes the records whose TTL has run out. Returns how
   * many were deleted and whether more entries may be due. Cost follows the expiring records, not the store size.
   */
  sweep(limit: number): { removed: number; more: boolean } {
    const now = this.#clock.nowMs()
    const records = this.#records
    const due = this.#expiry.takeDue(now, limit)
    let removed = 0
    for (const id of due) {
      if (!records.isLive(id)) continue
      const voidMs = records.voidMs(id)
      if (voidMs === 0) continue
      if (voidMs > now) {
        this.#expiry.add(id, voidMs) // its expiry moved later since this entry was made: its entry moves too
        continue
      }
      this.#delete(id, records.digest(id), 'expire')
      removed++
    }
    return { removed, more: due.length === limit }
  }

  /**
   * Above the eviction threshold, evicts up to about `limit` of the records closest to expiry (never records without
   * a TTL). Returns true if it should be called again: still above the threshold, with candidates left.
   */
  evict(limit: number): boolean {
    const { dataSizeBytes, evictUsedPct } = this.config
    if (dataSizeBytes <= 0 || evictUsedPct <= 0) return false
    const target = (dataSizeBytes * evictUsedPct) / 100
    const records = this.#records
    let looked = 0
    while (this.#usedBytes > target && looked < limit) {
      const bucket = this.#expiry.popEarliest()
      if (bucket === undefined) return false
      for (let i = 0; i < bucket.ids.length; i++) {
        const id = bucket.ids[i]!
        looked++
        if (this.#usedBytes <= target) {
          // Enough is free: the rest keep their place in the index.
          for (const rest of bucket.ids.slice(i)) if (records.isLive(rest) && records.voidMs(rest) !== 0) this.#expiry.add(rest, records.voidMs(rest))
          return false
        }
        if (!records.isLive(id) || records.voidMs(id) === 0) continue
        // An entry made before the record's expiry moved later stands for it at its new place, not here.
        if (Math.ceil(records.voidMs(id) / 1000) !== bucket.second) {
          this.#expiry.add(id, records.voidMs(id))
          continue
        }
        this.#delete(id, records.digest(id), 'evict')
      }
    }
    return this.#usedBytes > target && this.#expiry.entries > 0
  }

  /** Makes room for about `records` records, so that loading them (a snapshot) grows nothing on the way. */
  reserve(records: number): void {
    this.#index.reserve(records)
  }

  /**
   * Writes a record exactly as given (generation, expiry, stored key), as a restore does, unless `keep` says to
   * keep the live record already there. Reported like any write. Returns the record's state as it now stands.
   * Throws the write block, stop-writes (8) or record too big (13), having changed nothing.
   */
  putRecord(digest: Uint8Array, state: RecordState, keep: (existing: RecordState) => boolean): { written: boolean; state: RecordState } {
    if (this.writeBlock !== undefined) throw this.writeBlock
    if (this.stopWrites) throw new TallyError(STATUS.OUT_OF_SPACE, `namespace '${this.name}' is over its stop-writes threshold (${this.usedPct.toFixed(1)}% of data-size used)`)
    const bytes = binsBytes(state.bins) + keyBytes(state.userKey)
    if (bytes > this.config.maxRecordBytes)
      throw new TallyError(STATUS.RECORD_TOO_BIG, `record of ${bytes} bytes in memory exceeds the limit of ${this.config.maxRecordBytes} bytes`)
    let id = this.#index.find(digest)
    if (id >= 0) {
      const voidMs = this.#records.voidMs(id)
      if (voidMs !== 0 && voidMs <= this.#clock.nowMs()) this.#delete(id, digest, 'expire')
      else if (this.#truncations !== undefined && this.#doomed(id)) this.#remove(id, 'truncate')
      else {
        const existing = this.#stateOf(id)
        if (keep(existing)) return { written: false, state: existing }
      }
      id = this.#index.find(digest)
    }
    this.#sets.id(state.set, this.name) // past the set limit this throws, before anything is reported
    this.onMutation?.({ type: 'write', ns: this.name, digest, state, previous: id >= 0 ? this.#stateOf(id) : null })
    this.restore(digest, state)
    return { written: true, state }
  }

  /** The state of the record with this digest now, or null if there is none (expired ones included). */
  current(digest: Uint8Array): RecordState | null {
    const id = this.#index.find(digest)
    return id < 0 || (this.#truncations !== undefined && this.#doomed(id)) ? null : this.#stateOf(id)
  }

  /**
   * Puts a record back in exactly `state`, or removes it (null), without checks and without reporting a mutation:
   * for loading a snapshot or log, and for undoing a change that could not be made durable.
   */
  restore(digest: Uint8Array, state: RecordState | null): void {
    const records = this.#records
    if (state === null) {
      const id = this.#index.find(digest)
      if (id >= 0) this.#remove(id, 'remove')
      return
    }
    let id = this.#index.findOrAdd(digest)
    if (id >= 0) {
      this.#usedBytes -= this.#footprint(id)
      this.#sets.count(records.setId(id), -1)
    } else id = -1 - id
    this.#truncations?.forEach((t) => t.born(id))
    const bytes = binsBytes(state.bins)
    const setId = this.#sets.id(state.set, this.name)
    this.#usedBytes += RECORD_OVERHEAD_BYTES + bytes + keyBytes(state.userKey)
    this.#sets.count(setId, 1)
    records.setSetId(id, setId)
    records.setUserKey(id, state.userKey)
    records.write(id, state.gen, state.voidMs, state.bins, bytes)
    this.#binNames.note(state.bins)
    if (state.voidMs !== 0) this.#expiry.add(id, state.voidMs)
  }

  /** Records in each of the 4096 partitions (expired ones not yet swept included), by partition id. */
  partitionCounts(): Uint32Array {
    const counts = new Uint32Array(PARTITIONS)
    for (let p = 0; p < PARTITIONS; p++) counts[p] = this.#index.count(p)
    return counts
  }

  /** The ids of the records of `partition` now, to be read with `visitIds` (the partition may change meanwhile). */
  partitionIds(partition: number): Int32Array {
    return this.#index.partitionIds(partition)
  }

  /**
   * Calls `visit` with the records of `ids[from, from + count)` that are still in `partition`, live, unexpired, not
   * truncated and, unless `set` is null, in that set, until `visit` returns false. Returns the index to continue from. A record
   * removed since the ids were taken is skipped; its id may hold a record written since, seen if in the partition.
   */
  visitIds(ids: Int32Array, from: number, count: number, partition: number, set: string | null, visit: (digest: Uint8Array, state: RecordState) => boolean): number {
    const records = this.#records
    const now = this.#clock.nowMs()
    const setId = set === null ? -1 : this.#sets.find(set)
    const end = Math.min(from + count, ids.length)
    if (set !== null && setId < 0) return end
    const hiding = this.#truncations !== undefined
    for (let i = from; i < end; i++) {
      const id = ids[i]!
      if (!records.isLive(id) || (setId >= 0 && records.setId(id) !== setId) || (hiding && this.#doomed(id))) continue
      if (partitionOf(records.digestBytes(id), records.digestOffset(id)) !== partition) continue
      const voidMs = records.voidMs(id)
      if (voidMs !== 0 && voidMs <= now) continue
      const offset = records.digestOffset(id)
      // A view of the stored digest, not a copy: a scan visits every record, and copies would be 20 bytes each of
      // memory outside the heap, which brings on full collections.
      if (!visit(records.digestBytes(id).subarray(offset, offset + DIGEST_BYTES), this.#stateOf(id))) return i + 1
    }
    return end
  }

  /**
   * Calls `visit` with each live record whose id is in [from, from + count), and returns the id to continue from,
   * or -1 past the last record. Records may change between calls; each is seen as it stands when visited.
   */
  scan(from: number, count: number, visit: (digest: Buffer, state: RecordState) => void): number {
    const records = this.#records
    const end = Math.min(from + count, records.capacity)
    const hiding = this.#truncations !== undefined
    for (let id = from; id < end; id++) if (records.isLive(id) && !(hiding && this.#doomed(id))) visit(records.digest(id), this.#stateOf(id))
    return end >= records.capacity ? -1 : end
  }

  /**
   * Removes every record of set `set` (null: of the namespace). The change is reported first (a listener that
   * throws leaves everything as it was); the records are hidden at once, and removed by `truncateStep`.
   */
  truncate(set: string | null): void {
    if (this.writeBlock !== undefined) throw this.writeBlock
    this.onMutation?.({ type: 'truncate', ns: this.name, set })
    const setId = set === null ? -1 : this.#sets.find(set)
    if ((set !== null && setId < 0) || this.#records.size === 0) return // no record was ever in that set
    ;(this.#truncations ??= []).push(new Truncation(setId, this.#records.capacity))
  }

  /**
   * Removes the doomed records among the next `limit` record ids; returns true while there is more to do. Only
   * truncated records go, so the work done before a yield is bounded by `limit`.
   */
  truncateStep(limit: number): boolean {
    const truncation = this.#truncations?.[0]
    if (truncation === undefined) return false
    const records = this.#records
    const end = Math.min(truncation.cursor + limit, truncation.end)
    for (let id = truncation.cursor; id < end; id++) if (records.isLive(id) && this.#doomed(id)) this.#remove(id, 'truncate')
    if (truncation.advance(end)) this.#truncations!.shift()
    if (this.#truncations!.length > 0) return true
    this.#truncations = undefined
    return false
  }

  // True if a truncation under way removes live record `id`.
  #doomed(id: number): boolean {
    const setId = this.#records.setId(id)
    for (const t of this.#truncations!) if (t.covers(id, setId)) return true
    return false
  }

  // A deletion the store decides on (expiry, eviction): reported, then made.
  #delete(id: number, digest: Uint8Array, reason: DeleteReason): void {
    this.onMutation?.({ type: 'delete', ns: this.name, digest, reason, previous: this.#stateOf(id) })
    this.#remove(id, reason)
  }

  #remove(id: number, reason: DeleteReason): void {
    const records = this.#records
    this.#usedBytes -= this.#footprint(id)
    this.#sets.count(records.setId(id), -1)
    this.#index.remove(id)
    records.release(id)
    if (reason === 'expire') this.#expiredObjects++
    else if (reason === 'truncate') this.#truncatedObjects++
    else if (reason === 'evict') this.#evictedObjects++
  }

  // What record `id` takes in memory, as counted in usedBytes.
  #footprint(id: number): number {
    return RECORD_OVERHEAD_BYTES + this.#records.bytes(id) + keyBytes(this.#records.userKey(id))
  }

  #stateOf(id: number): RecordState {
    const records = this.#records
    return { set: this.#sets.name(records.setId(id)), userKey: records.userKey(id), gen: records.gen(id), voidMs: records.voidMs(id), bins: records.bins(id)! }
  }
}
