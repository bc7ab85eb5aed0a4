// One connection from this node to another node's Tally port, opened with PEER (PROTOCOL.md §4.16), over which
// requests for the other node's partitions are forwarded as they came, under ids of this link, and their answers
// relayed with the client's id back in place. A request is forwarded once: the other node never forwards it again.
// Nothing is forwarded before the other node has accepted the PEER (with a peer secret: its proof, which answers the
// nonce of the other node's hello); with security, each request goes after a PEER naming the user it acts for,
// whenever that user (or their roles) differs from the last one named on the link.
import net from 'node:net'
import { FrameDecoder } from '../../protocol/frame.js'
import type { Hello } from '../../protocol/messages.js'
import { MsgpackReader } from '../../protocol/msgpack-reader.js'
import { FrameWriter } from '../../protocol/msgpack-writer.js'
import { peekRequestId, withRequestId, writePeerRequest } from '../../protocol/request-codec.js'
import { readError, readHello, readResponseHead, writeErrorResponse } from '../../protocol/response-codec.js'
import { STATUS } from '../../protocol/status.js'
import { grantText } from '../security/roles.js'
import type { User } from '../security/users.js'

/** A forwarded request not answered within this long is answered with status 9 (a write may have been applied). */
export const FORWARD_TIMEOUT_MS = 5000

/** Bytes of requests a link holds for the other node (queued before it opens, or not yet taken by its socket). */
export const MAX_LINK_BUFFERED_BYTES = 16 * 1024 * 1024

/** How this node proves itself to the others: its id, and the proof for a hello's nonce (peer-auth.ts). */
export interface PeerLogin {
  node: string
  proof(nonce: Uint8Array): Uint8Array
}

/** The id of the link's own PEER requests; forwarded requests take ids from 2 on. */
const PEER_ID = 1

interface Pending {
  clientId: number
  resolve(answer: Uint8Array): void
  sentMs: number
}

export class PeerLink {
  readonly host: string
  readonly port: number
  /** Called when the other node refuses this node's PEER (a wrong peer secret, say), with its message. */
  onRefused: ((message: string) => void) | undefined
  readonly #socket: net.Socket
  readonly #login: PeerLogin | undefined
  readonly #decoder = new FrameDecoder()
  readonly #pending = new Map<number, Pending>()
  readonly #timer: NodeJS.Timeout
  readonly #writer = new FrameWriter(256)
  #queued: Buffer[] | undefined = [] // frames to send once the PEER is accepted; undefined from then on
  #queuedBytes = 0
  readonly #openedMs = performance.now()
  #stage: 'hello' | 'peer' | 'open' = 'hello'
  #actingFor: User | undefined // the user the last PEER sent named, with the grants it named
  #actingGrants: User['grants'] | undefined
  #nextId = 2
  #closed = false

  constructor(host: string, port: number, login?: PeerLogin) {
    this.host = host
    this.port = port
    this.#login = login
    this.#socket = net.connect({ host, port, noDelay: true })
    this.#socket.on('data', (chunk: Buffer) => this.#onData(chunk))
    this.#socket.on('error', () => this.close())
    this.#socket.on('close', () => this.close())
    this.#timer = setInterval(() => this.#expire(), 250)
    this.#timer.unref()
  }

  get closed(): boolean {
    return this.#closed
  }

