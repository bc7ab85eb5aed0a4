// Aerospike framing: the 8-byte proto header, the streaming decoder fed whole, byte by byte and in random chunks,
// its limits, and compressed (type 4) messages. Golden frames are the official client's (captured.ts).
import { deflateSync } from 'node:zlib'
import t from 'tap'
import { PROTO_TYPE } from '../../../protocol/aerospike/constants.js'
import { deflateMessage, encodeProto, inflateMessage, ProtoDecoder } from '../../../protocol/aerospike/proto.js'
import { decodeRequest, encodeRequest } from '../../../protocol/aerospike/record-request.js'
import { STATUS } from '../../../protocol/status.js'
import { INFO_REQUESTS, REQUESTS } from './captured.js'
import { framesOf, fuzz, hex, mutations, randomInputs, seeded } from './wire-helpers.js'

const STREAM = [INFO_REQUESTS.SEED, REQUESTS.PUT_INT_STRING, INFO_REQUESTS.TEND, REQUESTS.BATCH_GET, REQUESTS.PUT_COMPRESSED].map(hex)
const ALL = Buffer.concat(STREAM)

t.test('the header is version 2, the type, and a 48-bit big-endian body length (reference §1)', async (t) => {
  // 'node\npartition-generation\nbuild\n' is 32 bytes: (2 << 56) | (1 << 48) | 32.
  t.equal(encodeProto(PROTO_TYPE.INFO, Buffer.from('node\npartition-generation\nbuild\n')).toString('hex'), INFO_REQUESTS.SEED)
  const big = encodeProto(PROTO_TYPE.MESSAGE, Buffer.alloc(0x1_0203))
  t.equal(big.subarray(0, 8).toString('hex'), '0203000000010203')
})

t.test('captured frames decode alike fed whole, byte by byte and in random chunks', async (t) => {
  const whole = framesOf(ALL)
  t.same(whole.map((f) => f.type), [1, 3, 1, 3, 4])
  t.same(whole.map((f) => f.body), STREAM.map((frame) => frame.subarray(8)))
  t.same(framesOf(ALL, 1), whole, 'byte by byte')
  const random = seeded(1)
  for (let round = 0; round < 50; round++) {
    const decoder = new ProtoDecoder()
    const frames = []
    for (let at = 0; at < ALL.length; ) {
      const n = 1 + Math.floor(random() * 40)
      frames.push(...framesOf(ALL.subarray(at, at + n), n, decoder))
      at += n
    }
    t.same(frames, whole, `round ${round}`)
    t.equal(decoder.bufferedBytes, 0)
  }
})

t.test('a bad header is refused with status 4 as soon as its 8 bytes are in', async (t) => {
  const cases: [string, RegExp][] = [
    ['0103000000000016', /proto version 1, expected 2/],
    ['0205000000000016', /proto type 5 is not supported/],
    ['0200000000000016', /proto type 0 is not supported/],
    ['0203000000000065', /101 bytes exceeds the limit of 100 bytes/],
    ['020300ffffffffff', /exceeds the limit/],
  ]
  for (const [header, message] of cases) {
    const decoder = new ProtoDecoder(100)
    decoder.push(hex(header))
    t.throws(() => decoder.next(), { code: STATUS.PARAMETER, message }, header)
  }
  const atLimit = new ProtoDecoder(100)
  atLimit.push(encodeProto(PROTO_TYPE.MESSAGE, Buffer.alloc(100)))
  t.equal(atLimit.next()?.body.length, 100)
  const partial = new ProtoDecoder(100)
  partial.push(hex('0203000000'))
  t.equal(partial.next(), null, 'five bytes of a header wait for more')
})

t.test('the captured compressed put inflates to the same message sent uncompressed', async (t) => {
  const [frame] = framesOf(hex(REQUESTS.PUT_COMPRESSED))
  t.equal(frame!.type, PROTO_TYPE.COMPRESSED)
  t.equal(frame!.body.readUInt32BE(4), 382, 'declared size: the inner header and body')
  const body = inflateMessage(frame!.body)
  const request = decodeRequest(body)
  t.match(request, { ns: 'test', set: 'demo', write: true, ops: [{ op: 2, name: 's', value: 'z'.repeat(300) }] })
  t.same(encodeRequest(request).subarray(8), body, 'the inner message re-encodes byte for byte')
})

t.test('deflateMessage and inflateMessage round-trip', async (t) => {
  const frame = hex(REQUESTS.OPERATE_MIXED)
  const [compressed] = framesOf(deflateMessage(frame))
  t.equal(compressed!.type, PROTO_TYPE.COMPRESSED)
  t.same(inflateMessage(compressed!.body), frame.subarray(8))
})

