// Batch reads (batch-any): the official client's captured batch requests and the reference's §7 example decode
// to typed rows (REPEAT rows filled in from the row before) and encode back byte for byte; answers are one
// message per key with the row's index, then LAST, split into frames; malformed batches; fuzzing.
import t from 'tap'
import { BatchAnswerWriter, decodeBatchRequest, decodeBatchResponse, encodeBatchRequest } from '../../../protocol/aerospike/batch.js'
import { OP, PROTO_TYPE } from '../../../protocol/aerospike/constants.js'
import { RESULT } from '../../../protocol/aerospike/result-codes.js'
import { computeDigest } from '../../../protocol/digest.js'
import { STATUS } from '../../../protocol/status.js'
import { EXISTS, GEN_POLICY } from '../../../protocol/types.js'
import { REQUESTS } from './captured.js'
import { framesOf, fuzz, hex, mutations, randomInputs, seeded } from './wire-helpers.js'

const K1 = computeDigest('demo', 'k1')
const K2 = computeDigest('demo', 'k2')
const K3 = computeDigest(null, 'k3')
const BATCHES = ['BATCH_GET', 'BATCH_SELECT', 'BATCH_EXISTS', 'BATCH_READ'] as const
const readI = { op: OP.READ, name: 'i', value: null }

t.test("the client's batch requests decode to rows, whole and byte by byte, and encode back", async (t) => {
  const expected: Record<(typeof BATCHES)[number], object[]> = {
    BATCH_GET: [
      { index: 0, digest: K1, ns: 'test', set: 'demo', read: true, readAll: true, ops: [] },
      { index: 1, digest: K2, ns: 'test', set: 'demo', read: true, readAll: true, ops: [] },
      { index: 2, digest: K3, ns: 'test', set: '', read: true, readAll: true, ops: [] },
    ],
    BATCH_SELECT: [
      { index: 0, digest: K1, set: 'demo', readAll: false, ops: [readI] },
      { index: 1, digest: K2, set: 'demo', readAll: false, ops: [readI] },
      { index: 2, digest: K3, set: '', readAll: false, ops: [readI] },
    ],
    BATCH_EXISTS: [
      { index: 0, digest: K1, headerOnly: true },
      { index: 1, digest: K2, headerOnly: true },
      { index: 2, digest: K3, headerOnly: true },
    ],
    BATCH_READ: [
      { index: 0, digest: K1, readAll: true, ops: [] },
      { index: 1, digest: K1, readAll: false, ops: [{ op: OP.READ, name: 't', value: null }] },
    ],
  }
  for (const name of BATCHES) {
    const [frame] = framesOf(hex(REQUESTS[name]), 1)
    t.equal(frame!.type, PROTO_TYPE.MESSAGE)
    const batch = decodeBatchRequest(frame!.body)
    t.match(batch, { timeoutMs: 1000, flags: 0x0d, filter: null, otherFields: [], compressResponse: false }, name)
    t.match(batch.rows.map((row) => ({ index: row.index, ...row.request })), expected[name], name)
    t.equal(batch.rows.length, expected[name].length)
    const again = encodeBatchRequest({ rows: batch.rows, timeoutMs: batch.timeoutMs, flags: batch.flags })
    t.equal(again.toString('hex'), REQUESTS[name], `${name} re-encoded`)
  }
})

t.test("the reference's §7 example is the client's batchRead of one key twice", async (t) => {
  const field = (type: number, text: string) => Buffer.concat([hex((1 + text.length).toString(16).padStart(8, '0')), Buffer.from([type]), Buffer.from(text)])
  const ns = field(0, 'test')
  const set = field(1, 'demo')
  const index = Buffer.concat([
    hex('00000002' + '0d'),
    hex('00000000'), K1, hex('0a' + '030000' + '00000000' + '0002' + '0000'), ns, set,
    hex('00000001'), K1, hex('0a' + '010000' + '00000000' + '0002' + '0001'), ns, set, hex('00000005' + '01' + '00' + '00' + '01'), Buffer.from('t'),
  ])
  const body = hex(REQUESTS.BATCH_READ).subarray(8)
  t.same(body.subarray(22 + 5), index, 'the batch index field data')
  t.equal(body[22 + 4], 41, 'field type BATCH_INDEX')
})

