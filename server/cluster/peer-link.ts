// One connection from this node to another node's Tally port, opened with PEER (PROTOCOL.md §4.16), over which
// requests for the other node's partitions are forwarded as they came, under ids of this link, and their answers
// relayed with the client's id back in place. A request is forwarded once: the other node never forwards it again.
import net from 'node:net'
import { FrameDecoder } from '../../protocol/frame.js'
import { FrameWriter } from '../../protocol/msgpack-writer.js'
import { peekRequestId, withRequestId, writePeerRequest } from '../../protocol/request-codec.js'
import { writeErrorResponse } from '../../protocol/response-codec.js'
import { STATUS } from '../../protocol/status.js'

/** A forwarded request not answered within this long is answered with status 9 (a write may have been applied). */
export const FORWARD_TIMEOUT_MS = 5000

interface Pending {
  clientId: number
  resolve(answer: Uint8Array): void
  sentMs: number
}

export class PeerLink {
  readonly host: string
  readonly port: number
  readonly #socket: net.Socket
  readonly #decoder = new FrameDecoder()
  readonly #pending = new Map<number, Pending>()
  readonly #timer: NodeJS.Timeout
  #nextId = 2
  #helloSeen = false
  #closed = false

  constructor(host: string, port: number) {
    this.host = host
    this.port = port
    this.#socket = net.connect({ host, port, noDelay: true })
    const w = new FrameWriter(64)
    w.begin()
    writePeerRequest(w, 1)
    w.end()
    this.#socket.write(w.take())
    this.#socket.on('data', (chunk: Buffer) => this.#onData(chunk))
    this.#socket.on('error', () => this.close())
    this.#socket.on('close', () => this.close())
    this.#timer = setInterval(() => this.#expire(), 250)
    this.#timer.unref()
  }

  get closed(): boolean {
    return this.#closed
  }

  /** Sends the request `body` (a frame body) on; resolves with the answer frame for the client. Never rejects. */
  forward(body: Uint8Array, clientId: number): Promise<Uint8Array> {
    if (this.#closed) return Promise.resolve(errorFrame(clientId, STATUS.UNAVAILABLE, `no connection to the partition's owner at ${this.host}:${this.port}`))
    const id = this.#nextId
    this.#nextId = id >= 0xfffffff0 ? 2 : id + 1
    this.#socket.write(withRequestId(body, id))
    return new Promise((resolve) => this.#pending.set(id, { clientId, resolve, sentMs: performance.now() }))
  }

  #onData(chunk: Buffer): void {
    this.#decoder.push(chunk)
    try {
      for (let body = this.#decoder.next(); body !== null; body = this.#decoder.next()) {
        if (!this.#helloSeen) {
          this.#helloSeen = true
          continue
        }
        const pending = this.#pending.get(peekRequestId(body))
        if (pending === undefined) continue // the PEER answer, or one answered already by its timeout
        this.#pending.delete(peekRequestId(body))
        pending.resolve(withRequestId(body, pending.clientId))
      }
    } catch {
      this.close()
    }
  }

  #expire(): void {
    const now = performance.now()
    for (const [id, p] of this.#pending)
      if (now - p.sentMs > FORWARD_TIMEOUT_MS) {
        this.#pending.delete(id)
        p.resolve(errorFrame(p.clientId, STATUS.TIMEOUT, `the partition's owner at ${this.host}:${this.port} did not answer in ${FORWARD_TIMEOUT_MS} ms (a write may have been applied)`))
      }
  }

  /** Closes the link; requests waiting are answered with status 11 (a write among them may have been applied). */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    clearInterval(this.#timer)
    this.#socket.destroy()
    for (const p of this.#pending.values())
      p.resolve(errorFrame(p.clientId, STATUS.UNAVAILABLE, `lost the connection to the partition's owner at ${this.host}:${this.port} (a write may have been applied)`))
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
