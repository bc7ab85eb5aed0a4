// One client connection over any duplex stream, whatever protocol it speaks (a `Wire`: Tally's, or Aerospike's):
// cut frames, serve them, and answer everything produced by one read in one write. With persistence, a batch's
// answers are held until the log says its changes are durable. Backpressure: when the peer stops reading our
// answers, or too many requests or answer bytes wait (for the log or for the peer), we stop reading its requests, so
// a slow or stuck client costs bounded memory; budgets shared with the other connections bound them all together.
// Broken framing, or a frame left unfinished, ends the connection.
import type { Duplex } from 'node:stream'
import { TallyError } from '../protocol/errors.js'
import { SERVER_MESSAGE_ID } from '../protocol/messages.js'
import { STATUS } from '../protocol/status.js'
import type { AnswerBudget, BudgetUser, FrameBudget } from './budgets.js'
import { withFailures, type Held } from './held-answers.js'
import type { Logger } from './log.js'
import type { BatchTally } from './metrics/batch-tally.js'
import type { ClusterNode } from './cluster/cluster-node.js'
import type { OpContext } from './ops/index.js'
import type { LogFailure } from './persist/log-writer.js'
import type { StreamSink } from './scans/scan-job.js'
import type { ServerStats } from './stats.js'
import type { ThrottledWarning } from './throttled-warning.js'
import type { Security } from './security/security.js'
import { UnfinishedFrame } from './unfinished-frame.js'

/** Answers pending in one write are flushed early once they pass this size, to bound memory per read. */
const FLUSH_BYTES = 1024 * 1024

/** What makes answers wait: the log's position, and a promise of durability (or of what a failure undid). */
export interface Durability {
  readonly position: number
  barrier(): Promise<LogFailure | undefined> | undefined
}

/**
 * A protocol as a connection speaks it: it cuts the bytes received into frames, serves each into answers, and
 * writes the answers a connection sends on its own. Answers accumulate until the connection takes them.
 */
export interface Wire {
  /** Sent first on every connection (Tally's hello), if any. */
  readonly greeting: Uint8Array | undefined
  /** An answer is being prepared outside the connection (a login): read nothing more until `onResume`. */
  readonly paused: boolean
  /** Set by the connection: called once a paused wire has appended its answer. */
  onResume: (() => void) | undefined
  /** Bytes received and not yet cut into frames. */
  readonly bufferedBytes: number
  /** Bytes the next frame takes, header included, as far as known (see FrameDecoder.nextFrameBytes). */
  readonly nextFrameBytes: number
  /** Bytes of answers written and not yet taken. */
  readonly answerBytes: number
  push(chunk: Buffer): void
  /** Finds the next whole frame: true if there is one. Throws a TallyError when the framing is broken. */
  nextFrame(): boolean
  /**
   * Serves the frame found and appends its answer; never throws. Returns the answer's tag: SERVER_MESSAGE_ID for an
   * answer that stands whatever the log does, anything else for one `failedAnswer` replaces if its change is undone.
   */
  serve(tally: BatchTally): number
  /** The answers written so far; the wire starts again with none. */
  takeAnswers(): Buffer
  /** Appends the answer that says why the connection is closing (status 4, 8 or 9). */
  writeClosing(error: TallyError): void
  /** The answer, in place of the one tagged `tag`, to a request whose change a storage failure undid. */
  failedAnswer(tag: number, error: TallyError): Uint8Array
  /** Answers the wire sends later, on its own (a scan's frames), go to `sink`. */
  attach?(sink: StreamSink): void
  /** The peer takes answers again. */
  writable?(): void
  /** The connection is gone. */
  closed?(): void
  /** Set by the connection: takes an answer that comes later, from another node (a forwarded request). */
  defer?: (answer: Promise<Uint8Array>) => void
}

