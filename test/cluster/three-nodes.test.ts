// Three real node processes and a real etcd, shared by the parts of this file in turn: the map splits the partitions
// about evenly; a client that does not route reaches every record through one node (a forward each) and records live
// on their owners only; the Tally client seeded with one node routes to all three (nothing forwarded), splits batch
// reads by owner and is refused a batch of writes across nodes (16, nothing applied); the official Aerospike client
// seeded with one node finds all three; a stopped node's partitions answer 11 while the others serve, and the map
// generation holds when it comes back.
import Aerospike from 'aerospike'
import t from 'tap'
import { connect, Key, ops, type Client } from '../../client/index.js'
import { decodeClusterMap } from '../../protocol/cluster-map.js'
import { computeDigest } from '../../protocol/digest.js'
import { partitionOf } from '../../protocol/partitions.js'
import { STATUS } from '../../protocol/status.js'
import { clusterStatus } from '../../server/commands/cluster.js'
import { aerospikeClient } from '../helpers/aerospike.js'
import { clusterInfo, haveEtcd, NO_ETCD, plainClient, testCluster, until } from '../helpers/cluster.js'
import type { Teardown } from '../helpers/server.js'

async function routingClient(t: Teardown, port: number): Promise<Client> {
  const client = await connect({ hosts: `127.0.0.1:${port}`, policy: { totalTimeoutMs: 30_000 } })
  t.teardown(() => client.close())
  return client
}

/** Records of `set` a node holds. */
async function setObjects(client: Client, set: string): Promise<number> {
  return Number(/objects=(\d+)/.exec((await client.info(`sets/test/${set}`))[`sets/test/${set}`]!)?.[1] ?? 0)
}

