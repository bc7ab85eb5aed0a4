// Writes with tokens on a raw socket (PROTOCOL.md §3.1): send a request again as a retry would, and compare the
// answers' bytes.
import { randomBytes } from 'node:crypto'
import type { Socket } from 'node:net'
import { FrameDecoder } from '../../protocol/frame.js'
import { OP } from '../../protocol/messages.js'
import { frame } from './frames.js'
import { createUnpacker } from './msgpackr.js'
import { rawSocket, type Teardown } from './server.js'

const unpacker = createUnpacker({ mapsAsObjects: true })

/** A client id for tokens. */
export const newClient = (): Buffer => randomBytes(8)

/** The header of a single-record request on `digest` (set 'tokens', no key), with `flags`. */
export function header(id: number, op: number, digest: Uint8Array, flags = 0): unknown[] {
  return [id, op, 'test', 'tokens', digest, null, null, 0, flags]
}

/** An INCREMENT of bin n by `by`, with the token `[client, seq, resent]`. */
export function increment(id: number, digest: Uint8Array, by: number, client: Buffer, seq: number, resent: boolean): unknown[] {
  return [...header(id, OP.INCREMENT, digest), 'n', by, null, [client, seq, resent]]
}

/** A connection that sends messages and returns each answer's body, decoded and as bytes. */
export class RawConnection {
  readonly socket: Socket
  readonly #decoder = new FrameDecoder(64 * 1024 * 1024)
  readonly #bodies: Buffer[] = []
  #wake: (() => void) | undefined

  private constructor(socket: Socket) {
    this.socket = socket
    socket.on('data', (chunk: Buffer) => {
      this.#decoder.push(chunk)
      for (let body = this.#decoder.next(); body !== null; body = this.#decoder.next()) this.#bodies.push(Buffer.from(body))
      this.#wake?.()
    })
  }

  /** Connected, with the hello read. */
  static async open(t: Teardown, port: number): Promise<{ connection: RawConnection; hello: Record<string, unknown> }> {
    const connection = new RawConnection(await rawSocket(t, port))
    const [, , hello] = (await connection.next()).message as [number, number, Record<string, unknown>]
    return { connection, hello }
  }

  /** Sends `message` and waits for the next answer. */
  async send(message: unknown[]): Promise<{ message: unknown[]; bytes: Buffer }> {
    this.socket.write(frame(message))
    return this.next()
  }

  async next(timeoutMs = 20_000): Promise<{ message: unknown[]; bytes: Buffer }> {
    const deadline = Date.now() + timeoutMs
    while (this.#bodies.length === 0) {
      if (Date.now() > deadline) throw new Error('no answer in time')
      await new Promise<void>((resolve) => {
        this.#wake = resolve
        setTimeout(resolve, 20)
      })
    }
    const bytes = this.#bodies.shift()!
    return { message: unpacker.unpack(bytes) as unknown[], bytes }
  }
}

/** An answer's bytes after its id: what a retry's answer must repeat exactly. */
export function afterId(bytes: Buffer): Buffer {
  const id = bytes[1]!
  return bytes.subarray(2 + (id <= 0x7f ? 0 : id === 0xcc ? 1 : id === 0xcd ? 2 : 4))
}
