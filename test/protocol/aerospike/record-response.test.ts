// Record answers: golden bytes laid out by hand from reference §3 (header) and §5 (ops), encoded and decoded
// whole and byte by byte; error answers carry no ops; void times; result codes against Tally's STATUS; fuzzing.
import t from 'tap'
import { OP, PARTICLE, PROTO_TYPE } from '../../../protocol/aerospike/constants.js'
import { decodeResponse, encodeResponse, ttlOfVoidTime, voidTimeOf, writeResponseFrame } from '../../../protocol/aerospike/record-response.js'
import { WireWriter } from '../../../protocol/aerospike/wire.js'
import { RESULT, RESULT_OF_STATUS, resultCodeOf } from '../../../protocol/aerospike/result-codes.js'
import { STATUS } from '../../../protocol/status.js'
import { Double } from '../../../protocol/types.js'
import { framesOf, fuzz, hex, mutations, randomInputs, seeded } from './wire-helpers.js'

// A get answer: result 0, generation 1, void time 0x1d0e6a40, no fields, two READ ops:
// 'i' INTEGER 7 (size 4 + 1 + 8 = 13) and 's' STRING "abc" (size 4 + 1 + 3 = 8).
const GET_ANSWER =
  '0203000000000033' +
  '16' + '00000000' + '00' + '00000001' + '1d0e6a40' + '00000000' + '0000' + '0002' +
  '0000000d' + '01' + '01' + '00' + '01' + '69' + '0000000000000007' +
  '00000008' + '01' + '03' + '00' + '01' + '73' + '616263'
// Not found: result 2, everything else 0.
const NOT_FOUND = '0203000000000016' + '16' + '000000' + '00' + '02' + '00000000' + '00000000' + '00000000' + '0000' + '0000'
// An operate answer with respond-all-ops: INCR 'i' gives an empty entry (particle 0), READ 'i' the new value.
const OPERATE_ANSWER =
  '0203000000000030' +
  '16' + '00000000' + '00' + '00000002' + '00000000' + '00000000' + '0000' + '0002' +
  '00000005' + '05' + '00' + '00' + '01' + '69' +
  '0000000d' + '01' + '01' + '00' + '01' + '69' + '000000000000000c'

t.test('answers encode to the reference layout and decode back, whole and byte by byte', async (t) => {
  const cases: [string, Parameters<typeof encodeResponse>[0], object][] = [
    [
      GET_ANSWER,
      { resultCode: 0, gen: 1, voidTime: 0x1d0e6a40, ops: [{ op: OP.READ, name: 'i', value: 7 }, { op: OP.READ, name: 's', value: 'abc' }] },
      { resultCode: 0, gen: 1, voidTime: 0x1d0e6a40, ops: [{ op: OP.READ, name: 'i', value: 7 }, { op: OP.READ, name: 's', value: 'abc' }] },
    ],
    [NOT_FOUND, { resultCode: RESULT.NOT_FOUND }, { resultCode: 2, gen: 0, voidTime: 0, ops: [] }],
    [
      OPERATE_ANSWER,
      { resultCode: 0, gen: 2, ops: [{ op: OP.INCR, name: 'i', value: null, particleType: PARTICLE.NULL }, { op: OP.READ, name: 'i', value: 12 }] },
      { resultCode: 0, gen: 2, voidTime: 0, ops: [{ op: OP.INCR, name: 'i', value: null }, { op: OP.READ, name: 'i', value: 12 }] },
    ],
  ]
  for (const [golden, input, decoded] of cases) {
    t.equal(encodeResponse(input).toString('hex'), golden)
    const [frame] = framesOf(hex(golden), 1)
    t.equal(frame!.type, PROTO_TYPE.MESSAGE)
    t.same(decodeResponse(frame!.body), decoded)
  }
})

