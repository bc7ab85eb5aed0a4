// Connections the server has no room for (proto-fd-max): answered with a connection error, status 8 (PROTOCOL.md
// §5.3), rather than dropped without a word, then closed; counted, and logged at most once per 10 s. Aerospike's
// protocol has no message a server sends unasked: its clients are closed without one, as Aerospike closes them.
import type { Duplex } from 'node:stream'
import { SERVER_MESSAGE_ID } from '../protocol/messages.js'
import { FrameWriter } from '../protocol/msgpack-writer.js'
import { writeErrorResponse } from '../protocol/response-codec.js'
import { STATUS } from '../protocol/status.js'
import type { Logger } from './log.js'
import type { ServerStats } from './stats.js'
import { ThrottledWarning } from './throttled-warning.js'

/** How long the answer of a refused connection may take to reach the kernel before the connection is cut. */
const REFUSED_GRACE_MS = 2000

export class Refusals {
  readonly #stats: ServerStats
  readonly #reason: string
  readonly #warning: ThrottledWarning
  readonly #answer: Buffer

  /** `maxConnections`: the limit that was reached. */
  constructor(log: Logger, stats: ServerStats, maxConnections: number) {
    this.#stats = stats
    this.#reason = `${maxConnections} connections already (proto-fd-max)`
    this.#warning = new ThrottledWarning(log, (n, s) => `refused ${n} more connections in the last ${s} s: ${this.#reason}`)
    const w = new FrameWriter(128)
    w.begin()
    writeErrorResponse(w, SERVER_MESSAGE_ID, STATUS.OUT_OF_SPACE, `connection refused: ${this.#reason}`)
    w.end()
    this.#answer = w.take()
  }

  /**
   * Answers `stream` with the refusal (unless `answer` is false) and closes it as soon as the answer is out, so that a flood of connections
   * does not hold descriptors (the kernel still delivers the answer, then the close).
   */
  refuse(stream: Duplex, peer = 'a client', answer = true): void {
    this.#stats.clientConnectionsRefused++
    this.#warning.note(`refused a connection from ${peer}: ${this.#reason}`)
    const timer = setTimeout(() => stream.destroy(), REFUSED_GRACE_MS)
    timer.unref()
    stream.once('close', () => clearTimeout(timer))
    stream.on('error', () => {})
    stream.resume() // whatever it sends is dropped
    stream.end(answer ? this.#answer : undefined, () => stream.destroy())
  }

  /** Logs the refusals not logged yet (when the server stops). */
  flush(): void {
    this.#warning.flush()
  }
}
