// The chunk queue under both framings: takes, skips and peeks across a chunk boundary at every position and over
// 1-byte chunks, views versus copies, and the size bounds the two decoders enforce through its byte counts.
import t from 'tap'
import { PROTO_TYPE } from '../../protocol/aerospike/constants.js'
import { encodeProto, ProtoDecoder } from '../../protocol/aerospike/proto.js'
import { ChunkQueue } from '../../protocol/chunk-queue.js'
import { encodeFrame, FrameDecoder } from '../../protocol/frame.js'
import { STATUS } from '../../protocol/status.js'

// Its own memory (Buffer.alloc is never pooled), so that a view of it is told from a copy by its ArrayBuffer.
const STREAM = Buffer.alloc(24)
for (let i = 0; i < STREAM.length; i++) STREAM[i] = i + 1

/** A queue holding `bytes` cut at the given offsets. */
function queueOf(bytes: Buffer, cuts: number[]): ChunkQueue {
  const queue = new ChunkQueue()
  let from = 0
  for (const cut of [...cuts, bytes.length]) {
    queue.push(bytes.subarray(from, cut))
    from = cut
  }
  return queue
}

const sameMemory = (a: Buffer, b: Buffer): boolean => a.buffer === b.buffer

t.test('an empty queue: nothing buffered, an empty head, empty chunks ignored', async (t) => {
  const queue = new ChunkQueue()
  queue.push(Buffer.alloc(0))
  t.equal(queue.bufferedBytes, 0)
  t.equal(queue.head.length, 0)
  t.equal(queue.headBytes, 0)
  t.equal(queue.take(0).length, 0, 'taking nothing from nothing')
  queue.skip(0)
  t.equal(queue.bufferedBytes, 0)
})

t.test('two takes split the stream alike for a chunk boundary at every position and every first take', async (t) => {
  let checked = 0
  let wrong = 0
  for (let cut = 1; cut < STREAM.length; cut++) {
    for (let first = 0; first <= STREAM.length; first++) {
      const queue = queueOf(STREAM, [cut])
      const a = queue.take(first)
      const left = queue.bufferedBytes
      const b = queue.take(STREAM.length - first)
      checked++
      const inOneChunk = first <= cut
      if (!a.equals(STREAM.subarray(0, first)) || !b.equals(STREAM.subarray(first))) wrong++
      else if (left !== STREAM.length - first || queue.bufferedBytes !== 0 || queue.headBytes !== 0) wrong++
      else if (first > 0 && sameMemory(a, STREAM) !== inOneChunk) wrong++ // a view only when it lies in one chunk
    }
  }
  t.equal(checked, 23 * 25)
  t.equal(wrong, 0)
})

t.test('skip then peek and take across a boundary at every position', async (t) => {
  let wrong = 0
  for (let cut = 1; cut < STREAM.length; cut++) {
    for (let skipped = 0; skipped + 4 <= STREAM.length; skipped++) {
      const queue = queueOf(STREAM, [cut])
      queue.skip(skipped)
      const peeked = Buffer.alloc(4)
      queue.peek(peeked, 4)
      if (!peeked.equals(STREAM.subarray(skipped, skipped + 4))) wrong++
      if (queue.bufferedBytes !== STREAM.length - skipped) wrong++ // peeking consumes nothing
      const head = queue.head
      if (head[queue.headOffset] !== STREAM[skipped] || queue.headBytes !== (skipped < cut ? cut : STREAM.length) - skipped) wrong++
      if (!queue.take(4).equals(peeked)) wrong++
    }
  }
  t.equal(wrong, 0)
})

t.test('takeInHead consumes in place only what lies in the first chunk, at every boundary', async (t) => {
  let inPlace = 0
  let refused = 0
  let wrong = 0
  for (let cut = 1; cut < STREAM.length; cut++) {
    for (let bytes = 1; bytes <= STREAM.length; bytes++) {
      const queue = queueOf(STREAM, [cut])
      queue.skip(1)
      const head = queue.head
      const at = queue.takeInHead(bytes)
      const [offset, room] = cut === 1 ? [0, STREAM.length - 1] : [1, cut - 1] // a chunk read to its end is gone
      if (bytes <= room) {
        inPlace++
        if (at !== offset || !head.subarray(at, at + bytes).equals(STREAM.subarray(1, 1 + bytes))) wrong++
        if (queue.bufferedBytes !== STREAM.length - 1 - bytes) wrong++
      } else {
        refused++
        if (at !== -1 || queue.bufferedBytes !== STREAM.length - 1 || queue.headOffset !== offset) wrong++
      }
    }
  }
  t.equal(inPlace + refused, 23 * 24)
  t.ok(inPlace > 0 && refused > 0, `${inPlace} in place, ${refused} spanning`)
  t.equal(wrong, 0)
  const empty = new ChunkQueue()
  t.equal(empty.takeInHead(0), -1, 'nothing lies in an empty queue')
})

