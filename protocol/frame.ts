// Length-prefixed framing (PROTOCOL.md §1): a 4-byte big-endian length, then that many bytes of one msgpack value.
// Pure byte handling: an incremental decoder with a size limit. Frames are written by msgpack-writer.ts.
import { TallyError } from './errors.js'
import { STATUS } from './status.js'

/** Bytes in a frame's length prefix. */
export const FRAME_HEADER_BYTES = 4
/** Default largest frame body either side accepts: 8 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 8 * 1024 * 1024

const EMPTY = Buffer.alloc(0)

/** A single frame: the length prefix followed by `body`. */
export function encodeFrame(body: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length)
  frame.writeUInt32BE(body.length, 0)
  frame.set(body, FRAME_HEADER_BYTES)
  return frame
}

/**
 * Cuts a byte stream into frame bodies. Feed chunks with `push`, then call `next` until it returns null.
 * A frame that arrives whole inside one chunk is returned as a view of that chunk, without copying.
 */
export class FrameDecoder {
  /** Largest frame body accepted; a client raises it to what the server's hello states. */
  maxFrameBytes: number
  #chunks: Buffer[] = []
  #offset = 0 // consumed bytes of #chunks[0]
  #buffered = 0 // unconsumed bytes over all chunks

  constructor(maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {
    this.maxFrameBytes = maxFrameBytes
  }

  /** Bytes received but not yet returned as frames. */
  get bufferedBytes(): number {
    return this.#buffered
  }

  /**
   * Bytes the next frame takes with its header, as far as known: its full size once its length has come in, the
   * header's size before that; 0 when nothing is buffered. More than `bufferedBytes` while a frame is unfinished.
   */
  get nextFrameBytes(): number {
    if (this.#buffered === 0) return 0
    if (this.#buffered < FRAME_HEADER_BYTES) return FRAME_HEADER_BYTES
    return FRAME_HEADER_BYTES + this.#peekLength()
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return
    this.#chunks.push(chunk)
    this.#buffered += chunk.length
  }

  /**
   * The next complete frame body, or null when more bytes are needed. Throws a TallyError (status 4) when a frame
   * announces more than `maxFrameBytes`; the stream cannot be resynchronised after that.
   */
  next(): Buffer | null {
    if (!this.nextFrame()) return null
    return this.frame.subarray(this.frameStart, this.frameEnd)
  }

  /** The bytes holding the frame found by the last successful `nextFrame`, and where in them its body lies. */
  frame: Buffer = EMPTY
  frameStart = 0
  frameEnd = 0

  /**
   * Like `next`, without making a Buffer per frame: on true, the body is `frame[frameStart, frameEnd)`. Valid
   * until the next call.
   */
  nextFrame(): boolean {
    if (this.#buffered < FRAME_HEADER_BYTES) return false
    const length = this.#peekLength()
    if (length > this.maxFrameBytes)
      throw new TallyError(STATUS.PARAMETER, `frame of ${length} bytes exceeds the limit of ${this.maxFrameBytes} bytes`)
    if (this.#buffered < FRAME_HEADER_BYTES + length) return false
    this.#skip(FRAME_HEADER_BYTES)
    const first = this.#chunks[0]
    if (first !== undefined && first.length - this.#offset >= length) {
      this.frame = first
      this.frameStart = this.#offset
      this.frameEnd = this.#offset + length
      this.#buffered -= length
      this.#advance(length)
    } else {
      this.frame = this.#take(length)
      this.frameStart = 0
      this.frameEnd = length
    }
    return true
  }

  #peekLength(): number {
    const first = this.#chunks[0]!
    if (first.length - this.#offset >= FRAME_HEADER_BYTES) return first.readUInt32BE(this.#offset)
    let length = 0
    let chunk = 0
    let at = this.#offset
    for (let i = 0; i < FRAME_HEADER_BYTES; i++) {
      while (at >= this.#chunks[chunk]!.length) {
        chunk++
        at = 0
      }
      length = length * 256 + this.#chunks[chunk]![at++]!
    }
    return length
  }

  #skip(bytes: number): void {
    this.#buffered -= bytes
    while (bytes > 0) {
      const n = Math.min(bytes, this.#chunks[0]!.length - this.#offset)
      this.#advance(n)
      bytes -= n
    }
  }

  #take(bytes: number): Buffer {
    this.#buffered -= bytes
    const first = this.#chunks[0]
    if (first === undefined) return Buffer.alloc(0)
    if (first.length - this.#offset >= bytes) {
      const out = first.subarray(this.#offset, this.#offset + bytes)
      this.#advance(bytes)
      return out
    }
    const out = Buffer.allocUnsafe(bytes)
    let filled = 0
    while (filled < bytes) {
      const chunk = this.#chunks[0]!
      const n = Math.min(bytes - filled, chunk.length - this.#offset)
      chunk.copy(out, filled, this.#offset, this.#offset + n)
      filled += n
      this.#advance(n)
    }
    return out
  }

  #advance(bytes: number): void {
    this.#offset += bytes
    if (this.#offset === this.#chunks[0]!.length) {
      this.#chunks.shift()
      this.#offset = 0
    }
  }
}
