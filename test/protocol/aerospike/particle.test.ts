// Particles: scalar values by type and size, and list/map msgpack in Aerospike's dialect, against the reference's
// examples (§5), the official client's bytes (captured.ts) and msgpackr as a reference decoder; fuzzing.
import { Unpackr } from 'msgpackr'
import t from 'tap'
import { decodeCdt, encodeCdt } from '../../../protocol/aerospike/cdt-msgpack.js'
import { PARTICLE } from '../../../protocol/aerospike/constants.js'
import { decodeParticle, particleTypeOf, RawParticle, writeParticle } from '../../../protocol/aerospike/particle.js'
import { WireWriter } from '../../../protocol/aerospike/wire.js'
import { STATUS } from '../../../protocol/status.js'
import { Double } from '../../../protocol/types.js'
import { fuzz, hex, mutations, randomInputs, seeded } from './wire-helpers.js'

const encode = (value: unknown): string => {
  const writer = new WireWriter()
  encodeCdt(writer, value)
  return writer.take().toString('hex')
}
const decode = (bytes: string, type: 19 | 20 = bytes.startsWith('9') || bytes.startsWith('dc') ? PARTICLE.LIST : PARTICLE.MAP) => decodeCdt(hex(bytes), type)

// [Double(2), Buffer[9], {k: [true, null]}, 'é', 300, -200, 70000, 5000000000, -5000000000] as the client sent it.
const CAPTURED_LIST = '99cb4000000000000000a2040982c70001c0a2036b92c3c0a303c3a9cd012cd1ff38ce00011170cf000000012a05f200d3fffffffed5fa0e00'
const CAPTURED_LIST_VALUE = [new Double(2), Buffer.from([9]), new Map([['k', [true, null]]]), 'é', 300, -200, 70000, 5000000000, -5000000000]

t.test('lists and maps match the reference and the client byte for byte, both ways', async (t) => {
  const cases: [string, unknown][] = [
    ['93010203', [1, 2, 3]], // reference §5
    ['84c70001c0a2036101a2036202a2036303', new Map([['a', 1], ['b', 2], ['c', 3]])], // reference §5: key-ordered
    ['81c70001c0', new Map()], // captured: {}
    ['83c70001c0a2036102a2036201', new Map([['a', 2], ['b', 1]])], // captured: {b: 1, a: 2}, sorted by the client
    ['84c70001c0fda2037a01a2037902a20378', new Map<number, string>([[-3, 'z'], [1, 'y'], [2, 'x']])], // captured Map
    ['90', []],
    [CAPTURED_LIST, CAPTURED_LIST_VALUE],
  ]
  for (const [bytes, value] of cases) {
    t.same(decode(bytes), value, bytes)
    t.equal(encode(value), bytes, `${bytes} encoded`)
  }
  t.equal(encode({ b: 1, a: 2 }), '82a2036201a2036102', 'a plain object out of key order is sent unordered')
  t.equal(encode(new Map<unknown, unknown>([[1, 'x'], ['a', 'y']])), '8201a20378a20361a20379', 'mixed key types are sent unordered')
})

t.test('integers take the smallest form, as Aerospike packs them, and msgpackr reads the same numbers', async (t) => {
  const values = [0, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, 2n ** 63n - 1n, -1, -32, -33, -128, -129, -32768, -32769, -(2 ** 31), -(2 ** 31) - 1, -(2n ** 63n)]
  const bytes = encode(values)
  t.equal(
    bytes,
    'dc0015' + '00' + '7f' + 'cc80' + 'ccff' + 'cd0100' + 'cdffff' + 'ce00010000' + 'ceffffffff' + 'cf0000000100000000' +
      'cf001fffffffffffff' + 'cf7fffffffffffffff' + 'ff' + 'e0' + 'd0df' + 'd080' + 'd1ff7f' + 'd18000' + 'd2ffff7fff' + 'd280000000' +
      'd3ffffffff7fffffff' + 'd38000000000000000',
  )
  const reference = new Unpackr({ int64AsType: 'bigint', useRecords: false }).unpack(hex(bytes)) as unknown[]
  t.same(reference.map((n) => BigInt(n as number | bigint)), values.map((n) => BigInt(n)))
  t.same(decode(bytes), values)
  t.same(decode('91cfffffffffffffffff'), [-1], 'a uint64 above int64 reads as the int64 of the same bits')
  t.same(decode('92ca3fc00000cb3ff8000000000000'), [new Double(1.5), new Double(1.5)], 'float32 and float64 are doubles')
})

t.test('flags and empties are read as Aerospike reads them', async (t) => {
  t.same(decode('93c7000101' + '02'), [1, 2], 'an ordered list opens with its flags')
  t.same(decode('92a0c4' + '00'), [Buffer.alloc(0), Buffer.alloc(0)], 'an empty str or bin is empty bytes')
  t.same(decode('91c40204ff'), [Buffer.from([0xff])], 'bytes may come as msgpack bin')
  t.same(decode('82c70001c0a2036101', PARTICLE.MAP), new Map([['a', 1]]))
})

