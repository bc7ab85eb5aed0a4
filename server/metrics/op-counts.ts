// Scans, truncates and restores by namespace and status: requests that take no part in the per-batch tally
// (batch-tally.ts) or its latencies, counted one each as they are answered. /metrics shows them beside the others.
import { OP, type RestoreRequest, type ScanRequest, type TruncateRequest } from '../../protocol/messages.js'

/** The requests counted here, under their op names in tally_namespace_ops_total. */
export type CountedRequest = ScanRequest | TruncateRequest | RestoreRequest
export const COUNTED_OPS = ['scan', 'truncate', 'restore'] as const
export type CountedOp = (typeof COUNTED_OPS)[number]

const NAME_OF_OP: Record<CountedRequest['op'], CountedOp> = { [OP.SCAN]: 'scan', [OP.TRUNCATE]: 'truncate', [OP.RESTORE]: 'restore' }

/** One namespace's requests of one op with one status. */
export interface OpCount {
  ns: string
  op: CountedOp
  status: number
  count: number
}

export class OpCounts {
  readonly #namespaces: ReadonlySet<string>
  readonly #counts = new Map<string, OpCount>() // by namespace, op and status, NUL between them

  constructor(namespaces: readonly string[]) {
    this.#namespaces = new Set(namespaces)
  }

  /**
   * Counts a request answered with `status`, under its namespace (a restore's: that of its first record). A scan's
   * grant of more frames is part of the scan, not counted; nor is a request for a namespace that does not exist.
   */
  count(request: CountedRequest, status: number): void {
    const ns = request.op === OP.SCAN ? request.spec?.ns : request.op === OP.TRUNCATE ? request.ns : request.records[0]?.address.ns
    if (ns !== undefined) this.add(ns, NAME_OF_OP[request.op], status)
  }

  /** Counts one request of `op` in namespace `ns` answered with `status` (one made by info command, say). */
  add(ns: string, op: CountedOp, status: number): void {
    if (!this.#namespaces.has(ns)) return
    const key = `${ns}\0${op}\0${status}`
    const counted = this.#counts.get(key)
    if (counted === undefined) this.#counts.set(key, { ns, op, status, count: 1 })
    else counted.count++
  }

  /** Every count so far. */
  counts(): OpCount[] {
    return [...this.#counts.values()]
  }
}
