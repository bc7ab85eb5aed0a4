// The client a Node app uses: `connect()` and the record API, each call a promise with a typed result.
// Requests are pipelined over a small pool of connections; reads are retried after a timeout or a dropped
// connection, writes only when the policy asks (and then any failure says whether the write is in doubt).
import { TallyError } from '../protocol/errors.js'
import { BIN_OP, OP, type OpCode } from '../protocol/messages.js'
import { CLIENT_STATUS, STATUS } from '../protocol/status.js'
import { Double, Key, type Bins, type Policy, type RecordMeta, type Value, type WriteMeta } from '../protocol/types.js'
import { encodeOperation, type Numeric, type Operation } from './ops.js'
import { checkMeta, DEFAULT_CLIENT_OPTIONS, parseHosts, resolvePolicy, type ClientOptions, type ResolvedPolicy } from './options.js'
import { Pool } from './pool.js'

/** A record as read: its key, bins, and metadata. */
export interface TallyRecord extends RecordMeta {
  key: Key
  bins: Bins
}

/** What `operate` resolves to: the values of its read ops, by bin and in order, and the record's metadata. */
export interface OperateResult extends RecordMeta {
  /** Read values by bin name (a later read of the same bin wins); missing bins are left out. */
  bins: Bins
  /** The value of each read op, in order; null for a missing bin. */
  results: (Value | null)[]
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
  } catch (err) {
    await pool.close()
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
  #pending = 0
  #closed = false

  /** @internal Use `connect()`. */
  constructor(pool: Pool, defaults: Policy, maxPendingRequests: number) {
    this.#pool = pool
    this.#defaults = { ...defaults }
    this.#readPolicy = resolvePolicy(this.#defaults, defaults, false)
    this.#writePolicy = resolvePolicy(this.#defaults, defaults, true)
    this.#maxPending = maxPendingRequests
  }

  /** Writes bins (merging with existing ones unless the exists policy replaces). `null` deletes a bin. */
  async put(key: Key, bins: Bins, meta?: WriteMeta, policy?: Policy): Promise<RecordMeta> {
    return toMeta(await this.#write(OP.PUT, key, meta, policy, [binsToList(bins)]))
  }

  /** Reads all bins. Rejects with NOT_FOUND (2) if there is no such record. */
  async get(key: Key, policy?: Policy): Promise<TallyRecord> {
    return toRecord(key, await this.#read(OP.GET, key, policy, [null]))
  }

  /** Reads the named bins that exist. Rejects with NOT_FOUND (2) if there is no such record. */
  async select(key: Key, bins: string[], policy?: Policy): Promise<TallyRecord> {
    return toRecord(key, await this.#read(OP.GET, key, policy, [checkBinNames(bins)]))
  }

  /** True if the record exists. */
  async exists(key: Key, policy?: Policy): Promise<boolean> {
    return (await this.existsWithMetadata(key, policy)) !== null
  }

  /** The record's `{ ttl, gen }`, or null if there is no such record. */
  async existsWithMetadata(key: Key, policy?: Policy): Promise<RecordMeta | null> {
    try {
      return toMeta(await this.#read(OP.EXISTS, key, policy, []))
    } catch (err) {
      if (err instanceof TallyError && err.code === STATUS.NOT_FOUND) return null
      throw err
    }
  }

  /** Deletes the record. Rejects with NOT_FOUND (2) if there is none. `meta.gen` serves the generation policy. */
  async remove(key: Key, meta?: WriteMeta, policy?: Policy): Promise<void> {
    await this.#write(OP.REMOVE, key, meta, policy, [])
  }

  /**
   * Renews the record's TTL and bumps its generation. Without `meta.ttl` the TTL becomes the namespace default.
   * Rejects with NOT_FOUND (2) if there is no such record.
   */
  async touch(key: Key, meta?: WriteMeta, policy?: Policy): Promise<RecordMeta> {
    return toMeta(await this.#write(OP.TOUCH, key, { ttl: 0, ...meta }, policy, []))
  }

  /**
   * Adds `offset` to a numeric bin atomically and resolves to its new value (a bigint beyond 2^53). A missing bin
   * or record starts at `initialValue` if given (the offset is not added), else at `offset`. Overflowing int64
   * rejects with OP_NOT_APPLICABLE (26) and changes nothing.
   */
  async increment(key: Key, bin: string, offset: Numeric, initialValue?: Numeric, meta?: WriteMeta, policy?: Policy): Promise<number | bigint> {
    const response = await this.#write(OP.INCREMENT, key, meta, policy, [bin, offset, initialValue ?? null])
    return fromWire(response[4]) as number | bigint
  }

  /** Appends to string (or bytes) bins; missing bins are created. */
  async append(key: Key, bins: Bins, meta?: WriteMeta, policy?: Policy): Promise<RecordMeta> {
    return this.#appendOrPrepend(BIN_OP.APPEND, key, bins, meta, policy)
  }

  /** Prepends to string (or bytes) bins; missing bins are created. */
  async prepend(key: Key, bins: Bins, meta?: WriteMeta, policy?: Policy): Promise<RecordMeta> {
    return this.#appendOrPrepend(BIN_OP.PREPEND, key, bins, meta, policy)
  }

  /**
   * Applies `operations` to one record, in order and atomically: if one fails, none is applied. Resolves to the
   * values of the read ops. Build operations with `ops`.
   */
  async operate(key: Key, operations: Operation[], meta?: WriteMeta, policy?: Policy): Promise<OperateResult> {
    if (!Array.isArray(operations) || operations.length === 0) throw param('operate needs a non-empty array of ops')
    const writes = operations.some((o) => o.op !== BIN_OP.READ)
    const args = [operations.map(encodeOperation)]
    const response = writes ? await this.#write(OP.OPERATE, key, meta, policy, args) : await this.#read(OP.OPERATE, key, policy, args)
    const results = (response[4] as unknown[]).map(fromWire) as (Value | null)[]
    const bins: Bins = {}
    let read = 0
    for (const operation of operations) {
      if (operation.op !== BIN_OP.READ) continue
      const value = results[read++]
      if (value !== null && value !== undefined) setBinProperty(bins, operation.bin, value)
    }
    return { ...toMeta(response), bins, results }
  }

  /** Reads many records in one round trip: one entry per key, null where there is no record. */
  async batchGet(keys: Key[], policy?: Policy): Promise<(TallyRecord | null)[]> {
    return this.#batch(keys, null, policy)
  }

  /** Like `batchGet`, reading only the named bins. */
  async batchSelect(keys: Key[], bins: string[], policy?: Policy): Promise<(TallyRecord | null)[]> {
    return this.#batch(keys, checkBinNames(bins), policy)
  }

  /** Lets requests in flight finish, then closes every connection. Later calls reject with CLIENT_ERROR (-1). */
  async close(): Promise<void> {
    this.#closed = true
    await this.#pool.close()
  }

  async #appendOrPrepend(code: number, key: Key, bins: Bins, meta: WriteMeta | undefined, policy: Policy | undefined): Promise<RecordMeta> {
    const list = binsToList(bins)
    const operations: unknown[] = []
    for (let i = 0; i < list.length; i += 2) operations.push([code, list[i], list[i + 1]])
    return toMeta(await this.#write(OP.OPERATE, key, meta, policy, [operations]))
  }

  async #batch(keys: Key[], bins: string[] | null, policy: Policy | undefined): Promise<(TallyRecord | null)[]> {
    if (!Array.isArray(keys)) throw param('keys must be an array of Key')
    const resolved = policy === undefined ? this.#readPolicy : resolvePolicy(this.#defaults, policy, false)
    const addresses = keys.map((key) => {
      checkKey(key)
      return [key.ns, setField(key), key.digest, resolved.sendKey ? key.key : null]
    })
    const response = await this.#send([0, OP.BATCH_GET, addresses, bins], resolved, false)
    return (response[2] as unknown[][]).map((item, i) => {
      const status = item[0] as number
      if (status === STATUS.OK) return toRecord(keys[i]!, [0, 0, item[1], item[2], item[3]])
      if (status === STATUS.NOT_FOUND) return null
      throw new TallyError(status, `batch key ${i} (${keys[i]}): ${String(item[1])}`)
    })
  }

  #read(op: OpCode, key: Key, policy: Policy | undefined, args: unknown[]): Promise<unknown[]> {
    const resolved = policy === undefined ? this.#readPolicy : resolvePolicy(this.#defaults, policy, false)
    return this.#send(recordMessage(op, key, undefined, resolved, args), resolved, false)
  }

  #write(op: OpCode, key: Key, meta: WriteMeta | undefined, policy: Policy | undefined, args: unknown[]): Promise<unknown[]> {
    if (meta !== undefined) checkMeta(meta)
    const resolved = policy === undefined ? this.#writePolicy : resolvePolicy(this.#defaults, policy, true)
    return this.#send(recordMessage(op, key, meta, resolved, args), resolved, true)
  }

  #send(message: unknown[], policy: ResolvedPolicy, isWrite: boolean): Promise<unknown[]> {
    if (this.#closed) return Promise.reject(new TallyError(CLIENT_STATUS.CLIENT_ERROR, 'the client is closed'))
    if (this.#pending >= this.#maxPending)
      return Promise.reject(new TallyError(CLIENT_STATUS.QUEUE_FULL, `more than ${this.#maxPending} requests are waiting for an answer`))
    const deadline = policy.totalTimeoutMs > 0 ? performance.now() + policy.totalTimeoutMs : Infinity
    this.#pending++
    const done = this.#attempt(message, policy, isWrite, deadline, 0, false)
    done.then(this.#settled, this.#settled)
    return done
  }

  readonly #settled = (): void => {
    this.#pending--
  }

  // One attempt; on a timeout or a dropped connection, another while retries and time remain.
  #attempt(message: unknown[], policy: ResolvedPolicy, isWrite: boolean, deadline: number, attempt: number, inDoubt: boolean): Promise<unknown[]> {
    const now = performance.now()
    const attemptDeadline = policy.socketTimeoutMs > 0 ? Math.min(deadline, now + policy.socketTimeoutMs) : deadline
    const connection = this.#pool.pick()
    const answer =
      connection !== undefined
        ? connection.request(message, attemptDeadline - now, isWrite)
        : this.#pool.waitForConnection(attemptDeadline).then((c) => c.request(message, attemptDeadline - performance.now(), isWrite))
    if (attempt === 0 && policy.maxRetries === 0) return answer
    return answer.catch((err: TallyError) => {
      const doubt = inDoubt || err.inDoubt
      const retryable = err.code === STATUS.TIMEOUT || err.code === CLIENT_STATUS.CONNECTION
      if (retryable && attempt < policy.maxRetries && performance.now() < deadline)
        return this.#attempt(message, policy, isWrite, deadline, attempt + 1, doubt)
      throw doubt && !err.inDoubt ? new TallyError(err.code, err.message, { inDoubt: true, gen: err.gen, cause: err }) : err
    })
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

/** The set field of a request: '' for "no set", nil for a digest-only key whose set is unknown. */
function setField(key: Key): string | null {
  return key.set ?? (key.key === null ? null : '')
}

/** `[id, op, ns, set, digest, userKey, ttl, gen, flags, ...args]` (PROTOCOL.md §3); the id is set when sent. */
function recordMessage(op: OpCode, key: Key, meta: WriteMeta | undefined, policy: ResolvedPolicy, args: unknown[]): unknown[] {
  checkKey(key)
  const message: unknown[] = [0, op, key.ns, setField(key), key.digest, policy.sendKey ? key.key : null, meta?.ttl ?? null, meta?.gen ?? 0, policy.flags]
  for (const arg of args) message.push(arg)
  return message
}

function binsToList(bins: Bins): unknown[] {
  if (typeof bins !== 'object' || bins === null || Array.isArray(bins)) throw param('bins must be an object of name: value')
  const list: unknown[] = []
  for (const name of Object.keys(bins)) {
    const value = bins[name]
    if (value === undefined) throw param(`bin '${name}' is undefined (write null to delete a bin)`)
    list.push(name, value)
  }
  return list
}

/** Doubles arrive as `Double` so their type survives; the application gets plain numbers. */
function fromWire(value: unknown): unknown {
  return value instanceof Double ? value.value : value
}

// A bin called __proto__ must become an own property, not the object's prototype.
function setBinProperty(bins: Bins, name: string, value: Value): void {
  if (name === '__proto__') Object.defineProperty(bins, name, { value, enumerable: true, writable: true, configurable: true })
  else bins[name] = value
}

function toMeta(response: unknown[]): RecordMeta {
  return { gen: response[2] as number, ttl: response[3] as number }
}

function toRecord(key: Key, response: unknown[]): TallyRecord {
  const list = response[4] as unknown[]
  const bins: Bins = {}
  for (let i = 0; i < list.length; i += 2) setBinProperty(bins, list[i] as string, fromWire(list[i + 1]) as Value)
  return { key, bins, gen: response[2] as number, ttl: response[3] as number }
}