t.test('three nodes serve one keyspace', { skip: !haveEtcd && NO_ETCD }, async (t) => {
  const cluster = await testCluster(t, 3)
  const direct = await Promise.all(cluster.nodes.map((node) => plainClient(t, node!.port)))
  const first = direct[0]!
  await until('the first map on every node', async () => (await Promise.all(direct.map(clusterInfo))).every((i) => i.generation > 0 && i.nodes.size === 3))
  const map = decodeClusterMap((await first.info('cluster-map'))['cluster-map']!)
  const info = await clusterInfo(first)

  await t.test('through one node that forwards', async (t) => {
    t.equal(info.nodes.size, 3, 'three nodes')
    for (const [id, node] of info.nodes) t.ok(node.partitions > 4096 / 3 - 300 && node.partitions < 4096 / 3 + 300, `${id} owns about a third (${node.partitions})`)
    t.equal(map.generation, info.generation)
    t.same(map.nodes.map((n) => n.id), ['node1', 'node2', 'node3'])

    const keys = 2000
    const owned = [0, 0, 0]
    await Promise.all(
      Array.from({ length: keys }, async (_, i) => {
        const key = new Key('test', 'fw', i)
        owned[map.owners[partitionOf(key.digest)]!]!++
        await first.put(key, { v: i })
      }),
    )
    t.equal(await first.get(new Key('test', 'fw', 7)).then((r) => r.bins.v), 7, 'a read through node1 finds a record wherever it lives')
    t.equal(await first.increment(new Key('test', 'fw', 8), 'v', 2), 10)
    const forwarded = (await clusterInfo(first)).forwarded
    t.ok(forwarded >= keys - owned[0]!, `node1 forwarded what it does not own (${forwarded} >= ${keys - owned[0]!})`)
    for (let i = 0; i < 3; i++) {
      const objects = await setObjects(direct[i]!, 'fw')
      t.equal(objects, owned[i], `node${i + 1} holds exactly the records of its partitions (${owned[i]})`)
    }

    // etcd's view, as `tally cluster status` prints it.
    const status = await clusterStatus([cluster.etcd.endpoint], cluster.name)
    t.match(status, new RegExp(`map generation ${info.generation}`))
    t.equal(status.split('\n').filter((line) => / up /.test(line)).length, 3, status)
  })

  await t.test('the Tally client routes by partition', async (t) => {
    const forwardedBefore = (await Promise.all(direct.map(clusterInfo))).reduce((sum, info) => sum + info.forwarded, 0)
    const client = await routingClient(t, cluster.nodes[1]!.port)
    t.ok(client.mapGeneration! > 0, `the client routes by map generation ${client.mapGeneration}`)

    const keys = 9000
    const inFlight = 500
    for (let start = 0; start < keys; start += inFlight)
      await Promise.all(Array.from({ length: Math.min(inFlight, keys - start) }, (_, j) => client.increment(new Key('test', 'rt', start + j), 'n', 1)))
    const objects = await Promise.all(direct.map((c) => setObjects(c, 'rt')))
    t.equal(objects.reduce((a, b) => a + b, 0), keys, 'every key written once')
    for (let i = 0; i < 3; i++) t.ok(objects[i]! > keys * 0.25 && objects[i]! < keys * 0.42, `node${i + 1} holds about a third (${objects[i]})`)
    const forwarded = (await Promise.all(direct.map(clusterInfo))).reduce((sum, info) => sum + info.forwarded, 0) - forwardedBefore
    t.ok(forwarded <= 10, `nodes forwarded next to nothing (${forwarded})`)

    // Another client, seeded with another node, reads and increments the same records.
    const other = await routingClient(t, cluster.nodes[2]!.port)
    for (let i = 0; i < 30; i++) t.equal(await other.increment(new Key('test', 'rt', i), 'n', 1), 2, `key ${i} incremented from node3's client`)
    const got = await other.batchGet(Array.from({ length: 60 }, (_, i) => new Key('test', 'rt', i)))
    t.same(got.map((r) => r?.bins.n), Array.from({ length: 60 }, (_, i) => (i < 30 ? 2 : 1)), 'a batch read over the three nodes, in order')

    // A batch of writes must stay within one node.
    const byOwner = (owner: number): Key[] => Array.from({ length: 200 }, (_, i) => new Key('test', 'bo', i)).filter((k) => map.owners[partitionOf(k.digest)] === owner)
    const [a, b] = [byOwner(0)[0]!, byOwner(1)[0]!]
    await t.rejects(client.batchOperate([{ key: a, ops: [ops.incr('n', 1)] }, { key: b, ops: [ops.incr('n', 1)] }]), { code: STATUS.UNSUPPORTED_FEATURE })
    t.equal(await client.exists(a), false, 'nothing applied on the first node')
    t.equal(await client.exists(b), false, 'nothing applied on the second node')
    const same = byOwner(0).slice(1, 4)
    const results = await client.batchOperate(same.map((key) => ({ key, ops: [ops.incr('n', 5), ops.read('n')] })))
    t.same(results.map((r) => r.bins.n), [5, 5, 5], "a batch within one node's partitions is applied")
    const session = client.openSession()
    session.countersFor(a).increment('c')
    session.countersFor(b).increment('c')
    await t.rejects(session.saveChanges(), { code: STATUS.UNSUPPORTED_FEATURE }, 'a counters session across nodes is refused')
    t.equal(await client.exists(a), false, 'and changes nothing')
  })

  await t.test("the official Aerospike client finds every node", async (t) => {
    const client = await aerospikeClient(t, cluster.nodes[0]!.aerospikePort!)
    await until('the client sees three nodes', async () => client.getNodes().length === 3)
    t.equal(client.getNodes().length, 3, 'three nodes discovered from one seed')

    const keys = 300
    const owned = [0, 0, 0]
    for (let i = 0; i < keys; i++) {
      owned[map.owners[partitionOf(computeDigest('as', i))]!]!++
      await client.put(new Aerospike.Key('test', 'as', i), { v: i })
    }
    for (let i = 0; i < keys; i += 7) t.equal((await client.get(new Aerospike.Key('test', 'as', i))).bins.v, i)
    const ops = Aerospike.operations
    const result = await client.operate(new Aerospike.Key('test', 'as', 5), [ops.incr('v', 10), ops.read('v')])
    t.equal(result.bins.v, 15, 'operate on whichever node owns it')
    const batch = await client.batchGet(Array.from({ length: 30 }, (_, i) => new Aerospike.Key('test', 'as', i)))
    t.same(batch.map((r) => r.record.bins.v), Array.from({ length: 30 }, (_, i) => (i === 5 ? 15 : i)), 'a batch read, split by node by the client')
    const objects = await Promise.all(direct.map((c) => setObjects(c, 'as')))
    t.same(objects, owned, `each node holds exactly the records of its partitions (${objects.join(', ')})`)
  })

  // node3 stops: its partitions answer 11, the others serve on.
  await cluster.stop(2)
  await until('node3 seen down', async () => (await clusterInfo(first)).nodes.get('node3')?.up === false)
  let unavailable = 0
  let served = 0
  for (let i = 0; i < 300; i++) {
    const key = new Key('test', 'fw', i)
    if (map.owners[partitionOf(key.digest)] === 2) {
      await t.rejects(first.get(key), { code: STATUS.UNAVAILABLE })
      unavailable++
    } else {
      t.equal((await first.get(key)).bins.v, i === 8 ? 10 : i)
      served++
    }
  }
  t.ok(unavailable > 50 && served > 100, `${unavailable} keys unavailable, ${served} served`)

  // node3 comes back: same roster, same map, generation not lower; its partitions serve again (empty: in memory).
  await cluster.start(2)
  await until('node3 seen up', async () => (await clusterInfo(first)).nodes.get('node3')?.up === true)
  const after = await clusterInfo(first)
  t.ok(after.generation >= info.generation, `generation ${after.generation} >= ${info.generation}`)
  const back = [...Array(300).keys()].map((i) => new Key('test', 'fw', i)).find((k) => map.owners[partitionOf(k.digest)] === 2)!
  await first.put(back, { v: 'again' })
  t.equal((await first.get(back)).bins.v, 'again')
})
