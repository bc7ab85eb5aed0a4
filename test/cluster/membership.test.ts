// The map as nodes come and go: a fourth node joining makes the leader write a new generation, which both clients
// (Tally's and the official Aerospike one) pick up within a refresh; restarting every node, leader included, never
// brings the generation back.
import Aerospike from 'aerospike'
import t from 'tap'
import { connect, Key } from '../../client/index.js'
import { clusterInfo, haveEtcd, NO_ETCD, plainClient, testCluster, until } from '../helpers/cluster.js'

t.test('a node joins, all restart: the generation only goes up', { skip: !haveEtcd && NO_ETCD }, async (t) => {
  const cluster = await testCluster(t, 3)
  const probe = await plainClient(t, cluster.nodes[0]!.port)
  await until('the first map', async () => (await clusterInfo(probe)).generation > 0)
  const first = (await clusterInfo(probe)).generation
  const client = await connect({ hosts: `127.0.0.1:${cluster.nodes[0]!.port}`, policy: { totalTimeoutMs: 30_000 } })
  t.teardown(() => client.close())
  // Closed by the test itself before every node stops, so that it does not go on tending nodes that are gone.
  const official = await Aerospike.connect({ hosts: `127.0.0.1:${cluster.nodes[0]!.aerospikePort}`, log: { level: Aerospike.log.OFF } })
  await until('the official client sees three nodes', async () => official.getNodes().length === 3)

  await cluster.start(3)
  const joined = Date.now()
  await until('the Tally client routes by the new map', async () => client.mapGeneration! > first, 20_000)
  const tallyMs = Date.now() - joined
  await until('the official client sees four nodes', async () => official.getNodes().length === 4, 20_000)
  const second = client.mapGeneration!
  t.ok(second > first, `generation ${first} -> ${second} (Tally client after ${tallyMs} ms, official after ${Date.now() - joined} ms)`)
  const info = await clusterInfo(probe)
  t.equal(info.nodes.get('node4')?.up, true)
  t.ok(info.nodes.get('node4')!.partitions > 4096 / 4 - 250, `node4 took about a quarter (${info.nodes.get('node4')!.partitions})`)
  for (let i = 0; i < 40; i++) await client.put(new Key('test', 'mb', i), { v: i })
  t.equal(Number((await clusterInfo(probe)).forwarded), info.forwarded, 'the client sends to the new owners directly')

  const seen = [first, second]
  await Promise.all([client.close(), official.close()])
  await Promise.all([0, 1, 2, 3].map((i) => cluster.stop(i)))
  for (let i = 0; i < 4; i++) await cluster.start(i)
  const again = await plainClient(t, cluster.nodes[2]!.port)
  await until('a map after the restart', async () => (await clusterInfo(again)).generation > 0)
  seen.push((await clusterInfo(again)).generation)
  t.ok(seen[2]! >= seen[1]!, `generations seen in order: ${seen.join(', ')}`)
})
