// Test helpers that speak the wire directly: encode request frames, collect response frames.
import type { Socket } from 'node:net'
import { createPacker, createUnpacker } from './msgpackr.js'
import { encodeFrame, FrameDecoder } from '../../protocol/frame.js'

const packer = createPacker()

/** One frame holding `message` as msgpack. */
export function frame(message: unknown): Buffer {
  return encodeFrame(packer.pack(message))
}

/**
 * The body of `message` whose last element, a nil, is replaced by a list of `count` copies of the msgpack value
 * `element`: shapes too large to build as values first.
 */
export function withList(message: unknown[], count: number, element: readonly number[]): Buffer {
  const head = Buffer.from(packer.pack(message))
  if (head[head.length - 1] !== 0xc0) throw new Error('the message must end with a nil')
  const list = Buffer.alloc(5 + count * element.length)
  list[0] = 0xdd
  list.writeUInt32BE(count, 1)
  for (let i = 0; i < count; i++) list.set(element, 5 + i * element.length)
  return Buffer.concat([head.subarray(0, head.length - 1), list])
}

/** Reads decoded messages from a socket, in arrival order. */
export class FrameReader {
  readonly #decoder = new FrameDecoder(64 * 1024 * 1024)
  readonly #messages: unknown[] = []
  #wake: (() => void) | undefined
  #ended = false

  /** `mapsAsObjects` false: maps come as `Map`s, as they must when their keys are not all strings. */
  constructor(socket: Socket, options = { mapsAsObjects: true }) {
    const unpacker = createUnpacker(options)
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
