// The store: namespaces by name, the clock they share, the ordered stream of mutations (for a log), and the
// background sweep that reclaims expired records. It knows nothing about sockets or encodings.
import { describeValue, TallyError } from '../../protocol/errors.js'
import { STATUS } from '../../protocol/status.js'
import { BatchClock, systemClock, type Clock } from './clock.js'
import { Namespace, type Mutation, type NamespaceConfig, type Plan, type TokenedAnswer } from './namespace.js'

/** Options of a store. */
export interface StoreOptions {
  /** Namespaces to create; default: one namespace `test`. */
  namespaces?: Partial<NamespaceConfig>[]
  /** Time source; inject a `ManualClock` to test expiry without sleeping. */
  clock?: Clock
  /** Expiry entries looked at per sweep step; steps run back to back until none are due, yielding between steps. */
  sweepBatchRecords?: number
}

/** Settings a namespace gets unless told otherwise. */
export const DEFAULT_NAMESPACE: NamespaceConfig = {
  name: 'test',
  defaultTtlSec: 0,
  maxRecordBytes: 1024 * 1024,
  storage: 'memory',
  commitToDevice: true,
  flushMs: 1000,
  nsupPeriodMs: 1000,
  dataSizeBytes: 0,
  stopWritesUsedPct: 90,
  evictUsedPct: 0,
}

/** Record ids a truncation looks at (and removes the doomed of) between two turns of the event loop. */
const TRUNCATE_STEP_IDS = 2048

export const DEFAULT_STORE_OPTIONS = {
  sweepBatchRecords: 10_000,
} as const

export class Store {
  /** The store's time: hold it still around a batch of requests (`clock.hold()`, `clock.release()`). */
  readonly clock: BatchClock
  readonly #namespaces = new Map<string, Namespace>()
  readonly #listeners = new Set<(mutation: Mutation) => void>()
  readonly #sweepBatch: number
  #sweepTimer: NodeJS.Timeout | undefined
  #sweeping = false
  #truncating = false
  readonly #lastSweep = new Map<Namespace, number>()

  constructor(options: StoreOptions = {}) {
    this.clock = new BatchClock(options.clock ?? systemClock)
    this.#sweepBatch = options.sweepBatchRecords ?? DEFAULT_STORE_OPTIONS.sweepBatchRecords
    for (const config of options.namespaces ?? [{}]) {
      const full = { ...DEFAULT_NAMESPACE, ...config }
      if (this.#namespaces.has(full.name)) throw new Error(`namespace '${full.name}' is defined twice`)
      this.#namespaces.set(full.name, new Namespace(full, this.clock))
    }
    // One timer at the shortest nsup period; each namespace is swept when its own period has passed.
    const periods = this.namespaces.map((ns) => ns.config.nsupPeriodMs).filter((ms) => ms > 0)
    if (periods.length > 0) {
      this.#sweepTimer = setInterval(() => this.#backgroundSweep(), Math.min(...periods))
      this.#sweepTimer.unref()
    }
  }

  /** The namespace called `name`; throws status 20 if there is none. */
  namespace(name: string): Namespace {
    const ns = this.#namespaces.get(name)
    if (ns === undefined) throw new TallyError(STATUS.NAMESPACE, `namespace ${describeValue(name)} does not exist`)
    return ns
  }

  /** The namespace called `name`, or undefined. */
  findNamespace(name: string): Namespace | undefined {
    return this.#namespaces.get(name)
  }

  /** All namespaces. */
  get namespaces(): Namespace[] {
    return [...this.#namespaces.values()]
  }

  /**
   * Calls `listener` with every mutation, synchronously and in the order applied; returns a function that stops it.
   * A listener must not change the store.
   */
  onMutation(listener: (mutation: Mutation) => void): () => void {
    this.#listeners.add(listener)
    this.#wireListeners()
    return () => {
      this.#listeners.delete(listener)
      this.#wireListeners()
    }
  }

  /**
   * Makes prepared changes to several records together: reported to the listeners as one batch mutation (with the
   * request's write token and its answer, when it has one), then applied. Preparing is where anything can fail; by
   * now nothing can.
   */
  commitBatch(plans: [Namespace, Plan][], by?: TokenedAnswer): void {
    if (plans.length === 0) return
    if (this.#listeners.size > 0) {
      const batch: Mutation = { type: 'batch', mutations: plans.map(([ns, plan]) => ns.mutationOf(plan)), by }
      for (const listener of this.#listeners) listener(batch)
    }
    for (const [ns, plan] of plans) ns.apply(plan)
  }

  /**
   * Deletes every expired record now, then evicts down to each namespace's threshold, in one go; returns how many
   * records expired. (The background sweep does the same in steps.)
   */
  sweepExpired(): number {
    let removed = 0
    for (const ns of this.#namespaces.values()) {
      for (let step = ns.sweep(this.#sweepBatch); ; step = ns.sweep(this.#sweepBatch)) {
        removed += step.removed
        if (!step.more) break
      }
      while (ns.evict(this.#sweepBatch));
    }
    return removed
  }

  /**
   * Removes every record of `set` in namespace `ns` (`set` null: every record of the namespace). The change is
   * reported to the listeners (logged) first, and the records are hidden from every read, write and scan at once;
   * they are then removed in steps, with a yield to the event loop between them. Throws status 20 for an unknown
   * namespace, or the namespace's write block (stop-writes for storage, not for memory: a truncate frees memory).
   */
  truncate(ns: string, set: string | null): void {
    this.namespace(ns).truncate(set)
    this.#removeTruncated()
  }

  /** Removes the records of a truncation at once, without reporting it: for replaying the log. */
  truncateNow(ns: Namespace, set: string | null): void {
    ns.truncate(set)
    while (ns.truncateStep(Number.MAX_SAFE_INTEGER));
  }

  /** Stops background work. */
  close(): void {
    clearInterval(this.#sweepTimer)
    this.#sweepTimer = undefined
  }

  #wireListeners(): void {
    const listeners = [...this.#listeners]
    const emit =
      listeners.length === 0 ? undefined : listeners.length === 1 ? listeners[0] : (m: Mutation) => listeners.forEach((l) => l(m))
    for (const ns of this.#namespaces.values()) ns.onMutation = emit
  }

  // Truncated records are removed in steps of TRUNCATE_STEP_IDS ids, yielding between steps: a step of 2048 ids
  // takes well under a millisecond (bench/truncate.ts), so requests wait no longer behind one.
  #removeTruncated(): void {
    if (this.#truncating) return
    this.#truncating = true
    const step = (): void => {
      let more = false
      for (const ns of this.#namespaces.values()) more = ns.truncateStep(TRUNCATE_STEP_IDS) || more
      if (more) setImmediate(step)
      else this.#truncating = false
    }
    setImmediate(step)
  }

  // Per due namespace: expired records go, then, above the eviction threshold, the records closest to expiry.
  // Work is done in steps with a yield to the event loop between them, so requests are served while a million
  // records expire.
  #backgroundSweep(): void {
    if (this.#sweeping) return
    this.#sweeping = true
    const now = this.clock.nowMs()
    const due = this.namespaces.filter((ns) => ns.config.nsupPeriodMs > 0 && now >= (this.#lastSweep.get(ns) ?? 0) + ns.config.nsupPeriodMs)
    for (const ns of due) this.#lastSweep.set(ns, now)
    const step = (): void => {
      let more = false
      for (const ns of due) more = ns.sweep(this.#sweepBatch).more || ns.evict(this.#sweepBatch) || more
      if (more && this.#sweepTimer !== undefined) setImmediate(step)
      else this.#sweeping = false
    }
    step()
  }
}
