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

/**
 * A clock that can be held still while one batch of requests is served: the batch reads the time once instead
 * of once per request. When not held it reads its source.
 */
export class BatchClock implements Clock {
  readonly source: Clock
  #held = NaN

  constructor(source: Clock) {
    this.source = source
  }

  nowMs(): number {
    return Number.isNaN(this.#held) ? this.source.nowMs() : this.#held
  }

  /** Reads the source once; until `release`, that is the time. */
  hold(): void {
    this.#held = this.source.nowMs()
  }

  release(): void {
    this.#held = NaN
  }
}
