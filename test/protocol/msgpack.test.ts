// Tally's msgpack reader and writer against msgpackr, a widely used implementation: golden bytes, round trips
// both ways over random values, and random bytes that must fail cleanly.
import t from 'tap'
import { TallyError } from '../../protocol/errors.js'
import { FLOATS } from '../../protocol/msgpack-format.js'
import { MsgpackReader } from '../../protocol/msgpack-reader.js'
import { FrameWriter } from '../../protocol/msgpack-writer.js'
import { STATUS } from '../../protocol/status.js'
import { Double } from '../../protocol/types.js'
import { createPacker, createUnpacker } from '../helpers/msgpackr.js'

const packer = createPacker()
const asMaps = createUnpacker({ mapsAsObjects: false })
const asObjects = createUnpacker({ mapsAsObjects: true })

/** The body bytes our writer produces for `value`. */
function write(value: unknown): Buffer {
  const w = new FrameWriter(8)
  w.begin()
  w.value(value)
  w.end()
  return w.take().subarray(4)
}

function read(bytes: Buffer, mapsAsObjects = false): unknown {
  const r = new MsgpackReader({ mapsAsObjects }).reset(bytes)
  const value = r.value()
  r.finish()
  return value
}

t.test('golden bytes', async (t) => {
  const cases: [unknown, string][] = [
    [null, 'c0'],
    [true, 'c3'],
    [0, '00'],
    [127, '7f'],
    [128, 'cc80'],
    [65535, 'cdffff'],
    [2 ** 32 - 1, 'ceffffffff'],
    [-1, 'ff'],
    [-32, 'e0'],
    [-33, 'd0df'],
    [-32768, 'd18000'],
    [-(2 ** 31), 'd280000000'],
    [2 ** 32, 'cf0000000100000000'],
    [2 ** 40, 'cf0000010000000000'],
    [Number.MAX_SAFE_INTEGER, 'cf001fffffffffffff'],
    [-(2 ** 31) - 1, 'd3ffffffff7fffffff'],
    [-(2 ** 40), 'd3ffffff0000000000'],
    [-Number.MAX_SAFE_INTEGER, 'd3ffe0000000000001'],
    [2 ** 53, 'cb4340000000000000'],
    [5e20, 'cb443b1ae4d6e2ef50'],
    [1.5, 'cb3ff8000000000000'],
    [5n, 'd30000000000000005'],
    [2n ** 64n - 1n, 'cfffffffffffffffff'],
    ['', 'a0'],
    ['abc', 'a3616263'],
    ['é', 'a2c3a9'],
    ['x'.repeat(40), 'd928' + '78'.repeat(40)],
    [Buffer.from([1, 2]), 'c4020102'],
    [[1, [2]], '920191 02'.replace(' ', '')],
    [new Map([['a', 1]]), '81a16101'],
    [{ a: 1 }, '81a16101'],
    [new Double(2), 'd7014000000000000000'],
  ]
  for (const [value, hex] of cases) t.equal(write(value).toString('hex'), hex, `${String(value)}`)
})

t.test('what msgpackr writes, we read; what we write, msgpackr reads', async (t) => {
  const values: unknown[] = [
    0, 1, -1, 255, 256, -129, 70000, -70000, 2 ** 31, -(2 ** 31) - 1, 2 ** 52, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER,
    0.5, -1e300, Infinity, 2n ** 62n, -(2n ** 63n), 'héllo wörld', 'x'.repeat(300), 'y'.repeat(70000), Buffer.alloc(300, 7),
    Buffer.alloc(70000, 1), true, false, null, [], {}, [1, ['a', [true, null]]], { a: { b: [1, 2] }, 'c d': 'e' },
    Array.from({ length: 20 }, (_, i) => i), Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i])),
  ]
  for (const value of values) {
    const label = typeof value === 'string' ? `string of ${value.length}` : String(value).slice(0, 40)
    t.same(read(Buffer.from(packer.pack(value)), true), value, `msgpackr -> ours: ${label}`)
    t.same(asObjects.unpack(write(value)), value, `ours -> msgpackr: ${label}`)
  }
  const map = read(Buffer.from(packer.pack(new Map<unknown, unknown>([[1, 'one'], ['two', [2]]]))))
  t.same(map, new Map<unknown, unknown>([[1, 'one'], ['two', [2]]]), 'maps with any key type stay Maps')
  t.same(asMaps.unpack(write(new Map([[1n, 'x']]))), new Map([[1n, 'x']]))
})

