// Counters sessions end to end: queued increments and deletes saved in one atomic round trip, new values back,
// reads that never throw for what is missing, and every failure naming its record and counter with nothing applied.
import t from 'tap'
import { CLIENT_STATUS, Key, STATUS, TallyError, type Client } from '../../client/index.js'
import { serverAndClient, testClient, testServer, uniqueKey } from '../helpers/server.js'

t.test('the flow of the guide: open, countersFor by key and by record, increment, delete, save, read back', async (t) => {
  const { client } = await serverAndClient(t)
  const post = new Key('test', 'posts', 'post-1')
  const item = new Key('test', 'items', 'sku-42')
  await client.put(item, { stock: 10, legacy: 3, name: 'kettle' }, { ttl: 1000 })

  const session = client.openSession()
  session.countersFor(post).increment('likes')
  session.countersFor(post).increment('downloads', 5)
  session.countersFor(item).increment('stock', -1)
  const loaded = await session.load(item)
  t.same(loaded!.bins, { stock: 10, legacy: 3, name: 'kettle' })
  session.countersFor(loaded!).delete('legacy')
  const saved = await session.saveChanges()
  t.same(saved, [
    { key: post, counters: { likes: 1, downloads: 5 } },
    { key: item, counters: { stock: 9, legacy: null } },
  ])

  t.equal(await session.countersFor(post).get('likes'), 1)
  t.equal(await session.countersFor(item).get('legacy'), null)
  t.same(await session.countersFor(item).getAll(), { stock: 9 }, 'non-integer bins are not counters')
  const record = await client.get(item)
  t.same(record.bins, { stock: 9, name: 'kettle' })
  t.equal(record.gen, 2, 'a save bumps the generation once per record')
  t.ok(record.ttl > 990, `the record kept its TTL (${record.ttl})`)

  const fresh = client.openSession()
  t.same(await fresh.countersFor(post).getAll(), { likes: 1, downloads: 5 })
  t.equal(await fresh.countersFor(post).get('missing'), null)
  t.equal(await fresh.countersFor(uniqueKey()).get('likes'), null, 'a missing record is not an error')
  t.same(await fresh.countersFor(uniqueKey()).getAll(), {})
  t.equal(await fresh.load(uniqueKey()), null)
  fresh.countersFor(await client.get(post)).increment('likes', 2)
  t.same(await fresh.saveChanges(), [{ key: post, counters: { likes: 3 } }], 'a record from client.get works too')
})

t.test('increments of one counter are combined; int64 is exact and an overflowing sum is still applied in steps', async (t) => {
  const { client } = await serverAndClient(t)
  const key = uniqueKey()
  const session = client.openSession()
  const counters = session.countersFor(key)
  for (let i = 0; i < 10; i++) counters.increment('n', 3)
  counters.increment('big', 2n ** 62n)
  counters.increment('big', 2n ** 62n)
  counters.increment('big', -(2n ** 62n))
  counters.increment('big', -1)
  t.same((await session.saveChanges())[0]!.counters, { n: 30, big: 2n ** 62n - 1n })
  t.equal((await client.get(key)).gen, 1, 'one write')
  t.same(await session.saveChanges(), [], 'an empty save sends nothing')

  counters.increment('big', 2n ** 62n)
  t.same((await session.saveChanges())[0]!.counters, { big: 2n ** 63n - 1n })
  counters.increment('n', 1)
  counters.increment('big', 1)
  const err = await session.saveChanges().catch((e: unknown) => e)
  t.match(err, { code: STATUS.OP_NOT_APPLICABLE, message: new RegExp(`^saveChanges: record ${key}: bin 'big'`) })
  t.same((await client.get(key)).bins, { n: 30, big: 2n ** 63n - 1n }, 'neither counter changed')
  t.same(await session.saveChanges(), [], 'a failed save empties the queue')
})

