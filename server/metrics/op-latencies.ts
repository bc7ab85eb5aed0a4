// Requests by namespace and op kind (read, write, increment, operate, batch): latencies since start, requests and
// failures by status, and the last ticker interval's latencies for `latencies`. A slot is one namespace's one kind.
// Counted as requests are served (see batch-tally.ts); /metrics and `info` only read.
import { OP } from '../../protocol/messages.js'
import { STATUS } from '../../protocol/status.js'
import { LatencyHistogram } from './latency-histogram.js'

/** The op kinds latencies are kept for, in slot order, under Aerospike's histogram names where it has them. */
export const OP_KINDS = ['read', 'write', 'increment', 'operate', 'batch'] as const
export type OpKind = (typeof OP_KINDS)[number]

// The kind of each request op code (an index into OP_KINDS); -1: not counted (info).
const KIND_OF_OP = new Int8Array(256).fill(-1)
KIND_OF_OP[OP.GET] = KIND_OF_OP[OP.EXISTS] = 0
KIND_OF_OP[OP.PUT] = KIND_OF_OP[OP.REMOVE] = KIND_OF_OP[OP.TOUCH] = 1
KIND_OF_OP[OP.INCREMENT] = 2
KIND_OF_OP[OP.OPERATE] = 3
KIND_OF_OP[OP.BATCH_GET] = KIND_OF_OP[OP.BATCH_OPERATE] = 4

export class OpLatencies {
  readonly namespaces: readonly string[]
  /** Per slot (namespace index * OP_KINDS.length + kind): latencies since start. */
  readonly histograms: LatencyHistogram[]
  /** Per slot: requests served since start, answered or not yet. */
  readonly requests: Float64Array
  /** Per slot: requests that failed, by status. */
  readonly failures: Map<number, number>[]
  /** Per slot: latencies of the last full interval (rolled by the ticker). */
  last: LatencyHistogram[]
  /** Length of the last full interval; 0 before the first ends. */
  lastSeconds = 0
  readonly #index: Map<string, number>
  #marks: LatencyHistogram[]
  #rolledAt = performance.now()
  // Requests come in runs of one namespace: its index is kept for the next.
  #lastName = ''
  #lastIndex = -1

  constructor(namespaces: readonly string[]) {
    this.namespaces = namespaces
    this.#index = new Map(namespaces.map((ns, i) => [ns, i]))
    const slots = namespaces.length * OP_KINDS.length
    this.histograms = Array.from({ length: slots }, () => new LatencyHistogram())
    this.requests = new Float64Array(slots)
    this.failures = Array.from({ length: slots }, () => new Map())
    this.last = Array.from({ length: slots }, () => new LatencyHistogram())
    this.#marks = this.last
  }

  /** The slot of op code `op` in namespace `ns`; -1 if the namespace does not exist or the op is not counted. */
  slotOf(ns: string, op: number): number {
    if (ns !== this.#lastName) {
      this.#lastName = ns
      this.#lastIndex = this.#index.get(ns) ?? -1
    }
    const kind = KIND_OF_OP[op]!
    return this.#lastIndex < 0 || kind < 0 ? -1 : this.#lastIndex * OP_KINDS.length + kind
  }

  /** Counts a request of `slot` with its status. */
  served(slot: number, status: number): void {
    this.requests[slot]!++
    if (status === STATUS.OK) return
    const failures = this.failures[slot]!
    failures.set(status, (failures.get(status) ?? 0) + 1)
  }

  /** The namespace and kind of a slot. */
  describe(slot: number): { ns: string; kind: OpKind } {
    return { ns: this.namespaces[Math.floor(slot / OP_KINDS.length)]!, kind: OP_KINDS[slot % OP_KINDS.length]! }
  }

  /** Ends the current interval: what each slot recorded in it becomes `last`. */
  roll(): void {
    const now = performance.now()
    const marks = this.histograms.map((h) => h.copy())
    this.last = marks.map((mark, slot) => mark.since(this.#marks[slot]!))
    this.#marks = marks
    this.lastSeconds = (now - this.#rolledAt) / 1000
    this.#rolledAt = now
  }
}
