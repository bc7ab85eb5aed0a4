// Three real nodes and a real etcd: the map splits the partitions about evenly; a client that does not route reaches
// every record through the node it is connected to (one forward each); records live on their owners only; a stopped
// node's partitions answer 11 while the others serve; the map generation does not go back when nodes restart.
import t from 'tap'
import { Key } from '../../client/index.js'
import { decodeClusterMap } from '../../protocol/cluster-map.js'
import { partitionOf } from '../../protocol/partitions.js'
import { STATUS } from '../../protocol/status.js'
import { clusterStatus } from '../../server/commands/cluster.js'
import { clusterInfo, haveEtcd, NO_ETCD, plainClient, testCluster, until } from '../helpers/cluster.js'

t.test('three nodes serve one keyspace', { skip: !haveEtcd && NO_ETCD }, async (t) => {
  const cluster = await testCluster(t, 3)
  const first = await plainClient(t, cluster.nodes[0]!.port)
  await until('the first map on node1', async () => (await clusterInfo(first)).generation > 0)
  const info = await clusterInfo(first)
  t.equal(info.nodes.size, 3, 'three nodes')
  for (const [id, node] of info.nodes) t.ok(node.partitions > 4096 / 3 - 300 && node.partitions < 4096 / 3 + 300, `${id} owns about a third (${node.partitions})`)
  const map = decodeClusterMap((await first.info('cluster-map'))['cluster-map']!)
  t.equal(map.generation, info.generation)
  t.same(map.nodes.map((n) => n.id), ['node1', 'node2', 'node3'])

  const keys = 3000
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
    const direct = await plainClient(t, cluster.nodes[i]!.port)
    const objects = Number(/objects=(\d+)/.exec((await direct.info('namespace/test'))['namespace/test']!)![1])
    t.equal(objects, owned[i], `node${i + 1} holds exactly the records of its partitions (${owned[i]})`)
  }

  // etcd's view, as `tally cluster status` prints it.
  const status = await clusterStatus([cluster.etcd.endpoint], cluster.name)
  t.match(status, new RegExp(`map generation ${info.generation}`))
  t.equal(status.split('\n').filter((line) => / up /.test(line)).length, 3, status)

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