t.test('list and map content Tally cannot hold is refused with status 4', async (t) => {
  const cases: [string, 19 | 20, RegExp][] = [
    ['81c70001', PARTICLE.MAP, /truncated/],
    ['9201c70001c0', PARTICLE.LIST, /only allowed as their first element/],
    ['91a21701', PARTICLE.LIST, /particle type 23 inside lists and maps/],
    ['91a20701', PARTICLE.LIST, /particle type 7 inside lists and maps/],
    ['91a203ff', PARTICLE.LIST, /string in a list or map is not valid UTF-8/],
    ['9101', PARTICLE.MAP, /a map particle holds another msgpack type/],
    ['8101', PARTICLE.LIST, /a list particle holds another msgpack type/],
    ['910102', PARTICLE.LIST, /1 bytes follow the list/],
    ['8f01', PARTICLE.MAP, /map longer than its particle/],
    ['91c1', PARTICLE.LIST, /byte 0xc1 starts no value/],
    ['91d9ff03', PARTICLE.LIST, /truncated string/],
    ['91', PARTICLE.LIST, /array longer than its frame/],
  ]
  for (const [bytes, type, message] of cases) t.throws(() => decode(bytes, type), { code: STATUS.PARAMETER, message }, bytes)
  let deep = '01'
  for (let i = 0; i < 64; i++) deep = '91' + deep
  t.same(decode(deep, PARTICLE.LIST) !== undefined, true, '64 levels are read')
  t.throws(() => decode('91' + deep, PARTICLE.LIST), { code: STATUS.PARAMETER, message: /nest deeper than 64/ })
  let value: unknown = 1
  for (let i = 0; i < 65; i++) value = [value]
  t.throws(() => encode(value), { code: STATUS.PARAMETER, message: /nest deeper than 64/ })
  t.throws(() => encode([2n ** 64n]), { code: STATUS.PARAMETER, message: /does not fit in 64 bits/ })
  t.throws(() => encode([() => 1]), { code: STATUS.PARAMETER, message: /a value of type function cannot be stored/ })
  t.throws(() => encode([new Date(0)]), { code: STATUS.PARAMETER, message: /a Date cannot be stored/ })
})

t.test('scalar particles: sizes, signedness and the types kept raw', async (t) => {
  const p = (type: number, bytes: string) => decodeParticle(type, hex(bytes), 0, hex(bytes).length)
  t.equal(p(PARTICLE.INTEGER, 'ff'), 255, 'short integers are unsigned, as the server reads them')
  t.equal(p(PARTICLE.INTEGER, 'ffff'), 65535)
  t.equal(p(PARTICLE.INTEGER, 'ffffffff'), 4294967295)
  t.equal(p(PARTICLE.INTEGER, 'ffffffffffffffff'), -1)
  t.equal(p(PARTICLE.INTEGER, '0020000000000000'), 2n ** 53n)
  t.same(p(PARTICLE.FLOAT, '3ff8000000000000'), new Double(1.5))
  t.equal(p(PARTICLE.BOOL, '01'), true)
  t.equal(p(PARTICLE.NULL, ''), null)
  t.same(p(PARTICLE.GEOJSON, '0000007b7d'), new RawParticle(PARTICLE.GEOJSON, hex('0000007b7d')))
  t.same(p(PARTICLE.HLL, '0102'), new RawParticle(PARTICLE.HLL, hex('0102')))
  t.throws(() => p(PARTICLE.NULL, '00'), { code: STATUS.PARAMETER, message: /null particle holds 1 bytes/ })
  t.throws(() => p(PARTICLE.INTEGER, ''), { code: STATUS.PARAMETER, message: /integer particle of 0 bytes/ })
  t.throws(() => p(99, ''), { code: STATUS.PARAMETER, message: /unknown particle type 99/ })

  const types: [unknown, number][] = [
    [null, PARTICLE.NULL], [1, PARTICLE.INTEGER], [1.5, PARTICLE.FLOAT], [2 ** 60, PARTICLE.FLOAT], [5n, PARTICLE.INTEGER],
    [new Double(1), PARTICLE.FLOAT], ['s', PARTICLE.STRING], [Buffer.alloc(1), PARTICLE.BLOB], [true, PARTICLE.BOOL],
    [[], PARTICLE.LIST], [new Map(), PARTICLE.MAP], [{}, PARTICLE.MAP], [new RawParticle(23, Buffer.alloc(0)), 23],
  ]
  for (const [value, type] of types) t.equal(particleTypeOf(value), type, String(value))
  t.throws(() => particleTypeOf(undefined), { code: STATUS.PARAMETER, message: /a value of type undefined cannot be sent/ })
  t.throws(() => particleTypeOf(new Set()), { code: STATUS.PARAMETER, message: /a Set cannot be sent/ })
  const writer = new WireWriter()
  for (const value of [-2, 2n ** 62n, new Double(0.25), 'é', true, new RawParticle(23, hex('00000078'))]) writeParticle(writer, particleTypeOf(value), value)
  t.equal(writer.take().toString('hex'), 'fffffffffffffffe' + '4000000000000000' + '3fd0000000000000' + 'c3a9' + '01' + '00000078')
})

t.test('fuzz: list and map bytes decode or are refused with status 4', async (t) => {
  const random = seeded(51)
  const goldens = [CAPTURED_LIST, '84c70001c0a2036101a2036202a2036303', '84c70001c0fda2037a01a2037902a20378'].map(hex)
  const inputs = [...randomInputs(random, 3000, 40)]
  for (const golden of goldens) inputs.push(...mutations(random, golden, 2000))
  for (const type of [PARTICLE.LIST, PARTICLE.MAP] as const) {
    const outcome = fuzz(inputs, (bytes) => decodeCdt(bytes, type))
    t.equal(outcome.inputs, 9000)
    t.equal(outcome.other, 0, outcome.otherErrors.join('\n'))
    t.equal(outcome.decoded + outcome.refused, 9000)
    t.ok(outcome.decoded > 0 && outcome.refused > 0, `type ${type}: ${outcome.decoded} decoded, ${outcome.refused} refused`)
  }
  const scalars = fuzz(randomInputs(random, 5000, 12), (bytes) => decodeParticle(bytes[0] ?? 0, bytes, Math.min(1, bytes.length), bytes.length))
  t.equal(scalars.other, 0, scalars.otherErrors.join('\n'))
  t.equal(scalars.decoded + scalars.refused, 5000)
})