export interface ConnectionContext extends OpContext {
  log: Logger
  durability: Durability | undefined
  stats: ServerStats
  /** Most requests of one connection being served at once, waiting for the log included. */
  maxInFlight: number
  /** Most answer bytes held for one connection (for the log, or for its client to read) before it is not read. */
  maxAnswerBytes: number
  answers: AnswerBudget
  frames: FrameBudget
  /** Clients closed for not reading while the answer budget is spent, and for frames left unfinished. */
  warnings: { slowReaders: ThrottledWarning; frameTimeouts: ThrottledWarning }
  /** Users and logins; undefined: security is not enabled. */
  security: Security | undefined
  /** This server's cluster membership, when it is a node of one (docs/cluster.md). */
  cluster: ClusterNode | undefined
}

export class ServerConnection implements BudgetUser, StreamSink {
  readonly #stream: Duplex
  readonly #context: ConnectionContext
  readonly #answers: AnswerBudget
  readonly #wire: Wire
  readonly #unfinished: UnfinishedFrame
  #blocked = false // the peer is not reading: wait for 'drain'
  #held: Held[] = []
  #heldRequests = 0
  #marks: number[] = [] // [tag, answer end, log position] per request answered, when answers may be held
  #position = 0 // log position when the first request not yet flushed began
  #tally: BatchTally // requests answered and not yet flushed
  #batchStart = 0
  #peerEnded = false // no more requests will come: answer what came, then end
  #stopped = false // broken framing: nothing more is read
  #ended = false
  #pumping = false
  #requests = 0
  #answerBytes = 0 // answers held for the log, plus those queued in the stream while the peer does not read
  #queuedBytes = 0 // the stream's part of #answerBytes, counted from a write it could not take at once to 'drain'
  #released = false // the stream closed: nothing is counted in the budgets any more
  #deferred = 0 // requests forwarded to another node, not yet answered

