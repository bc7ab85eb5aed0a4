// Request deadlines without a timer per request. Ids are queued by their timeout duration, so within a queue the
// deadlines come in order: a sweep pops answered ids off the front and times out the expired ones, stopping at
// the first request still within its time. Answered requests leave the queue at the next sweep, so the queues
// hold little more than what is in flight.

class IdQueue {
  ids: number[] = []
  head = 0

  compact(): void {
    if (this.head > 1024 && this.head * 2 > this.ids.length) {
      this.ids = this.ids.slice(this.head)
      this.head = 0
    }
  }
}

export class Deadlines {
  readonly #queues = new Map<number, IdQueue>()
  #queued = 0

  /** Ids waiting in the queues, answered ones not yet swept included. */
  get size(): number {
    return this.#queued
  }

  /** Queues request `id`, whose deadline is `durationMs` from now. */
  add(id: number, durationMs: number): void {
    const key = Math.round(durationMs)
    let queue = this.#queues.get(key)
    if (queue === undefined) this.#queues.set(key, (queue = new IdQueue()))
    queue.ids.push(id)
    this.#queued++
  }

  /**
   * Pops ids whose request is answered (`deadlineOf` returns undefined) or past its deadline (then `expire` is
   * called with it), front first, stopping in each queue at a request still within its time.
   */
  sweep(now: number, deadlineOf: (id: number) => number | undefined, expire: (id: number) => void): void {
    for (const [key, queue] of this.#queues) {
      const ids = queue.ids
      let head = queue.head
      while (head < ids.length) {
        const id = ids[head]!
        const deadline = deadlineOf(id)
        if (deadline !== undefined) {
          if (deadline > now) break
          expire(id)
        }
        head++
      }
      this.#queued -= head - queue.head
      queue.head = head
      if (head === ids.length) this.#queues.delete(key)
      else queue.compact()
    }
  }

  clear(): void {
    this.#queues.clear()
    this.#queued = 0
  }
}
