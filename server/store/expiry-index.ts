// Which records may expire when: record ids grouped in one-second buckets, the buckets ordered by a min-heap.
// Sweeping costs in proportion to the records that expire, not to the size of the store. Entries are never
// removed when a TTL changes; the sweeper checks each id against the record's current expiry instead.

/** Record ids by the second after which they may have expired. */
export class ExpiryIndex {
  readonly #buckets = new Map<number, number[]>()
  readonly #heap: number[] = [] // bucket seconds, smallest first
  #entries = 0

  /** Ids waiting in the index, stale ones included. */
  get entries(): number {
    return this.#entries
  }

  /** Notes that record `id` expires at `voidMs` (ms since the Unix epoch, > 0). */
  add(id: number, voidMs: number): void {
    const second = Math.ceil(voidMs / 1000)
    let bucket = this.#buckets.get(second)
    if (bucket === undefined) {
      bucket = []
      this.#buckets.set(second, bucket)
      this.#push(second)
    }
    bucket.push(id)
    this.#entries++
  }

  /**
   * Removes and returns up to `limit` ids from buckets whose second is at or before `nowMs`. Each may be stale:
   * the caller checks the record's current expiry before deleting it.
   */
  takeDue(nowMs: number, limit: number): number[] {
    const due: number[] = []
    while (due.length < limit && this.#heap.length > 0 && this.#heap[0]! * 1000 <= nowMs) {
      const second = this.#heap[0]!
      const bucket = this.#buckets.get(second)!
      const take = Math.min(limit - due.length, bucket.length)
      for (let i = bucket.length - take; i < bucket.length; i++) due.push(bucket[i]!)
      bucket.length -= take
      if (bucket.length === 0) {
        this.#buckets.delete(second)
        this.#pop()
      }
    }
    this.#entries -= due.length
    return due
  }

  /**
   * Removes and returns the earliest bucket, due or not: the second after which its records may have expired, and
   * their ids (stale ones included). For eviction of the records closest to expiry.
   */
  popEarliest(): { second: number; ids: number[] } | undefined {
    const second = this.#heap[0]
    if (second === undefined) return undefined
    const ids = this.#buckets.get(second)!
    this.#buckets.delete(second)
    this.#pop()
    this.#entries -= ids.length
    return { second, ids }
  }

  #push(second: number): void {
    const heap = this.#heap
    let i = heap.push(second) - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (heap[parent]! <= second) break
      heap[i] = heap[parent]!
      i = parent
    }
    heap[i] = second
  }

  #pop(): void {
    const heap = this.#heap
    const last = heap.pop()!
    if (heap.length === 0) return
    let i = 0
    for (;;) {
      const left = 2 * i + 1
      if (left >= heap.length) break
      const child = left + 1 < heap.length && heap[left + 1]! < heap[left]! ? left + 1 : left
      if (heap[child]! >= last) break
      heap[i] = heap[child]!
      i = child
    }
    heap[i] = last
  }
}
