// Counters as RavenDB presents them: named counters attached to a record (its integer bins), changed in a session
// and saved together. Increments and deletes are queued per record and sent by `saveChanges()` as one
// BATCH_OPERATE, which the server applies to every record or to none.
import type { BatchOperateEntry } from '../protocol/batch-request.js'
import { TallyError } from '../protocol/errors.js'
import { BIN_OP } from '../protocol/messages.js'
import { CLIENT_STATUS } from '../protocol/status.js'
import { Key, type WriteMeta } from '../protocol/types.js'
import type { Policy } from './options.js'
import { setBinProperty, type BatchOperateAnswer, type RecordWithCounters, type TallyRecord } from './calls.js'

/** A counter's value: an int64, a bigint beyond 2^53. */
export type CounterValue = number | bigint

/** Options of `client.openSession()`. */
export interface SessionOptions {
  /** Fail `saveChanges()` with NOT_FOUND (2) when a record to increment does not exist, instead of creating it. */
  requireRecord?: boolean
  /** `ttl` for every record the session changes; without it, existing records keep theirs. */
  meta?: WriteMeta
  /** Timeouts, retries, key and commit policies of the session's requests. */
  policy?: Policy
}

/** What `saveChanges()` resolves to for each record it changed: the new value of every changed counter. */
export interface SavedCounters {
  key: Key
  /** New values by counter name; null for a deleted counter. */
  counters: Record<string, CounterValue | null>
}

/** @internal How a session reaches the server; the client builds it. */
export interface SessionLink {
  /** The header fields of every record the session changes, but its flags. */
  header: Omit<BatchOperateEntry, 'key' | 'ops' | 'flags'>
  /** The flags of a record that has increments (`requireRecord` applies to it), and of one with only deletes. */
  flags: { increments: number; deletesOnly: number }
  /** Sends one BATCH_OPERATE. */
  save(entries: BatchOperateEntry[]): Promise<BatchOperateAnswer[]>
  /** Reads a record (all bins, or the named ones); null when there is none. */
  read(key: Key, names: string[] | null): Promise<RecordWithCounters | null>
}

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

/**
 * A counter's queued change: deltas to add in order (one, unless adding them up would overflow int64; bigints only
 * beyond 2^53), or delete.
 */
type Change = (number | bigint)[] | 'delete'

/** What a session holds for one record: its queued changes and the counter values it has received. */
class RecordState {
  changes = new Map<string, Change>()
  readonly known = new Map<string, CounterValue | null>()
  /** True once `known` holds every counter of the record (it was read whole, or found missing). */
  knowsAll = false
  counters: SessionCounters | undefined

  constructor(readonly key: Key) {}

  /** Takes what the server said about the record: every counter of it, or none when it is missing. */
  learnAll(found: RecordWithCounters | null): void {
    this.known.clear()
    if (found !== null) for (const [name, value] of found.counters) this.known.set(name, value)
    this.knowsAll = true
  }
}

export class CountersSession {
  readonly #link: SessionLink
  readonly #records = new Map<string, RecordState>()
  /**
   * The last request sent. Each waits for the one before it, so answers are learned in the order the server made
   * them, and a slow old answer never overwrites a newer value.
   */
  #last: Promise<unknown> = Promise.resolve()
  readonly #read = (key: Key, names: string[] | null): Promise<RecordWithCounters | null> => this.#inTurn(() => this.#link.read(key, names))

  /** @internal Use `client.openSession()`. */
  constructor(link: SessionLink) {
    this.#link = link
  }

  /** The counters of a record, by key or by a record read with `client.get` or `session.load`. Sends nothing. */
  countersFor(target: Key | { key: Key }): SessionCounters {
    const key = target instanceof Key ? target : (target as { key?: unknown } | null)?.key
    if (!(key instanceof Key)) throw param('countersFor needs a Key, or a record with a key')
    const state = this.#state(key)
    return (state.counters ??= new SessionCounters(state, this.#read))
  }

  /** Reads a record and keeps its counters' values for `get` and `getAll`; null when there is no record. */
  async load(key: Key): Promise<TallyRecord | null> {
    if (!(key instanceof Key)) throw param('load needs a Key')
    const found = await this.#read(key, null)
    this.#state(key).learnAll(found)
    return found === null ? null : found.record
  }

  /**
   * Applies every queued change in one round trip, atomically: all of them, or none if any fails (the error names
   * the record, and the counter where there is one). Resolves to the new values, one entry per changed record.
   * The queue is emptied either way; with nothing queued, nothing is sent.
   */
  async saveChanges(): Promise<SavedCounters[]> {
    const batch: { state: RecordState; changes: Map<string, Change> }[] = []
    for (const state of this.#records.values()) {
      if (state.changes.size === 0) continue
      batch.push({ state, changes: state.changes })
      state.changes = new Map()
    }
    if (batch.length === 0) return []
    const { header, flags } = this.#link
    const entries = batch.map(({ state, changes }) => {
      return { key: state.key, ops: opsOf(changes), ...header, flags: hasIncrements(changes) ? flags.increments : flags.deletesOnly }
    })
    let answers: BatchOperateAnswer[]
    try {
      answers = await this.#inTurn(() => this.#link.save(entries))
    } catch (err) {
      const index = (err as TallyError).index
      if (!(err instanceof TallyError) || index === undefined) throw err
      throw new TallyError(err.code, `saveChanges: record ${batch[index]!.state.key}: ${err.message}`, { gen: err.gen, index, cause: err })
    }
    return batch.map(({ state, changes }, i) => ({ key: state.key, counters: learnSaved(state, changes, answers[i]!) }))
  }

  #inTurn<T>(request: () => Promise<T>): Promise<T> {
    const turn = this.#last.then(request, request)
    this.#last = turn.catch(() => undefined)
    return turn
  }

  #state(key: Key): RecordState {
    const id = `${key.ns}\u0000${key.digest.toString('latin1')}`
    let state = this.#records.get(id)
    if (state === undefined) this.#records.set(id, (state = new RecordState(key)))
    return state
  }
}

