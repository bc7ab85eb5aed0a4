// One store, two protocols: a record written through the Tally client reads the same through the official Aerospike
// client, and the other way round: the same bins, generation and TTL; both see the other's increments.
import Aerospike from 'aerospike'
import t from 'tap'
import { connect, Double, Key } from '../../../client/index.js'
import { aerospikeClient, aerospikeServer } from '../../helpers/aerospike.js'

t.test('a record reads the same through either protocol', async (t) => {
  const server = await aerospikeServer(t)
  const as = await aerospikeClient(t, server.aerospikePort)
  const tally = await connect({ hosts: `127.0.0.1:${server.port}`, policy: { totalTimeoutMs: 30_000 } })
  t.teardown(() => tally.close())

  t.test('written through Tally, read through Aerospike', async (t) => {
    const key = new Key('test', 'interop', 'from-tally')
    await tally.put(key, { i: 42, big: 2n ** 62n, d: new Double(2), s: 'text', b: Buffer.from([9, 8]), t: false, l: [1, 'x', [2]], m: new Map([['k', 1]]) }, { ttl: 1000 })
    await tally.increment(key, 'i', 1)
    const mine = await tally.get(key)
    const theirs = await as.get(new Aerospike.Key('test', 'interop', 'from-tally'))
    t.same(theirs.bins, { i: 43, big: 2n ** 62n, d: 2, s: 'text', b: Buffer.from([9, 8]), t: false, l: [1, 'x', [2]], m: { k: 1 } })
    t.equal(theirs.gen, mine.gen, `generation ${mine.gen}`)
    t.ok(Math.abs(theirs.ttl - mine.ttl) <= 1, `ttl ${theirs.ttl} and ${mine.ttl}`)
  })

  t.test('written through Aerospike, read through Tally', async (t) => {
    const asKey = new Aerospike.Key('test', 'interop', 'from-aerospike')
    await as.put(asKey, { i: 1, d: new Aerospike.Double(1.5), s: 'é', b: Buffer.from('ab'), t: true, l: [1, 2.5, 'z'], m: { a: [1] } }, { ttl: 500 })
    await as.operate(asKey, [Aerospike.operations.incr('i', 9), Aerospike.operations.incr('d', new Aerospike.Double(1))], { ttl: Aerospike.ttl.DONT_UPDATE })
    const theirs = await as.get(asKey)
    const mine = await tally.get(new Key('test', 'interop', 'from-aerospike'))
    t.same(mine.bins, { i: 10, d: 2.5, s: 'é', b: Buffer.from('ab'), t: true, l: [1, 2.5, 'z'], m: { a: [1] } })
    t.equal(mine.gen, 2)
    t.equal(theirs.gen, 2)
    t.ok(Math.abs(theirs.ttl - mine.ttl) <= 1 && mine.ttl > 490, `ttl ${theirs.ttl} and ${mine.ttl}`)
    t.equal(await tally.increment(new Key('test', 'interop', 'from-aerospike'), 'd', new Double(0.5)), 3, 'a double bin stays a double')
    t.equal((await as.get(asKey)).bins.d, 3)
  })

  t.test('increments through both, interleaved, add up', async (t) => {
    const asKey = new Aerospike.Key('test', 'interop', 'counter')
    const key = new Key('test', 'interop', 'counter')
    const ROUNDS = 200
    const work: Promise<unknown>[] = []
    for (let i = 0; i < ROUNDS; i++) {
      work.push(tally.increment(key, 'n', 1))
      if (i % 4 === 0) await Promise.all(work.splice(0)) // the official client has at most 100 connections
      work.push(as.operate(asKey, [Aerospike.operations.incr('n', 2)]))
    }
    await Promise.all(work)
    const record = await tally.get(key)
    t.equal(record.bins.n, ROUNDS * 3)
    t.equal(record.gen, ROUNDS * 2)
  })
})
