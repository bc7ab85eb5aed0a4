// Test helpers that speak the wire directly: encode request frames, collect response frames.
import type { Socket } from 'node:net'
import { createPacker, createUnpacker } from './msgpackr.js'
import { encodeFrame, FrameDecoder } from '../../protocol/frame.js'

const packer = createPacker()
const unpacker = createUnpacker({ mapsAsObjects: true })

/** One frame holding `message` as msgpack. */
export function frame(message: unknown): Buffer {
  return encodeFrame(packer.pack(message))
}

/** Reads decoded messages from a socket, in arrival order. */
export class FrameReader {
  readonly #decoder = new FrameDecoder(64 * 1024 * 1024)
  readonly #messages: unknown[] = []
  #wake: (() => void) | undefined
  #ended = false

  constructor(socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.#decoder.push(chunk)
      for (let body = this.#decoder.next(); body !== null; body = this.#decoder.next()) this.#messages.push(unpacker.unpack(body))
      this.#wake?.()
    })
    socket.on('close', () => {
      this.#ended = true
      this.#wake?.()
    })
  }

  /** The next message; null once the socket has closed and nothing is left. */
  async next(timeoutMs = 20_000): Promise<unknown[] | null> {
    const deadline = Date.now() + timeoutMs
    while (this.#messages.length === 0) {
      if (this.#ended) return null
      if (Date.now() > deadline) throw new Error('no message in time')
      await new Promise<void>((resolve) => {
        this.#wake = resolve
        setTimeout(resolve, 20)
      })
    }
    return this.#messages.shift() as unknown[]
  }

  get closed(): boolean {
    return this.#ended
  }
}
