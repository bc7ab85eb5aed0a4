// The 8-byte proto header that starts every Aerospike message (docs/aerospike.md "Framing"): version 2, a type,
// a 48-bit body length. An incremental decoder cuts a byte stream into frames under a size limit; compressed
// frames (type 4) are inflated with a cap on the output.
import { deflateSync, inflateSync } from 'node:zlib'
import { ChunkQueue } from '../chunk-queue.js'
import { DEFAULT_MAX_FRAME_BYTES } from '../frame.js'
import { COMPRESSED_SIZE_BYTES, PROTO_HEADER_BYTES, PROTO_TYPE, PROTO_VERSION, type ProtoType } from './constants.js'
import { malformed } from './wire.js'

/** One frame: its type and its body (the bytes after the header). */
export interface ProtoFrame {
  type: ProtoType
  body: Buffer
}

const TWO_32 = 0x1_0000_0000

/** Writes a proto header for a body of `bodyBytes` into `into` at `at`. */
export function writeProtoHeader(into: Buffer, at: number, type: ProtoType, bodyBytes: number): void {
  const high = Math.floor(bodyBytes / TWO_32) // bytes are stored one by one: cheaper than Buffer's checked writers
  into[at] = PROTO_VERSION
  into[at + 1] = type
  into[at + 2] = high >>> 8
  into[at + 3] = high
  into[at + 4] = bodyBytes >>> 24
  into[at + 5] = bodyBytes >>> 16
  into[at + 6] = bodyBytes >>> 8
  into[at + 7] = bodyBytes
}

/** A whole frame: header and body. */
export function encodeProto(type: ProtoType, body: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(PROTO_HEADER_BYTES + body.length)
  writeProtoHeader(frame, 0, type, body.length)
  frame.set(body, PROTO_HEADER_BYTES)
  return frame
}

/**
 * Checks the header at `buf[at, at + 8)` and returns the body length. Throws status 4 for another version, a type
 * other than 1-4, or a body over `maxBodyBytes`.
 */
export function readProtoHeader(buf: Uint8Array, at: number, maxBodyBytes: number): number {
  const version = buf[at]!
  if (version !== PROTO_VERSION) throw malformed(`proto version ${version}, expected ${PROTO_VERSION}`)
  const type = buf[at + 1]!
  if (type < PROTO_TYPE.INFO || type > PROTO_TYPE.COMPRESSED) throw malformed(`proto type ${type} is not supported`)
  const bytes = bodyBytesOf(buf, at)
  if (bytes > maxBodyBytes) throw malformed(`proto body of ${bytes} bytes exceeds the limit of ${maxBodyBytes} bytes`)
  return bytes
}

// The 48-bit body length of the header at `buf[at, at + 8)`, unchecked.
function bodyBytesOf(buf: Uint8Array, at: number): number {
  const high = buf[at + 2]! * 0x100 + buf[at + 3]!
  const low = buf[at + 4]! * 0x100_0000 + ((buf[at + 5]! << 16) | (buf[at + 6]! << 8) | buf[at + 7]!)
  return high * TWO_32 + low
}

/**
 * Cuts a byte stream into frames. Feed chunks with `push`, then call `next` until it returns null. A frame that
 * arrives whole inside one chunk is returned as a view of that chunk. A bad header throws status 4 as soon as its
 * 8 bytes are in, before the body is waited for; the stream cannot be resynchronised after that.
 */
export class ProtoDecoder {
  /** Largest body accepted. */
  readonly maxBodyBytes: number
  readonly #queue = new ChunkQueue()
  readonly #header = Buffer.alloc(PROTO_HEADER_BYTES) // a header that spans chunks, gathered

  constructor(maxBodyBytes = DEFAULT_MAX_FRAME_BYTES) {
    this.maxBodyBytes = maxBodyBytes
  }

  /** Bytes received but not yet returned as frames. */
  get bufferedBytes(): number {
    return this.#queue.bufferedBytes
  }

