// Time for the store, injected so that TTL logic can be tested without sleeping.

/** A source of wall-clock time in milliseconds since the Unix epoch. */
export interface Clock {
  nowMs(): number
}

/** The real clock. */
export const systemClock: Clock = { nowMs: () => Date.now() }

/** A clock that moves only when told to: for tests of expiry. */
export class ManualClock implements Clock {
  #nowMs: number

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.#nowMs = startMs
  }

  nowMs(): number {
    return this.#nowMs
  }

  /** Moves time forward by `ms`. */
  advance(ms: number): void {
    this.#nowMs += ms
  }

  /** Sets the time. */
  set(ms: number): void {
    this.#nowMs = ms
  }
}
