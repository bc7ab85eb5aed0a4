// A warning that may come thousands of times a second (a refused connection, a client closed for holding memory):
// the first is logged at once, the ones after it are counted and logged as one line per interval.
import type { Logger } from './log.js'

/** Default least time between two lines of one warning. */
export const WARNING_INTERVAL_MS = 10_000

export class ThrottledWarning {
  readonly #log: Logger
  readonly #intervalMs: number
  readonly #summary: (count: number, seconds: number) => string
  #count = 0
  #lastAt = -Infinity
  #timer: NodeJS.Timeout | undefined

  /** `summary` words the line for `count` occurrences not logged over the last `seconds`. */
  constructor(log: Logger, summary: (count: number, seconds: number) => string, intervalMs = WARNING_INTERVAL_MS) {
    this.#log = log
    this.#summary = summary
    this.#intervalMs = intervalMs
  }

  /** One occurrence: logged as `message` if no line was logged within the interval, else counted. */
  note(message: string): void {
    const now = Date.now()
    if (this.#timer === undefined && now - this.#lastAt >= this.#intervalMs) {
      this.#lastAt = now
      this.#log.warn(message)
      return
    }
    this.#count++
    if (this.#timer === undefined) {
      this.#timer = setTimeout(() => this.flush(), this.#lastAt + this.#intervalMs - now)
      this.#timer.unref()
    }
  }

  /** Logs the occurrences counted so far, if any (on a timer, and when the server stops). */
  flush(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    if (this.#count === 0) return
    const now = Date.now()
    this.#log.warn(this.#summary(this.#count, Math.max(1, Math.round((now - this.#lastAt) / 1000))))
    this.#count = 0
    this.#lastAt = now
  }
}
