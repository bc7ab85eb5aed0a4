// TTL end to end with an injected clock: special values, defaults, expiry visible at once, and one real-time
// expiry through the background sweep.
import t from 'tap'
import { Key, STATUS, MAX_TTL_SEC } from '../../client/index.js'
import { ManualClock } from '../../server/index.js'
import { serverAndClient, testClient, testServer, uniqueKey } from '../helpers/server.js'

t.test('ttl with an injected clock', async (t) => {
  const clock = new ManualClock(Date.now())
  const { server, client } = await serverAndClient(t, { clock, namespaces: [{ name: 'test' }, { name: 'day', defaultTtlSec: 86400 }, { name: 'sweep' }] })

  t.test('special values: 0 default, -1 never, -2 keep, omitted keep; reads report remaining seconds', async (t) => {
    const key = uniqueKey()
    t.same(await client.put(key, { a: 1 }), { gen: 1, ttl: -1 }, 'the default namespace TTL is never')
    t.equal((await client.put(key, { a: 1 }, { ttl: 100 })).ttl, 100)
    clock.advance(30_500)
    t.equal((await client.get(key)).ttl, 70, 'remaining seconds, rounded up')
    t.equal((await client.put(key, { a: 2 })).ttl, 70, 'omitted: kept')
    t.equal((await client.increment(key, 'n', 1, undefined, { ttl: -2 })) , 1)
    t.equal((await client.get(key)).ttl, 70, '-2: kept')
    t.equal((await client.put(key, { a: 3 }, { ttl: -1 })).ttl, -1, '-1: never')
    t.equal((await client.put(key, { a: 3 }, { ttl: 0 })).ttl, -1, '0: namespace default (never)')
    const day = new Key('day', 's', 'k')
    t.equal((await client.put(day, { a: 1 })).ttl, 86400, 'a new record gets the namespace default')
    t.equal((await client.put(day, { a: 1 }, { ttl: -2 })).ttl, 86400)
    t.equal((await client.put(new Key('day', 's', 'k2'), { a: 1 }, { ttl: -2 })).ttl, 86400, '-2 on create: default')
  })

  t.test('a TTL over 10 years, or below -2, is status 4 and changes nothing', async (t) => {
    const key = uniqueKey()
    await client.put(key, { a: 1 }, { ttl: 10 })
    await t.rejects(client.put(key, { a: 2 }, { ttl: MAX_TTL_SEC + 1 }), { code: STATUS.PARAMETER, message: /ttl/ })
    await t.rejects(client.touch(key, { ttl: -3 }), { code: STATUS.PARAMETER })
    t.equal((await client.put(key, { a: 2 }, { ttl: MAX_TTL_SEC })).ttl, MAX_TTL_SEC)
    t.equal((await client.get(key)).bins.a, 2)
  })

  t.test('an expired record is gone at once for reads, writes and exists', async (t) => {
    const key = uniqueKey()
    await client.put(key, { a: 1, b: 1 }, { ttl: 10 })
    clock.advance(9_999)
    t.equal(await client.exists(key), true)
    clock.advance(1)
    t.equal(await client.exists(key), false)
    await t.rejects(client.get(key), { code: STATUS.NOT_FOUND })
    await t.rejects(client.touch(key), { code: STATUS.NOT_FOUND })
    await t.rejects(client.put(key, { a: 2 }, undefined, { exists: 'update' }), { code: STATUS.NOT_FOUND })
    t.same(await client.put(key, { a: 2 }), { gen: 1, ttl: -1 }, 'a write starts a fresh record')
    t.same((await client.get(key)).bins, { a: 2 }, 'no old bins come back')
  })

  t.test('touch renews the TTL; increments keep it', async (t) => {
    const key = uniqueKey()
    await client.put(key, { n: 1 }, { ttl: 10 })
    clock.advance(5_000)
    await client.increment(key, 'n', 1)
    t.equal((await client.get(key)).ttl, 5)
    t.equal((await client.touch(key, { ttl: 10 })).ttl, 10)
    clock.advance(9_000)
    t.equal((await client.get(key)).bins.n, 2)
  })

  t.test('the sweep reclaims expired records', async (t) => {
    const ns = server.core.store.namespace('sweep')
    for (let i = 0; i < 100; i++) await client.put(new Key('sweep', 's', i), { a: i }, { ttl: 1 + (i % 2) })
    t.equal(ns.objects, 100)
    // Expiry buckets are whole seconds, so a record is swept up to a second after it stopped being visible.
    clock.advance(1_999)
    ns.sweep(1000)
    t.equal(ns.objects, 50, 'the 1 s records are gone, the 2 s ones stay')
    clock.advance(1_001)
    ns.sweep(1000)
    t.equal(ns.objects, 0)
    t.equal(ns.expiredObjects, 100)
  })
})

t.test('real time: a 2 s TTL record disappears and the background sweep frees it', async (t) => {
  const server = await testServer(t, { nsupPeriodMs: 200 })
  const client = await testClient(t, server)
  const key = uniqueKey()
  await client.put(key, { a: 1 }, { ttl: 2 }) // 2 s: still there when checked below, however slow the machine
  await client.put(uniqueKey(), { a: 1 })
  t.equal(await client.exists(key), true)
  const ns = server.core.store.namespace('test')
  // The sweep works in whole-second buckets every 200 ms: the record is freed within about three seconds.
  for (const deadline = Date.now() + 20_000; ns.expiredObjects === 0 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 50))
  t.equal(ns.objects, 1, 'swept by the background sweep, without being read')
  t.equal(await client.exists(key), false)
})
