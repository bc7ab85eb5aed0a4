// What one batch of requests (those answered by one write) did, until its answers go out: how many requests of each
// namespace and op kind (they share the batch's latency, from its first read to its write), and for the slow log the
// op, set and digest of its first few requests. Digests are copied: a request's is valid only until the next is
// decoded. Per request this costs a few array writes (and, for the first few, a 20-byte copy); the histograms and
// the slow log are touched once per batch.
import { OP, type RecordAddress, type Request } from '../../protocol/messages.js'
import { DIGEST_BYTES } from '../../protocol/digest.js'
import type { SlowLog } from '../slow-log.js'
import type { CountedRequest, OpCounts } from './op-counts.js'
import type { OpLatencies } from './op-latencies.js'

const EMPTY = new Uint8Array(0)
/**
 * Requests of one batch whose details the slow log can keep; the others of a slow batch are counted only. They
 * share its latency and its cause, and copying every request's digest would cost the request path a few per cent.
 */
export const SLOW_KEPT_PER_BATCH = 4
const OP_NAMES = new Map<number, string>(Object.entries(OP).map(([name, code]) => [code, name.toLowerCase()]))

export class BatchTally {
  /** Requests counted so far, a batch as many as it has keys (what in-flight-max counts); info requests are not. */
  requests = 0
  readonly #ops: OpLatencies
  readonly #slowLog: SlowLog
  readonly #opCounts: OpCounts
  readonly #counts: Float64Array // per slot: requests of this batch
  readonly #touched: number[] = [] // slots with a count
  // The slow log's candidates: the first requests with a slot, up to #keepLimit.
  readonly #keepLimit: number
  #kept = 0
  readonly #slots: number[] = []
  readonly #opCodes: number[] = []
  readonly #sets: (string | null)[] = []
  #digests = EMPTY

  constructor(ops: OpLatencies, slowLog: SlowLog, opCounts: OpCounts) {
    this.#ops = ops
    this.#slowLog = slowLog
    this.#opCounts = opCounts
    this.#counts = new Float64Array(ops.histograms.length)
    this.#keepLimit = Math.min(slowLog.keep, SLOW_KEPT_PER_BATCH)
  }

  /** Counts a request served with `status`. */
  add(request: Request, status: number): void {
    let address: RecordAddress | undefined
    if (request.op === OP.BATCH_GET) {
      this.requests += request.addresses.length
      address = request.addresses[0]
    } else if (request.op === OP.BATCH_OPERATE) {
      this.requests += request.items.length
      address = request.items[0]?.address
    } else if (request.op !== OP.INFO && request.op !== OP.SCAN && request.op !== OP.TRUNCATE && request.op !== OP.RESTORE && request.op !== OP.AUTH && request.op !== OP.USER_ADMIN && request.op !== OP.PEER) {
      this.requests++
      address = request.address
    }
    if (address === undefined) return
    const slot = this.#ops.slotOf(address.ns, request.op)
    if (slot < 0) return
    this.#ops.served(slot, status)
    if (this.#counts[slot]!++ === 0) this.#touched.push(slot)
    if (this.#kept < this.#keepLimit) this.#keep(slot, request.op, address)
  }

  /** Counts a scan, truncate or restore answered with `status`: on its own, with no part in the batch's latency. */
  addAlone(request: CountedRequest, status: number): void {
    this.#opCounts.count(request, status)
  }

  /** Records every request counted as answered now, `start` (performance.now()) being when the batch was read. */
  record(start: number): void {
    const us = (performance.now() - start) * 1000
    let slow = 0
    for (const slot of this.#touched) {
      const count = this.#counts[slot]!
      this.#ops.histograms[slot]!.add(us, count)
      this.#counts[slot] = 0
      slow += count
    }
    if (us >= this.#slowLog.thresholdUs) this.#logSlow(us, slow)
    this.#touched.length = 0
    this.#kept = 0
    this.requests = 0
  }

  #keep(slot: number, op: number, address: RecordAddress): void {
    const k = this.#kept++
    if (this.#digests.length === 0) this.#digests = new Uint8Array(this.#keepLimit * DIGEST_BYTES)
    // Byte by byte: for 20 bytes, cheaper than a call to TypedArray.set.
    const digest = address.digest
    const digests = this.#digests
    for (let i = 0, at = k * DIGEST_BYTES; i < DIGEST_BYTES; i++) digests[at + i] = digest[i]!
    this.#slots[k] = slot
    this.#opCodes[k] = op
    this.#sets[k] = address.set
  }

  #logSlow(us: number, count: number): void {
    const log = this.#slowLog
    log.count += count
    const timeMs = Date.now()
    for (let k = 0; k < this.#kept; k++) {
      const digest = Buffer.from(this.#digests.buffer, k * DIGEST_BYTES, DIGEST_BYTES).toString('hex')
      const { ns } = this.#ops.describe(this.#slots[k]!)
      log.add({ timeMs, op: OP_NAMES.get(this.#opCodes[k]!)!, ns, set: this.#sets[k]!, digest, latencyUs: Math.round(us) })
    }
  }
}
