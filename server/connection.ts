// One client connection over any duplex stream: cut frames, decode, dispatch, and answer everything produced by
// one read in one write. With persistence, a batch's answers are held until the log says its changes are durable;
// a request whose changes a storage failure undid is answered with the storage error instead.
// Backpressure: when the peer stops reading our answers, or too many batches wait for the log, we stop reading
// its requests, so a slow or stuck client costs bounded memory. Broken framing ends the connection.
import type { Duplex } from 'node:stream'
import { TallyError } from '../protocol/errors.js'
import { FrameDecoder } from '../protocol/frame.js'
import { SERVER_MESSAGE_ID } from '../protocol/messages.js'
import { MsgpackReader } from '../protocol/msgpack-reader.js'
import { FrameWriter } from '../protocol/msgpack-writer.js'
import { writeErrorResponse } from '../protocol/response-codec.js'
import { STATUS } from '../protocol/status.js'
import { dispatch, type BatchTally } from './dispatch.js'
import type { Logger } from './log.js'
import type { OpContext } from './ops/index.js'
import type { LogFailure } from './persist/log-writer.js'
import type { ServerStats } from './stats.js'

/** Answers pending in one write are flushed early once they pass this size, to bound memory per read. */
const FLUSH_BYTES = 1024 * 1024

/** What makes answers wait: the log's position, and a promise of durability (or of what a failure undid). */
export interface Durability {
  readonly position: number
  barrier(): Promise<LogFailure | undefined> | undefined
}

export interface ConnectionContext extends OpContext {
  log: Logger
  /** The hello, a whole frame, sent first on every connection. */
  hello: Uint8Array
  durability: Durability | undefined
  stats: ServerStats
  /** Most requests of one connection being served at once, waiting for the log included. */
  maxInFlight: number
}

/**
 * Answers waiting for the log. `marks` holds, per request, [id, end of its answer in `bytes`, log position after
 * it], so that a failure can be traced to the requests whose changes it undid. `start`, `reads` and `writes` are
 * for the latency histograms.
 */
interface Held {
  bytes: Buffer
  marks: number[]
  position: number // log position before the first request
  done: boolean
  failure: LogFailure | undefined
  start: number
  reads: number
  writes: number
}

export class ServerConnection {
  readonly #stream: Duplex
  readonly #context: ConnectionContext
  readonly #decoder: FrameDecoder
  readonly #writer = new FrameWriter()
  readonly #reader = new MsgpackReader({ mapsAsObjects: false })
  #blocked = false // the peer is not reading: wait for 'drain'
  #held: Held[] = []
  #heldRequests = 0
  #marks: number[] = [] // [id, answer end, log position] per request in the writer, when answers may be held
  #position = 0 // log position when the writer's first request began
  #tally: BatchTally = { reads: 0, writes: 0 } // requests answered in the writer
  #batchStart = 0
  #peerEnded = false // no more requests will come: answer what came, then end
  #stopped = false // broken framing: nothing more is read
  #ended = false
  #requests = 0

  constructor(stream: Duplex, context: ConnectionContext) {
    this.#stream = stream
    this.#context = context
    this.#decoder = new FrameDecoder(context.limits.maxFrameBytes)
    stream.on('data', (chunk: Buffer) => {
      this.#decoder.push(chunk)
      this.#pump()
    })
    stream.on('drain', () => {
      this.#blocked = false
      this.#pump()
    })
    stream.on('end', () => {
      this.#peerEnded = true
      this.#pump()
    })
    stream.on('error', (err) => context.log.debug(`connection error: ${err.message}`))
    stream.write(context.hello)
  }

  /** Requests answered on this connection. */
  get requests(): number {
    return this.#requests
  }

  /** Bytes queued for the peer but not yet taken by the socket. */
  get bufferedOutputBytes(): number {
    return this.#stream.writableLength
  }

  /** Answers what has been received, then ends the connection. */
  close(): void {
    this.#peerEnded = true
    this.#pump()
  }

