// The client a Node app uses: `connect()` and the record API, each call a promise with a typed result.
// Requests are pipelined over a small pool of connections; reads are retried after a timeout or a dropped
// connection, writes only when the policy asks (and then any failure says whether the write is in doubt).
import { TallyError } from '../protocol/errors.js'
import { BIN_OP, FLAGS, OP, type OpCode } from '../protocol/messages.js'
import { CLIENT_STATUS, STATUS } from '../protocol/status.js'
import { Key, type Bins, type RecordMeta, type Value, type WriteMeta } from '../protocol/types.js'
import {
  batchGetCall,
  batchOperateCall,
  binsToList,
  fromWire,
  infoCall,
  readMeta,
  readRecord,
  readRecordWithCounters,
  readValue,
  RecordCall,
  setBinProperty,
  type BatchOperateAnswer,
  type Decoder,
  type RecordWithCounters,
  type TallyRecord,
} from './calls.js'
import type { Call } from './connection.js'
import { encodeOperation, type Numeric, type Operation } from './ops.js'
import { checkMeta, DEFAULT_CLIENT_OPTIONS, parseHosts, resolvePolicy, type ClientOptions, type Policy, type ResolvedPolicy } from './options.js'
import { Pool, type PoolOptions } from './pool.js'
import { Router } from './router.js'
import { CountersSession, type SessionLink, type SessionOptions } from './session.js'

export type { TallyRecord } from './calls.js'

/** The info command that gives a cluster's partition map (PROTOCOL.md §4.9). */
const CLUSTER_MAP = 'cluster-map'
/** How often a client routing by partition reads the map again. */
const MAP_REFRESH_MS = 1000
/** Attempts of a call whose node no longer owns its partition (status 7), each after reading the map again. */
const MAX_REROUTES = 3

/** What `operate` resolves to: the values of its read ops, by bin and in order, and the record's metadata. */
export interface OperateResult extends RecordMeta {
  /** Read values by bin name (a later read of the same bin wins); missing bins are left out. */
  bins: Bins
  /** The value of each read op, in order; null for a missing bin. */
  results: (Value | null)[]
}

/** One record's part of `batchOperate`. */
export interface BatchOperation {
  key: Key
  ops: Operation[]
  meta?: WriteMeta
  /** Per-record conditions: `exists`, `gen`, `key`. Timeouts come from the call's policy. */
  policy?: Policy
}

/** Connects to a Tally server; resolves once a connection is ready. Rejects with CONNECTION (-10) if none is. */
export async function connect(options: ClientOptions): Promise<Client> {
  if (typeof options !== 'object' || options === null) throw param('connect() needs options with hosts')
  const o = { ...DEFAULT_CLIENT_OPTIONS, ...options }
  if (!(Number.isInteger(o.poolSize) && o.poolSize >= 1)) throw param('poolSize must be an integer >= 1')
  const pool = new Pool(parseHosts(o.hosts), { size: o.poolSize, connectTimeoutMs: o.connectTimeoutMs, maxReconnectDelayMs: o.maxReconnectDelayMs })
  const client = new Client(pool, o.policy ?? {}, o.maxPendingRequests)
  try {
    await pool.start()
    if (o.routing && pool.pick()?.hello.cluster !== undefined) await client.startRouting({ size: o.poolSize, connectTimeoutMs: o.connectTimeoutMs, maxReconnectDelayMs: o.maxReconnectDelayMs })
  } catch (err) {
    await client.close()
    throw err
  }
  return client
}

export class Client {
  readonly #pool: Pool
  readonly #defaults: Policy
  readonly #readPolicy: ResolvedPolicy
  readonly #writePolicy: ResolvedPolicy
  readonly #maxPending: number
  #sessionLink: SessionLink | undefined
  #router: Router | undefined
  #closed = false

  /** @internal Use `connect()`. */
  constructor(pool: Pool, defaults: Policy, maxPendingRequests: number) {
    this.#pool = pool
    this.#defaults = { ...defaults }
    this.#readPolicy = resolvePolicy(this.#defaults, defaults, false)
    this.#writePolicy = resolvePolicy(this.#defaults, defaults, true)
    this.#maxPending = maxPendingRequests
  }

