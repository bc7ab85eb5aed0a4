// One client connection over any duplex stream: cut frames, decode, dispatch, and answer everything produced by
// one read in one write. Backpressure: when the peer stops reading our answers, we stop reading its requests, so
// a slow or stuck client costs bounded memory. Broken framing ends the connection; nothing else does.
import type { Duplex } from 'node:stream'
import type { TallyError } from '../protocol/errors.js'
import { FrameDecoder } from '../protocol/frame.js'
import { SERVER_MESSAGE_ID } from '../protocol/messages.js'
import { MsgpackReader } from '../protocol/msgpack-reader.js'
import { FrameWriter } from '../protocol/msgpack-writer.js'
import { writeErrorResponse } from '../protocol/response-codec.js'
import { STATUS } from '../protocol/status.js'
import { dispatch } from './dispatch.js'
import type { Logger } from './log.js'
import type { OpContext } from './ops/index.js'

/** Answers pending in one write are flushed early once they pass this size, to bound memory per read. */
const FLUSH_BYTES = 1024 * 1024

export interface ConnectionContext extends OpContext {
  log: Logger
  /** The hello, a whole frame, sent first on every connection. */
  hello: Uint8Array
}

export class ServerConnection {
  readonly #stream: Duplex
  readonly #context: ConnectionContext
  readonly #decoder: FrameDecoder
  readonly #writer = new FrameWriter()
  readonly #reader = new MsgpackReader({ mapsAsObjects: false })
  #blocked = false // the peer is not reading: wait for 'drain'
  #peerEnded = false
  #closing = false
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
      if (!this.#blocked && !this.#closing) stream.resume()
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
    if (this.#closing) return
    this.#peerEnded = true
    this.#pump()
    this.#end()
  }

  #pump(): void {
    const decoder = this.#decoder
    const clock = this.#context.store.clock
    clock.hold()
    try {
      while (!this.#blocked && !this.#closing) {
        if (!decoder.nextFrame()) break
        this.#requests++
        dispatch(this.#context, decoder.frame, decoder.frameStart, decoder.frameEnd, this.#reader, this.#writer, this.#context.log)
        if (this.#writer.length >= FLUSH_BYTES) this.#flush()
      }
    } catch (err) {
      this.#fail(err as TallyError) // broken framing: nextFrame found a length over the limit
      return
    } finally {
      clock.release()
    }
    this.#flush()
    if (this.#peerEnded && !this.#blocked && decoder.bufferedBytes === 0) this.#end()
  }

  #flush(): void {
    if (this.#writer.length === 0 || this.#stream.destroyed) return
    if (!this.#stream.write(this.#writer.take())) {
      this.#blocked = true
      this.#stream.pause()
    }
  }

  // Broken framing: the stream cannot be resynchronised. Say why, then close.
  #fail(err: TallyError): void {
    this.#context.log.warn(`closing a connection: ${err.message}`)
    this.#writer.begin()
    writeErrorResponse(this.#writer, SERVER_MESSAGE_ID, err.code ?? STATUS.PARAMETER, err.message)
    this.#writer.end()
    this.#flush()
    this.#end()
  }

  #end(): void {
    if (this.#closing) return
    this.#closing = true
    this.#stream.pause()
    this.#stream.end(() => this.#stream.destroy())
  }
}
