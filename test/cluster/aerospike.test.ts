// The official Aerospike client seeded with one node of a three-node cluster: the peers and replicas answers make
// it find all three and route each record to its owner, so its single-record operations succeed everywhere.
import Aerospike from 'aerospike'
import t from 'tap'
import { decodeClusterMap } from '../../protocol/cluster-map.js'
import { computeDigest } from '../../protocol/digest.js'
import { partitionOf } from '../../protocol/partitions.js'
import { aerospikeClient } from '../helpers/aerospike.js'
import { clusterInfo, haveEtcd, NO_ETCD, plainClient, testCluster, until } from '../helpers/cluster.js'

t.test('the official client seeded with one node reaches all three', { skip: !haveEtcd && NO_ETCD }, async (t) => {
  const cluster = await testCluster(t, 3)
  const direct = await Promise.all(cluster.nodes.map((node) => plainClient(t, node!.port)))
  await until('the first map on every node', async () => (await Promise.all(direct.map(clusterInfo))).every((i) => i.generation > 0 && i.nodes.size === 3))
  const map = decodeClusterMap((await direct[0]!.info('cluster-map'))['cluster-map']!)
  const client = await aerospikeClient(t, cluster.nodes[0]!.aerospikePort!)
  await until('the client sees three nodes', async () => client.getNodes().length === 3)
  t.equal(client.getNodes().length, 3, 'three nodes discovered from one seed')

  const keys = 600
  const owned = [0, 0, 0]
  for (let i = 0; i < keys; i++) {
    owned[map.owners[partitionOf(computeDigest('as', i))]!]!++
    await client.put(new Aerospike.Key('test', 'as', i), { v: i })
  }
  for (let i = 0; i < keys; i += 7) t.equal((await client.get(new Aerospike.Key('test', 'as', i))).bins.v, i)
  const ops = Aerospike.operations
  const result = await client.operate(new Aerospike.Key('test', 'as', 5), [ops.incr('v', 10), ops.read('v')])
  t.equal(result.bins.v, 15, 'operate on whichever node owns it')
  const objects = await Promise.all(direct.map(async (c) => Number(/objects=(\d+)/.exec((await c.info('namespace/test'))['namespace/test']!)![1])))
  t.same(objects, owned, `each node holds exactly the records of its partitions (${objects.join(', ')})`)
})
