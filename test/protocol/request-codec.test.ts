// Requests: decoding checks every field and names what is wrong; the writer's header reads back as written.
import t, { type Test } from 'tap'
import { MAX_MESSAGE_BYTES, TallyError } from '../../protocol/errors.js'
import {
  BIN_OP,
  encodeFlags,
  OP,
  type BatchGetRequest,
  type BatchOperateRequest,
  type OperateRequest,
  type PutRequest,
  type Request,
} from '../../protocol/messages.js'
import { MsgpackReader } from '../../protocol/msgpack-reader.js'
import { FrameWriter } from '../../protocol/msgpack-writer.js'
import { writeRecordHeader } from '../../protocol/record-request.js'
import { writeToken } from '../../protocol/request-fields.js'
import { decodeRequest as decodeFrom, peekRequestId, writePeerRequest } from '../../protocol/request-codec.js'
import { STATUS } from '../../protocol/status.js'
import { EXISTS, GEN_POLICY } from '../../protocol/types.js'
import { withList } from '../helpers/frames.js'
import { fuzzedRequest, seededRandom } from '../helpers/fuzz.js'
import { createPacker } from '../helpers/msgpackr.js'

const packer = createPacker()
const reader = new MsgpackReader({ mapsAsObjects: false })
/** Decodes a message as a foreign client would encode it (with msgpackr). */
const decodeRequest = (message: unknown): Request => decodeFrom(reader.reset(Buffer.from(packer.pack(message))))

const digest = Buffer.alloc(20, 1)
const header = (op: number, ...args: unknown[]): unknown[] => [7, op, 'test', 'set', digest, null, null, 0, 0, ...args]

t.test('decodes each op into a typed request', async (t) => {
  const put = decodeRequest(header(OP.PUT, ['a', 1]))
  t.match(put, { id: 7, op: OP.PUT, address: { ns: 'test', set: 'set', userKey: null }, policy: { ttl: null, gen: 0 }, bins: ['a', 1] })
  t.match(decodeRequest(header(OP.GET, null)), { op: OP.GET, binNames: null })
  t.match(decodeRequest(header(OP.GET, ['a'])), { op: OP.GET, binNames: ['a'] })
  t.match(decodeRequest(header(OP.INCREMENT, 'n', 1, null)), { op: OP.INCREMENT, bin: 'n', offset: 1, initial: undefined })
  t.match(decodeRequest(header(OP.OPERATE, [[BIN_OP.INCR, 'n', 1, 5], [BIN_OP.TOUCH]])), {
    ops: [{ op: BIN_OP.INCR, bin: 'n', value: 1, initial: 5 }, { op: BIN_OP.TOUCH, bin: '' }],
  })
  t.match(decodeRequest([9, OP.BATCH_GET, [['test', null, digest, 'k']], null]), {
    op: OP.BATCH_GET,
    addresses: [{ ns: 'test', set: null, userKey: 'k' }],
  })
  t.match(decodeRequest([9, OP.BATCH_OPERATE, [['test', 's', digest, null, 60, 0, 0x40, [[BIN_OP.INCR, 'n', 1]]]]]), {
    op: OP.BATCH_OPERATE,
    items: [{ address: { ns: 'test', set: 's' }, policy: { ttl: 60, deleteMissingOk: true }, ops: [{ op: BIN_OP.INCR, bin: 'n', value: 1 }] }],
  })
})

t.test('flags carry exists, generation policy and commit level', async (t) => {
  const flags = encodeFlags(EXISTS.replace, GEN_POLICY.gt, true)
  const { policy } = decodeRequest([1, OP.EXISTS, 'test', '', digest, 5n, 60, 3, flags]) as { policy: object }
  t.same(policy, { ttl: 60, gen: 3, exists: EXISTS.replace, genPolicy: GEN_POLICY.gt, commitMaster: true, deleteMissingOk: false })
})