/** The counters of one record in a session. */
export class SessionCounters {
  readonly #state: RecordState
  readonly #read: (key: Key, names: string[] | null) => Promise<RecordWithCounters | null>

  /** @internal Use `session.countersFor()`. */
  constructor(state: RecordState, read: (key: Key, names: string[] | null) => Promise<RecordWithCounters | null>) {
    this.#state = state
    this.#read = read
  }

  /** Queues adding `delta` (an integer, negative to decrease) to a counter; a missing counter starts at `delta`. */
  increment(name: string, delta: number | bigint = 1): void {
    checkName(name)
    const amount = checkDelta(delta)
    const change = this.#state.changes.get(name)
    if (change === 'delete') throw param(`counter '${name}' of record ${this.#state.key} is deleted in this session; save before incrementing it`)
    if (change === undefined) this.#state.changes.set(name, [amount])
    else {
      const last = change.length - 1
      const sum = add(change[last]!, amount)
      if (sum === undefined) change.push(amount)
      else change[last] = sum
    }
  }

  /** Queues deleting a counter. Deleting a missing counter is not an error. */
  delete(name: string): void {
    checkName(name)
    const change = this.#state.changes.get(name)
    if (change !== undefined && change !== 'delete')
      throw param(`counter '${name}' of record ${this.#state.key} is incremented in this session; save before deleting it`)
    this.#state.changes.set(name, 'delete')
  }

  /**
   * A counter's value as saved on the server, or as this session last received it; null when the counter or the
   * record is missing. Changes not yet saved are not counted.
   */
  async get(name: string): Promise<CounterValue | null> {
    checkName(name)
    const state = this.#state
    const known = state.known.get(name)
    if (known !== undefined) return known
    if (state.knowsAll) return null
    const found = await this.#read(state.key, [name])
    if (found === null) {
      state.learnAll(null)
      return null
    }
    const value = found.counters.get(name) ?? null
    state.known.set(name, value)
    return value
  }

  /** Every counter of the record by name (an empty object when there is no record); read once, then remembered. */
  async getAll(): Promise<Record<string, CounterValue>> {
    const state = this.#state
    if (!state.knowsAll) state.learnAll(await this.#read(state.key, null))
    const all: Record<string, CounterValue> = {}
    for (const [name, value] of state.known) if (value !== null) setBinProperty(all, name, value)
    return all
  }
}

/** A record's ops: each counter's increments followed by a read of its new value, or a delete of its bin. */
function opsOf(changes: Map<string, Change>): unknown[][] {
  const ops: unknown[][] = []
  for (const [name, change] of changes) {
    if (change === 'delete') {
      ops.push([BIN_OP.WRITE, name, null])
      continue
    }
    for (const delta of change) ops.push([BIN_OP.INCR, name, delta])
    ops.push([BIN_OP.READ, name])
  }
  return ops
}

function hasIncrements(changes: Map<string, Change>): boolean {
  for (const change of changes.values()) if (change !== 'delete') return true
  return false
}

/** Remembers and returns the new values a save answered for one record. */
function learnSaved(state: RecordState, changes: Map<string, Change>, answer: BatchOperateAnswer): Record<string, CounterValue | null> {
  // Generation 0: the record is gone (its last bins were deleted) or was never there.
  if (answer.gen === 0) state.learnAll(null)
  const counters: Record<string, CounterValue | null> = {}
  let read = 0
  for (const [name, change] of changes) {
    const value = change === 'delete' ? null : ((answer.results[read++] as CounterValue | null) ?? null)
    state.known.set(name, value)
    setBinProperty(counters, name, value)
  }
  return counters
}

/** `a + b`, a number while it is exact; undefined when it leaves int64. */
function add(a: number | bigint, b: number | bigint): number | bigint | undefined {
  if (typeof a === 'number' && typeof b === 'number' && Number.isSafeInteger(a + b)) return a + b
  const sum = BigInt(a) + BigInt(b)
  if (sum < INT64_MIN || sum > INT64_MAX) return undefined
  return sum >= Number.MIN_SAFE_INTEGER && sum <= Number.MAX_SAFE_INTEGER ? Number(sum) : sum
}

function checkDelta(delta: unknown): number | bigint {
  if (typeof delta === 'number' && Number.isSafeInteger(delta)) return delta
  if (typeof delta === 'bigint' && delta >= INT64_MIN && delta <= INT64_MAX) return delta
  throw param(`a counter's delta must be an integer (a bigint beyond 2^53), not ${typeof delta === 'bigint' ? `${delta}n` : String(delta)}`)
}

function checkName(name: unknown): void {
  if (typeof name !== 'string') throw param('a counter name must be a string')
}

function param(message: string): TallyError {
  return new TallyError(CLIENT_STATUS.PARAMETER, message)
}
