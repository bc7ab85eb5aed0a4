// 100,000 keys written through the Tally client, seeded with one of three real nodes (and a real etcd), land on
// their partitions' owners only: each node holds exactly the keys of its partitions, about a third, and nothing is
// forwarded once the client routes by the map. Thousands of writes are in flight at once, so the file stays well
// within its time on a loaded machine (the time taken is printed).
import t from 'tap'
import { connect, Key } from '../../client/index.js'
import { decodeClusterMap } from '../../protocol/cluster-map.js'
import { partitionOf } from '../../protocol/partitions.js'
import { clusterInfo, haveEtcd, NO_ETCD, plainClient, testCluster, until } from '../helpers/cluster.js'

const KEYS = 100_000
const IN_FLIGHT = 4000
const SET = 'hk'

t.test(`${KEYS} keys through a routing client`, { skip: !haveEtcd && NO_ETCD }, async (t) => {
  const cluster = await testCluster(t, 3)
  const direct = await Promise.all(cluster.nodes.map((node) => plainClient(t, node!.port)))
  await until('the first map on every node', async () => (await Promise.all(direct.map(clusterInfo))).every((i) => i.generation > 0 && i.nodes.size === 3))
  const client = await connect({ hosts: `127.0.0.1:${cluster.nodes[0]!.port}`, poolSize: 4, policy: { totalTimeoutMs: 60_000 } })
  t.teardown(() => client.close())
  const map = decodeClusterMap((await direct[0]!.info('cluster-map'))['cluster-map']!)
  t.equal(client.mapGeneration, map.generation, "the client routes by the nodes' map")
  const forwardedBefore = (await Promise.all(direct.map(clusterInfo))).reduce((sum, info) => sum + info.forwarded, 0)

  const owned = [0, 0, 0]
  const startMs = performance.now()
  for (let start = 0; start < KEYS; start += IN_FLIGHT) {
    const writes: Promise<unknown>[] = []
    for (let i = start; i < Math.min(start + IN_FLIGHT, KEYS); i++) {
      const key = new Key('test', SET, i)
      owned[map.owners[partitionOf(key.digest)]!]!++
      writes.push(client.put(key, { v: i }))
    }
    await Promise.all(writes)
  }
  const seconds = (performance.now() - startMs) / 1000
  t.comment(`${KEYS} writes in ${seconds.toFixed(1)} s (${Math.round(KEYS / seconds)} writes/s, ${IN_FLIGHT} in flight)`)

  const objects = await Promise.all(direct.map(async (c) => Number(/objects=(\d+)/.exec((await c.info(`sets/test/${SET}`))[`sets/test/${SET}`]!)?.[1] ?? 0)))
  t.equal(objects.reduce((a, b) => a + b, 0), KEYS, 'every key written once')
  for (let i = 0; i < 3; i++) {
    t.equal(objects[i], owned[i], `node${i + 1} holds exactly the keys of its partitions (${objects[i]})`)
    t.ok(objects[i]! > KEYS * 0.3 && objects[i]! < KEYS * 0.37, `node${i + 1} holds about a third (${((100 * objects[i]!) / KEYS).toFixed(1)}%)`)
  }
  const forwarded = (await Promise.all(direct.map(clusterInfo))).reduce((sum, info) => sum + info.forwarded, 0) - forwardedBefore
  t.ok(forwarded <= 10, `nodes forwarded next to nothing (${forwarded} of ${KEYS})`)
  const sample = await client.batchGet(Array.from({ length: 100 }, (_, i) => new Key('test', SET, i * 997)))
  t.same(sample.map((r) => r?.bins.v), Array.from({ length: 100 }, (_, i) => i * 997), 'a sample reads back over the three nodes')
})
