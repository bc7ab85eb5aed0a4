// Length-prefixed framing (PROTOCOL.md §1): a 4-byte big-endian length, then that many bytes of one msgpack value.
// Pure byte handling: an incremental decoder with a size limit. Frames are written by msgpack-writer.ts.
import { ChunkQueue } from './chunk-queue.js'
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
  readonly #queue = new ChunkQueue()
  readonly #header = Buffer.alloc(FRAME_HEADER_BYTES) // a length prefix that spans chunks, gathered

  constructor(maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {
    this.maxFrameBytes = maxFrameBytes
  }

  /** Bytes received but not yet returned as frames. */
  get bufferedBytes(): number {
    return this.#queue.bufferedBytes
  }

  /**
   * Bytes the next frame takes with its header, as far as known: its full size once its length has come in, the
   * header's size before that; 0 when nothing is buffered. More than `bufferedBytes` while a frame is unfinished.
   */
  get nextFrameBytes(): number {
    const buffered = this.#queue.bufferedBytes
    if (buffered === 0) return 0
    if (buffered < FRAME_HEADER_BYTES) return FRAME_HEADER_BYTES
    return FRAME_HEADER_BYTES + this.#peekLength()
  }

  push(chunk: Buffer): void {
    this.#queue.push(chunk)
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
    const queue = this.#queue
    const buffered = queue.bufferedBytes
    if (buffered < FRAME_HEADER_BYTES) return false
    const head = queue.head
    const length = this.#peekLength()
    if (length > this.maxFrameBytes)
      throw new TallyError(STATUS.PARAMETER, `frame of ${length} bytes exceeds the limit of ${this.maxFrameBytes} bytes`)
    if (buffered < FRAME_HEADER_BYTES + length) return false
    // Header and body in one step when they lie in one chunk, as nearly every frame does: every request comes here.
    const at = queue.takeInHead(FRAME_HEADER_BYTES + length)
    if (at >= 0) {
      this.frame = head
      this.frameStart = at + FRAME_HEADER_BYTES
      this.frameEnd = this.frameStart + length
    } else {
      queue.skip(FRAME_HEADER_BYTES)
      this.frame = queue.take(length)
      this.frameStart = 0
      this.frameEnd = length
    }
    return true
  }

  #peekLength(): number {
    const queue = this.#queue
    if (queue.headBytes >= FRAME_HEADER_BYTES) return queue.head.readUInt32BE(queue.headOffset)
    queue.peek(this.#header, FRAME_HEADER_BYTES)
    return this.#header.readUInt32BE(0)
  }
}