t.test('inflating is bounded by the declared size and the limit, and checks the inner header', async (t) => {
  const inner = hex(REQUESTS.GET)
  const wrap = (declared: number, stream: Buffer): Buffer => {
    const size = Buffer.alloc(8)
    size.writeUInt32BE(Math.floor(declared / 2 ** 32), 0)
    size.writeUInt32BE(declared % 2 ** 32, 4)
    return Buffer.concat([size, stream])
  }
  const bomb = deflateSync(Buffer.alloc(16 * 1024 * 1024))
  const cases: [Buffer, RegExp][] = [
    [Buffer.alloc(5), /has no size/],
    [wrap(4, deflateSync(inner)), /less than a header/],
    [wrap(101 + 8, deflateSync(inner)), /exceeds the limit of 100/],
    [wrap(2 ** 40, deflateSync(inner)), /exceeds the limit/],
    [wrap(90, bomb), /does not inflate to its declared 90 bytes/],
    [wrap(inner.length, Buffer.from('not zlib at all')), /does not inflate/],
    [wrap(inner.length + 1, deflateSync(inner)), /inflates to 73 bytes, not the declared 74/],
    [wrap(inner.length, deflateSync(Buffer.concat([hex('0201'), inner.subarray(2)]))), /holds proto type 1/],
    [wrap(inner.length, deflateSync(Buffer.concat([inner.subarray(0, 7), Buffer.from([inner[7]! - 1]), inner.subarray(8)]))), /header says 64 bytes, the stream holds 65/],
  ]
  for (const [body, message] of cases) t.throws(() => inflateMessage(body, 100), { code: STATUS.PARAMETER, message })
  t.same(inflateMessage(wrap(inner.length, deflateSync(inner)), 100), inner.subarray(8))
})

t.test('fuzz: random and damaged streams give frames or status 4, nothing else', async (t) => {
  const random = seeded(2)
  const streams = [...randomInputs(random, 3000, 48), ...mutations(random, ALL, 3000)]
  let frames = 0
  const outcome = fuzz(streams, (bytes) => {
    const decoder = new ProtoDecoder(1024)
    decoder.push(bytes)
    for (let frame = decoder.next(); frame !== null; frame = decoder.next()) frames++
  })
  t.equal(outcome.inputs, 6000)
  t.equal(outcome.other, 0, outcome.otherErrors.join('\n'))
  t.equal(outcome.decoded + outcome.refused, 6000)
  t.ok(outcome.refused > 1000 && frames > 1000, `${outcome.refused} refused, ${frames} frames`)
})

t.test('fuzz: damaged compressed bodies inflate or are refused with status 4', async (t) => {
  const random = seeded(3)
  const body = hex(REQUESTS.PUT_COMPRESSED).subarray(8)
  const outcome = fuzz([...randomInputs(random, 1000, 64), ...mutations(random, body, 2000)], (bytes) => inflateMessage(bytes))
  t.equal(outcome.inputs, 3000)
  t.equal(outcome.other, 0, outcome.otherErrors.join('\n'))
  t.equal(outcome.decoded + outcome.refused, 3000)
})

t.test('nextFrameBytes: nothing, the header while it comes, then the whole frame as its header says', async (t) => {
  const frame = hex(REQUESTS.PUT_INT_STRING)
  const decoder = new ProtoDecoder()
  t.equal(decoder.nextFrameBytes, 0)
  const seen: number[] = []
  for (let at = 0; at < frame.length - 1; at++) {
    decoder.push(frame.subarray(at, at + 1))
    seen.push(decoder.nextFrameBytes)
    t.ok(decoder.nextFrameBytes > decoder.bufferedBytes, `unfinished at ${at + 1} bytes`)
  }
  t.same(seen.slice(0, 7), [8, 8, 8, 8, 8, 8, 8], 'the header before it is whole')
  t.ok(seen.slice(7).every((n) => n === frame.length), 'the whole frame once the header is in, across chunks')
  decoder.push(frame.subarray(frame.length - 1))
  t.equal(decoder.nextFrameBytes, frame.length)
  t.ok(decoder.next())
  t.equal(decoder.nextFrameBytes, 0)
  const huge = Buffer.from('0203ffffffffffff', 'hex')
  const bad = new ProtoDecoder()
  bad.push(huge)
  t.equal(bad.nextFrameBytes, 8 + 0xffff_ffff_ffff, 'a header over the limit is sized, not refused, here')
  t.throws(() => bad.next(), { code: STATUS.PARAMETER })
})
