// Requests: decoding checks every field and names what is wrong; the writer's header reads back as written.
import t from 'tap'
import { TallyError } from '../../protocol/errors.js'
import { BIN_OP, encodeFlags, OP, type Request } from '../../protocol/messages.js'
import { MsgpackReader } from '../../protocol/msgpack-reader.js'
import { FrameWriter } from '../../protocol/msgpack-writer.js'
import { writeRecordHeader } from '../../protocol/record-request.js'
import { decodeRequest as decodeFrom, peekRequestId } from '../../protocol/request-codec.js'
import { STATUS } from '../../protocol/status.js'
import { EXISTS, GEN_POLICY } from '../../protocol/types.js'
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
    [[1, 'GET'], /unknown op "GET"/],
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

t.test('trailing fields are skipped; trailing bytes are refused', async (t) => {
  t.match(decodeRequest(header(OP.EXISTS, 'from', 'the', ['future'])), { op: OP.EXISTS })
  const bytes = Buffer.concat([Buffer.from(packer.pack(header(OP.EXISTS))), Buffer.from([0xc0])])
  t.throws(() => decodeFrom(reader.reset(bytes)), { code: STATUS.PARAMETER, message: /1 bytes after the message/ })
})

t.test('fuzz: random messages decode or fail with status 4, never otherwise', async (t) => {
  const atoms = [null, 0, 1, -1, 7, 255, 70000, 1.5, 'test', '', 'x'.repeat(20), digest, Buffer.alloc(3), true, 2n ** 63n - 1n, [], {}]
  const pick = (): unknown => {
    const r = Math.random()
    if (r < 0.15) return Array.from({ length: Math.floor(Math.random() * 5) }, pick)
    return atoms[Math.floor(Math.random() * atoms.length)]
  }
  let decoded = 0
  for (let i = 0; i < 5000; i++) {
    const message = [1 + Math.floor(Math.random() * 5), 1 + Math.floor(Math.random() * 9), ...Array.from({ length: Math.floor(Math.random() * 12) }, pick)]
    try {
      decodeRequest(message)
      decoded++
    } catch (err) {
      if (!(err instanceof TallyError) || err.code !== STATUS.PARAMETER) t.fail(`unexpected ${String(err)} for ${JSON.stringify(message, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))}`)
    }
  }
  t.pass(`${decoded} of 5000 random messages were well-formed`)
})