  /** @internal Against a cluster node, reads the partition map and routes by it from now on (client/router.ts). */
  async startRouting(options: PoolOptions): Promise<void> {
    const read = async (pool: Pool): Promise<string> => {
      const deadline = performance.now() + this.#readPolicy.totalTimeoutMs
      const connection = await pool.waitForConnection(deadline)
      const values = (await connection.request(infoCall([CLUSTER_MAP]), deadline)) as Record<string, string>
      return values[CLUSTER_MAP] ?? 'ERROR'
    }
    this.#router = await Router.open(this.#pool, options, read, MAP_REFRESH_MS)
  }

  /** The partition map's generation the client routes by; undefined when the server is not a cluster node. */
  get mapGeneration(): number | undefined {
    return this.#router?.generation
  }

  /** Writes bins (merging with existing ones unless the exists policy replaces). `null` deletes a bin. */
  async put(key: Key, bins: Bins, meta?: WriteMeta, policy?: Policy): Promise<RecordMeta> {
    return this.#write(OP.PUT, key, meta, policy, [binsToList(bins, param)], readMeta)
  }

  /** Reads all bins. Rejects with NOT_FOUND (2) if there is no such record. */
  get(key: Key, policy?: Policy): Promise<TallyRecord> {
    return this.#read(OP.GET, key, policy, [null], (r, fields) => readRecord(r, fields, key))
  }

  /** Reads the named bins that exist. Rejects with NOT_FOUND (2) if there is no such record. */
  async select(key: Key, bins: string[], policy?: Policy): Promise<TallyRecord> {
    return this.#read(OP.GET, key, policy, [checkBinNames(bins)], (r, fields) => readRecord(r, fields, key))
  }

  /** True if the record exists. */
  async exists(key: Key, policy?: Policy): Promise<boolean> {
    return (await this.existsWithMetadata(key, policy)) !== null
  }

  /** The record's `{ ttl, gen }`, or null if there is no such record. */
  async existsWithMetadata(key: Key, policy?: Policy): Promise<RecordMeta | null> {
    try {
      return await this.#read(OP.EXISTS, key, policy, [], readMeta)
    } catch (err) {
      if (err instanceof TallyError && err.code === STATUS.NOT_FOUND) return null
      throw err
    }
  }

  /** Deletes the record. Rejects with NOT_FOUND (2) if there is none. `meta.gen` serves the generation policy. */
  async remove(key: Key, meta?: WriteMeta, policy?: Policy): Promise<void> {
    await this.#write(OP.REMOVE, key, meta, policy, [], readMeta)
  }

  /**
   * Renews the record's TTL and bumps its generation. Without `meta.ttl` the TTL becomes the namespace default.
   * Rejects with NOT_FOUND (2) if there is no such record.
   */
  touch(key: Key, meta?: WriteMeta, policy?: Policy): Promise<RecordMeta> {
    return this.#write(OP.TOUCH, key, { ttl: 0, ...meta }, policy, [], readMeta)
  }

  /**
   * Adds `offset` to a numeric bin atomically and resolves to its new value (a bigint beyond 2^53). A missing bin
   * or record starts at `initialValue` if given (the offset is not added), else at `offset`. Overflowing int64
   * rejects with OP_NOT_APPLICABLE (26) and changes nothing.
   */
  increment(key: Key, bin: string, offset: Numeric, initialValue?: Numeric, meta?: WriteMeta, policy?: Policy): Promise<number | bigint> {
    return this.#write(OP.INCREMENT, key, meta, policy, [bin, offset, initialValue ?? null], readValue as Decoder<number | bigint>)
  }

  /** Appends to string (or bytes) bins; missing bins are created. */
  async append(key: Key, bins: Bins, meta?: WriteMeta, policy?: Policy): Promise<RecordMeta> {
    return this.#write(OP.OPERATE, key, meta, policy, [binOps(BIN_OP.APPEND, bins)], readMeta)
  }

  /** Prepends to string (or bytes) bins; missing bins are created. */
  async prepend(key: Key, bins: Bins, meta?: WriteMeta, policy?: Policy): Promise<RecordMeta> {
    return this.#write(OP.OPERATE, key, meta, policy, [binOps(BIN_OP.PREPEND, bins)], readMeta)
  }

