// The bytes a stream decoder has received and not yet consumed, kept as the chunks they came in: a frame that
// arrives whole inside one chunk is read in place; only one that spans chunks is copied (frame.ts, aerospike/proto.ts).

const EMPTY = Buffer.alloc(0)

/**
 * A queue of received chunks read from the front. `head[headOffset]` is the next unread byte; it is always in the
 * first chunk (a chunk leaves the queue once read to its end, and empty chunks never enter it). Reads past
 * `bufferedBytes` are the caller's error: decoders check it first.
 */
export class ChunkQueue {
  #chunks: Buffer[] = []
  #offset = 0 // consumed bytes of #chunks[0]
  #buffered = 0 // unconsumed bytes over all chunks

  /** Bytes received and not yet consumed. */
  get bufferedBytes(): number {
    return this.#buffered
  }

  /** The chunk holding the next unread byte (an empty buffer when nothing is buffered). */
  get head(): Buffer {
    return this.#chunks[0] ?? EMPTY
  }

  /** Where the next unread byte lies in `head`. */
  get headOffset(): number {
    return this.#offset
  }

  /** Unread bytes in `head`: how many can be read in place. */
  get headBytes(): number {
    const first = this.#chunks[0]
    return first === undefined ? 0 : first.length - this.#offset
  }

  /** Appends a received chunk; the queue keeps a reference, so the caller must not reuse its memory. */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return
    this.#chunks.push(chunk)
    this.#buffered += chunk.length
  }

  /** Copies the next `bytes` unread bytes into `into` from 0 without consuming them. */
  peek(into: Uint8Array, bytes: number): void {
    let chunk = 0
    let at = this.#offset
    for (let i = 0; i < bytes; i++) {
      while (at >= this.#chunks[chunk]!.length) {
        chunk++
        at = 0
      }
      into[i] = this.#chunks[chunk]![at++]!
    }
  }

  /** Consumes `bytes` bytes without reading them. */
  skip(bytes: number): void {
    this.#buffered -= bytes
    while (bytes > 0) {
      const n = Math.min(bytes, this.#chunks[0]!.length - this.#offset)
      this.#advance(n)
      bytes -= n
    }
  }

  /**
   * Consumes the next `bytes` bytes if they lie in `head` and returns where they start in it (read `head` before:
   * a chunk read to its end leaves the queue); returns -1 and consumes nothing otherwise. Makes no Buffer.
   */
  takeInHead(bytes: number): number {
    const first = this.#chunks[0]
    const at = this.#offset
    if (first === undefined || first.length - at < bytes) return -1
    this.#buffered -= bytes
    this.#advance(bytes)
    return at
  }

  /** Consumes the next `bytes` bytes: a view of `head` when they lie in it, else a copy gathered across chunks. */
  take(bytes: number): Buffer {
    const head = this.head
    const at = this.takeInHead(bytes)
    if (at >= 0) return head.subarray(at, at + bytes)
    this.#buffered -= bytes
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