  constructor(stream: Duplex, context: ConnectionContext, wire: Wire) {
    this.#stream = stream
    this.#context = context
    this.#answers = context.answers
    this.#wire = wire
    this.#unfinished = new UnfinishedFrame(context.frames, this, wire)
    this.#tally = context.stats.tally()
    stream.on('data', (chunk: Buffer) => {
      wire.push(chunk)
      this.#pump()
    })
    stream.on('drain', () => {
      this.#blocked = false
      this.#answers.stalled(this, false)
      this.#hold(-this.#queuedBytes)
      this.#queuedBytes = 0
      this.#pump()
      wire.writable?.()
    })
    stream.on('end', () => {
      this.#peerEnded = true
      this.#pump()
    })
    stream.on('error', (err) => context.log.debug(`connection error: ${err.message}`))
    stream.once('close', () => this.#release())
    wire.onResume = () => this.#resumed()
    if (wire.greeting !== undefined) stream.write(wire.greeting)
    wire.attach?.(this)
    if (context.cluster !== undefined) wire.defer = (answer) => this.#defer(answer)
  }

  /**
   * True while answers sent on the wire's own (a scan's frames) would not be held: the peer takes what it is sent,
   * and neither this connection nor all of them together hold their limit of answer bytes.
   */
  get writable(): boolean {
    return !this.#blocked && !this.#ended && !this.#released && this.#answerBytes < this.#context.maxAnswerBytes && !this.#answers.full
  }

  /** Sends answer frames the wire produced on its own, counted as held while the peer does not take them. */
  send(bytes: Buffer): void {
    if (this.#ended) return
    this.#write(bytes)
  }

  // A forwarded request's answer: written when it comes, in any order (answers carry their request's id).
  #defer(answer: Promise<Uint8Array>): void {
    this.#deferred++
    void answer.then((bytes) => {
      this.#deferred--
      this.#write(bytes as Buffer)
      this.#pump()
    })
  }

  // A paused wire appended an answer of its own (a login, an answer from another node): it stands whatever the log
  // does, so it gets a mark of its own rather than sharing the next request's.
  #resumed(): void {
    const durability = this.#context.durability
    if (durability !== undefined && this.#wire.answerBytes > 0) this.#marks.push(SERVER_MESSAGE_ID, this.#wire.answerBytes, durability.position)
    this.#pump()
  }

  /** Answer bytes held for this connection: for the log, or queued while its peer does not read. */
  get heldAnswerBytes(): number {
    return this.#answerBytes
  }

  /** Requests answered on this connection. */
  get requests(): number {
    return this.#requests
  }

  /** Bytes queued for the peer but not yet taken by the socket. */
  get bufferedOutputBytes(): number {
    return this.#stream.writableLength
  }

  /** Bytes received and not yet cut into frames. */
  get bufferedInputBytes(): number {
    return this.#wire.bufferedBytes
  }

  /** Answers what has been received, then ends the connection. */
  close(): void {
    this.#peerEnded = true
    this.#pump()
  }

  /** The answer budget has room again. */
  wake(): void {
    this.#pump()
    this.#wire.writable?.()
  }

  /** Room for the unfinished frame was reserved after waiting in line: read the rest of it. */
  granted(bytes: number): void {
    this.#unfinished.granted(bytes, this.#requests)
    this.#pump()
  }

  /** Closed to give back the answers it holds: the answer budget is spent and this peer has stopped reading. */
  shed(): void {
    if (this.#ended) return
    this.#context.stats.clientSlowReadersClosed++
    this.#context.warnings.slowReaders.note(
      `closing a connection whose client does not read its answers (${this.#answerBytes} bytes held):` +
        ` the answers held for all clients reached answer-buffer-total-max (${this.#answers.limit} bytes)`,
    )
    this.#ended = true
    this.#stream.destroy()
    this.#release()
  }

  /**
   * Closes the connection with a connection error once it has stayed in the middle of one frame for `timeoutMs`,
   * whatever kept it there: a client that does not finish a frame must not keep its room. Called every so often.
   */
  checkFrameTimeout(now: number, timeoutMs: number): void {
    if (this.#stopped || this.#ended) return
    const error = this.#unfinished.expired(this.#requests, now, timeoutMs)
    if (error === undefined) return
    this.#context.stats.clientFrameTimeouts++
    this.#context.warnings.frameTimeouts.note(`closing a connection: ${error.message}`)
    this.#fail(error, false)
    if (!this.#blocked) return this.#pump()
    this.#ended = true // a client that does not read would never take the answer
    this.#stream.destroy()
  }

  // Not reentrant: the budgets call back (wake, granted) from inside another connection's pump, or this one's.
  #pump(): void {
    if (this.#ended || this.#pumping) return
    this.#pumping = true
    try {
      this.#serve()
      if (this.#blocked || this.#stopped || this.#wire.paused || this.#full() || !this.#unfinished.mayRead(this.#requests)) {
        this.#stream.pause()
        if (this.#answers.full) this.#answers.wait(this)
      } else {
        this.#stream.resume()
      }
      this.#endIfDone()
    } finally {
      this.#pumping = false
    }
  }

  // Serves the frames received, as far as backpressure allows.
  #serve(): void {
    const wire = this.#wire
    const clock = this.#context.store.clock
    const durability = this.#context.durability
    clock.hold()
    try {
      for (;;) {
        while (!this.#blocked && !this.#stopped && !wire.paused && !this.#full() && wire.nextFrame()) {
          this.#requests++
          if (wire.answerBytes === 0) {
            this.#batchStart = performance.now()
            if (durability !== undefined) this.#position = durability.position
          }
          const tag = wire.serve(this.#tally)
          if (durability !== undefined) this.#marks.push(tag, wire.answerBytes, durability.position)
          if (wire.answerBytes >= FLUSH_BYTES) this.#flush()
        }
        // A batch that filled up is sent (or held); if that made room, the frames behind it are read now.
        const filled = this.#full()
        this.#flush()
        if (!filled || this.#full() || this.#blocked || this.#stopped || wire.paused) break
      }
      // The peer ended its side with part of a frame unsent: that frame will never be whole.
      if (this.#peerEnded && !this.#stopped && !this.#blocked && !wire.paused && !this.#full() && wire.bufferedBytes > 0) {
        this.#fail(new TallyError(STATUS.PARAMETER, `the connection ended in the middle of a frame (${wire.bufferedBytes} bytes)`))
        this.#flush()
      }
    } catch (err) {
      this.#fail(err as TallyError) // broken framing: nextFrame found a length over the limit
      this.#flush()
    } finally {
      clock.release()
    }
  }

  /**
   * Too many requests of this connection are being served (or waiting for the log), or too many answer bytes are
   * held for it or for all connections, to read more.
   */
  #full(): boolean {
    return (
      this.#heldRequests + this.#tally.requests + this.#deferred >= this.#context.maxInFlight ||
      this.#answerBytes >= this.#context.maxAnswerBytes ||
      this.#answers.full
    )
  }

  #flush(): void {
    if (this.#wire.answerBytes === 0 || this.#stream.destroyed) return
    const bytes = this.#wire.takeAnswers()
    const barrier = this.#context.durability?.barrier()
    if (barrier === undefined && this.#held.length === 0) {
      this.#marks.length = 0
      this.#tally.record(this.#batchStart)
      return this.#write(bytes)
    }
    const tally = this.#tally
    this.#tally = this.#context.stats.tally()
    const held: Held = { bytes, marks: this.#marks, position: this.#position, done: barrier === undefined, failure: undefined, start: this.#batchStart, tally }
    this.#marks = []
    this.#held.push(held)
    this.#heldRequests += tally.requests
    this.#hold(bytes.length)
    barrier?.then((failure) => this.#settle(held, failure))
  }

  #settle(held: Held, failure: LogFailure | undefined): void {
    held.done = true
    held.failure = failure
    while (this.#held[0]?.done) {
      const next = this.#held.shift()!
      this.#heldRequests -= next.tally.requests
      this.#hold(-next.bytes.length)
      next.tally.record(next.start)
      this.#write(next.failure === undefined ? next.bytes : withFailures(next, next.failure, this.#wire))
    }
    this.#pump() // read what waited behind the held batches, or end
  }

  // Answers the stream could not take at once count as held until 'drain'; if that spends the answer budget, the
  // connections whose peers stopped reading longest are closed.
  #write(bytes: Buffer): void {
    if (bytes.length === 0 || this.#stream.destroyed) return
    if (this.#stream.write(bytes)) return
    this.#blocked = true
    const queued = this.#stream.writableLength
    this.#hold(queued - this.#queuedBytes)
    this.#queuedBytes = queued
    this.#answers.stalled(this, true)
    if (this.#answers.full) this.#answers.shed()
  }

  /** Counts answer bytes held for this connection (given back, when negative), here and in the shared budget. */
  #hold(bytes: number): void {
    if (this.#released || bytes === 0) return
    this.#answerBytes += bytes
    this.#answers.add(bytes)
  }

  // The stream closed: give back everything this connection had in the shared budgets.
  #release(): void {
    if (this.#released) return
    this.#released = true
    this.#wire.closed?.()
    this.#unfinished.close()
    this.#answers.forget(this)
    this.#answers.add(-this.#answerBytes)
    this.#answerBytes = this.#queuedBytes = 0
  }

  // The stream cannot go on (broken framing, a frame left unfinished). Say why, then close once earlier answers
  // are out.
  #fail(err: TallyError, log = true): void {
    if (log) this.#context.log.warn(`closing a connection: ${err.message}`)
    this.#unfinished.close()
    this.#wire.writeClosing(err)
    if (this.#context.durability !== undefined) this.#marks.push(SERVER_MESSAGE_ID, this.#wire.answerBytes, this.#context.durability.position)
    this.#stopped = true
  }

  #endIfDone(): void {
    if (this.#ended || this.#held.length > 0 || this.#wire.paused || this.#deferred > 0) return
    if (!this.#stopped && !(this.#peerEnded && this.#wire.bufferedBytes === 0)) return
    this.#ended = true
    this.#stream.pause()
    this.#stream.end(() => this.#stream.destroy())
  }
}
