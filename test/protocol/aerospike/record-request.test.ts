// Record requests: every request the official client was captured sending decodes to the expected typed request
// (whole and fed byte by byte) and encodes back to the same bytes; malformed messages are refused with status 4
// naming the fault; int64 limits survive; fuzzing of the decoder.
import t from 'tap'
import { OP, PROTO_TYPE } from '../../../protocol/aerospike/constants.js'
import { decodeRequest, encodeRequest } from '../../../protocol/aerospike/record-request.js'
import { computeDigest } from '../../../protocol/digest.js'
import { STATUS } from '../../../protocol/status.js'
import { Double, EXISTS, GEN_POLICY } from '../../../protocol/types.js'
import { REQUESTS } from './captured.js'
import { framesOf, fuzz, hex, mutations, randomInputs, seeded } from './wire-helpers.js'

const K1 = computeDigest('demo', 'k1')
const read = (name: string) => ({ op: OP.READ, name, value: null })
const write = (name: string, value: unknown) => ({ op: OP.WRITE, name, value })

const EXPECTED: Record<keyof typeof REQUESTS, object> = {
  PUT_INT_STRING: { write: true, read: false, ttl: 0, timeoutMs: 1000, ops: [write('i', 7), write('s', 'abc')] },
  PUT_DOUBLE_BLOB_BOOL: { write: true, ops: [write('d', new Double(1.5)), write('b', Buffer.from([1, 2])), write('t', true)] },
  PUT_LIST_MAP: { ops: [write('l', [1, 'a']), write('m', new Map([['a', 1]]))] },
  PUT_INT64_MIN: { ops: [write('big', -(2n ** 63n))] },
  PUT_CREATE_GEN_EQ_TTL: { exists: EXISTS.create, genPolicy: GEN_POLICY.eq, gen: 3, ttl: 1000 },
  PUT_UPDATE: { exists: EXISTS.update, genPolicy: GEN_POLICY.ignore },
  PUT_REPLACE: { exists: EXISTS.replace },
  PUT_CREATE_OR_REPLACE_GEN_GT_NEVER_EXPIRE: { exists: EXISTS.createOrReplace, genPolicy: GEN_POLICY.gt, gen: 2, ttl: -1 },
  PUT_SEND_STRING_KEY: { userKey: 'k1' },
  PUT_SEND_INT_KEY_NO_SET: { set: '', userKey: 7, digest: computeDigest(null, 7) },
  PUT_DELETE_BIN: { write: true, ops: [write('i', null)] },
  GET: { read: true, readAll: true, write: false, ops: [] },
  SELECT: { read: true, readAll: false, ops: [read('i'), read('s')] },
  EXISTS: { read: true, headerOnly: true, ops: [] },
  REMOVE: { write: true, delete: true, durableDelete: false, ops: [] },
  REMOVE_GEN_EQ_DURABLE: { delete: true, durableDelete: true, genPolicy: GEN_POLICY.eq, gen: 5 },
  OPERATE_TOUCH: { write: true, ttl: 60, ops: [{ op: OP.TOUCH, name: '', value: null }] },
  INCR_INT: { ops: [{ op: OP.INCR, name: 'i', value: 5 }] },
  INCR_DOUBLE: { ops: [{ op: OP.INCR, name: 'd', value: new Double(1.25) }] },
  APPEND: { ops: [{ op: OP.APPEND, name: 's', value: 'x' }] },
  PREPEND: { ops: [{ op: OP.PREPEND, name: 's', value: 'y' }] },
  OPERATE_INCR_READ: { read: true, write: true, ops: [{ op: OP.INCR, name: 'i', value: 1 }, read('i')] },
  OPERATE_MIXED: {
    read: true,
    write: true,
    ops: [write('w', 1), { op: OP.APPEND, name: 's', value: 'z' }, { op: OP.PREPEND, name: 's', value: 'a' }, { op: OP.TOUCH, name: '', value: null }, read('s')],
  },
  OPERATE_READ_DELETE: { ops: [read('s'), { op: OP.DELETE, name: '', value: null }] },
  OPERATE_INCR_TTL: { write: true, respondAllOps: false, ttl: 30, ops: [{ op: OP.INCR, name: 'i', value: 1 }] },
  OPERATE_READ: { read: true, write: false, ops: [read('i')] },
  BATCH_GET: {},
  BATCH_SELECT: {},
  BATCH_EXISTS: {},
  BATCH_READ: {},
  PUT_EMPTY_AND_ORDERED_MAPS: { ops: [write('m1', new Map()), write('m2', new Map([['a', 2], ['b', 1]])), write('l', [])] },
  PUT_INT_KEY_MAP: { ops: [write('m', new Map<number, string>([[-3, 'z'], [1, 'y'], [2, 'x']]))] },
  PUT_MIXED_LIST: {
    ops: [write('l', [new Double(2), Buffer.from([9]), new Map([['k', [true, null]]]), 'é', 300, -200, 70000, 5000000000, -5000000000])],
  },
  PUT_UTF8_INT64_MAX: { ops: [write('s', 'héllo'), write('big', 2n ** 63n - 1n)] },
  PUT_COMPRESSED: {},
}
const RECORD_REQUESTS = (Object.keys(REQUESTS) as (keyof typeof REQUESTS)[]).filter((name) => !name.startsWith('BATCH_') && name !== 'PUT_COMPRESSED')