t.test('missing counters and records', async (t) => {
  const { client } = await serverAndClient(t)

  t.test('increment creates the counter and the record; delete of a missing one is not an error', async (t) => {
    const [key, nothing] = [uniqueKey(), uniqueKey()]
    const session = client.openSession()
    session.countersFor(key).increment('a', 7)
    session.countersFor(key).delete('never-there')
    session.countersFor(nothing).delete('x')
    t.same(await session.saveChanges(), [
      { key, counters: { a: 7, 'never-there': null } },
      { key: nothing, counters: { x: null } },
    ])
    t.equal(await client.exists(nothing), false, 'deleting from a missing record creates nothing')
    t.same((await client.get(key)).bins, { a: 7 })
  })

  t.test('deleting the last counter deletes the record; deleting the record deletes its counters', async (t) => {
    const [a, b] = [uniqueKey(), uniqueKey()]
    await client.put(a, { only: 1 })
    await client.put(b, { x: 1, y: 2 })
    const session = client.openSession()
    session.countersFor(a).delete('only')
    await session.saveChanges()
    t.equal(await client.exists(a), false)
    t.same(await session.countersFor(a).getAll(), {}, 'the session knows the record is gone')
    await client.remove(b)
    t.same(await client.openSession().countersFor(b).getAll(), {})
  })

  t.test('requireRecord: a missing record fails the whole save with status 2 naming it', async (t) => {
    const [here, missing] = [uniqueKey(), uniqueKey()]
    await client.put(here, { n: 1 })
    const session = client.openSession({ requireRecord: true })
    session.countersFor(here).increment('n')
    session.countersFor(missing).increment('n')
    await t.rejects(session.saveChanges(), { code: STATUS.NOT_FOUND, index: 1, message: new RegExp(`record ${missing}`) })
    t.same((await client.get(here)).bins, { n: 1 })
    t.equal(await client.exists(missing), false)
    session.countersFor(here).increment('n')
    session.countersFor(missing).delete('n')
    t.same(await session.saveChanges(), [
      { key: here, counters: { n: 2 } },
      { key: missing, counters: { n: null } },
    ], 'deleting from a missing record is still no error')
    t.equal(await client.exists(missing), false)
  })

  t.test('deleting a missing counter of an existing record changes nothing', async (t) => {
    const key = uniqueKey()
    await client.put(key, { n: 1 })
    const session = client.openSession()
    session.countersFor(key).delete('other')
    await session.saveChanges()
    t.same(await client.existsWithMetadata(key), { gen: 1, ttl: -1 }, 'no new generation')
  })
})

t.test('failures name the record and counter, and apply nothing anywhere', async (t) => {
  const { client } = await serverAndClient(t)
  const [good, bad] = [uniqueKey(), uniqueKey()]
  await client.put(good, { n: 1 })
  await client.put(bad, { n: 1, label: 'text', max: 2n ** 63n - 1n })
  const attempt = async (change: (session: ReturnType<Client['openSession']>) => void): Promise<unknown> => {
    const session = client.openSession()
    session.countersFor(good).increment('n', 100)
    change(session)
    return session.saveChanges().catch((e: unknown) => e)
  }
  t.match(await attempt((s) => s.countersFor(bad).increment('max')), { code: STATUS.OP_NOT_APPLICABLE, index: 1, message: /record .*: bin 'max'/ })
  t.match(await attempt((s) => s.countersFor(bad).increment('label')), { code: STATUS.INCOMPATIBLE_TYPE, index: 1, message: /bin 'label'/ })
  t.match(await attempt((s) => s.countersFor(bad).increment('')), { code: STATUS.BIN_NAME, index: 1 })
  t.match(await attempt((s) => s.countersFor(bad).increment('sixteen-bytes-xx')), { code: STATUS.BIN_NAME, message: /sixteen-bytes-xx/ })
  t.same((await client.get(good)).bins, { n: 1 })
  t.same((await client.get(bad)).gen, 1)
})

t.test('stop-writes fails the save with status 8 naming the record', async (t) => {
  const server = await testServer(t, { namespaces: [{ name: 'test', dataSizeBytes: 64 * 1024, stopWritesUsedPct: 50 }] })
  const client = await testClient(t, server)
  const key = uniqueKey()
  await client.put(key, { n: 1 })
  for (let i = 0; i < 1000 && !server.core.store.namespace('test').stopWrites; i++) await client.put(uniqueKey(), { filler: 'x'.repeat(1000) })
  const session = client.openSession()
  session.countersFor(key).increment('n')
  await t.rejects(session.saveChanges(), { code: STATUS.OUT_OF_SPACE, index: 0, message: new RegExp(`record ${key}: .*stop-writes`) })
  t.same((await client.get(key)).bins, { n: 1 })
})