t.test('every malformed field is status 4 with a message naming it', async (t) => {
  const cases: [unknown, RegExp][] = [
    ['nope', /must be a msgpack array/],
    [[0, OP.GET], /request id/],
    [[-1, OP.GET], /request id/],
    [[1, 99], /unknown op 99/],
    [[1, 'GET'], /unknown op 'GET'/],
    [[1, [2n ** 63n]], /unknown op a list of 1/],
    [[1, Buffer.alloc(7_000_000)], /^unknown op 7000000 bytes$/],
    [[1, 'x'.repeat(7_000_000)], /^unknown op 'x{64}…'$/],
    [[1, OP.GET, 'test'], /expected at least 9 fields/],
    [[1, OP.GET, '', '', digest, null, null, 0, 0], /namespace must be a non-empty string/],
    [[1, OP.GET, 'test', 5, digest, null, null, 0, 0], /set must be a string or nil/],
    [[1, OP.GET, 'test', '', Buffer.alloc(19), null, null, 0, 0], /digest must be 20 bytes/],
    [[1, OP.GET, 'test', '', digest, 1.5, null, 0, 0], /user key must be/],
    [[1, OP.GET, 'test', '', digest, null, 'x', 0, 0], /ttl must be an integer/],
    [[1, OP.GET, 'test', '', digest, null, null, 70000, 0], /generation must be/],
    [[1, OP.GET, 'test', '', digest, null, null, 0, 7], /unknown exists policy 7/],
    [[1, OP.GET, 'test', '', digest, null, null, 0, 0b11000], /unknown generation policy 3/],
    [header(OP.PUT, { a: 1 }), /bins must be an array/],
    [header(OP.GET, [1]), /bin names must be an array of strings/],
    [header(OP.INCREMENT, 5, 1), /bin name must be a string/],
    [header(OP.OPERATE, [[99, 'a']]), /op 0 must be \[code, bin, value\]/],
    [header(OP.OPERATE, [[BIN_OP.READ, 5]]), /op 0 bin name must be a string/],
    [[1, OP.BATCH_GET, 'x'], /keys must be an array/],
    [[1, OP.BATCH_GET, [5]], /key 0 must be an array/],
    [[1, OP.BATCH_OPERATE, 'x'], /items must be an array/],
  ]
  for (const [message, pattern] of cases) t.throws(() => decodeRequest(message), { code: STATUS.PARAMETER, message: pattern }, String(pattern))
  // A malformed batch item is named by its position too.
  const item = (ops: unknown): unknown[] => ['test', 's', digest, null, null, 0, 0, ops]
  t.throws(() => decodeRequest([1, OP.BATCH_OPERATE, [item([[BIN_OP.READ, 'a']]), ['test']]]), { index: 1, message: /BATCH_OPERATE item 1 must be an array/ })
  t.throws(() => decodeRequest([1, OP.BATCH_OPERATE, [item([[BIN_OP.READ, 'a']]), item([[99, 'a']])]]), {
    index: 1,
    message: /BATCH_OPERATE item 1: op 0 must be \[code/,
  })
})

t.test('peekRequestId finds the id of a frame that will not decode', async (t) => {
  t.equal(peekRequestId(Buffer.from([0x93, 0x05, 0xc1])), 5)
  t.equal(peekRequestId(Buffer.from([0x93, 0xcd, 0x01, 0x00, 0xc1])), 256)
  t.equal(peekRequestId(Buffer.from([0x93, 0xce, 0, 1, 0, 0])), 65536)
  t.equal(peekRequestId(Buffer.from([0xdc, 0, 3, 0xcc, 200])), 200)
  t.equal(peekRequestId(Buffer.from([0x81, 0x05])), 0)
  t.equal(peekRequestId(Buffer.from([0x93, 0xa1])), 0)
  t.equal(peekRequestId(Buffer.from([0x93, 0xcd, 1])), 0)
  t.equal(peekRequestId(Buffer.alloc(0)), 0)
})

t.test("the client's header writer and the server's decoder agree", async (t) => {
  const w = new FrameWriter()
  w.begin()
  writeRecordHeader(w, 77, OP.INCREMENT, 3, 'test', null, digest, -5n, -2, 9, encodeFlags(EXISTS.update, GEN_POLICY.eq, false))
  w.str('n')
  w.number(1)
  w.nil()
  w.end()
  const frame = w.take()
  t.match(decodeFrom(reader.reset(frame, 4)), {
    id: 77,
    op: OP.INCREMENT,
    address: { ns: 'test', set: null, userKey: -5n },
    policy: { ttl: -2, gen: 9, exists: EXISTS.update, genPolicy: GEN_POLICY.eq, commitMaster: false, deleteMissingOk: false },
    bin: 'n',
    offset: 1,
    initial: undefined,
  })
})

t.test('write tokens: read at the field after all of an op\'s arguments, and only there; a bad one is status 4', async (t) => {
  const client = Buffer.from('0123456789abcdef', 'hex')
  const token = { clientHi: 0x01234567, clientLo: 0x89abcdef | 0, seq: 42, resent: true }
  t.match(decodeRequest(header(OP.PUT, ['a', 1], [client, 42, true])), { op: OP.PUT, token })
  t.match(decodeRequest(header(OP.REMOVE, [client, 42, true])), { op: OP.REMOVE, token })
  t.match(decodeRequest(header(OP.TOUCH, [client, 42, true])), { op: OP.TOUCH, token })
  t.match(decodeRequest(header(OP.INCREMENT, 'n', 1, null, [client, 42, true])), { op: OP.INCREMENT, initial: undefined, token })
  t.match(decodeRequest(header(OP.OPERATE, [[BIN_OP.INCR, 'n', 1]], [client, 2n ** 53n - 1n, false, 12, 'later'])), { token: { seq: 2 ** 53 - 1, resent: false, settledBelow: 12 } })
  t.match(decodeRequest(header(OP.PUT, ['a', 1], [client, 42, true, null])), { token: { seq: 42, settledBelow: 0 } }, 'settledBelow nil: not said')
  t.match(decodeRequest([9, OP.BATCH_OPERATE, [['test', 's', digest, null, null, 0, 0, [[BIN_OP.INCR, 'n', 1]]]], [client, 7, false]]), { token: { seq: 7 } })
  t.equal((decodeRequest(header(OP.PUT, ['a', 1])) as PutRequest).token, undefined, 'no token: as before')
  t.equal((decodeRequest(header(OP.GET, null, [client, 1, false])) as { token: unknown }).token, undefined, 'reads take none')
  t.equal((decodeRequest(header(OP.EXISTS, [client, 1, false])) as { token: unknown }).token, undefined)
  for (const bad of [null, 'x', [client, 1], [client.subarray(0, 7), 1, false], [client, 0, false], [client, 2 ** 53, false], [client, 2n ** 64n - 1n, false], [client, 1, 0], [client, 5, false, 6], [client, 5, false, -1], [client, 5, false, 'x']])
    t.throws(() => decodeRequest(header(OP.PUT, ['a', 1], bad)), { code: STATUS.PARAMETER, message: /PUT: the token/ }, JSON.stringify(bad, (_, v) => (typeof v === 'bigint' ? String(v) : v)))
  t.throws(() => decodeRequest([9, OP.BATCH_OPERATE, [], 'token']), { code: STATUS.PARAMETER, message: /BATCH_OPERATE: the token/ })
  const w = new FrameWriter()
  w.begin()
  writeRecordHeader(w, 3, OP.INCREMENT, 4, 'test', 's', digest, null, null, 0, 0)
  w.str('n')
  w.number(1)
  w.nil()
  writeToken(w, { client, seq: 2 ** 40, resent: false, settledBelow: 0 })
  w.end()
  t.match(decodeFrom(reader.reset(w.take(), 4)), { op: OP.INCREMENT, token: { clientHi: 0x01234567, clientLo: 0x89abcdef | 0, seq: 2 ** 40, resent: false } })
})

t.test('write tokens as clients send them, read straight from their bytes: every width of seq and settledBelow, and the older form of three fields', async (t) => {
  const client = Buffer.from('0123456789abcdef', 'hex')
  const sizes = [1, 127, 128, 255, 256, 65_535, 65_536, 2 ** 32 - 1]
  let read = 0
  for (const seq of sizes) {
    for (const settledBelow of [0, ...sizes.filter((n) => n <= seq)]) {
      for (const resent of [false, true]) {
        const w = new FrameWriter()
        w.begin()
        writeRecordHeader(w, 3, OP.INCREMENT, 4, 'test', 's', digest, null, null, 0, 0)
        w.str('n')
        w.number(1)
        w.nil()
        writeToken(w, { client, seq, resent, settledBelow })
        w.end()
        t.same((decodeFrom(reader.reset(w.take(), 4)) as { token: unknown }).token, { clientHi: 0x01234567, clientLo: 0x89abcdef | 0, seq, resent, settledBelow })
        read++
      }
    }
  }
  t.equal(read, 88)
  t.same((decodeRequest(header(OP.INCREMENT, 'n', 1, null, [client, 300, true])) as { token: unknown }).token, { clientHi: 0x01234567, clientLo: 0x89abcdef | 0, seq: 300, resent: true, settledBelow: 0 }, 'three fields: settledBelow not said')
})

t.test('trailing fields are skipped; trailing bytes are refused', async (t) => {
  t.match(decodeRequest(header(OP.EXISTS, 'from', 'the', ['future'])), { op: OP.EXISTS })
  const bytes = Buffer.concat([Buffer.from(packer.pack(header(OP.EXISTS))), Buffer.from([0xc0])])
  t.throws(() => decodeFrom(reader.reset(bytes)), { code: STATUS.PARAMETER, message: /1 bytes after the message/ })
})

/** A PUT of bin 'a' whose value is a list of `count` copies of the msgpack value `element`. */
const putList = (count: number, element: readonly number[]): Buffer => withList(header(OP.PUT, ['a', null]), count, element)

/** Decodes `bytes` expecting status 4 matching `pattern`; returns how far into the frame the reader got. */
function refusedAt(t: Test, bytes: Buffer, pattern: RegExp): number {
  const r = reader.reset(bytes)
  t.throws(() => decodeFrom(r, { maxBatchKeys: 5000 }), { code: STATUS.PARAMETER, message: pattern }, String(pattern))
  return r.pos
}

t.test('what a request decodes to is bounded while it is read: hostile shapes are refused early', async (t) => {
  const budget = /decodes to more than \d+ bytes of memory/
  // A million empty maps in 1 MB would take ~180 MB as Maps: refused a few thousand maps in. Shapes that cost less
  // per byte are refused once past the budget (4 MiB + 8 bytes per byte of frame).
  for (const [what, element, within] of [
    ['empty maps', [0x80], 0.05],
    ['lists of an empty map', [0x91, 0x80], 0.05],
    ['one-character strings', [0xa1, 0x61], 0.8],
    ['float32s, each a Double', [0xca, 0, 0, 0, 0], 0.8],
  ] as const) {
    const bytes = putList(1_000_000, [...element])
    const at = refusedAt(t, bytes, budget)
    t.ok(at < bytes.length * within, `${what}: refused ${at} bytes into ${bytes.length}`)
  }
  // Counts over a limit are refused at their header, before any element is read.
  const op = [BIN_OP.READ, 'a']
  const ops = Buffer.from(packer.pack(header(OP.OPERATE, Array.from({ length: 4097 }, () => op))))
  t.ok(refusedAt(t, ops, /OPERATE: 4097 ops, more than the limit of 4096/) < 60)
  const keys = Buffer.from(packer.pack([1, OP.BATCH_GET, Array.from({ length: 5001 }, () => ['test', null, digest]), null]))
  t.ok(refusedAt(t, keys, /BATCH_GET: 5001 keys, more than the limit of 5000/) < 10)
  const item = ['test', 's', digest, null, null, 0, 0, [op]]
  const items = Buffer.from(packer.pack([1, OP.BATCH_OPERATE, Array.from({ length: 5001 }, () => item)]))
  t.ok(refusedAt(t, items, /BATCH_OPERATE: 5001 records, more than the limit of 5000/) < 10)
  t.ok(refusedAt(t, Buffer.from(packer.pack([1, OP.BATCH_OPERATE, [['test', 's', digest, null, null, 0, 0, Array.from({ length: 4097 }, () => op)]]])), /item 0: 4097 ops/) < 60)
})

t.test('requests of real sizes decode within the budget', async (t) => {
  const budget = { maxBatchKeys: 5000 }
  // Empty strings and small integers: 8 bytes of memory per byte of frame, the densest a list can be.
  for (const element of [[0xa0], [0x01], [0xc0]]) {
    const request = decodeFrom(reader.reset(putList(1_000_000, element)), budget) as PutRequest
    t.equal((request.bins[1] as unknown[]).length, 1_000_000)
  }
  const big = decodeFrom(reader.reset(Buffer.from(packer.pack(header(OP.PUT, ['s', 'x'.repeat(7_000_000), 'b', Buffer.alloc(1_000_000)])))), budget)
  t.equal(((big as PutRequest).bins[1] as string).length, 7_000_000)
  const keys = Array.from({ length: 5000 }, (_, i) => ['test', 's', digest, `key-${i}`])
  t.equal((decodeFrom(reader.reset(Buffer.from(packer.pack([1, OP.BATCH_GET, keys, null]))), budget) as BatchGetRequest).addresses.length, 5000)
  const items = Array.from({ length: 5000 }, () => ['test', 's', digest, null, null, 0, 0, [[BIN_OP.INCR, 'n', 1], [BIN_OP.READ, 'n']]])
  t.equal((decodeFrom(reader.reset(Buffer.from(packer.pack([1, OP.BATCH_OPERATE, items]))), budget) as BatchOperateRequest).items.length, 5000)
  const ops = Array.from({ length: 4096 }, (_, i) => [BIN_OP.WRITE, 'b', `value ${i}`])
  t.equal((decodeFrom(reader.reset(Buffer.from(packer.pack(header(OP.OPERATE, ops)))), budget) as OperateRequest).ops.length, 4096)
})

t.test('fuzz: every field of every request varied: each decodes or is status 4 with a short message', async (t) => {
  const seed = Date.now() >>> 0
  t.comment(`seed ${seed}`)
  const random = seededRandom(seed)
  const MESSAGES = 20_000
  let decoded = 0
  let refused = 0
  let flipped = 0
  const unexpected: string[] = []
  for (let i = 0; i < MESSAGES; i++) {
    const bytes = Buffer.from(packer.pack(fuzzedRequest(random)))
    if (random() < 0.2) {
      bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256) // a byte of the encoding itself
      flipped++
    }
    try {
      decodeFrom(reader.reset(bytes), { maxBatchKeys: 5000 })
      decoded++
    } catch (err) {
      refused++
      const short = err instanceof TallyError && Buffer.byteLength(err.message) <= MAX_MESSAGE_BYTES
      if (!(err instanceof TallyError) || err.code !== STATUS.PARAMETER || !short) unexpected.push(`${bytes.toString('hex').slice(0, 200)}: ${String(err).slice(0, 200)}`)
    }
  }
  t.same(unexpected.slice(0, 5), [], 'no other error, no long message')
  t.equal(unexpected.length, 0)
  t.equal(decoded + refused, MESSAGES)
  t.ok(decoded > MESSAGES / 20 && refused > MESSAGES / 2, `${decoded} decoded, ${refused} refused, ${flipped} with a byte changed`)
})

