// The client a Node app uses: `connect()` and the record API, each call a promise with a typed result.
// Requests are pipelined over a small pool of connections; reads are retried after a timeout or a dropped
// connection, and so are writes when the server keeps write tokens (each write's token lets it apply the write once,
// PROTOCOL.md §3.1); to a server without, writes only when the policy asks (and a failure says if one is in doubt).
import { TallyError } from '../protocol/errors.js'
import { BIN_OP, FLAGS, OP, RESTORE_POLICY, type OpCode, type RestoreOutcome, type RestorePolicyName } from '../protocol/messages.js'
import { CLIENT_STATUS, STATUS } from '../protocol/status.js'
import { credentialOf, MAX_PASSWORD_BYTES } from '../protocol/credential.js'
import { Key, type Bins, type RecordMeta, type Value, type WriteMeta } from '../protocol/types.js'
import { Attempts } from './attempts.js'
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
import { checkMeta, DEFAULT_CLIENT_OPTIONS, DEFAULT_POLICY, parseHosts, resolvePolicy, type ClientOptions, type Policy, type ResolvedPolicy } from './options.js'
import { Pool, type PoolOptions } from './pool.js'
import { Router } from './router.js'
import { Scan, type ScanOptions } from './scan.js'
import { restoreCall, truncateCall, type StoredRecord } from './records.js'
import { Users } from './users.js'
import { CountersSession, type SessionLink, type SessionOptions } from './session.js'

export type { TallyRecord } from './calls.js'

/** The info command that gives a cluster's partition map (PROTOCOL.md §4.9). */
const CLUSTER_MAP = 'cluster-map'
/** How often a client routing by partition reads the map again. */
const MAP_REFRESH_MS = 1000
/** Attempts of a call whose node no longer owns its partition (status 7), each after reading the map again. */

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
  if (o.tls !== undefined && (typeof o.tls !== 'object' || o.tls === null)) throw param('tls must be an object: { ca, cert, key, servername }')
  const auth = await authOf(o.user, o.password)
  // The pools of a cluster's other nodes connect as the seed's does: with its TLS settings and its login.
  const poolOptions: PoolOptions = { size: o.poolSize, connectTimeoutMs: o.connectTimeoutMs, maxReconnectDelayMs: o.maxReconnectDelayMs, tls: o.tls, auth }
  const pool = new Pool(parseHosts(o.hosts), poolOptions)
  const client = new Client(pool, o.policy ?? {}, o.maxPendingRequests)
  try {
    await pool.start()
    if (o.routing && pool.pick()?.hello.cluster !== undefined) await client.startRouting(poolOptions)
  } catch (err) {
    await client.close()
    throw err
  }
  return client
}

/** Least time a user command is given (client.users). */
const USER_COMMAND_TIMEOUT_MS = 30_000

// The credential is made once per client: bcrypt takes a few hundred ms.
async function authOf(user: unknown, password: unknown): Promise<{ user: string; credential: string } | undefined> {
  if (user === undefined && password === undefined) return undefined
  if (typeof user !== 'string' || user === '') throw param('user must be a non-empty string')
  if (typeof password !== 'string' || password === '' || Buffer.byteLength(password) > MAX_PASSWORD_BYTES)
    throw param(`password must be a non-empty string of at most ${MAX_PASSWORD_BYTES} bytes`)
  return { user, credential: await credentialOf(password) }
}

export class Client {
  readonly #pool: Pool
  readonly #defaults: Policy
  readonly #readPolicy: ResolvedPolicy
  readonly #writePolicy: ResolvedPolicy
  readonly #maxPending: number
  readonly #attempts: Attempts
  #sessionLink: SessionLink | undefined
  #router: Router | undefined
  #closed = false

