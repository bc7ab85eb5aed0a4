// One scan in progress on one connection (PROTOCOL.md §4.11): walks its partitions a slice at a time, yielding to
// the event loop between slices so other clients go on being served, and sends a frame only while the client has
// granted one and is taking what it was sent. What it holds is bounded: one partition's record ids and one frame.
import { PARTITIONS } from '../../protocol/digest.js'
import type { ScanSpec } from '../../protocol/messages.js'
import { FrameWriter, MsgpackWriter } from '../../protocol/msgpack-writer.js'
import { SCAN_LIMITS, writeScanFrame, writeScanRecord } from '../../protocol/scan-codec.js'
import { selectBins } from '../store/bins.js'
import type { Clock } from '../store/clock.js'
import { ttlSeconds, type Namespace, type RecordState } from '../store/namespace.js'

/** Where a scan's frames go: the connection, which says whether its peer is taking them. */
export interface StreamSink {
  /** True while the peer takes its answers, so a stream may send another frame. */
  readonly writable: boolean
  send(bytes: Buffer): void
}

/** A frame is cut once its records pass this size (so a frame holds at most this plus one record). */
export const SCAN_FRAME_BYTES = 256 * 1024
/** Record ids looked at in one slice, at most: a slice takes a few milliseconds even when a set filter skips most. */
export const SCAN_SLICE_IDS = 20_000

export class ScanJob {
  readonly id: number
  readonly #spec: ScanSpec
  readonly #ns: Namespace
  readonly #sink: StreamSink
  readonly #clock: Clock
  readonly #onEnd: (job: ScanJob) => void
  readonly #partitions: number[]
  readonly #records = new MsgpackWriter(64 * 1024)
  readonly #frame = new FrameWriter(64 * 1024)
  #credit: number
  #next = 0 // index in #partitions of the partition after the current one
  #partition = -1
  #ids: Int32Array | null = null
  #at = 0
  #done: number[] = [] // partitions finished since the last frame
  #stopping = false // the client asked to stop: the next frame is the last
  #ended = false
  #immediate: NodeJS.Immediate | undefined
  #timer: NodeJS.Timeout | undefined
  #allowance: number // records the rate lets through now
  #allowanceAtMs: number

  constructor(id: number, spec: ScanSpec, ns: Namespace, sink: StreamSink, clock: Clock, onEnd: (job: ScanJob) => void) {
    this.id = id
    this.#spec = spec
    this.#ns = ns
    this.#sink = sink
    this.#clock = clock
    this.#onEnd = onEnd
    this.#partitions = spec.partitions ?? Array.from({ length: PARTITIONS }, (_, p) => p)
    this.#credit = spec.framesAhead
    this.#allowance = Math.min(spec.recordsPerSecond, spec.recordsPerFrame) // the first burst: a second's worth at most
    this.#allowanceAtMs = performance.now()
    this.wake()
  }

  /** The client read frames and grants `frames` more; 0 asks the scan to stop (with a last frame). */
  more(frames: number): void {
    if (frames === 0) this.#stopping = true
    this.#credit = Math.min(this.#credit + Math.max(frames, 1), SCAN_LIMITS.maxFramesAhead)
    this.wake()
  }

  /** There may be room to send again: carries on, on a later turn of the event loop. */
  wake(): void {
    if (this.#ended || this.#immediate !== undefined || this.#timer !== undefined) return
    this.#immediate = setImmediate(this.#step)
  }

  /** The connection is gone: stops at once, sending nothing. */
  stop(): void {
    this.#ended = true
    clearImmediate(this.#immediate)
    clearTimeout(this.#timer)
  }

  readonly #step = (): void => {
    this.#immediate = undefined
    this.#timer = undefined
    if (this.#ended || this.#credit === 0 || !this.#sink.writable) return // woken by more() or by the connection
    const limit = this.#stopping ? 0 : this.#rateLimit()
    if (limit === 0 && !this.#stopping) return
    const count = this.#fill(limit)
    const finished = this.#stopping || this.#ids === null
    if (count === 0 && !finished) return this.wake() // a slice that found nothing to send yet
    this.#send(count, finished)
    if (finished) {
      this.stop()
      this.#onEnd(this)
    } else {
      this.wake()
    }
  }

  // Records the rate allows in this frame; 0 (with a timer set) when none yet.
  #rateLimit(): number {
    const rate = this.#spec.recordsPerSecond
    if (rate === 0) return this.#spec.recordsPerFrame
    const now = performance.now()
    this.#allowance = Math.min(this.#allowance + ((now - this.#allowanceAtMs) * rate) / 1000, Math.max(rate, 1))
    this.#allowanceAtMs = now
    if (this.#allowance >= 1) return Math.min(Math.floor(this.#allowance), this.#spec.recordsPerFrame)
    this.#timer = setTimeout(this.#step, Math.ceil(((1 - this.#allowance) * 1000) / rate))
    return 0
  }

  // Encodes up to `limit` records into #records, walking partitions; returns how many. #ids is null past the last.
  #fill(limit: number): number {
    const spec = this.#spec
    const nowMs = this.#clock.nowMs()
    let count = 0
    let looked = 0
    const visit = (digest: Uint8Array, state: RecordState): boolean => {
      const bins = spec.binNames === null ? state.bins : selectBins(state.bins, spec.binNames)
      const ttl = ttlSeconds(state.voidMs, nowMs)
      writeScanRecord(this.#records, { digest, set: state.set, userKey: state.userKey ?? null, gen: state.gen, ttl, bins })
      return ++count < limit && this.#records.length < SCAN_FRAME_BYTES
    }
    if (this.#ids === null && this.#next === 0) this.#nextPartition()
    while (this.#ids !== null && count < limit && looked < SCAN_SLICE_IDS && this.#records.length < SCAN_FRAME_BYTES) {
      const from = this.#at
      this.#at = this.#ns.visitIds(this.#ids, from, SCAN_SLICE_IDS - looked, this.#partition, spec.set, visit)
      looked += this.#at - from
      if (this.#at >= this.#ids.length) {
        this.#done.push(this.#partition)
        this.#nextPartition()
      }
    }
    return count
  }

  #nextPartition(): void {
    if (this.#next >= this.#partitions.length) {
      this.#ids = null
      this.#next = this.#partitions.length + 1
      return
    }
    this.#partition = this.#partitions[this.#next++]!
    this.#ids = this.#ns.partitionIds(this.#partition)
    this.#at = 0
  }

  #send(count: number, finished: boolean): void {
    if (this.#rateLimited) this.#allowance -= count
    const w = this.#frame
    w.begin()
    writeScanFrame(w, this.id, count, this.#records.take(), this.#done, finished)
    w.end()
    this.#done = []
    this.#credit--
    this.#sink.send(w.take())
  }

  get #rateLimited(): boolean {
    return this.#spec.recordsPerSecond !== 0
  }
}
