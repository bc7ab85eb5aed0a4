// Digests must equal Aerospike's, so the same key is the same record everywhere.
import t from 'tap'
import { computeDigest } from '../../protocol/digest.js'
import { CLIENT_STATUS } from '../../protocol/status.js'
import { Key } from '../../protocol/types.js'

t.test('known Aerospike digests', async (t) => {
  t.equal(computeDigest('demo', 'k1').toString('hex'), 'b747f5854d0b33259928d0cfab7fad81d6abfbf6')
  t.equal(computeDigest(null, 42).toString('hex'), '7a7e97c9928be59ec21e441643031a7d48f2ccc6')
  t.equal(new Key('test', 'demo', 'k1').digest.toString('hex'), 'b747f5854d0b33259928d0cfab7fad81d6abfbf6')
  t.equal(new Key('test', null, 42).digest.toString('hex'), '7a7e97c9928be59ec21e441643031a7d48f2ccc6')
})

t.test('integer keys hash the same as number and as bigint; an empty set is no set', async (t) => {
  t.same(new Key('test', 's', 7).digest, new Key('test', 's', 7n).digest)
  t.same(new Key('test', '', 42).digest, new Key('test', null, 42).digest)
  t.notSame(new Key('test', 's', '7').digest, new Key('test', 's', 7).digest)
  t.notSame(new Key('test', 's', Buffer.from('7')).digest, new Key('test', 's', '7').digest)
})

t.test('a key may be given by digest alone', async (t) => {
  const digest = new Key('test', 'demo', 'k1').digest
  const key = new Key('test', null, null, digest)
  t.same(key.digest, digest)
  t.equal(key.key, null)
})

t.test('bad keys are refused with PARAMETER (-2)', async (t) => {
  const bad: [string, () => unknown][] = [
    ['empty namespace', () => new Key('', 's', 1)],
    ['long namespace', () => new Key('x'.repeat(32), 's', 1)],
    ['long set', () => new Key('test', 'x'.repeat(64), 1)],
    ['float key', () => new Key('test', 's', 1.5)],
    ['unsafe integer', () => new Key('test', 's', 2 ** 60)],
    ['int64 overflow', () => new Key('test', 's', 2n ** 63n)],
    ['no key or digest', () => new Key('test', 's', null)],
    ['short digest', () => new Key('test', 's', null, Buffer.alloc(19))],
    ['object key', () => new Key('test', 's', {} as never)],
  ]
  for (const [what, make] of bad) t.throws(make, { code: CLIENT_STATUS.PARAMETER }, what)
})

t.test('the RIPEMD-160 implementation agrees with node:crypto on random inputs of every length', async (t) => {
  const { createHash, randomBytes } = await import('node:crypto')
  const { ripemd160 } = await import('../../protocol/ripemd160.js')
  let mismatches = 0
  for (let length = 0; length < 300; length++) {
    for (let round = 0; round < 5; round++) {
      const data = randomBytes(length)
      if (!ripemd160(data).equals(createHash('ripemd160').update(data).digest())) mismatches++
    }
  }
  t.equal(mismatches, 0)
  t.equal(ripemd160(Buffer.from('abc')).toString('hex'), '8eb208f7e05d987a9b044a8e98c6b087f15a0bfc', 'the published test vector')
})

t.test('integer keys hash their 8-byte big-endian two-s complement, negative ones included', async (t) => {
  const { createHash } = await import('node:crypto')
  for (const n of [0, 1, -1, 2 ** 31, -(2 ** 31) - 1, 2 ** 40 + 3, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2n ** 62n, -(2n ** 63n)]) {
    const bytes = Buffer.alloc(9)
    bytes[0] = 1
    bytes.writeBigInt64BE(BigInt(n), 1)
    t.equal(computeDigest('s', n).toString('hex'), createHash('ripemd160').update('s').update(bytes).digest('hex'), String(n))
  }
  const long = 'k'.repeat(1000)
  t.equal(computeDigest('s', long).toString('hex'), createHash('ripemd160').update('s').update(Buffer.from([3])).update(long).digest('hex'), 'a long key')
})

t.test('non-ASCII sets and keys hash their UTF-8 bytes', async (t) => {
  const { createHash } = await import('node:crypto')
  const expected = createHash('ripemd160').update('sé', 'utf8').update(Buffer.from([3])).update('kë✓', 'utf8').digest('hex')
  t.equal(computeDigest('sé', 'kë✓').toString('hex'), expected)
})