t.test('1-byte chunks: every take size gathers the right bytes', async (t) => {
  const cuts = Array.from({ length: STREAM.length - 1 }, (_, i) => i + 1)
  for (let size = 1; size <= STREAM.length; size++) {
    const queue = queueOf(STREAM, cuts)
    const out: Buffer[] = []
    while (queue.bufferedBytes >= size) out.push(queue.take(size))
    out.push(queue.take(queue.bufferedBytes))
    t.same(Buffer.concat(out), STREAM, `takes of ${size}`)
    t.equal(queue.bufferedBytes, 0)
  }
})

t.test('random chunks and random takes over many rounds', async (t) => {
  let wrong = 0
  for (let round = 0; round < 300; round++) {
    const bytes = Buffer.from(Array.from({ length: 1 + Math.floor(Math.random() * 200) }, () => Math.floor(Math.random() * 256)))
    const cuts = [...new Set(Array.from({ length: Math.floor(Math.random() * 20) }, () => 1 + Math.floor(Math.random() * (bytes.length - 1))))]
    const queue = queueOf(bytes, cuts.filter((c) => c < bytes.length).sort((a, b) => a - b))
    const out: Buffer[] = []
    while (queue.bufferedBytes > 0) out.push(Buffer.from(queue.take(Math.min(queue.bufferedBytes, Math.floor(Math.random() * 30)))))
    if (!Buffer.concat(out).equals(bytes)) wrong++
  }
  t.equal(wrong, 0)
})

// The limits: a frame over the limit is refused as soon as its length is in, so a sender cannot make either decoder
// hold more than one frame's header of it; nextFrameBytes (what the frame budget reserves) is exact at every split.

t.test('FrameDecoder: an over-limit length is refused once its 4 bytes are in, at every split, and sized before', async (t) => {
  const header = Buffer.from([0, 0, 0, 101])
  for (let cut = 1; cut < 4; cut++) {
    const decoder = new FrameDecoder(100)
    decoder.push(header.subarray(0, cut))
    t.equal(decoder.next(), null, `${cut} bytes of a length wait`)
    t.equal(decoder.nextFrameBytes, 4)
    decoder.push(header.subarray(cut))
    t.equal(decoder.bufferedBytes, 4, 'nothing but the header is held')
    t.equal(decoder.nextFrameBytes, 105)
    t.throws(() => decoder.next(), { code: STATUS.PARAMETER, message: /101 bytes exceeds the limit of 100 bytes/ })
  }
  const frame = encodeFrame(Buffer.alloc(100, 7))
  const decoder = new FrameDecoder(100)
  let frames = 0
  let sized = 0
  for (let at = 0; at < frame.length; at++) {
    decoder.push(frame.subarray(at, at + 1))
    if (decoder.nextFrameBytes === (at < 3 ? 4 : frame.length)) sized++
    for (let body = decoder.next(); body !== null; body = decoder.next()) frames += body.equals(Buffer.alloc(100, 7)) ? 1 : 100
  }
  t.equal(sized, frame.length, 'the header while it comes, then the whole frame')
  t.equal(frames, 1, 'a frame of exactly the limit comes through 1-byte chunks whole')
  t.equal(decoder.bufferedBytes, 0)
})

t.test('ProtoDecoder: an over-limit header is refused once its 8 bytes are in, at every split', async (t) => {
  const header = Buffer.from('0203000000000065', 'hex')
  for (let cut = 1; cut < 8; cut++) {
    const decoder = new ProtoDecoder(100)
    decoder.push(header.subarray(0, cut))
    t.equal(decoder.next(), null, `${cut} bytes of a header wait`)
    decoder.push(header.subarray(cut))
    t.equal(decoder.bufferedBytes, 8, 'nothing but the header is held')
    t.equal(decoder.nextFrameBytes, 8 + 101)
    t.throws(() => decoder.next(), { code: STATUS.PARAMETER, message: /101 bytes exceeds the limit of 100 bytes/ })
  }
  const frame = encodeProto(PROTO_TYPE.MESSAGE, Buffer.alloc(100, 7))
  let whole = 0
  for (let cut = 1; cut < frame.length; cut++) {
    const decoder = new ProtoDecoder(100)
    decoder.push(frame.subarray(0, cut))
    decoder.push(frame.subarray(cut))
    const got = decoder.next()
    if (got?.type === PROTO_TYPE.MESSAGE && got.body.equals(Buffer.alloc(100, 7)) && decoder.bufferedBytes === 0) whole++
  }
  t.equal(whole, frame.length - 1, 'a frame of exactly the limit, cut at every position, comes through whole')
})
