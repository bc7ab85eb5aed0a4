// Requests: decoding checks every field and names what is wrong; the codec round-trips every value type.
import t from 'tap'
import { createPacker, createUnpacker } from '../../protocol/codec.js'
import { TallyError } from '../../protocol/errors.js'
import { BIN_OP, decodeRequest, encodeFlags, OP, peekRequestId } from '../../protocol/messages.js'
import { STATUS } from '../../protocol/status.js'
import { Double, EXISTS, GEN_POLICY } from '../../protocol/types.js'

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
})

t.test('flags carry exists, generation policy and commit level', async (t) => {
  const flags = encodeFlags(EXISTS.replace, GEN_POLICY.gt, true)
  const { policy } = decodeRequest([1, OP.EXISTS, 'test', '', digest, 5n, 60, 3, flags]) as { policy: object }
  t.same(policy, { ttl: 60, gen: 3, exists: EXISTS.replace, genPolicy: GEN_POLICY.gt, commitMaster: true })
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
  ]
  for (const [message, pattern] of cases) t.throws(() => decodeRequest(message), { code: STATUS.PARAMETER, message: pattern }, String(pattern))
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

t.test('the codec round-trips every bin value type exactly', async (t) => {
  const server = createUnpacker({ mapsAsObjects: false })
  const client = createUnpacker({ mapsAsObjects: true })
  const packer = createPacker()
  const values = [0, -1, 2 ** 31, 2 ** 40, -(2 ** 52), 9007199254740993n, -(2n ** 63n), 2n ** 63n - 1n, 1.5, 'héllo', true, Buffer.from([0, 255]), [1, 'a', [null]]]
  t.same(client.unpack(packer.pack(values)), values)
  const double = server.unpack(packer.pack([new Double(2)])) as unknown[]
  t.ok(double[0] instanceof Double, 'an integral Double stays a Double')
  t.equal((double[0] as Double).value, 2)
  const map = server.unpack(packer.pack({ a: 1, __proto__x: 2 }))
  t.ok(map instanceof Map, 'the server keeps maps as Map')
  t.same(client.unpack(packer.pack(new Map([['a', 1]]))), { a: 1 })
})

t.test('fuzz: random messages decode or fail with status 4, never otherwise', async (t) => {
  const atoms = [null, 0, 1, -1, 7, 255, 70000, 1.5, 'test', '', 'x'.repeat(20), digest, Buffer.alloc(3), true, 2n ** 70n, [], {}]
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