  /** @internal Use `connect()`. */
  constructor(pool: Pool, defaults: Policy, maxPendingRequests: number) {
    this.#pool = pool
    this.#attempts = new Attempts(pool)
    this.#defaults = { ...defaults }
    this.#readPolicy = resolvePolicy(this.#defaults, defaults, false)
    this.#writePolicy = resolvePolicy(this.#defaults, defaults, true)
    this.#maxPending = maxPendingRequests
    // A user command costs the server a bcrypt hash and an fsync: it gets longer than a record request.
    const adminPolicy = resolvePolicy(this.#defaults, { totalTimeoutMs: Math.max(USER_COMMAND_TIMEOUT_MS, this.#writePolicy.totalTimeoutMs), maxRetries: 0 }, true)
    this.users = new Users((call) => this.#send(call, adminPolicy))
  }

  /** Users and roles of a server with security enabled (docs/security.md). */
  readonly users: Users

  /** @internal Against a cluster node, reads the partition map and routes by it from now on (client/router.ts). */
  async startRouting(options: PoolOptions): Promise<void> {
    const read = async (pool: Pool): Promise<string> => {
      const deadline = performance.now() + this.#readPolicy.totalTimeoutMs
      const connection = await pool.waitForConnection(deadline)
      const values = (await connection.request(infoCall([CLUSTER_MAP]), deadline)) as Record<string, string>
      return values[CLUSTER_MAP] ?? 'ERROR'
    }
    this.#router = await Router.open(this.#pool, options, read, MAP_REFRESH_MS)
    this.#attempts.router = this.#router
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

  /**
   * The records of a namespace, or of one set of it (`set` null or omitted: the whole namespace; '' the records
   * without a set), as an async iterator: `for await (const record of client.scan('test', 'users')) ...`. Records
   * stream partition by partition, with backpressure: the server sends a few frames ahead of what is read. Nothing
   * is sent until the iteration starts. Throws PARAMETER (-2) for bad options; the iteration rejects with the
   * server's status (4 bad input, 20 no such namespace) or a connection error, after which `partitionsLeft` resumes.
   */
  scan(namespace: string, set?: string | null, options: ScanOptions = {}): Scan {
    if (this.#closed) throw new TallyError(CLIENT_STATUS.CLIENT_ERROR, 'the client is closed')
    const pool = this.#pool
    return new Scan(async () => pool.pick() ?? pool.waitForConnection(performance.now() + DEFAULT_POLICY.totalTimeoutMs), namespace, set ?? null, options)
  }

  /**
   * Removes every record of `set` in namespace `ns`, or of the whole namespace when no set is given. Resolves once
   * the truncation is logged (durable as the namespace's commit mode says): from then on no read sees those
   * records, and none comes back after a restart; the server frees them in the background.
   */
  async truncate(ns: string, set?: string, policy?: Policy): Promise<void> {
    if (typeof ns !== 'string' || ns.length === 0) throw param('truncate: namespace must be a non-empty string')
    if (set !== undefined && typeof set !== 'string') throw param('truncate: set must be a string')
    const resolved = policy === undefined ? this.#writePolicy : resolvePolicy(this.#defaults, policy, true)
    await this.#send(truncateCall(ns, set ?? null), resolved)
  }

  /**
   * Writes records exactly as backed up: generation, expiry, stored key and bins. `restorePolicy` says what happens
   * to a record already there: `skip` keeps it, `replace` overwrites it, `newer` overwrites it only if the restored
   * generation is higher. Resolves to one `RESTORE_OUTCOME` per record (kept, written, or expired and not written),
   * or the TallyError that refused it; the others are written all the same. At most `maxBatchKeys` records.
   */
  async restore(ns: string, records: readonly StoredRecord[], restorePolicy: RestorePolicyName = 'newer', policy?: Policy): Promise<(RestoreOutcome | TallyError)[]> {
    if (typeof ns !== 'string' || ns.length === 0) throw param('restore: namespace must be a non-empty string')
    if (!Array.isArray(records) || records.length === 0) throw param('restore: records must be a non-empty array')
    if (typeof restorePolicy !== 'string' || !(restorePolicy.toUpperCase() in RESTORE_POLICY) || restorePolicy !== restorePolicy.toLowerCase())
      throw param('restore: policy must be skip, replace or newer')
    const resolved = policy === undefined ? this.#writePolicy : resolvePolicy(this.#defaults, policy, true)
    const router = this.#router
    if (router === undefined) return (await this.#send(restoreCall(ns, records, restorePolicy), resolved)) as (RestoreOutcome | TallyError)[]
    // Against a cluster: one RESTORE per owner, each sent to it, outcomes put back in the caller's order.
    const keyOf = (record: StoredRecord): Key => new Key(ns, null, null, record.digest)
    const outcomes = new Array<RestoreOutcome | TallyError>(records.length)
    await Promise.all(
      groupByOwner(records.map(keyOf), router).map(async (indexes) => {
        const part = indexes.map((i) => records[i]!)
        const call = { ...restoreCall(ns, part, restorePolicy), routeKey: keyOf(part[0]!) }
        ;((await this.#send(call, resolved)) as (RestoreOutcome | TallyError)[]).forEach((outcome, j) => (outcomes[indexes[j]!] = outcome))
      }),
    )
    return outcomes
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
    const records = new Array<TallyRecord | null>(keys.length)
    await Promise.all(
      groupByOwner(keys, router).map(async (indexes) => {
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
    return this.#attempts.send(call, policy)
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

/** The positions in `keys` of each owner's keys, by the router's map. */
function groupByOwner(keys: readonly Key[], router: Router): number[][] {
  const groups = new Map<number, number[]>()
  keys.forEach((key, i) => {
    const owner = router.ownerOf(key)
    const group = groups.get(owner)
    if (group === undefined) groups.set(owner, [i])
    else group.push(i)
  })
  return [...groups.values()]
}
