// Increments and operate end to end: initial values, type rules, exact int64 with overflow refused, atomic
// multi-op records with rollback, and the seed example from the README.
import t from 'tap'
import { connect, Double, Key, ops, STATUS } from '../../client/index.js'
import { serverAndClient, uniqueKey } from '../helpers/server.js'

t.test('the README seed example works as written', async (t) => {
  const { server } = await serverAndClient(t)
  const client = await connect({ hosts: `127.0.0.1:${server.address.port}` })
  t.teardown(() => client.close())
  const key = new Key('test', 'cats', 'mr. peppy')
  await client.put(key, { breed: 'persian' }, undefined, { exists: 'createOrReplace' })
  t.equal(await client.increment(key, 'lives', -1, 9, { ttl: 5000 }, { key: 'send' }), 9)
  t.equal(await client.increment(key, 'lives', -1, 9), 8)
  const { bins, ttl, gen } = await client.get(key)
  t.same(bins, { breed: 'persian', lives: 8 })
  t.ok(ttl > 4990 && ttl <= 5000, `ttl ~5000 (${ttl})`)
  t.equal(gen, 3)
})

t.test('increments', async (t) => {
  const { client } = await serverAndClient(t)

  t.test('a missing bin or record starts at initialValue (offset not added), else at offset', async (t) => {
    const key = uniqueKey()
    t.equal(await client.increment(key, 'a', 5), 5, 'missing record, no initial value')
    t.equal(await client.increment(key, 'b', 5, 100), 100, 'missing bin with initial value')
    t.equal(await client.increment(key, 'b', 5, 100), 105, 'existing bin ignores the initial value')
    t.equal(await client.increment(key, 'b', -10), 95, 'a negative offset decrements')
    t.equal(await client.increment(key, 'c', 0.5, 0), 0, 'an integer initial value follows a double offset')
    t.equal(await client.increment(key, 'c', 0.5, 0), 0.5, 'and the bin is a double')
    await t.rejects(client.increment(key, 'd', 1, 0.5), { code: STATUS.PARAMETER })
    t.same((await client.get(key)).bins, { a: 5, b: 95, c: 0.5 })
  })

  t.test('integer bins take integer offsets, double bins double offsets; others are status 12', async (t) => {
    const key = uniqueKey()
    await client.put(key, { i: 1, d: 1.5, s: 'x', b: true, l: [1], m: { a: 1 }, raw: Buffer.from([1]) })
    await t.rejects(client.increment(key, 'i', 0.5), { code: STATUS.INCOMPATIBLE_TYPE })
    await t.rejects(client.increment(key, 'd', 1), { code: STATUS.INCOMPATIBLE_TYPE })
    for (const bin of ['s', 'b', 'l', 'm', 'raw']) await t.rejects(client.increment(key, bin, 1), { code: STATUS.INCOMPATIBLE_TYPE }, bin)
    await t.rejects(client.increment(key, 'i', 'x' as never), { code: STATUS.PARAMETER })
    t.equal(await client.increment(key, 'd', new Double(2)), 3.5)
    t.equal((await client.get(key)).gen, 2, 'only the one good increment was applied')
  })

  t.test('int64 is exact: bigint past 2^53, overflow is status 26 and changes nothing', async (t) => {
    const key = uniqueKey()
    t.equal(await client.increment(key, 'n', Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER)
    t.equal(await client.increment(key, 'n', 2), 2n ** 53n + 1n)
    t.equal(await client.increment(key, 'n', -3), 2 ** 53 - 2, 'back under 2^53 it is a number again')
    const max = uniqueKey()
    await client.increment(max, 'n', 2n ** 63n - 2n)
    t.equal(await client.increment(max, 'n', 1), 2n ** 63n - 1n)
    const err = await client.increment(max, 'n', 1).catch((e) => e)
    t.match(err, { code: STATUS.OP_NOT_APPLICABLE, message: /overflows int64/ })
    await t.rejects(client.increment(max, 'n', 2n ** 63n), { code: STATUS.PARAMETER }, 'an offset beyond int64')
    const min = uniqueKey()
    await client.increment(min, 'n', -(2n ** 63n))
    await t.rejects(client.increment(min, 'n', -1), { code: STATUS.OP_NOT_APPLICABLE })
    const after = await client.get(max)
    t.equal(after.bins.n, 2n ** 63n - 1n)
    t.equal(after.gen, 2, 'the overflow did not bump the generation')
  })

  t.test('10,000 concurrent increments on one key sum exactly', async (t) => {
    const key = uniqueKey()
    const values = await Promise.all(Array.from({ length: 10_000 }, (_, i) => client.increment(key, 'n', (i % 7) - 2)))
    let expected = 0
    for (let i = 0; i < 10_000; i++) expected += (i % 7) - 2
    t.equal((await client.get(key)).bins.n, expected)
    t.equal(new Set(values).size <= 10_000, true)
    t.equal((await client.get(key)).gen, 10_000)
  })
})

t.test('operate', async (t) => {
  const { client } = await serverAndClient(t)

  t.test('increment-and-read, in one atomic call', async (t) => {
    const key = uniqueKey()
    const result = await client.operate(key, [ops.incr('n', 5), ops.read('n'), ops.incr('n', 1), ops.read('n'), ops.read('missing')])
    t.same(result.results, [5, 6, null])
    t.same(result.bins, { n: 6 }, 'a later read of the same bin wins')
    t.equal(result.gen, 1)
  })

  t.test('read-and-delete', async (t) => {
    const key = uniqueKey()
    await client.put(key, { job: 'x', n: 1 })
    const result = await client.operate(key, [ops.read('job'), ops.deleteRecord()])
    t.same(result, { gen: 0, ttl: 0, bins: { job: 'x' }, results: ['x'] })
    t.equal(await client.exists(key), false)
  })

  t.test('every op kind, applied in order', async (t) => {
    const key = uniqueKey()
    await client.put(key, { s: 'b', gone: 1 })
    const result = await client.operate(
      key,
      [ops.write('w', 1), ops.append('s', 'c'), ops.prepend('s', 'a'), ops.deleteBin('gone'), ops.incr('n', 1, 10), ops.touch(), ops.read('s')],
      { ttl: 100 },
    )
    t.same(result.results, ['abc'])
    t.equal(result.ttl, 100)
    t.same((await client.get(key)).bins, { s: 'abc', w: 1, n: 10 })
  })

  t.test('a failing op rolls the whole operate back', async (t) => {
    const key = uniqueKey()
    await client.put(key, { n: 1, s: 'x' })
    await t.rejects(client.operate(key, [ops.incr('n', 1), ops.write('new', 1), ops.incr('s', 1)]), { code: STATUS.INCOMPATIBLE_TYPE })
    await t.rejects(client.operate(key, [ops.deleteRecord(), ops.incr('n', 2n ** 63n - 1n), ops.incr('n', 1)]), { code: STATUS.OP_NOT_APPLICABLE })
    const record = await client.get(key)
    t.same(record.bins, { n: 1, s: 'x' })
    t.equal(record.gen, 1)
  })

  t.test('reads only: no write, and a missing record is status 2', async (t) => {
    const key = uniqueKey()
    await t.rejects(client.operate(key, [ops.read('a')]), { code: STATUS.NOT_FOUND })
    await client.put(key, { a: 1 })
    t.same(await client.operate(key, [ops.read('a')]), { gen: 1, ttl: -1, bins: { a: 1 }, results: [1] })
    await t.rejects(client.operate(uniqueKey(), [ops.touch()]), { code: STATUS.NOT_FOUND }, 'touch needs a record')
  })
})

t.test('an operate whose reads would overflow the frame limit is refused before it commits', async (t) => {
  const { client } = await serverAndClient(t, { maxFrameBytes: 64 * 1024, namespaces: [{ name: 'test', maxRecordBytes: 60 * 1024 }] })
  const key = uniqueKey()
  await client.put(key, { big: 'x'.repeat(40 * 1024), n: 1 })
  await t.rejects(client.operate(key, [ops.read('big'), ops.read('big'), ops.incr('n', 1)]), { code: STATUS.RECORD_TOO_BIG, message: /over the frame limit/ })
  const record = await client.get(key)
  t.equal(record.bins.n, 1, 'the increment was not applied')
  t.equal(record.gen, 1)
})
