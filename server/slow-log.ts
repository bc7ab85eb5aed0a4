// The slow log: requests whose latency (from the read of their batch to its answer, as `latencies` counts it) reached
// a threshold are counted, and the last few are kept with their op, namespace, set and digest, for `info slowlog`.

/** Settings of the slow log. */
export interface SlowLogOptions {
  /** A request this slow or slower is logged; 0: none is. */
  thresholdMs: number
  /** Most slow requests kept (the newest). */
  maxEntries: number
}

export const DEFAULT_SLOW_LOG: SlowLogOptions = {
  thresholdMs: 10,
  maxEntries: 128,
}

/** One slow request. */
export interface SlowOp {
  /** When its answer went out, in ms since the epoch. */
  timeMs: number
  /** The request's op, as PROTOCOL.md §4 names it (`increment`, `batch_get`, ...); a batch is shown by its first key. */
  op: string
  ns: string
  /** Null when the request named no set (a digest-only key). */
  set: string | null
  /** The record's digest, in hex. */
  digest: string
  latencyUs: number
}

export class SlowLog {
  /** Requests at least this slow are logged; Infinity when the log is off. */
  readonly thresholdUs: number
  /** How many requests of one batch are worth keeping details of: the log keeps no more; 0 when it is off. */
  readonly keep: number
  /** Slow requests since start. */
  count = 0
  readonly #ring: SlowOp[] = []
  #next = 0

  constructor(options: SlowLogOptions = DEFAULT_SLOW_LOG) {
    const on = options.thresholdMs > 0 && options.maxEntries > 0
    this.thresholdUs = on ? options.thresholdMs * 1000 : Infinity
    this.keep = on ? options.maxEntries : 0
  }

  /** Keeps `op`, dropping the oldest kept if the log is full. */
  add(op: SlowOp): void {
    if (this.#ring.length < this.keep) this.#ring.push(op)
    else this.#ring[this.#next] = op
    this.#next = (this.#next + 1) % this.keep
  }

  /** The slow requests kept, newest first. */
  entries(): SlowOp[] {
    const oldestFirst = [...this.#ring.slice(this.#next), ...this.#ring.slice(0, this.#next)]
    return oldestFirst.reverse()
  }
}
