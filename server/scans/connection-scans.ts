// The scans one connection runs (PROTOCOL.md §4.11): started, granted more frames and stopped by SCAN requests,
// woken when the connection's peer takes answers again, stopped when the connection goes.
import { TallyError } from '../../protocol/errors.js'
import type { ScanRequest } from '../../protocol/messages.js'
import { STATUS } from '../../protocol/status.js'
import { checkBinName } from '../store/bins.js'
import type { Store } from '../store/store.js'
import { ScanJob, type StreamSink } from './scan-job.js'

/** Scans one connection may run at once (status 4 beyond). */
export const MAX_SCANS_PER_CONNECTION = 8
const MAX_SET_BYTES = 63

export class ConnectionScans {
  readonly #store: Store
  readonly #jobs = new Map<number, ScanJob>()
  #sink: StreamSink | undefined

  constructor(store: Store) {
    this.#store = store
  }

  /** Scans running now. */
  get running(): number {
    return this.#jobs.size
  }

  /** Where the frames go: the connection, once it exists. */
  attach(sink: StreamSink): void {
    this.#sink = sink
  }

  /**
   * Starts a scan, or grants one more frames (or stops it). Throws a TallyError for a scan that cannot start; a
   * grant for a scan that has ended is ignored, since it may have crossed the scan's last frame.
   */
  handle(request: ScanRequest): void {
    const { id, spec } = request
    if (spec === null) return this.#jobs.get(id)?.more(request.frames)
    if (this.#sink === undefined) throw new TallyError(STATUS.UNSUPPORTED_FEATURE, 'SCAN is not served on this connection')
    if (this.#jobs.has(id)) throw new TallyError(STATUS.PARAMETER, `SCAN: request id ${id} is already a scan in progress`)
    if (this.#jobs.size >= MAX_SCANS_PER_CONNECTION)
      throw new TallyError(STATUS.PARAMETER, `SCAN: ${MAX_SCANS_PER_CONNECTION} scans are already running on this connection`)
    const ns = this.#store.namespace(spec.ns)
    if (spec.set !== null && Buffer.byteLength(spec.set) > MAX_SET_BYTES) throw new TallyError(STATUS.PARAMETER, `SCAN: set name longer than ${MAX_SET_BYTES} bytes`)
    spec.binNames?.forEach(checkBinName)
    const job = new ScanJob(id, spec, ns, this.#sink, this.#store.clock, (ended) => this.#jobs.delete(ended.id))
    this.#jobs.set(id, job)
  }

  /** The peer takes answers again: scans waiting for it go on. */
  writable(): void {
    for (const job of this.#jobs.values()) job.wake()
  }

  /** The connection is gone: every scan stops. */
  close(): void {
    for (const job of this.#jobs.values()) job.stop()
    this.#jobs.clear()
  }
}