  /**
   * Applies `operations` to one record, in order and atomically: if one fails, none is applied. Resolves to the
   * values of the read ops. Build operations with `ops`.
   */
  operate(key: Key, operations: Operation[], meta?: WriteMeta, policy?: Policy): Promise<OperateResult> {
    if (!Array.isArray(operations) || operations.length === 0) return Promise.reject(param('operate needs a non-empty array of ops'))
    const args = [operations.map(encodeOperation)]
    const decode: Decoder<OperateResult> = (r, fields) => {
      const { gen, ttl } = readMeta(r, fields)
      const results = (fields > 4 ? (r.value() as unknown[]).map(fromWire) : []) as (Value | null)[]
      return { gen, ttl, bins: readBins(operations, results), results }
    }
    return operations.some((o) => o.op !== BIN_OP.READ) ? this.#write(OP.OPERATE, key, meta, policy, args, decode) : this.#read(OP.OPERATE, key, policy, args, decode)
  }

  /**
   * Applies ops to many records in one round trip, atomically: either every record's ops are applied, or, if any
   * fails, none is; the error names the failed record (and its `index`). Resolves to each record's read values.
   */
  async batchOperate(operations: BatchOperation[], policy?: Policy): Promise<OperateResult[]> {
    if (!Array.isArray(operations) || operations.length === 0) throw param('batchOperate needs a non-empty array of { key, ops }')
    const resolved = policy === undefined ? this.#writePolicy : resolvePolicy(this.#defaults, policy, true)
    const entries = operations.map(({ key, ops, meta, policy: own }, i) => {
      checkKey(key)
      if (!Array.isArray(ops) || ops.length === 0) throw param(`batchOperate entry ${i} needs a non-empty array of ops`)
      if (meta !== undefined) checkMeta(meta)
      const { sendKey, flags } = own === undefined ? resolved : resolvePolicy(this.#defaults, { ...policy, ...own }, true)
      return { key, ops: ops.map(encodeOperation), ttl: meta?.ttl ?? null, gen: meta?.gen ?? 0, sendKey, flags }
    })
    let answers: BatchOperateAnswer[]
    try {
      answers = (await this.#send(batchOperateCall(entries), resolved)) as BatchOperateAnswer[]
    } catch (err) {
      const index = (err as TallyError).index
      if (!(err instanceof TallyError) || index === undefined) throw err
      const key = operations[index]?.key
      throw new TallyError(err.code, `record ${index} (${key}): ${err.message}`, { gen: err.gen, index, cause: err })
    }
    return answers.map(({ gen, ttl, results }, i) => ({ gen, ttl, results: results as (Value | null)[], bins: readBins(operations[i]!.ops, results as (Value | null)[]) }))
  }

  /**
   * Opens a counters session: `countersFor(key).increment(name)` and `.delete(name)` are queued, and `saveChanges()`
   * applies them in one atomic round trip. See docs/counters.md.
   */
  openSession(options?: SessionOptions): CountersSession {
    // Sessions are often one per request: the usual one, without options, shares a link worked out once.
    if (options === undefined) return new CountersSession((this.#sessionLink ??= this.#linkFor({})))
    return new CountersSession(this.#linkFor(options))
  }

  #linkFor(options: SessionOptions): SessionLink {
    if (typeof options !== 'object' || options === null) throw param('session options must be an object')
    const { requireRecord = false, meta = {}, policy } = options
    if (typeof requireRecord !== 'boolean') throw param('requireRecord must be a boolean')
    checkMeta(meta)
    const write = resolvePolicy(this.#defaults, policy, true)
    const read = resolvePolicy(this.#defaults, policy, false)
    // requireRecord is an exists policy for records with increments: deleting from a missing record stays a no-op.
    const increments = requireRecord ? resolvePolicy(this.#defaults, { ...policy, exists: 'update' }, true).flags : write.flags
    return {
      header: { ttl: meta.ttl ?? null, gen: meta.gen ?? 0, sendKey: write.sendKey },
      flags: { increments: increments | FLAGS.DELETE_MISSING_OK, deletesOnly: write.flags | FLAGS.DELETE_MISSING_OK },
      save: (entries) => this.#send(batchOperateCall(entries), write) as Promise<BatchOperateAnswer[]>,
      read: async (key, names) => {
        try {
          return await (this.#send(new RecordCall(OP.GET, key, null, 0, read, false, [names], readRecordWithCounters(key)), read) as Promise<RecordWithCounters>)
        } catch (err) {
          if (err instanceof TallyError && err.code === STATUS.NOT_FOUND) return null
          throw err
        }
      },
    }
  }

  /** Reads many records in one round trip: one entry per key, null where there is no record. */
  batchGet(keys: Key[], policy?: Policy): Promise<(TallyRecord | null)[]> {
    return this.#batch(keys, null, policy)
  }

  /** Like `batchGet`, reading only the named bins. */
  async batchSelect(keys: Key[], bins: string[], policy?: Policy): Promise<(TallyRecord | null)[]> {
    return this.#batch(keys, checkBinNames(bins), policy)
  }

  /**
   * Asks the server for named facts, as Aerospike's asinfo does: `status`, `build`, `namespaces`, `namespace/<ns>`,
   * `sets/<ns>`, `statistics`, `latencies`, `get-config`. Values are `key=value;...` text; an unknown command's value
   * starts with `ERROR:`.
   */
  async info(...commands: string[]): Promise<Record<string, string>> {
    if (!commands.every((c) => typeof c === 'string' && c.length > 0)) throw param('info commands must be non-empty strings')
    return (await this.#send(infoCall(commands), this.#readPolicy)) as Record<string, string>
  }

  /** Lets requests in flight finish, then closes every connection. Later calls reject with CLIENT_ERROR (-1). */
  async close(): Promise<void> {
    this.#closed = true
    await Promise.all([this.#pool.close(), this.#router?.close()])
  }

  async #batch(keys: Key[], bins: string[] | null, policy: Policy | undefined): Promise<(TallyRecord | null)[]> {
    if (!Array.isArray(keys)) throw param('keys must be an array of Key')
    const resolved = policy === undefined ? this.#readPolicy : resolvePolicy(this.#defaults, policy, false)
    keys.forEach(checkKey)
    const router = this.#router
    if (router === undefined) return (await this.#send(batchGetCall(keys, bins, resolved.sendKey), resolved)) as (TallyRecord | null)[]
    // Against a cluster: one batch per owner, answers put back in the caller's order.
    const groups = new Map<number, number[]>()
    keys.forEach((key, i) => {
      const owner = router.ownerOf(key)
      const group = groups.get(owner)
      if (group === undefined) groups.set(owner, [i])
      else group.push(i)
    })
    const records = new Array<TallyRecord | null>(keys.length)
    await Promise.all(
      [...groups.values()].map(async (indexes) => {
        const part = (await this.#send(batchGetCall(indexes.map((i) => keys[i]!), bins, resolved.sendKey), resolved)) as (TallyRecord | null)[]
        part.forEach((record, j) => (records[indexes[j]!] = record))
      }),
    )
    return records
  }

  #read<T>(op: OpCode, key: Key, policy: Policy | undefined, args: unknown[], decode: Decoder<T>): Promise<T> {
    try {
      checkKey(key)
      const resolved = policy === undefined ? this.#readPolicy : resolvePolicy(this.#defaults, policy, false)
      return this.#send(new RecordCall(op, key, null, 0, resolved, false, args, decode), resolved) as Promise<T>
    } catch (err) {
      return Promise.reject(err)
    }
  }

  #write<T>(op: OpCode, key: Key, meta: WriteMeta | undefined, policy: Policy | undefined, args: unknown[], decode: Decoder<T>): Promise<T> {
    try {
      checkKey(key)
      if (meta !== undefined) checkMeta(meta)
      const resolved = policy === undefined ? this.#writePolicy : resolvePolicy(this.#defaults, policy, true)
      return this.#send(new RecordCall(op, key, meta?.ttl ?? null, meta?.gen ?? 0, resolved, true, args, decode), resolved) as Promise<T>
    } catch (err) {
      return Promise.reject(err)
    }
  }

  #send(call: Call, policy: ResolvedPolicy): Promise<unknown> {
    if (this.#closed) return Promise.reject(new TallyError(CLIENT_STATUS.CLIENT_ERROR, 'the client is closed'))
    if (this.#pool.inFlight + (this.#router?.inFlight ?? 0) >= this.#maxPending)
      return Promise.reject(new TallyError(CLIENT_STATUS.QUEUE_FULL, `more than ${this.#maxPending} requests are waiting for an answer`))
    const now = performance.now()
    const deadline = policy.totalTimeoutMs > 0 ? now + policy.totalTimeoutMs : Infinity
    return this.#attempt(call, policy, now, deadline, 0, false)
  }

  // One attempt; on a timeout or a dropped connection, another while retries and time remain.
  #attempt(call: Call, policy: ResolvedPolicy, now: number, deadline: number, attempt: number, inDoubt: boolean): Promise<unknown> {
    const attemptDeadline = policy.socketTimeoutMs > 0 ? Math.min(deadline, now + policy.socketTimeoutMs) : deadline
    const router = this.#router
    const pool = router === undefined ? this.#pool : router.poolFor(call)
    const connection = pool.pick()
    const answer =
      connection !== undefined
        ? connection.request(call, attemptDeadline)
        : pool.waitForConnection(attemptDeadline).then((c) => c.request(call, attemptDeadline))
    if (router !== undefined) return answer.catch((err: TallyError) => this.#rerouted(err, call, policy, deadline, attempt, inDoubt))
    if (attempt === 0 && policy.maxRetries === 0) return answer
    return answer.catch((err: TallyError) => this.#retried(err, call, policy, deadline, attempt, inDoubt))
  }

  // Against a cluster: an answer that says the map moved on (7: the node does not own the partition; 11: its owner
  // is down) or a lost connection makes the client read the map again; 7 changed nothing, so it is tried again.
  async #rerouted(err: TallyError, call: Call, policy: ResolvedPolicy, deadline: number, attempt: number, inDoubt: boolean): Promise<unknown> {
    if (err.code === STATUS.CLUSTER_CHANGE || err.code === STATUS.UNAVAILABLE || err.code === CLIENT_STATUS.CONNECTION) await this.#router!.refresh()
    if (err.code === STATUS.CLUSTER_CHANGE && attempt < MAX_REROUTES && performance.now() < deadline)
      return this.#attempt(call, policy, performance.now(), deadline, attempt + 1, inDoubt)
    return this.#retried(err, call, policy, deadline, attempt, inDoubt)
  }

  // On a timeout or a dropped connection, another attempt while retries and time remain.
  #retried(err: TallyError, call: Call, policy: ResolvedPolicy, deadline: number, attempt: number, inDoubt: boolean): Promise<unknown> {
    const doubt = inDoubt || err.inDoubt
    const retryable = err.code === STATUS.TIMEOUT || err.code === CLIENT_STATUS.CONNECTION
    const later = performance.now()
    if (retryable && attempt < policy.maxRetries && later < deadline) return this.#attempt(call, policy, later, deadline, attempt + 1, doubt)
    throw doubt && !err.inDoubt ? new TallyError(err.code, err.message, { inDoubt: true, gen: err.gen, index: err.index, cause: err }) : err
  }
}

function param(message: string): TallyError {
  return new TallyError(CLIENT_STATUS.PARAMETER, message)
}

function checkKey(key: Key): void {
  if (!(key instanceof Key)) throw param('key must be a Key: new Key(namespace, set, userKey)')
}

function checkBinNames(bins: string[]): string[] {
  if (!Array.isArray(bins) || !bins.every((b) => typeof b === 'string')) throw param('bin names must be an array of strings')
  return bins
}

/** Read values by bin name: a later read of the same bin wins; missing bins are left out. */
function readBins(operations: Operation[], results: (Value | null)[]): Bins {
  const bins: Bins = {}
  let read = 0
  for (const operation of operations) {
    if (operation.op !== BIN_OP.READ) continue
    const value = results[read++]
    if (value !== null && value !== undefined) setBinProperty(bins, operation.bin, value)
  }
  return bins
}

/** One op per bin, for append and prepend. */
function binOps(code: number, bins: Bins): unknown[] {
  const list = binsToList(bins, param)
  const operations: unknown[] = []
  for (let i = 0; i < list.length; i += 2) operations.push([code, list[i], list[i + 1]])
  return operations
}
