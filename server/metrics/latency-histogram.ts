// Latencies in power-of-two buckets of microseconds, as Aerospike keeps them: O(1) to add to, cheap to copy and to
// subtract (an interval is the difference of two copies), and what both `latencies` and /metrics read.

/** Buckets: bucket i holds latencies below 2^i µs and (for i > 0) at least 2^(i-1) µs; the last catches the rest. */
export const LATENCY_BUCKETS = 32

/** Latencies in power-of-two buckets of microseconds. */
export class LatencyHistogram {
  readonly counts = new Float64Array(LATENCY_BUCKETS)
  total = 0
  /** Sum of every latency added, in µs. */
  sumUs = 0

  /** Records `count` operations that took `us` microseconds each. */
  add(us: number, count: number): void {
    if (count === 0) return
    const bucket = us < 1 ? 0 : Math.min(LATENCY_BUCKETS - 1, 32 - Math.clz32(Math.floor(us)))
    this.counts[bucket]! += count
    this.total += count
    this.sumUs += us * count
  }

  /** Operations that took less than 2^exponent µs (buckets 0 to `exponent`). */
  under(exponent: number): number {
    let n = 0
    for (let i = 0; i <= Math.min(exponent, LATENCY_BUCKETS - 1); i++) n += this.counts[i]!
    return n
  }

  /** Share of operations that took `ms` or longer, in percent; `ms` a power of two, counted as ms * 1024 µs. */
  overPct(ms: number): number {
    if (this.total === 0) return 0
    return ((this.total - this.under(31 - Math.clz32(ms * 1024))) * 100) / this.total
  }

  /** A copy of what this histogram holds now. */
  copy(): LatencyHistogram {
    const copy = new LatencyHistogram()
    copy.counts.set(this.counts)
    copy.total = this.total
    copy.sumUs = this.sumUs
    return copy
  }

  /** What was added since `earlier`, a copy of this histogram taken before. */
  since(earlier: LatencyHistogram): LatencyHistogram {
    const diff = new LatencyHistogram()
    for (let i = 0; i < LATENCY_BUCKETS; i++) diff.counts[i] = this.counts[i]! - earlier.counts[i]!
    diff.total = this.total - earlier.total
    diff.sumUs = this.sumUs - earlier.sumUs
    return diff
  }
}