t.test('PEER: plain, with a node and its proof, acting for a user; a malformed one names its field', async (t) => {
  const written = (fields: Parameters<typeof writePeerRequest>[2]): Request => {
    const w = new FrameWriter(64)
    w.begin()
    writePeerRequest(w, 3, fields)
    w.end()
    const frame = w.take()
    return decodeFrom(reader.reset(frame, 4, frame.length))
  }
  const none = { node: null, proof: null, user: null, roles: null }
  t.same(written({}), { op: OP.PEER, id: 3, ...none })
  const proof = Buffer.alloc(32, 9)
  t.same(written({ node: 'n1', proof }), { op: OP.PEER, id: 3, ...none, node: 'n1', proof })
  t.same(written({ user: 'reader', roles: ['read:test'] }), { op: OP.PEER, id: 3, ...none, user: 'reader', roles: ['read:test'] })
  t.throws(() => decodeRequest([4, OP.PEER, 'n1', 'not bytes']), { code: STATUS.PARAMETER, message: 'PEER: proof must be bytes' })
  t.throws(() => decodeRequest([4, OP.PEER, null, null, 7]), { code: STATUS.PARAMETER, message: 'PEER: user must be a string' })
  t.throws(() => decodeRequest([4, OP.PEER, null, null, 'u', [1]]), { code: STATUS.PARAMETER, message: 'PEER: roles must be an array of strings' })
})
