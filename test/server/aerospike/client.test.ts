// The official Aerospike client (npm aerospike 6.7.1) against Tally's Aerospike listener: connecting, single
// records, operate with every op Tally serves, policies, keys, TTLs, batch reads and integers at the edge of int64.
import Aerospike from 'aerospike'
import t from 'tap'
import { aerospikeClient, aerospikeServer, uniqueAsKey } from '../../helpers/aerospike.js'
import { codeOf } from '../../helpers/rejections.js'

const { operations: op, policy, status } = Aerospike

t.test('the official client against a Tally server', async (t) => {
  const server = await aerospikeServer(t)
  const client = await aerospikeClient(t, server.aerospikePort)

  t.test('connects, and sees one node that owns the namespace', async (t) => {
    t.equal(client.isConnected(), true)
    const nodes = client.getNodes()
    t.equal(nodes.length, 1)
    t.equal(await client.infoAny('build'), 'build\t7.1.0.0\n')
    t.equal(await client.infoAny('namespaces'), 'namespaces\ttest\n')
    t.match(await client.infoAny('version'), /^version\tTally \d+\.\d+\.\d+\n$/)
  })

  t.test('a client configured with a user and password connects too (security is not enabled: 52)', async (t) => {
    const withUser = await aerospikeClient(t, server.aerospikePort, { user: 'admin', password: 'secret' })
    const key = uniqueAsKey()
    await withUser.put(key, { n: 1 })
    t.same((await client.get(key)).bins, { n: 1 })
  })

  t.test('put, get, select, exists, touch, remove', async (t) => {
    const key = uniqueAsKey()
    const bins = { i: 7, s: 'héllo', d: 1.5, b: Buffer.from([1, 2, 3]), l: [1, 'a', 2.5, [true]], m: { a: 1, b: 'x' }, t: true }
    await client.put(key, bins, { ttl: 1000 })
    const record = await client.get(key)
    t.same(record.bins, bins)
    t.equal(record.gen, 1)
    t.ok(record.ttl >= 999 && record.ttl <= 1000, `ttl ${record.ttl}`)
    t.same((await client.select(key, ['s', 'missing', 'i'])).bins, { s: 'héllo', i: 7 }, 'select answers the bins that exist')
    t.equal(await client.exists(key), true)
    t.equal(await client.exists(uniqueAsKey()), false)
    const meta = await client.existsWithMetadata(key)
    t.same([meta.gen, meta.ttl! >= 999], [1, true])
    await client.operate(key, [op.touch(5000)])
    const touched = await client.get(key)
    t.same([touched.gen, touched.ttl > 4990], [2, true], 'touch renews the TTL and bumps the generation')
    t.equal(await codeOf(client.operate(uniqueAsKey(), [op.touch(10)])), status.ERR_RECORD_NOT_FOUND)
    await client.put(key, { i: null, n: 1 })
    const { i: _deleted, ...rest } = bins
    t.same((await client.get(key)).bins, { ...rest, n: 1 }, 'a null bin is deleted')
    await client.remove(key, { durableDelete: true })
    t.equal(await codeOf(client.get(key)), status.ERR_RECORD_NOT_FOUND)
    t.equal(await codeOf(client.remove(key)), status.ERR_RECORD_NOT_FOUND)
  })

  t.test('operate: read, write, incr (int and float), append, prepend, touch, delete', async (t) => {
    const key = uniqueAsKey()
    await client.put(key, { i: 1, f: new Aerospike.Double(1.25), s: 'mid', b: Buffer.from('mid') })
    const result = await client.operate(key, [
      op.incr('i', 5),
      op.incr('f', new Aerospike.Double(2.5)),
      op.append('s', '>'),
      op.prepend('s', '<'),
      op.append('b', Buffer.from('!')),
      op.write('w', 'new'),
      op.touch(600),
      op.read('i'),
      op.read('f'),
      op.read('s'),
      op.read('b'),
      op.read('w'),
      op.read('missing'),
    ])
    t.same(result.bins, { i: 6, f: 3.75, s: '<mid>', b: Buffer.from('mid!'), w: 'new' }, 'reads see the ops before them; a missing bin is left out')
    t.equal(result.gen, 2)
    t.ok(result.ttl > 590 && result.ttl <= 600)
    t.equal(await codeOf(client.operate(key, [op.incr('i', 1.5)])), status.ERR_BIN_INCOMPATIBLE_TYPE, 'a float to an integer bin')
    t.equal(await codeOf(client.operate(key, [op.incr('f', 1)])), status.ERR_BIN_INCOMPATIBLE_TYPE, 'an integer to a float bin')
    t.equal(await codeOf(client.operate(key, [op.append('i', 'x')])), status.ERR_BIN_INCOMPATIBLE_TYPE)
    t.equal((await client.get(key)).gen, 2, 'failed operates change nothing')
    const gone = await client.operate(key, [op.read('w'), op.delete()])
    t.same([gone.bins.w, gone.gen], ['new', 0], 'read then delete, atomically')
    t.equal(await codeOf(client.get(key)), status.ERR_RECORD_NOT_FOUND)
    const created = await client.operate(uniqueAsKey(), [op.incr('n', 3), op.read('n')])
    t.same([created.bins.n, created.gen], [3, 1], 'an increment creates the record and the bin at the offset')
    await client.incr(key, { n: new Aerospike.Double(0.5) })
    await client.add(key, { n: new Aerospike.Double(0.25) })
    t.same((await client.get(key)).bins, { n: 0.75 })
  })

  t.test('generation and exists policies', async (t) => {
    const key = uniqueAsKey()
    await client.put(key, { n: 1 })
    const eq = new Aerospike.WritePolicy({ gen: policy.gen.EQ })
    t.equal(await codeOf(client.put(key, { n: 2 }, { gen: 5 }, eq)), status.ERR_RECORD_GENERATION)
    await client.put(key, { n: 2 }, { gen: 1 }, eq)
    const gt = new Aerospike.WritePolicy({ gen: policy.gen.GT })
    t.equal(await codeOf(client.put(key, { n: 3 }, { gen: 2 }, gt)), status.ERR_RECORD_GENERATION)
    await client.put(key, { n: 3 }, { gen: 3 }, gt)
    t.same([(await client.get(key)).gen, (await client.get(key)).bins.n], [3, 3])
    const removeEq = new Aerospike.RemovePolicy({ gen: policy.gen.EQ, generation: 1 })
    t.equal(await codeOf(client.remove(key, removeEq)), status.ERR_RECORD_GENERATION)

    const exists = (e: number) => new Aerospike.WritePolicy({ exists: e })
    t.equal(await codeOf(client.put(key, { x: 1 }, {}, exists(policy.exists.CREATE))), status.ERR_RECORD_EXISTS)
    t.equal(await codeOf(client.put(uniqueAsKey(), { x: 1 }, {}, exists(policy.exists.UPDATE))), status.ERR_RECORD_NOT_FOUND)
    t.equal(await codeOf(client.put(uniqueAsKey(), { x: 1 }, {}, exists(policy.exists.REPLACE))), status.ERR_RECORD_NOT_FOUND)
    await client.put(key, { x: 1 }, {}, exists(policy.exists.UPDATE))
    t.same((await client.get(key)).bins, { n: 3, x: 1 }, 'update merges')
    await client.put(key, { y: 2 }, {}, exists(policy.exists.REPLACE))
    t.same((await client.get(key)).bins, { y: 2 }, 'replace drops the old bins')
    await client.put(key, { z: 3 }, {}, exists(policy.exists.CREATE_OR_REPLACE))
    t.same((await client.get(key)).bins, { z: 3 })
    const fresh = uniqueAsKey()
    await client.put(fresh, { c: 1 }, {}, exists(policy.exists.CREATE))
    t.equal((await client.get(fresh)).gen, 1)
  })

  t.test('key policy send: the key is stored with the record; a key given by digest alone reads it', async (t) => {
    const send = new Aerospike.WritePolicy({ key: policy.key.SEND })
    const key = uniqueAsKey()
    await client.put(key, { n: 1 }, {}, send)
    t.same((await client.get(key, new Aerospike.ReadPolicy({ key: policy.key.SEND }))).bins, { n: 1 })
    await client.put(key, { n: 2 }, {}, send)
    const digestOnly = new Aerospike.Key(key.ns, null, null, key.digest)
    t.same((await client.get(digestOnly)).bins, { n: 2 }, 'read by digest')
    t.equal(await codeOf(client.put(digestOnly, { n: 3 })), status.ERR_REQUEST_INVALID, 'a write by digest alone must name the set, as on Aerospike')
    await client.remove(digestOnly)
    t.equal(await client.exists(key), false, 'removed by digest')
  })

  t.test('TTLs: seconds, never, keep, and out of range', async (t) => {
    const key = uniqueAsKey()
    await client.put(key, { n: 1 }, { ttl: Aerospike.ttl.NEVER_EXPIRE })
    t.equal((await client.get(key)).ttl, -1)
    await client.put(key, { n: 2 }, { ttl: 300 })
    await client.put(key, { n: 3 }, { ttl: Aerospike.ttl.DONT_UPDATE })
    const kept = await client.get(key)
    t.ok(kept.ttl > 290 && kept.ttl <= 300, `-2 keeps the TTL (${kept.ttl})`)
    await client.put(key, { n: 4 }, { ttl: Aerospike.ttl.NAMESPACE_DEFAULT })
    t.equal((await client.get(key)).ttl, -1, '0: the namespace default (never, here)')
    t.equal(await codeOf(client.put(key, { n: 5 }, { ttl: 315_360_001 })), status.ERR_REQUEST_INVALID)
    await client.put(key, { n: 6 }, { ttl: 1 })
    await new Promise((r) => setTimeout(r, 2100))
    t.equal(await codeOf(client.get(key)), status.ERR_RECORD_NOT_FOUND, 'gone once its TTL has passed')
  })

  t.test('record too big: 13, nothing written', async (t) => {
    const key = uniqueAsKey()
    t.equal(await codeOf(client.put(key, { big: 'x'.repeat(2 * 1024 * 1024) })), status.ERR_RECORD_TOO_BIG)
    t.equal(await client.exists(key), false)
  })

  t.test('batch reads: get, select, exists, header only', async (t) => {
    const keys = [uniqueAsKey(), uniqueAsKey(), uniqueAsKey()]
    await client.put(keys[0]!, { a: 1, b: 'x' })
    await client.put(keys[2]!, { a: 3 })
    const got = await client.batchGet(keys)
    t.same(got.map((r) => [r.status, r.record.bins]), [[0, { a: 1, b: 'x' }], [2, undefined], [0, { a: 3 }]])
    const selected = await client.batchSelect(keys, ['b'])
    // The client answers batchSelect as batchGet does, whatever its typings say.
    t.same(selected.map((r) => [r.status, (r as unknown as { record: { bins: unknown } }).record.bins]), [[0, { b: 'x' }], [2, undefined], [0, {}]])
    const exists = await client.batchExists(keys)
    t.same(exists.map((r) => r.status), [0, 2, 0])
    t.same(exists.map((r) => r.record.gen), [1, undefined, 1])
    const read = await client.batchRead([
      { key: keys[0]!, readAllBins: true },
      { key: keys[2]!, bins: ['a'] },
      { key: keys[0]!, readAllBins: false },
    ])
    t.same(read.map((r) => [r.status, r.record.bins]), [[0, { a: 1, b: 'x' }], [0, { a: 3 }], [0, {}]])
    const many = Array.from({ length: 300 }, (_, i) => new Aerospike.Key('test', 'many', i))
    // At most 50 at once: the client opens at most 100 connections to a node (maxConnsPerNode).
    for (let i = 0; i < 150; i += 50) await Promise.all(many.slice(i, i + 50).map((k, j) => client.put(k, { i: i + j })))
    const all = await client.batchGet(many)
    t.equal(all.filter((r) => r.status === 0 && r.record.bins.i === r.record.key.key).length, 150)
    t.equal(all.filter((r) => r.status === status.ERR_RECORD_NOT_FOUND).length, 150)
  })

  t.test('integers at the edges of int64; increments that would overflow are refused with 26', async (t) => {
    const key = uniqueAsKey()
    const max = 2n ** 63n - 1n
    const min = -(2n ** 63n)
    await client.put(key, { max, min, safe: 2 ** 53 - 1, beyond: 2n ** 53n + 1n })
    const record = await client.get(key)
    t.same(record.bins, { max, min, safe: 2 ** 53 - 1, beyond: 2n ** 53n + 1n })
    t.equal(await codeOf(client.operate(key, [op.incr('max', 1)])), status.ERR_OP_NOT_APPLICABLE)
    t.equal(await codeOf(client.operate(key, [op.incr('min', -1)])), status.ERR_OP_NOT_APPLICABLE)
    t.equal(await codeOf(client.operate(key, [op.incr('safe', 1), op.incr('max', 1)])), status.ERR_OP_NOT_APPLICABLE)
    const after = await client.get(key)
    t.same([after.bins, after.gen], [record.bins, 1], 'nothing changed, not even the first op')
    const down = await client.operate(key, [op.incr('max', -1), op.incr('safe', 2), op.read('max'), op.read('safe')])
    t.same(down.bins, { max: max - 1n, safe: 2n ** 53n + 1n })
  })
})