t.test("the client's record requests decode to typed requests, whole and byte by byte, and encode back", async (t) => {
  for (const name of RECORD_REQUESTS) {
    const frame = hex(REQUESTS[name])
    const [whole] = framesOf(frame)
    t.equal(whole!.type, PROTO_TYPE.MESSAGE)
    const request = decodeRequest(whole!.body)
    t.match(request, { ns: 'test', filter: null, otherFields: [], ...EXPECTED[name] }, name)
    if (!('digest' in EXPECTED[name])) t.same(request.digest, K1, `${name}: digest of test/demo/k1`)
    t.same(decodeRequest(framesOf(frame, 1)[0]!.body), request, `${name} byte by byte`)
    t.equal(encodeRequest(request).toString('hex'), REQUESTS[name], `${name} re-encoded`)
  }
})

t.test('integers at and beyond 2^53 and at the int64 limits keep their exact values', async (t) => {
  const values = [2 ** 53 - 1, -(2 ** 53 - 1), 2n ** 53n, -(2n ** 53n), 2n ** 63n - 1n, -(2n ** 63n), 0, -1]
  const frame = encodeRequest({ ns: 'test', digest: K1, write: true, ops: values.map((value, i) => write(`b${i}`, value)) })
  t.same(
    decodeRequest(frame.subarray(8)).ops.map((op) => op.value),
    values,
  )
  t.throws(() => encodeRequest({ ns: 'test', digest: K1, write: true, ops: [write('b', 2n ** 63n)] }), { code: STATUS.PARAMETER, message: /does not fit in 64 bits/ })
  t.throws(() => encodeRequest({ ns: 'test', digest: K1, userKey: 2 ** 53 }), { code: STATUS.PARAMETER, message: /not a safe integer/ })
})

const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(n >>> 0)
  return b
}
const field = (type: number, data: Buffer | string): Buffer => Buffer.concat([u32(1 + Buffer.byteLength(data)), Buffer.from([type]), Buffer.from(data)])
const op = (code: number, particle: number, name: string, value: Buffer, flags = 0): Buffer =>
  Buffer.concat([u32(4 + name.length + value.length), Buffer.from([code, particle, flags, name.length]), Buffer.from(name, 'latin1'), value])
/** An AS_MSG body: info bytes, then fields and ops given as bytes, with counts (overridable) from the arrays. */
function body(info: [number, number, number], fields: Buffer[], ops: Buffer[], counts?: [number, number]): Buffer {
  const header = Buffer.alloc(22)
  header[0] = 22
  header[1] = info[0]
  header[2] = info[1]
  header[3] = info[2]
  header.writeUInt16BE(counts?.[0] ?? fields.length, 18)
  header.writeUInt16BE(counts?.[1] ?? ops.length, 20)
  return Buffer.concat([header, ...fields, ...ops])
}
const NS = field(0, 'test')
const DIGEST = field(4, K1)
const WRITE: [number, number, number] = [0, 1, 0]
const int64 = (n: number): Buffer => Buffer.concat([u32(0), u32(n)])

