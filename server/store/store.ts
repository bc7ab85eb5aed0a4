// The store: namespaces by name, the clock they share, the ordered stream of mutations (for a log), and the
// background sweep that reclaims expired records. It knows nothing about sockets or encodings.
import { TallyError } from '../../protocol/errors.js'
import { STATUS } from '../../protocol/status.js'
import { BatchClock, systemClock, type Clock } from './clock.js'
import { Namespace, type Mutation, type NamespaceConfig } from './namespace.js'

/** Options of a store. */
export interface StoreOptions {
  /** Namespaces to create; default: one namespace `test`. */
  namespaces?: Partial<NamespaceConfig>[]
  /** Time source; inject a `ManualClock` to test expiry without sleeping. */
  clock?: Clock
  /** Interval of the background expiry sweep (Aerospike's nsup-period), in ms; 0 turns it off. */
  sweepIntervalMs?: number
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
}

export const DEFAULT_STORE_OPTIONS = {
  sweepIntervalMs: 1000,
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

  constructor(options: StoreOptions = {}) {
    this.clock = new BatchClock(options.clock ?? systemClock)
    this.#sweepBatch = options.sweepBatchRecords ?? DEFAULT_STORE_OPTIONS.sweepBatchRecords
    for (const config of options.namespaces ?? [{}]) {
      const full = { ...DEFAULT_NAMESPACE, ...config }
      if (this.#namespaces.has(full.name)) throw new Error(`namespace '${full.name}' is defined twice`)
      this.#namespaces.set(full.name, new Namespace(full, this.clock))
    }
    const interval = options.sweepIntervalMs ?? DEFAULT_STORE_OPTIONS.sweepIntervalMs
    if (interval > 0) {
      this.#sweepTimer = setInterval(() => this.#backgroundSweep(), interval)
      this.#sweepTimer.unref()
    }
  }

  /** The namespace called `name`; throws status 20 if there is none. */
  namespace(name: string): Namespace {
    const ns = this.#namespaces.get(name)
    if (ns === undefined) throw new TallyError(STATUS.NAMESPACE, `namespace '${name}' does not exist`)
    return ns
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

  /** Deletes every expired record now, in one go; returns how many. (The background sweep does this in steps.) */
  sweepExpired(): number {
    let removed = 0
    for (const ns of this.#namespaces.values()) {
      for (let step = ns.sweep(this.#sweepBatch); ; step = ns.sweep(this.#sweepBatch)) {
        removed += step.removed
        if (!step.more) break
      }
    }
    return removed
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

  // One step per namespace, then yield to the event loop before the next, so that requests are served while
  // a million records expire.
  #backgroundSweep(): void {
    if (this.#sweeping) return
    this.#sweeping = true
    const step = (): void => {
      let more = false
      for (const ns of this.#namespaces.values()) more = ns.sweep(this.#sweepBatch).more || more
      if (more && this.#sweepTimer !== undefined) setImmediate(step)
      else this.#sweeping = false
    }
    step()
  }
}