t.test('integers are msgpack integers, floats are doubles: msgpackr on the other side', async (t) => {
  // What we write for safe integers beyond 32 bits, msgpackr reads as the same integer.
  for (const n of [2 ** 32, 5e9, -5e9, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER])
    t.equal(asMaps.unpack(write(n)), BigInt(n), `ours -> msgpackr: ${n}`)
  // 64-bit encodings come back as numbers while safe, as bigints beyond.
  t.equal(read(Buffer.from(packer.pack(5_000_000_000n))), 5e9)
  t.equal(read(Buffer.from(packer.pack(-(2n ** 53n) + 1n))), -Number.MAX_SAFE_INTEGER)
  t.equal(read(Buffer.from(packer.pack(2n ** 53n))), 2n ** 53n)
  t.equal(read(Buffer.from(packer.pack(-(2n ** 63n)))), -(2n ** 63n))
  t.equal(read(Buffer.from('cfffffffffffffffff', 'hex')), 2n ** 64n - 1n)
  // msgpackr writes 5e9 and 1.5 as float64: by default a float is a number, in a request it is a Double at any depth.
  const floats = Buffer.from(packer.pack([5e9, 1.5, [2.5, { x: 7e9 }]]))
  t.same(read(floats), [5e9, 1.5, [2.5, new Map([['x', 7e9]])]], 'FLOATS.NUMBERS')
  const r = new MsgpackReader({ mapsAsObjects: false, floats: FLOATS.DOUBLES }).reset(floats)
  t.strictSame(r.value(), [new Double(5e9), new Double(1.5), [new Double(2.5), new Map([['x', new Double(7e9)]])]], 'FLOATS.DOUBLES')
  const client = new MsgpackReader({ mapsAsObjects: true, floats: FLOATS.DOUBLES_AT_TOP })
  t.strictSame(client.reset(Buffer.from(packer.pack(5e9))).value(), new Double(5e9), 'FLOATS.DOUBLES_AT_TOP: a value on its own')
  t.strictSame(client.reset(Buffer.from(packer.pack([1.5, new Double(2)]))).value(), [1.5, 2], 'FLOATS.DOUBLES_AT_TOP: numbers inside')
  t.equal(client.reset(Buffer.from(packer.pack(5e9))).floats, FLOATS.DOUBLES_AT_TOP, 'reset keeps the reader default')
})

t.test('random values round-trip through our writer and reader', async (t) => {
  const atom = (): unknown => {
    switch (Math.floor(Math.random() * 9)) {
      case 0: return Math.floor(Math.random() * 2 ** 32) - 2 ** 31
      case 1: return Math.floor((Math.random() - 0.5) * 2 ** 53)
      case 2: return Math.random() * 1e6
      case 3: return BigInt(Math.floor(Math.random() * 2 ** 53)) * 1000n + 2n ** 53n // safe integers read back as numbers
      case 4: return 'é'.repeat(Math.floor(Math.random() * 40))
      case 5: return Buffer.alloc(Math.floor(Math.random() * 300), 3)
      case 6: return Math.random() < 0.5
      case 7: return null
      default: return new Double(Math.floor(Math.random() * 100))
    }
  }
  const value = (depth: number): unknown => {
    const r = Math.random()
    if (depth < 4 && r < 0.2) return Array.from({ length: Math.floor(Math.random() * 5) }, () => value(depth + 1))
    if (depth < 4 && r < 0.3) return new Map(Array.from({ length: Math.floor(Math.random() * 4) }, (_, i) => [`k${i}`, value(depth + 1)]))
    return atom()
  }
  let mismatches = 0
  for (let i = 0; i < 2000; i++) {
    const v = value(0)
    try {
      t.strictSame(read(write(v)), v)
    } catch {
      mismatches++
    }
  }
  t.equal(mismatches, 0)
})

t.test('what the writer refuses, it refuses with EncodeError and rollback leaves no trace', async (t) => {
  const w = new FrameWriter()
  w.begin()
  w.value(1)
  w.end()
  for (const bad of [new Date(), () => 1, Symbol('s'), undefined, 2n ** 64n, new (class Thing {})()]) {
    w.begin()
    w.array(2)
    t.throws(() => w.value(bad), { name: 'EncodeError' })
    w.rollback()
  }
  let deep: unknown = 1
  for (let i = 0; i < 70; i++) deep = [deep]
  w.begin()
  t.throws(() => w.value(deep), { name: 'EncodeError' }, 'too deep')
  w.rollback()
  t.equal(w.frames, 1)
  t.equal(w.take().toString('hex'), '0000000101')
})

t.test('the reader refuses bad input with status 4: truncation, huge headers, depth, unknown types', async (t) => {
  const cases: [string, RegExp][] = [
    ['92 01', /longer than its frame/],
    ['cd 01', /truncated/],
    ['dd ffffffff 01', /longer than its frame/],
    ['df ffffffff', /longer than its frame/],
    ['c1', /starts no value/],
    ['a5 6162', /truncated/],
    ['d6 ff 00000001', /extension type -1 .* not supported/],
    ['91'.repeat(70) + '01', /nest deeper than 64/],
    ['0101', /1 bytes after the message/],
  ]
  for (const [hex, pattern] of cases) t.throws(() => read(Buffer.from(hex.replace(/ /g, ''), 'hex')), { code: STATUS.PARAMETER, message: pattern }, hex)
})

t.test('an object key called __proto__ is an own property', async (t) => {
  const object = read(Buffer.from(packer.pack(new Map([['__proto__', 1]]))), true) as Record<string, unknown>
  t.equal(Object.getPrototypeOf(object), Object.prototype)
  t.same(Object.keys(object), ['__proto__'])
})

t.test('fuzz: random bytes are read or refused with status 4, nothing else', async (t) => {
  const ATTEMPTS = 20_000
  let values = 0
  let refused = 0
  const unexpected: string[] = []
  for (let i = 0; i < ATTEMPTS; i++) {
    const bytes = Buffer.from(Array.from({ length: 1 + Math.floor(Math.random() * 24) }, () => Math.floor(Math.random() * 256)))
    try {
      read(bytes)
      values++
    } catch (err) {
      refused++
      if (!(err instanceof TallyError) || err.code !== STATUS.PARAMETER) unexpected.push(`${bytes.toString('hex')}: ${String(err)}`)
    }
  }
  t.same(unexpected.slice(0, 5), [])
  t.equal(values + refused, ATTEMPTS)
  t.ok(values > 0 && refused > ATTEMPTS / 2, `${values} of ${ATTEMPTS} random byte strings were whole values`)
})
