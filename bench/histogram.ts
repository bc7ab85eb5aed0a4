// A latency histogram with bounded relative error (at most ~3%), fixed memory, and O(1) recording:
// values below 64 µs have their own bucket; above, each power of two is split into 32 buckets.

const SUB_BUCKETS = 32
const LINEAR_LIMIT = 2 * SUB_BUCKETS // 64: below this, one bucket per microsecond
const MAX_EXPONENT = 40 // ~12 days in µs: larger values land in the last bucket

/** Counts of latencies in microseconds. */
export class Histogram {
  readonly #counts = new Float64Array(LINEAR_LIMIT + (MAX_EXPONENT - 5) * SUB_BUCKETS)
  #total = 0
  #max = 0
  #sum = 0

  /** Records one value, in microseconds. */
  record(us: number): void {
    const v = us < 0 ? 0 : Math.floor(us)
    this.#counts[indexOf(v)]!++
    this.#total++
    this.#sum += us
    if (us > this.#max) this.#max = us
  }

  /** Adds every count of `other` into this histogram. */
  merge(other: Histogram): void {
    const counts = other.#counts
    for (let i = 0; i < counts.length; i++) this.#counts[i]! += counts[i]!
    this.#total += other.#total
    this.#sum += other.#sum
    if (other.#max > this.#max) this.#max = other.#max
  }

  get count(): number {
    return this.#total
  }

  get max(): number {
    return this.#max
  }

  get mean(): number {
    return this.#total === 0 ? 0 : this.#sum / this.#total
  }

  /** The value at percentile `p` (0-100): the upper edge of the bucket holding it, capped at the maximum seen. */
  percentile(p: number): number {
    if (this.#total === 0) return 0
    const rank = Math.max(1, Math.ceil((p / 100) * this.#total))
    let seen = 0
    for (let i = 0; i < this.#counts.length; i++) {
      seen += this.#counts[i]!
      if (seen >= rank) return Math.min(upperEdge(i), this.#max)
    }
    return this.#max
  }

  /** The buckets that hold values, in order: each one's range [lowUs, highUs) and count. */
  buckets(): { lowUs: number; highUs: number; count: number }[] {
    const out: { lowUs: number; highUs: number; count: number }[] = []
    for (let i = 0; i < this.#counts.length; i++) {
      if (this.#counts[i] === 0) continue
      out.push({ lowUs: i === 0 ? 0 : upperEdge(i - 1), highUs: upperEdge(i), count: this.#counts[i]! })
    }
    return out
  }

  reset(): void {
    this.#counts.fill(0)
    this.#total = 0
    this.#max = 0
    this.#sum = 0
  }
}

function indexOf(v: number): number {
  if (v < LINEAR_LIMIT) return v
  const exponent = v < 2 ** 31 ? 31 - Math.clz32(v) : Math.min(Math.floor(Math.log2(v)), MAX_EXPONENT - 1) // >= 6
  const shift = exponent - 5 // keeps 5 bits below the leading one: 32 buckets per power of two
  const sub = Math.min(Math.floor(v / 2 ** shift), 2 * SUB_BUCKETS - 1) - SUB_BUCKETS
  return LINEAR_LIMIT + (exponent - 6) * SUB_BUCKETS + sub
}

function upperEdge(index: number): number {
  if (index < LINEAR_LIMIT) return index + 1
  const exponent = Math.floor((index - LINEAR_LIMIT) / SUB_BUCKETS) + 6
  const sub = (index - LINEAR_LIMIT) % SUB_BUCKETS
  return (SUB_BUCKETS + sub + 1) * 2 ** (exponent - 5)
}
