// Tally's own protocol as a connection speaks it (connection.ts `Wire`): length-prefixed msgpack frames, the hello
// first, each request dispatched through the operation table, error answers carrying the request's id.
import type { TallyError } from '../protocol/errors.js'
import { FrameDecoder } from '../protocol/frame.js'
import { SERVER_MESSAGE_ID } from '../protocol/messages.js'
import { MsgpackReader } from '../protocol/msgpack-reader.js'
import { FrameWriter } from '../protocol/msgpack-writer.js'
import { writeErrorResponse } from '../protocol/response-codec.js'
import type { ConnectionContext, Wire } from './connection.js'
import { dispatch, type Forward } from './dispatch.js'
import { OP } from '../protocol/messages.js'
import type { BatchTally } from './metrics/batch-tally.js'

export class TallyWire implements Wire {
  readonly greeting: Uint8Array
  readonly #context: ConnectionContext
  readonly #decoder: FrameDecoder
  readonly #writer = new FrameWriter()
  readonly #reader = new MsgpackReader({ mapsAsObjects: false })
  readonly #forward: Forward | undefined
  defer: ((answer: Promise<Uint8Array>) => void) | undefined
  #peer = false // the other end is a cluster node that forwards requests (PEER): never forward them again

  /** `hello`: the hello frame, sent first on every connection. */
  constructor(context: ConnectionContext, hello: Uint8Array) {
    this.greeting = hello
    this.#context = context
    this.#decoder = new FrameDecoder(context.limits.maxFrameBytes)
    const cluster = context.cluster
    if (cluster !== undefined)
      this.#forward = (request, body) => {
        if (request.op === OP.PEER) this.#peer = true
        return cluster.route(request, body, this.#peer, this.defer!)
      }
  }

  get bufferedBytes(): number {
    return this.#decoder.bufferedBytes
  }

  get nextFrameBytes(): number {
    return this.#decoder.nextFrameBytes
  }

  get answerBytes(): number {
    return this.#writer.length
  }

  push(chunk: Buffer): void {
    this.#decoder.push(chunk)
  }

  nextFrame(): boolean {
    return this.#decoder.nextFrame()
  }

  /** The request's id is the answer's tag. */
  serve(tally: BatchTally): number {
    const decoder = this.#decoder
    return dispatch(this.#context, decoder.frame, decoder.frameStart, decoder.frameEnd, this.#reader, this.#writer, this.#context.log, tally, this.#forward)
  }

  takeAnswers(): Buffer {
    return this.#writer.take()
  }

  writeClosing(error: TallyError): void {
    this.#writer.begin()
    writeErrorResponse(this.#writer, SERVER_MESSAGE_ID, error.code, error.message)
    this.#writer.end()
  }

  failedAnswer(id: number, error: TallyError): Uint8Array {
    const w = new FrameWriter(64 + error.message.length * 3)
    w.begin()
    writeErrorResponse(w, id, error.code, error.message)
    w.end()
    return w.take()
  }
}
