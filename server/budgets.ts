// Memory shared by all connections, so that many clients together stay bounded as one does: the answers held for
// clients (waiting for the log, or queued for a client that does not read) and the input buffered for frames not
// yet whole.

/** A connection as the budgets see it. */
export interface BudgetUser {
  /** There may be room again: read on if it can. */
  wake(): void
  /** The budget for answers is spent and this client takes nothing: close it to give the memory back. */
  shed(): void
  /** Room for its frame was reserved for it: read on. */
  granted(bytes: number): void
}

/**
 * Bytes of answers held across connections. At the limit every connection stops reading (and waits to be woken);
 * if the limit is hit while some clients are not taking their answers, the ones that stopped reading longest are
 * closed, so that clients that read go on being served.
 */
export class AnswerBudget {
  readonly limit: number
  /** Bytes held now. */
  used = 0
  /** At the limit: no connection reads more requests. */
  full = false
  // Connections whose client is not taking its answers, longest first (a Set keeps insertion order).
  readonly #stalled = new Set<BudgetUser>()
  readonly #waiting = new Set<BudgetUser>()

  constructor(limit: number) {
    this.limit = limit
  }

  add(bytes: number): void {
    this.used += bytes
    if (this.used >= this.limit) this.full = true
    else if (this.full) this.#wakeAll()
  }

  /** `user` stopped reading because the budget is full; it is woken once there is room. */
  wait(user: BudgetUser): void {
    this.#waiting.add(user)
  }

  /** The client of `user` is not taking its answers (or is again, with false). */
  stalled(user: BudgetUser, stalled: boolean): void {
    if (stalled) this.#stalled.add(user)
    else this.#stalled.delete(user)
  }

  /** Closes the connections whose clients stopped reading longest until the held answers fit again. */
  shed(): void {
    for (const user of this.#stalled) {
      if (!this.full) return
      this.#stalled.delete(user)
      user.shed()
    }
  }

  /** `user` is gone. */
  forget(user: BudgetUser): void {
    this.#stalled.delete(user)
    this.#waiting.delete(user)
  }

  #wakeAll(): void {
    this.full = false
    const waiting = [...this.#waiting]
    this.#waiting.clear()
    for (const user of waiting) {
      if (this.full) this.#waiting.add(user)
      else user.wake()
    }
  }
}

/**
 * Bytes reserved for frames not yet whole across connections. A connection receiving a large frame reserves its
 * whole size before reading on, so that every reservation can complete without more room (no deadlock); those that
 * find no room wait their turn, first come first served, and are granted room as it frees.
 */
export class FrameBudget {
  readonly limit: number
  /** Bytes reserved now. */
  used = 0
  readonly #queue = new Map<BudgetUser, number>()

  constructor(limit: number) {
    this.limit = limit
  }

  /** Reserves `bytes` for `user` now (true), or queues it to be granted them later (false). */
  reserve(user: BudgetUser, bytes: number): boolean {
    if (this.#queue.size === 0 && this.used + bytes <= this.limit) {
      this.used += bytes
      return true
    }
    this.#queue.set(user, bytes)
    return false
  }

  /** Gives back a reservation, and grants waiting ones in turn while they fit. */
  release(bytes: number): void {
    this.used -= bytes
    for (const [user, want] of this.#queue) {
      if (this.used + want > this.limit) return
      this.#queue.delete(user)
      this.used += want
      user.granted(want)
    }
  }

  /** `user` is gone: it waits no more. */
  forget(user: BudgetUser): void {
    this.#queue.delete(user)
  }
}