  /**
   * Sends the request `body` (a frame body) on, acting for `user` when security is on; resolves with the answer
   * frame for the client. Never rejects.
   */
  forward(body: Uint8Array, clientId: number, user?: User): Promise<Uint8Array> {
    if (this.#closed) return Promise.resolve(errorFrame(clientId, STATUS.UNAVAILABLE, `no connection to the partition's owner at ${this.host}:${this.port}`))
    // An owner that does not take what it is sent (stopped, or far behind) holds no more of this node's memory:
    // the request is refused, never sent.
    if (this.#queuedBytes + this.#socket.writableLength + body.length > MAX_LINK_BUFFERED_BYTES)
      return Promise.resolve(errorFrame(clientId, STATUS.UNAVAILABLE, `the partition's owner at ${this.host}:${this.port} is not taking requests as fast as they come (${MAX_LINK_BUFFERED_BYTES} bytes waiting); not sent`))
    const id = this.#nextId
    this.#nextId = id >= 0xfffffff0 ? 2 : id + 1
    if (user !== undefined && (user !== this.#actingFor || user.grants !== this.#actingGrants)) {
      this.#actingFor = user
      this.#actingGrants = user.grants
      this.#send(this.#peerFrame({ user: user.name, roles: user.grants.map(grantText) }))
    }
    this.#send(withRequestId(body, id))
    return new Promise((resolve) => this.#pending.set(id, { clientId, resolve, sentMs: performance.now() }))
  }

  #send(frame: Buffer): void {
    if (this.#queued === undefined) return void this.#socket.write(frame)
    this.#queued.push(frame)
    this.#queuedBytes += frame.length
  }

  #peerFrame(fields: Parameters<typeof writePeerRequest>[2]): Buffer {
    const w = this.#writer
    w.begin()
    writePeerRequest(w, PEER_ID, fields)
    w.end()
    return w.take()
  }

  #onData(chunk: Buffer): void {
    this.#decoder.push(chunk)
    try {
      for (let body = this.#decoder.next(); body !== null && !this.#closed; body = this.#decoder.next()) {
        if (this.#stage !== 'open') {
          this.#handshake(body)
          continue
        }
        const id = peekRequestId(body)
        const pending = this.#pending.get(id)
        if (pending === undefined) continue // a PEER naming a user, or an answer its timeout gave already
        this.#pending.delete(id)
        pending.resolve(withRequestId(body, pending.clientId))
      }
    } catch {
      this.close()
    }
  }

  // The hello (its nonce), then the answer to this node's PEER: only once it is accepted do the requests go.
  #handshake(body: Buffer): void {
    const r = new MsgpackReader({ mapsAsObjects: true }).reset(body)
    if (this.#stage === 'hello') {
      const hello: Hello = readHello(r)
      const login = this.#login
      const nonce = hello.peerNonce
      this.#socket.write(this.#peerFrame(login === undefined || nonce === undefined ? {} : { node: login.node, proof: login.proof(nonce) }))
      this.#stage = 'peer'
      return
    }
    const head = { id: 0, status: 0, fields: 0 }
    readResponseHead(r, head)
    if (head.status !== STATUS.OK) {
      const message = `node ${this.host}:${this.port} refused this node's PEER: ${readError(r, head.status, head.fields).message}`
      this.onRefused?.(message)
      return this.close(message)
    }
    this.#stage = 'open'
    const queued = this.#queued!
    this.#queued = undefined
    this.#queuedBytes = 0
    if (queued.length > 0) this.#socket.write(Buffer.concat(queued))
  }

  #expire(): void {
    const now = performance.now()
    // A node that accepts the connection but never opens the link (no hello, no answer to the PEER) is given up:
    // what waits for it was never sent.
    if (this.#stage !== 'open' && now - this.#openedMs > FORWARD_TIMEOUT_MS)
      return this.close(`node ${this.host}:${this.port} did not open the link in ${FORWARD_TIMEOUT_MS} ms; nothing was sent to it`)
    for (const [id, p] of this.#pending)
      if (now - p.sentMs > FORWARD_TIMEOUT_MS) {
        this.#pending.delete(id)
        p.resolve(errorFrame(p.clientId, STATUS.TIMEOUT, `the partition's owner at ${this.host}:${this.port} did not answer in ${FORWARD_TIMEOUT_MS} ms (a write may have been applied)`))
      }
  }

  /**
   * Closes the link. Requests waiting are answered 11 if nothing was sent (the link never opened; `refusal` says
   * why), else 9, as a timeout: a write among them may have been applied, and a client may send it again with its
   * token (PROTOCOL.md §3.1).
   */
  close(refusal?: string): void {
    if (this.#closed) return
    this.#closed = true
    clearInterval(this.#timer)
    this.#socket.destroy()
    const sent = refusal === undefined && this.#stage === 'open'
    const status = sent ? STATUS.TIMEOUT : STATUS.UNAVAILABLE
    const message = refusal ?? (sent ? `lost the connection to the partition's owner at ${this.host}:${this.port} (a write may have been applied)` : `no connection to the partition's owner at ${this.host}:${this.port}; nothing was sent to it`)
    for (const p of this.#pending.values()) p.resolve(errorFrame(p.clientId, status, message))
    this.#pending.clear()
  }
}

function errorFrame(id: number, status: number, message: string): Uint8Array {
  const w = new FrameWriter(128 + message.length)
  w.begin()
  writeErrorResponse(w, id, status, message)
  w.end()
  return w.take()
}