t.test('every value type survives an answer', async (t) => {
  const values = [null, true, false, 0, -1, 2 ** 53 - 1, 2n ** 63n - 1n, -(2n ** 63n), new Double(2), new Double(-0.5), 1.5, '', 'héllo', Buffer.from([0, 255]), [1, 'a', [new Double(1)]], new Map<unknown, unknown>([['a', 1], [2, Buffer.from([7])]])]
  const frame = encodeResponse({ resultCode: 0, gen: 9, voidTime: 5, ops: values.map((value, i) => ({ op: OP.READ, name: `b${i}`, value })) })
  const answer = decodeResponse(framesOf(frame, 1)[0]!.body)
  t.same(answer.ops.map((op) => op.value), values.map((value) => (typeof value === 'number' && !Number.isInteger(value) ? new Double(value) : value)))
})

t.test('an error answer carries no ops, whatever it is given', async (t) => {
  const frame = encodeResponse({ resultCode: RESULT.GENERATION, gen: 4, ops: [{ op: OP.READ, name: 'i', value: 1 }] })
  t.same(decodeResponse(frame.subarray(8)), { resultCode: 3, gen: 4, voidTime: 0, ops: [] })
  t.throws(() => encodeResponse({ resultCode: 256 }), { code: STATUS.PARAMETER, message: /does not fit a byte/ })
})

t.test('a value that cannot be encoded leaves no partial frame in a shared writer', async (t) => {
  const writer = new WireWriter()
  writeResponseFrame(writer, { resultCode: 0, gen: 1 })
  t.throws(() => writeResponseFrame(writer, { resultCode: 0, ops: [{ op: OP.READ, name: 'l', value: [1, 2n ** 64n] }] }), {
    code: STATUS.PARAMETER,
    message: /does not fit in 64 bits/,
  })
  t.throws(() => writeResponseFrame(writer, { resultCode: 0, ops: [{ op: OP.READ, name: 'x'.repeat(300), value: 1 }] }), { code: STATUS.PARAMETER })
  writeResponseFrame(writer, { resultCode: 0, gen: 2 })
  const frames = framesOf(writer.take())
  t.same(frames.map((frame) => decodeResponse(frame.body).gen), [1, 2], 'the two good answers, whole')
})

t.test('void times count seconds from 2010-01-01; 0 means never expires', async (t) => {
  const now = Date.UTC(2026, 0, 1, 0, 0, 0, 900)
  const clepoch = Math.floor(now / 1000) - 1_262_304_000
  t.equal(voidTimeOf(1000, now), clepoch + 1000)
  t.equal(voidTimeOf(-1, now), 0)
  t.equal(voidTimeOf(0, now), 0)
  t.equal(ttlOfVoidTime(clepoch + 1000, now), 1000)
  t.equal(ttlOfVoidTime(0, now), -1)
  t.equal(ttlOfVoidTime(clepoch - 5, now), 1, 'at least 1, as the clients report an expiring record')
})

t.test("result codes are Tally's STATUS numbers, and client-side codes never reach the wire", async (t) => {
  for (const [name, code] of Object.entries(STATUS)) t.equal(RESULT_OF_STATUS[name as keyof typeof STATUS], code, name)
  // Spot checks against the Aerospike server's proto.h.
  t.same([RESULT.KEY_MISMATCH, RESULT.FILTERED_OUT, RESULT.SECURITY_NOT_ENABLED, RESULT.NOT_AUTHENTICATED, RESULT.BATCH_MAX_REQUESTS], [19, 27, 52, 80, 151])
  t.equal(resultCodeOf(STATUS.NOT_FOUND), 2)
  t.equal(resultCodeOf(0), 0)
  t.equal(resultCodeOf(-2), RESULT.UNKNOWN)
  t.equal(resultCodeOf(300), RESULT.UNKNOWN)
})

t.test('fuzz: random and damaged answers decode or are refused with status 4', async (t) => {
  const random = seeded(41)
  const inputs = [...randomInputs(random, 2000, 80)]
  for (const golden of [GET_ANSWER, NOT_FOUND, OPERATE_ANSWER]) inputs.push(...mutations(random, hex(golden).subarray(8), 1000))
  const outcome = fuzz(inputs, (bytes) => decodeResponse(bytes))
  t.equal(outcome.inputs, 5000)
  t.equal(outcome.other, 0, outcome.otherErrors.join('\n'))
  t.equal(outcome.decoded + outcome.refused, 5000)
  t.ok(outcome.decoded > 0 && outcome.refused > 0, `${outcome.decoded} decoded, ${outcome.refused} refused`)
})
