// The Tally client against three real nodes: it reads the map from the one node it is given, sends each request to
// its partition's owner (so nodes forward next to nothing), splits batch reads by owner, and refuses nothing it
// can route; a batch of writes across nodes is refused with 16 and changes nothing.
import t from 'tap'
import { connect, Key, ops, type Client } from '../../client/index.js'
import { decodeClusterMap } from '../../protocol/cluster-map.js'
import { partitionOf } from '../../protocol/partitions.js'
import { STATUS } from '../../protocol/status.js'
import { clusterInfo, haveEtcd, NO_ETCD, plainClient, testCluster, until } from '../helpers/cluster.js'
import type { Teardown } from '../helpers/server.js'

async function routingClient(t: Teardown, port: number): Promise<Client> {
  const client = await connect({ hosts: `127.0.0.1:${port}`, policy: { totalTimeoutMs: 30_000 } })
  t.teardown(() => client.close())
  return client
}

t.test('a client seeded with one node routes to all three', { skip: !haveEtcd && NO_ETCD }, async (t) => {
  const cluster = await testCluster(t, 3)
  const direct = await Promise.all(cluster.nodes.map((node) => plainClient(t, node!.port)))
  await until('the first map on every node', async () => (await Promise.all(direct.map(clusterInfo))).every((i) => i.generation > 0))
  const client = await routingClient(t, cluster.nodes[1]!.port)
  t.ok(client.mapGeneration! > 0, `the client routes by map generation ${client.mapGeneration}`)
  const map = decodeClusterMap((await direct[0]!.info('cluster-map'))['cluster-map']!)

  const keys = 15_000
  const inFlight = 500
  for (let start = 0; start < keys; start += inFlight)
    await Promise.all(Array.from({ length: Math.min(inFlight, keys - start) }, (_, j) => client.increment(new Key('test', 'rt', start + j), 'n', 1)))
  const objects = await Promise.all(direct.map(async (c) => Number(/objects=(\d+)/.exec((await c.info('namespace/test'))['namespace/test']!)![1])))
  t.equal(objects.reduce((a, b) => a + b, 0), keys, 'every key written once')
  for (let i = 0; i < 3; i++) t.ok(objects[i]! > keys * 0.25 && objects[i]! < keys * 0.42, `node${i + 1} holds about a third (${objects[i]})`)
  const forwarded = (await Promise.all(direct.map(clusterInfo))).reduce((sum, info) => sum + info.forwarded, 0)
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
