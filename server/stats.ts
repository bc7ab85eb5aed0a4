// Server statistics under Aerospike's names: connection counts, and read/write latency histograms in power-of-two
// buckets, reported per interval (the ticker's) as Aerospike's `latencies` does. Request counters live with each
// namespace (store/counters.ts).

const BUCKETS = 32 // bucket i: latencies below 2^i µs (the last catches the rest)

/** Latencies in power-of-two buckets of microseconds. */
export class LatencyHistogram {
  readonly counts = new Float64Array(BUCKETS)
  total = 0

  /** Records `count` operations that took `us` microseconds each. */
  add(us: number, count: number): void {
    if (count === 0) return
    const bucket = us < 1 ? 0 : Math.min(BUCKETS - 1, 32 - Math.clz32(Math.floor(us)))
    this.counts[bucket]! += count
    this.total += count
  }

  /** Share of operations that took longer than `ms`, in percent. */
  overPct(ms: number): number {
    if (this.total === 0) return 0
    const limit = 32 - Math.clz32(ms * 1024) // buckets from here hold latencies of at least ms * 1024 µs
    let over = 0
    for (let i = limit; i < BUCKETS; i++) over += this.counts[i]!
    return (over * 100) / this.total
  }

  reset(): void {
    this.counts.fill(0)
    this.total = 0
  }
}

/** Server-wide figures. Latencies roll over with each interval; the last full interval is what gets reported. */
export class ServerStats {
  readonly started = Date.now()
  clientConnectionsOpened = 0
  clientConnectionsClosed = 0
  clientConnectionsRefused = 0
  /** Connections closed for staying in the middle of a frame (frame-timeout-ms). */
  clientFrameTimeouts = 0
  /** Connections closed because their clients did not read while the answers held for all reached their budget. */
  clientSlowReadersClosed = 0
  current = { read: new LatencyHistogram(), write: new LatencyHistogram() }
  last = { read: new LatencyHistogram(), write: new LatencyHistogram(), seconds: 0 }
  #intervalStart = performance.now()

  /** Ends the current interval: its latencies become the ones reported. */
  rollInterval(): void {
    const now = performance.now()
    this.last = { ...this.current, seconds: (now - this.#intervalStart) / 1000 }
    this.current = { read: new LatencyHistogram(), write: new LatencyHistogram() }
    this.#intervalStart = now
  }
}
