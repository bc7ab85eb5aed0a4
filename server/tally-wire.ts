// Tally's own protocol as a connection speaks it (connection.ts `Wire`): length-prefixed msgpack frames, the hello
// first, each request dispatched through the operation table, error answers carrying the request's id; scans
// stream their frames through the connection on their own.
import { TallyError } from '../protocol/errors.js'
import { FrameDecoder } from '../protocol/frame.js'
import { SERVER_MESSAGE_ID } from '../protocol/messages.js'
import { MsgpackReader } from '../protocol/msgpack-reader.js'
import { FrameWriter } from '../protocol/msgpack-writer.js'
import { writeErrorResponse, writeInfoResponse } from '../protocol/response-codec.js'
import type { ConnectionContext, Wire } from './connection.js'
import { dispatch, type Forward } from './dispatch.js'
import { OP, type PeerRequest } from '../protocol/messages.js'
import { STATUS } from '../protocol/status.js'
import type { ClusterNode } from './cluster/cluster-node.js'
import type { BatchTally } from './metrics/batch-tally.js'
import { failureOf } from './aerospike/failures.js'
import { Session, type Deferred } from './security/session.js'
import { ConnectionScans } from './scans/connection-scans.js'
import type { StreamSink } from './scans/scan-job.js'

export class TallyWire implements Wire {
  readonly greeting: Uint8Array
  paused = false
  onResume: (() => void) | undefined
  readonly #context: ConnectionContext
  readonly #session: Session | undefined
  readonly #decoder: FrameDecoder
  readonly #writer = new FrameWriter()
  readonly #reader = new MsgpackReader({ mapsAsObjects: false })
  readonly #scans: ConnectionScans
  readonly #forward: Forward | undefined
  defer: ((answer: Promise<Uint8Array>) => void) | undefined
  #peer = false // the other end is a cluster node that forwards requests (PEER): never forward them again

  /**
   * `hello`: the hello frame, sent first on every connection; `nonce`: the challenge it carries, on a cluster node
   * with a peer secret. `peer`: the client's address, for the log.
   */
  constructor(context: ConnectionContext, hello: Uint8Array, peer: string, nonce?: Uint8Array) {
    this.greeting = hello
    this.#context = context
    this.#session = context.security === undefined ? undefined : new Session(context.security, peer)
    this.#decoder = new FrameDecoder(context.limits.maxFrameBytes)
    this.#scans = new ConnectionScans(context.store)
    const cluster = context.cluster
    if (cluster !== undefined)
      this.#forward = (request, body) => {
        if (request.op === OP.PEER) this.#peerRequest(cluster, request, nonce)
        return cluster.route(request, body, this.#peer, this.defer!, this.#session?.user)
      }
  }

  // A node declares itself (proving the peer secret, if the cluster has one), or names the user the requests after
  // it act for; a refusal is answered 80 and leaves the connection as it was.
  #peerRequest(cluster: ClusterNode, request: PeerRequest, nonce: Uint8Array | undefined): void {
    if (request.user === null) {
      cluster.admitPeer(request, nonce)
      this.#peer = true
    } else if (!this.#peer) {
      throw new TallyError(STATUS.NOT_AUTHENTICATED, 'PEER: only a cluster node that declared itself may act for a user')
    } else {
      this.#session?.actFor(request.user, request.roles ?? [])
    }
  }

  /** Scans running on this connection. */
  get scans(): number {
    return this.#scans.running
  }

  attach(sink: StreamSink): void {
    this.#scans.attach(sink)
  }

  writable(): void {
    this.#scans.writable()
  }

  closed(): void {
    this.#scans.close()
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
    const session = this.#session
    const id = dispatch(this.#context, decoder.frame, decoder.frameStart, decoder.frameEnd, this.#reader, this.#writer, this.#context.log, tally, this.#scans, session, this.#forward)
    if (session !== undefined) {
      const deferred = session.takeDeferred()
      if (deferred !== undefined) this.#await(deferred)
    }
    return id
  }

  // Nothing more is read until the answer is written: the requests behind a login are served as its user.
  #await(deferred: Deferred): void {
    this.paused = true
    const write = (answer: (w: FrameWriter) => void): void => {
      this.#writer.begin()
      answer(this.#writer)
      this.#writer.end()
      this.paused = false
      this.onResume?.()
    }
    deferred.answer.then(
      (result) => write((w) => writeInfoResponse(w, deferred.id, result)),
      (err: unknown) => {
        const failure = failureOf(err, this.#context.log, `request ${deferred.id}`)
        write((w) => writeErrorResponse(w, deferred.id, failure.code, failure.message))
      },
    )
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