t.test('write rows carry a generation, key rows are never repeated, and both round-trip', async (t) => {
  const write = { ns: 'test', set: 'demo', write: true, exists: EXISTS.update, genPolicy: GEN_POLICY.eq, gen: 7, ttl: 60, ops: [{ op: OP.WRITE, name: 'a', value: 1 }] }
  const read = { ns: 'test', set: 'demo', digest: K1, read: true, readAll: true, userKey: 'k1' }
  const rows = [{ request: { ...write, digest: K1 } }, { request: { ...write, digest: K2 } }, { request: read }, { request: read }]
  const frame = encodeBatchRequest({ rows, timeoutMs: 500 })
  const body = frame.subarray(8)
  t.equal(body[22 + 5 + 5 + 24], 0x0e, 'a write row has INFO, GEN and TTL')
  // Row 0: 25 bytes of index, digest and flags, then info (3), gen (2), ttl (4), counts (4), two fields (9 + 9), an op (17).
  const row1 = 22 + 5 + 5 + 25 + 3 + 2 + 4 + 4 + 9 + 9 + 17
  t.equal(body[row1 + 24], 0x01, 'the identical second write row is REPEAT')
  const batch = decodeBatchRequest(body)
  t.match(batch.rows, [
    { index: 0, request: { digest: K1, write: true, exists: EXISTS.update, genPolicy: GEN_POLICY.eq, gen: 7, ttl: 60, ops: [{ op: OP.WRITE, name: 'a', value: 1 }] } },
    { index: 1, request: { digest: K2, write: true, gen: 7, ttl: 60, ops: [{ op: OP.WRITE, name: 'a', value: 1 }] } },
    { index: 2, request: { userKey: 'k1', readAll: true } },
    { index: 3, request: { userKey: 'k1', readAll: true } },
  ])
  t.same(encodeBatchRequest({ rows: batch.rows, timeoutMs: 500 }), frame)
})

t.test('answers: a message per key with its index, error rows without ops, then LAST', async (t) => {
  // Reference §7: transaction_ttl holds the row's index; the final message has info3 LAST (0x01).
  const golden =
    '0203000000000053' +
    '16' + '00000000' + '00' + '00000001' + '00000000' + '00000000' + '0000' + '0001' +
    '0000000d' + '01' + '01' + '00' + '01' + '69' + '0000000000000007' +
    '16' + '00000000' + '02' + '00000000' + '00000000' + '00000001' + '0000' + '0000' +
    '16' + '000001' + '00' + '00' + '00000000' + '00000000' + '00000000' + '0000' + '0000'
  const writer = new BatchAnswerWriter()
  writer.add(0, { resultCode: 0, gen: 1, ops: [{ op: OP.READ, name: 'i', value: 7 }] })
  writer.add(1, { resultCode: RESULT.NOT_FOUND, ops: [{ op: OP.READ, name: 'i', value: 7 }] })
  const bytes = writer.end()
  t.equal(bytes.toString('hex'), golden)
  const [frame] = framesOf(bytes, 1)
  t.same(decodeBatchResponse(frame!.body), {
    items: [
      { index: 0, resultCode: 0, gen: 1, voidTime: 0, ops: [{ op: OP.READ, name: 'i', value: 7 }] },
      { index: 1, resultCode: 2, gen: 0, voidTime: 0, ops: [] },
    ],
    done: true,
    resultCode: 0,
  })
  const failed = new BatchAnswerWriter().end(RESULT.BATCH_MAX_REQUESTS)
  t.match(decodeBatchResponse(failed.subarray(8)), { items: [], done: true, resultCode: 151 })
})

t.test('a row whose value cannot be encoded leaves nothing behind', async (t) => {
  const writer = new BatchAnswerWriter()
  writer.add(0, { resultCode: 0, gen: 1 })
  t.throws(() => writer.add(1, { resultCode: 0, ops: [{ op: OP.READ, name: 'm', value: new Map([['k', Symbol('x')]]) }] }), { code: STATUS.PARAMETER })
  writer.add(1, { resultCode: RESULT.NOT_FOUND })
  const [frame] = framesOf(writer.end())
  t.match(decodeBatchResponse(frame!.body), { items: [{ index: 0, resultCode: 0 }, { index: 1, resultCode: 2 }], done: true })
})