  /**
   * Bytes the next frame takes with its header, as far as known: its full size once its header has come in (as
   * the header says, checked or not), the header's size before that; 0 when nothing is buffered. More than
   * `bufferedBytes` while a frame is unfinished.
   */
  get nextFrameBytes(): number {
    const buffered = this.#queue.bufferedBytes
    if (buffered === 0) return 0
    if (buffered < PROTO_HEADER_BYTES) return PROTO_HEADER_BYTES
    const header = this.#headerBytes()
    const at = header === this.#header ? 0 : this.#queue.headOffset
    return PROTO_HEADER_BYTES + bodyBytesOf(header, at)
  }

  push(chunk: Buffer): void {
    this.#queue.push(chunk)
  }

  /** The next complete frame, or null when more bytes are needed. */
  next(): ProtoFrame | null {
    const queue = this.#queue
    if (queue.bufferedBytes < PROTO_HEADER_BYTES) return null
    const header = this.#headerBytes()
    const at = header === this.#header ? 0 : queue.headOffset
    const bytes = readProtoHeader(header, at, this.maxBodyBytes)
    if (queue.bufferedBytes < PROTO_HEADER_BYTES + bytes) return null
    const type = header[at + 1] as ProtoType
    queue.skip(PROTO_HEADER_BYTES)
    return { type, body: queue.take(bytes) }
  }

  // The buffer holding the next header: the first chunk when the header lies in it (read at headOffset), else
  // #header with the header gathered across chunks (read at 0).
  #headerBytes(): Buffer {
    const queue = this.#queue
    if (queue.headBytes >= PROTO_HEADER_BYTES) return queue.head
    queue.peek(this.#header, PROTO_HEADER_BYTES)
    return this.#header
  }
}

/**
 * The message inside a compressed (type 4) body: an 8-byte uncompressed size, then a zlib stream holding a whole
 * type-3 frame, header included. Returns that frame's body. The declared size is checked against `maxBodyBytes`
 * before inflating, and inflating stops at the declared size, so a small body cannot expand without bound.
 */
export function inflateMessage(body: Buffer, maxBodyBytes = DEFAULT_MAX_FRAME_BYTES): Buffer {
  if (body.length < COMPRESSED_SIZE_BYTES) throw malformed(`compressed body of ${body.length} bytes has no size`)
  const declared = body.readUInt32BE(0) * TWO_32 + body.readUInt32BE(4)
  if (declared < PROTO_HEADER_BYTES) throw malformed(`compressed message declares ${declared} bytes, less than a header`)
  if (declared > PROTO_HEADER_BYTES + maxBodyBytes)
    throw malformed(`compressed message of ${declared} bytes exceeds the limit of ${maxBodyBytes} bytes`)
  let inner: Buffer
  try {
    inner = inflateSync(body.subarray(COMPRESSED_SIZE_BYTES), { maxOutputLength: declared })
  } catch (err) {
    throw malformed(`compressed message does not inflate to its declared ${declared} bytes: ${(err as Error).message}`)
  }
  if (inner.length !== declared) throw malformed(`compressed message inflates to ${inner.length} bytes, not the declared ${declared}`)
  const bytes = readProtoHeader(inner, 0, maxBodyBytes)
  if (inner[1] !== PROTO_TYPE.MESSAGE) throw malformed(`compressed message holds proto type ${inner[1]}, expected ${PROTO_TYPE.MESSAGE}`)
  if (bytes !== declared - PROTO_HEADER_BYTES) throw malformed(`compressed message header says ${bytes} bytes, the stream holds ${declared - PROTO_HEADER_BYTES}`)
  return inner.subarray(PROTO_HEADER_BYTES)
}

/** A whole type-3 frame (header and body) wrapped as a compressed (type 4) frame. */
export function deflateMessage(frame: Uint8Array): Buffer {
  const stream = deflateSync(frame)
  const out = Buffer.allocUnsafe(PROTO_HEADER_BYTES + COMPRESSED_SIZE_BYTES + stream.length)
  writeProtoHeader(out, 0, PROTO_TYPE.COMPRESSED, COMPRESSED_SIZE_BYTES + stream.length)
  out.writeUInt32BE(Math.floor(frame.length / TWO_32), PROTO_HEADER_BYTES)
  out.writeUInt32BE(frame.length % TWO_32, PROTO_HEADER_BYTES + 4)
  out.set(stream, PROTO_HEADER_BYTES + COMPRESSED_SIZE_BYTES)
  return out
}