t.test('malformed requests are refused with status 4 and a message naming the fault', async (t) => {
  const cases: [string, Buffer, RegExp][] = [
    ['short', Buffer.alloc(21), /shorter than its 22-byte header/],
    ['header size', Buffer.concat([Buffer.from([21]), body(WRITE, [NS, DIGEST], []).subarray(1)]), /header size 21, expected 22/],
    ['field count', body(WRITE, [NS, DIGEST], [], [300, 0]), /announces 300 fields and 0 ops/],
    ['op count', body(WRITE, [NS, DIGEST], [], [2, 9]), /announces 2 fields and 9 ops/],
    ['field size 0', body(WRITE, [Buffer.concat([u32(0), Buffer.from([0])]), DIGEST], []), /field 0 has size 0/],
    ['field too long', body(WRITE, [NS, Buffer.concat([u32(99), Buffer.from([4])])], []), /field 1 has size 99, 1 bytes remain/],
    ['op size', body(WRITE, [NS, DIGEST], [Buffer.concat([u32(3), Buffer.from([2, 1, 0, 1]), Buffer.from('i')])]), /op 0 has size 3 \(name of 1 bytes\)/],
    ['op flags', body(WRITE, [NS, DIGEST], [op(2, 1, 'i', int64(1), 1)]), /op 0 has flags 0x1/],
    ['trailing', Buffer.concat([body(WRITE, [NS, DIGEST], []), Buffer.from([0])]), /1 bytes follow the message's fields and ops/],
    ['no namespace', body(WRITE, [DIGEST], []), /namespace field is missing/],
    ['no digest', body(WRITE, [NS], []), /digest field is missing/],
    ['short digest', body(WRITE, [NS, field(4, K1.subarray(1))], []), /digest field of 19 bytes; 20 expected/],
    ['two namespaces', body(WRITE, [NS, NS, DIGEST], []), /namespace field appears twice/],
    ['namespace not UTF-8', body(WRITE, [field(0, Buffer.from([0xff])), DIGEST], []), /namespace is not valid UTF-8/],
    ['empty key', body(WRITE, [NS, DIGEST, field(2, Buffer.alloc(0))], []), /key field is empty/],
    ['short int key', body(WRITE, [NS, DIGEST, field(2, Buffer.from([1, 0, 0, 0, 7]))], []), /integer key of 4 bytes; 8 expected/],
    ['double key', body(WRITE, [NS, DIGEST, field(2, Buffer.concat([Buffer.from([2]), Buffer.alloc(8)]))], []), /user keys of particle type 2/],
    ['unknown op', body(WRITE, [NS, DIGEST], [op(6, 0, 'x', Buffer.alloc(0))]), /op 0 has unknown op code 6/],
    ['read with a value', body([1, 0, 0], [NS, DIGEST], [op(1, 1, 'i', int64(1))]), /op 0 \(code 1\) carries a value of 8 bytes/],
    ['3-byte integer', body(WRITE, [NS, DIGEST], [op(2, 1, 'i', Buffer.alloc(3))]), /bin 'i'\): an integer particle of 3 bytes/],
    ['4-byte float', body(WRITE, [NS, DIGEST], [op(5, 2, 'd', Buffer.alloc(4))]), /a float particle of 4 bytes; 8 expected/],
    ['bool 2', body(WRITE, [NS, DIGEST], [op(2, 17, 't', Buffer.from([2]))]), /bool particle must be one byte, 0 or 1/],
    ['string not UTF-8', body(WRITE, [NS, DIGEST], [op(2, 3, 's', Buffer.from([0xc3, 0x28]))]), /string particle is not valid UTF-8/],
    ['unknown particle', body(WRITE, [NS, DIGEST], [op(2, 5, 'x', Buffer.alloc(1))]), /unknown particle type 5/],
    ['bad list', body(WRITE, [NS, DIGEST], [op(2, 20, 'l', Buffer.from([0x92, 0xcd, 0x01]))]), /bin 'l'\): malformed msgpack: truncated/],
    ['bin name not UTF-8', body(WRITE, [NS, DIGEST], [op(2, 1, '\xff', int64(1))]), /name of op 0 is not valid UTF-8/],
    ['create and update', body([0, 0x21, 0x08], [NS, DIGEST], []), /create-only together with update-only/],
    ['batch', body([8, 0, 0], [NS, DIGEST], []), /batch message is not a record request/],
  ]
  for (const [name, bytes, message] of cases) t.throws(() => decodeRequest(bytes), { code: STATUS.PARAMETER, message }, name)
})

t.test('well-formed requests Tally does not serve still decode, for the server to answer', async (t) => {
  const cdt = Buffer.from([0x93, 0x01, 0x02, 0x03])
  const request = decodeRequest(body(WRITE, [NS, DIGEST, field(30, 'udf'), field(43, Buffer.from([0x91, 0x01]))], [op(4, 20, 'l', cdt)]))
  t.same(request.otherFields, [30], 'a UDF field is reported')
  t.same(request.filter, Buffer.from([0x91, 0x01]))
  t.match(request.ops[0], { op: OP.CDT_MODIFY, name: 'l', value: { type: 20, bytes: cdt } })
  const long = decodeRequest(body(WRITE, [NS, DIGEST], [op(2, 1, 'a'.repeat(16), int64(1))]))
  t.equal(long.ops[0]!.name.length, 16, 'a 16-byte bin name is the store to refuse (status 21)')
  const set = decodeRequest(body(WRITE, [NS, DIGEST], []))
  t.equal(set.set, null, 'no set field: the set is unknown')
})

t.test('fuzz: random bodies and damaged captured requests decode or are refused with status 4', async (t) => {
  const random = seeded(31)
  const inputs = [...randomInputs(random, 3000, 96)]
  for (const name of RECORD_REQUESTS) inputs.push(...mutations(random, hex(REQUESTS[name]).subarray(8), 400))
  const outcome = fuzz(inputs, (bytes) => decodeRequest(bytes))
  t.equal(outcome.inputs, 3000 + 400 * RECORD_REQUESTS.length)
  t.equal(outcome.other, 0, outcome.otherErrors.join('\n'))
  t.equal(outcome.decoded + outcome.refused, outcome.inputs)
  t.ok(outcome.decoded > 500 && outcome.refused > 3000, `${outcome.decoded} decoded, ${outcome.refused} refused`)
})