t.test('a long answer is split into frames, and a client reads it frame by frame', async (t) => {
  const writer = new BatchAnswerWriter(100)
  for (let i = 0; i < 10; i++) writer.add(i, { resultCode: 0, gen: 1, ops: [{ op: OP.READ, name: 'v', value: 'x'.repeat(40) }] })
  const frames = framesOf(writer.end())
  t.ok(frames.length >= 5, `${frames.length} frames`)
  const items = []
  let done = 0
  for (const frame of frames) {
    const part = decodeBatchResponse(frame.body)
    items.push(...part.items)
    if (part.done) done++
  }
  t.equal(done, 1)
  t.same(items.map((item) => item.index), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
  t.ok(decodeBatchResponse(frames[frames.length - 1]!.body).done, 'LAST is in the last frame')
  t.throws(() => decodeBatchResponse(Buffer.concat([failedLast(), Buffer.alloc(1)])), { code: STATUS.PARAMETER, message: /1 bytes follow the batch's last message/ })
})

function failedLast(): Buffer {
  return new BatchAnswerWriter().end().subarray(8)
}

t.test('malformed batches are refused with status 4 naming the fault', async (t) => {
  const body = hex(REQUESTS.BATCH_GET).subarray(8)
  const withIndex = (data: Buffer, extraFields: Buffer[] = [], info1 = 0x08): Buffer => {
    const fields = [...extraFields, Buffer.concat([hex((1 + data.length).toString(16).padStart(8, '0') + '29'), data])]
    const header = Buffer.alloc(22)
    header[0] = 22
    header[1] = info1
    header.writeUInt16BE(fields.length, 18)
    return Buffer.concat([header, ...fields])
  }
  const index = body.subarray(22 + 5)
  const row0 = index.subarray(5)
  const withCount = (n: number) => Buffer.concat([hex(n.toString(16).padStart(8, '0') + '0d'), row0])
  const cases: [string, Buffer, RegExp][] = [
    ['not batch', withIndex(index, [], 0x01), /info1 lacks BATCH/],
    ['ops', Buffer.concat([withIndex(index).fill(0, 20, 21), hex('00000004' + '01000000')]).fill(1, 21, 22), /carries 1 ops of its own/],
    ['no index', Buffer.from(body.subarray(0, 22)).fill(0, 18, 20), /batch index field is missing/],
    ['two indexes', withIndex(index, [Buffer.concat([hex('00000006' + '29'), index.subarray(0, 5)])]), /batch index field appears twice/],
    ['short index', withIndex(hex('00000001')), /batch index field of 4 bytes/],
    ['no keys', withIndex(hex('000000000d')), /a batch of no keys/],
    ['too many', withIndex(withCount(5001)), /5001 keys exceeds the limit of 5000/],
    ['count', withIndex(withCount(40)), /announces 40 keys in/],
    ['first repeats', withIndex(Buffer.concat([hex('00000001' + '0d' + '00000000'), K1, hex('01')])), /first batch row repeats/],
    ['trailing', withIndex(Buffer.concat([index, hex('00')])), /1 bytes follow the batch rows/],
    ['row meta', withIndex(Buffer.concat([hex('00000001' + '0d' + '00000000'), K1, hex('0e' + '01000000')])), /batch row 0 is truncated/],
    ['row field', withIndex(Buffer.concat([hex('00000001' + '0d' + '00000000'), K1, hex('0a' + '030000' + '00000000' + '0001' + '0000' + '00000000' + '00')])), /batch row 0: field 0 has size 0/],
    ['row namespace', withIndex(Buffer.concat([hex('00000001' + '0d' + '00000000'), K1, hex('0a' + '030000' + '00000000' + '0001' + '0000' + '00000002' + '0164')])), /batch row 0: the namespace field is missing/],
    [
      'repeat after key',
      withIndex(Buffer.concat([
        hex('00000002' + '0d' + '00000000'), K1, hex('0a' + '030000' + '00000000' + '0002' + '0000' + '00000005' + '00' + '74657374' + '00000004' + '02' + '036b31'),
        hex('00000001'), K2, hex('01'),
      ])),
      /batch row 1 repeats a row that carries a key/,
    ],
  ]
  for (const [name, bytes, message] of cases) t.throws(() => decodeBatchRequest(bytes), { code: STATUS.PARAMETER, message }, name)
  t.equal(decodeBatchRequest(body, 3).rows.length, 3, 'at the limit')
  t.throws(() => decodeBatchRequest(body, 2), { code: STATUS.PARAMETER, message: /3 keys exceeds the limit of 2/ })
})

t.test('fuzz: random and damaged batches decode or are refused with status 4', async (t) => {
  const random = seeded(61)
  const inputs = [...randomInputs(random, 2000, 96)]
  for (const name of BATCHES) inputs.push(...mutations(random, hex(REQUESTS[name]).subarray(8), 1500))
  const requests = fuzz(inputs, (bytes) => decodeBatchRequest(bytes))
  t.equal(requests.inputs, 8000)
  t.equal(requests.other, 0, requests.otherErrors.join('\n'))
  t.equal(requests.decoded + requests.refused, 8000)
  t.ok(requests.decoded > 0 && requests.refused > 0, `${requests.decoded} decoded, ${requests.refused} refused`)
  const answer = new BatchAnswerWriter()
  answer.add(0, { resultCode: 0, gen: 1, ops: [{ op: OP.READ, name: 'l', value: [1, 'a'] }] })
  answer.add(1, { resultCode: 2 })
  const answers = fuzz([...randomInputs(random, 2000, 96), ...mutations(random, answer.end().subarray(8), 2000)], (bytes) => decodeBatchResponse(bytes))
  t.equal(answers.inputs, 4000)
  t.equal(answers.other, 0, answers.otherErrors.join('\n'))
  t.equal(answers.decoded + answers.refused, 4000)
})
