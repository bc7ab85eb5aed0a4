// Framing: golden bytes whole and byte by byte, random chunking, the size limit, and the batching writer.
import t from 'tap'
import { encodeFrame, FrameDecoder } from '../../protocol/frame.js'
import { FrameWriter } from '../../protocol/msgpack-writer.js'
import { STATUS } from '../../protocol/status.js'

const GOLDEN = Buffer.from('0000000493010203' + '00000000' + '00000001c0', 'hex')
const BODIES = [Buffer.from([0x93, 1, 2, 3]), Buffer.alloc(0), Buffer.from([0xc0])]

function drain(decoder: FrameDecoder): Buffer[] {
  const out: Buffer[] = []
  for (let body = decoder.next(); body !== null; body = decoder.next()) out.push(Buffer.from(body))
  return out
}

t.test('encodeFrame writes a big-endian length prefix', async (t) => {
  t.same(Buffer.concat(BODIES.map(encodeFrame)), GOLDEN)
})

t.test('decodes golden bytes fed whole', async (t) => {
  const decoder = new FrameDecoder()
  decoder.push(GOLDEN)
  t.same(drain(decoder), BODIES)
  t.equal(decoder.bufferedBytes, 0)
})

t.test('decodes golden bytes fed one byte at a time', async (t) => {
  const decoder = new FrameDecoder()
  const out: Buffer[] = []
  for (const byte of GOLDEN) {
    decoder.push(Buffer.from([byte]))
    out.push(...drain(decoder))
  }
  t.same(out, BODIES)
})

t.test('random frames survive random chunk boundaries', async (t) => {
  for (let round = 0; round < 50; round++) {
    const bodies = Array.from({ length: 1 + Math.floor(Math.random() * 20) }, () =>
      Buffer.from(Array.from({ length: Math.floor(Math.random() * 300) }, () => Math.floor(Math.random() * 256))),
    )
    const stream = Buffer.concat(bodies.map(encodeFrame))
    const decoder = new FrameDecoder()
    const out: Buffer[] = []
    for (let at = 0; at < stream.length; ) {
      const n = 1 + Math.floor(Math.random() * 64)
      decoder.push(stream.subarray(at, at + n))
      at += n
      out.push(...drain(decoder))
    }
    t.same(out, bodies, `round ${round}`)
  }
})

t.test('a frame over the limit is refused with status 4 before it is buffered', async (t) => {
  const decoder = new FrameDecoder(100)
  decoder.push(Buffer.from([0, 0, 0, 101]))
  t.throws(() => decoder.next(), { code: STATUS.PARAMETER, message: /101 bytes exceeds the limit of 100/ })
  const ok = new FrameDecoder(100)
  ok.push(encodeFrame(Buffer.alloc(100, 7)))
  t.equal(ok.next()?.length, 100)
})

t.test('random bytes never make the decoder misbehave', async (t) => {
  const ROUNDS = 2000
  let frames = 0
  let refused = 0
  let waiting = 0
  let wrong = 0
  for (let round = 0; round < ROUNDS; round++) {
    const decoder = new FrameDecoder(1024)
    const bytes = Buffer.from(Array.from({ length: Math.floor(Math.random() * 64) }, () => Math.floor(Math.random() * 256)))
    if (round % 2 === 0 && bytes.length >= 4) bytes.writeUInt32BE(Math.floor(Math.random() * 80), 0) // a plausible length
    decoder.push(bytes)
    try {
      for (let body = decoder.next(); body !== null; body = decoder.next()) {
        frames++
        if (body.length > 1024) wrong++
      }
      waiting++
    } catch (err) {
      refused++
      if ((err as { code: number }).code !== STATUS.PARAMETER) wrong++
    }
  }
  t.equal(wrong, 0, 'no frame over the limit, no refusal other than status 4')
  t.equal(waiting + refused, ROUNDS)
  t.ok(frames > 0 && refused > 0, `${frames} frames cut, ${refused} streams refused`)
})

t.test('FrameWriter packs many frames into one buffer and never reuses a taken one', async (t) => {
  const writer = new FrameWriter(8)
  for (const body of BODIES) writer.push(body)
  t.equal(writer.frames, 3)
  const first = writer.take()
  t.same(first, GOLDEN)
  t.equal(writer.length, 0)
  writer.push(Buffer.alloc(40, 1))
  const second = writer.take()
  t.same(first, GOLDEN, 'the first buffer is untouched')
  t.equal(second.length, 44)
})
