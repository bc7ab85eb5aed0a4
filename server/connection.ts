// One client connection over any duplex stream: cut frames, decode, dispatch, and answer everything produced by
// one read in one write. With persistence, a batch's answers are held until the log says its changes are durable;
// if they cannot be made durable, every request of the batch is answered with the storage error instead.
// Backpressure: when the peer stops reading our answers, or too many batches wait for the log, we stop reading
// its requests, so a slow or stuck client costs bounded memory. Broken framing ends the connection.
import type { Duplex } from 'node:stream'
import type { TallyError } from '../protocol/errors.js'
import { FrameDecoder } from '../protocol/frame.js'
import { SERVER_MESSAGE_ID } from '../protocol/messages.js'
import { MsgpackReader } from '../protocol/msgpack-reader.js'
import { FrameWriter } from '../protocol/msgpack-writer.js'
import { writeErrorResponse } from '../protocol/response-codec.js'
import { STATUS } from '../protocol/status.js'
import { dispatch, type BatchTally } from './dispatch.js'
import type { Logger } from './log.js'
import type { OpContext } from './ops/index.js'
import type { ServerStats } from './stats.js'

/** Answers pending in one write are flushed early once they pass this size, to bound memory per read. */
const FLUSH_BYTES = 1024 * 1024

/** What makes answers wait: resolves once the changes made so far are durable. */
export interface Durability {
  barrier(): Promise<void> | undefined
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
 * Answers waiting for the log: the bytes, the ids to answer with an error if the log fails, and what the batch
 * held, for the latency histograms.
 */
interface Held {
  bytes: Buffer
  ids: number[]
  done: boolean
  error: TallyError | undefined
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
  #ids: number[] = [] // requests answered in the writer, when answers may be held
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
    const holding = this.#context.durability !== undefined
    clock.hold()
    try {
      const tally = this.#tally
      for (;;) {
        while (!this.#blocked && !this.#stopped && !this.#full() && decoder.nextFrame()) {
          this.#requests++
          if (tally.reads + tally.writes === 0) this.#batchStart = performance.now()
          const id = dispatch(this.#context, decoder.frame, decoder.frameStart, decoder.frameEnd, this.#reader, this.#writer, this.#context.log, tally)
          if (holding) this.#ids.push(id)
          if (this.#writer.length >= FLUSH_BYTES) this.#flush()
        }
        // A batch that filled up is sent (or held); if that made room, the frames behind it are read now.
        const filled = this.#full()
        this.#flush()
        if (!filled || this.#full() || this.#blocked || this.#stopped) break
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
      this.#ids.length = 0
      this.#record(this.#batchStart, reads, writes)
      return this.#write(bytes)
    }
    const held: Held = { bytes, ids: this.#ids, done: barrier === undefined, error: undefined, start: this.#batchStart, reads, writes }
    this.#ids = []
    this.#held.push(held)
    this.#heldRequests += reads + writes
    barrier?.then(
      () => this.#settle(held, undefined),
      (err: TallyError) => this.#settle(held, err),
    )
  }

  #settle(held: Held, error: TallyError | undefined): void {
    held.done = true
    held.error = error
    while (this.#held[0]?.done) {
      const next = this.#held.shift()!
      this.#heldRequests -= next.reads + next.writes
      this.#record(next.start, next.reads, next.writes)
      this.#write(next.error === undefined ? next.bytes : this.#errors(next.ids, next.error))
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

  // The answers of a batch whose changes could not be made durable: the storage error, for every request.
  #errors(ids: number[], err: TallyError): Buffer {
    const w = new FrameWriter(ids.length * 64)
    for (const id of ids) {
      if (id === SERVER_MESSAGE_ID) continue
      w.begin()
      writeErrorResponse(w, id, err.code, `not applied: ${err.message}`)
      w.end()
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
    this.#ids.push(SERVER_MESSAGE_ID)
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