  #pump(): void {
    if (this.#ended) return
    const decoder = this.#decoder
    const clock = this.#context.store.clock
    const durability = this.#context.durability
    clock.hold()
    try {
      const tally = this.#tally
      for (;;) {
        while (!this.#blocked && !this.#stopped && !this.#full() && decoder.nextFrame()) {
          this.#requests++
          if (this.#writer.length === 0) {
            this.#batchStart = performance.now()
            if (durability !== undefined) this.#position = durability.position
          }
          const id = dispatch(this.#context, decoder.frame, decoder.frameStart, decoder.frameEnd, this.#reader, this.#writer, this.#context.log, tally)
          if (durability !== undefined) this.#marks.push(id, this.#writer.length, durability.position)
          if (this.#writer.length >= FLUSH_BYTES) this.#flush()
        }
        // A batch that filled up is sent (or held); if that made room, the frames behind it are read now.
        const filled = this.#full()
        this.#flush()
        if (!filled || this.#full() || this.#blocked || this.#stopped) break
      }
      // The peer ended its side with part of a frame unsent: that frame will never be whole.
      if (this.#peerEnded && !this.#stopped && !this.#blocked && !this.#full() && decoder.bufferedBytes > 0) {
        this.#fail(new TallyError(STATUS.PARAMETER, `the connection ended in the middle of a frame (${decoder.bufferedBytes} bytes)`))
        this.#flush()
      }
    } catch (err) {
      this.#fail(err as TallyError) // broken framing: nextFrame found a length over the limit
      this.#flush()
    } finally {
      clock.release()
    }
    if (this.#blocked || this.#stopped || this.#full()) this.#stream.pause()
    else this.#stream.resume()
    this.#endIfDone()
  }

  /** Too many requests of this connection are being served (or waiting for the log) to read more. */
  #full(): boolean {
    return this.#heldRequests + this.#tally.reads + this.#tally.writes >= this.#context.maxInFlight
  }

  #flush(): void {
    if (this.#writer.length === 0 || this.#stream.destroyed) return
    const bytes = this.#writer.take()
    const { reads, writes } = this.#tally
    this.#tally.reads = this.#tally.writes = 0
    const barrier = this.#context.durability?.barrier()
    if (barrier === undefined && this.#held.length === 0) {
      this.#marks.length = 0
      this.#record(this.#batchStart, reads, writes)
      return this.#write(bytes)
    }
    const held: Held = { bytes, marks: this.#marks, position: this.#position, done: barrier === undefined, failure: undefined, start: this.#batchStart, reads, writes }
    this.#marks = []
    this.#held.push(held)
    this.#heldRequests += reads + writes
    barrier?.then((failure) => this.#settle(held, failure))
  }

  #settle(held: Held, failure: LogFailure | undefined): void {
    held.done = true
    held.failure = failure
    while (this.#held[0]?.done) {
      const next = this.#held.shift()!
      this.#heldRequests -= next.reads + next.writes
      this.#record(next.start, next.reads, next.writes)
      this.#write(next.failure === undefined ? next.bytes : this.#withFailures(next, next.failure))
    }
    this.#pump() // read what waited behind the held batches, or end
  }

  // Every request of a batch is answered together: they share the batch's latency, from its first read to its write.
  #record(start: number, reads: number, writes: number): void {
    const us = (performance.now() - start) * 1000
    const { read, write } = this.#context.stats.current
    read.add(us, reads)
    write.add(us, writes)
  }

  // A held batch after a storage failure: requests whose logged changes were undone are answered with the error;
  // the others (reads, memory namespaces, acknowledged changes) keep their answers.
  #withFailures(held: Held, failure: LogFailure): Buffer {
    const { bytes, marks } = held
    const w = new FrameWriter(bytes.length + marks.length * 32)
    let answerStart = 0
    let before = held.position
    for (let k = 0; k < marks.length; k += 3) {
      const [id, answerEnd, after] = [marks[k]!, marks[k + 1]!, marks[k + 2]!]
      if (id !== SERVER_MESSAGE_ID && undoneWithin(failure.undone, before, after)) {
        w.begin()
        writeErrorResponse(w, id, failure.error.code, `not applied: ${failure.error.message}`)
        w.end()
      } else {
        w.raw(bytes.subarray(answerStart, answerEnd))
      }
      answerStart = answerEnd
      before = after
    }
    return w.take()
  }

  #write(bytes: Buffer): void {
    if (bytes.length === 0 || this.#stream.destroyed) return
    if (!this.#stream.write(bytes)) this.#blocked = true
  }

  // Broken framing: the stream cannot be resynchronised. Say why, then close once earlier answers are out.
  #fail(err: TallyError): void {
    this.#context.log.warn(`closing a connection: ${err.message}`)
    this.#writer.begin()
    writeErrorResponse(this.#writer, SERVER_MESSAGE_ID, err.code ?? STATUS.PARAMETER, err.message)
    this.#writer.end()
    if (this.#context.durability !== undefined) this.#marks.push(SERVER_MESSAGE_ID, this.#writer.length, this.#context.durability.position)
    this.#stopped = true
  }

  #endIfDone(): void {
    if (this.#ended || this.#held.length > 0) return
    if (!this.#stopped && !(this.#peerEnded && this.#decoder.bufferedBytes === 0)) return
    this.#ended = true
    this.#stream.pause()
    this.#stream.end(() => this.#stream.destroy())
  }
}

/** True if a position in `undone` (ascending) lies in (from, to]. */
function undoneWithin(undone: number[], from: number, to: number): boolean {
  let lo = 0
  let hi = undone.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (undone[mid]! <= from) lo = mid + 1
    else hi = mid
  }
  return lo < undone.length && undone[lo]! <= to
}