t.test('usage errors are thrown at the call that makes them', async (t) => {
  const { client } = await serverAndClient(t)
  const session = client.openSession()
  const counters = session.countersFor(uniqueKey())
  counters.increment('a')
  t.throws(() => counters.delete('a'), { code: CLIENT_STATUS.PARAMETER, message: /counter 'a' .* is incremented in this session/ })
  counters.delete('b')
  t.throws(() => counters.increment('b'), { code: CLIENT_STATUS.PARAMETER, message: /counter 'b' .* is deleted in this session/ })
  for (const delta of [1.5, NaN, 2 ** 53, '1', 2n ** 63n]) t.throws(() => counters.increment('c', delta as never), { code: CLIENT_STATUS.PARAMETER }, String(delta))
  t.throws(() => counters.increment(7 as never), { code: CLIENT_STATUS.PARAMETER })
  t.throws(() => session.countersFor('key' as never), { code: CLIENT_STATUS.PARAMETER })
  t.throws(() => session.countersFor({ bins: {} } as never), { code: CLIENT_STATUS.PARAMETER })
  t.throws(() => client.openSession({ requireRecord: 'yes' as never }), { code: CLIENT_STATUS.PARAMETER })
  t.throws(() => client.openSession({ meta: { ttl: 1.5 } }), { code: CLIENT_STATUS.PARAMETER })
  t.ok((await session.saveChanges()).length === 1, 'the valid changes are still queued and save')
})

t.test('meta.ttl sets the TTL of every changed record; values are remembered and not re-read', async (t) => {
  const { server, client } = await serverAndClient(t)
  const [a, b] = [uniqueKey(), uniqueKey()]
  const session = client.openSession({ meta: { ttl: 60 } })
  session.countersFor(a).increment('n')
  session.countersFor(b).increment('n')
  await session.saveChanges()
  for (const key of [a, b]) t.ok((await client.get(key)).ttl <= 60)
  await client.increment(a, 'n', 100)
  t.equal(await session.countersFor(a).get('n'), 1, 'the value the session received')
  const reads = () => Number(server.core.store.namespace('test').requestStats.client_read_success)
  const before = reads()
  await session.countersFor(b).getAll()
  await session.countersFor(b).getAll()
  await session.countersFor(b).get('other')
  t.equal(reads() - before, 1, 'one read for the record, then the session answers')
})

t.test('a save is atomic under concurrency: counters in different records move together', async (t) => {
  const { client } = await serverAndClient(t)
  const keys = [uniqueKey(), uniqueKey(), uniqueKey()]
  const observed: (number | undefined)[][] = []
  let saving = true
  const saves = Promise.all(
    Array.from({ length: 20 }, async () => {
      for (let i = 0; i < 25; i++) {
        const session = client.openSession()
        for (const key of keys) session.countersFor(key).increment('n')
        await session.saveChanges()
      }
    }),
  ).finally(() => (saving = false))
  while (saving) observed.push((await client.batchGet(keys)).map((r) => r?.bins.n as number | undefined))
  await saves
  const torn = observed.filter((values) => new Set(values).size !== 1)
  t.same(torn, [], `${observed.length} reads saw the three counters equal`)
  t.same((await client.batchGet(keys)).map((r) => r!.bins.n), [500, 500, 500])
})

t.test('saves and reads of one session go in turn, so the newest value is the one remembered', async (t) => {
  const { client } = await serverAndClient(t)
  const key = uniqueKey()
  const session = client.openSession()
  const counters = session.countersFor(key)
  const saves: Promise<unknown>[] = []
  for (let i = 0; i < 20; i++) {
    counters.increment('n')
    saves.push(session.saveChanges())
  }
  const read = counters.getAll()
  await Promise.all(saves)
  t.same(await read, { n: 20 })
  t.equal(await counters.get('n'), 20)
})

t.test('a session over a dropped connection reports the failure', async (t) => {
  const server = await testServer(t)
  const client = await testClient(t, server, { policy: { totalTimeoutMs: 500 } })
  const session = client.openSession()
  session.countersFor(uniqueKey()).increment('n')
  await server.close()
  const err = await session.saveChanges().catch((e: unknown) => e)
  t.ok(err instanceof TallyError && err.index === undefined, `${(err as Error).message}`)
})
