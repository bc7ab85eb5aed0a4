// Progress of a backup or restore on stderr: records, records/s and done %, redrawn in place with a bar when stderr
// is a terminal; otherwise a plain line every few seconds, so that logs stay readable.
const TTY_EVERY_MS = 200
const LOG_EVERY_MS = 5000
const BAR_WIDTH = 30

export class Progress {
  readonly #what: string
  readonly #total: number | undefined
  readonly #tty: boolean
  readonly #stream: NodeJS.WriteStream
  readonly #started = performance.now()
  #shownAt = 0
  #done = 0

  /** `total`: records expected, when known (done % and the bar need it). */
  constructor(what: string, total: number | undefined, stream: NodeJS.WriteStream = process.stderr) {
    this.#what = what
    this.#total = total
    this.#stream = stream
    this.#tty = stream.isTTY === true
  }

  /** Counts `records` more done; redraws when it is time. */
  add(records: number): void {
    this.#done += records
    const now = performance.now()
    if (now - this.#shownAt >= (this.#tty ? TTY_EVERY_MS : LOG_EVERY_MS)) {
      this.#shownAt = now
      this.#show(false)
    }
  }

  /** The last line, and how long it took. */
  finish(): void {
    this.#show(true)
  }

  #show(last: boolean): void {
    const seconds = (performance.now() - this.#started) / 1000
    const rate = seconds > 0 ? Math.round(this.#done / seconds) : 0
    const total = this.#total
    const pct = total !== undefined && total > 0 ? Math.min(100, (this.#done * 100) / total) : undefined
    let line = `${this.#what}: ${this.#done} records, ${rate} records/s, ${seconds.toFixed(1)} s`
    if (pct !== undefined) line = `${this.#what}: ${pct.toFixed(1)}% (${this.#done}/${total} records), ${rate} records/s, ${seconds.toFixed(1)} s`
    if (!this.#tty) {
      this.#stream.write(`${line}\n`)
      return
    }
    const filled = pct === undefined ? 0 : Math.round((pct / 100) * BAR_WIDTH)
    const bar = pct === undefined ? '' : `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] `
    this.#stream.write(`\r\x1b[K${bar}${line}${last ? '\n' : ''}`)
  }
}
