// What a node joining does to records, as docs/cluster.md says: the new map moves about a third of the partitions,
// each to the new node and none between the others; the records of the moved partitions are not migrated: they stay
// on the node that held them, counted there and returned by its scans, while reads through the cluster find nothing
// (2) and writes create the record afresh on the new owner. The other records are served as before. Moving them by
// hand (each node backed up before, its set truncated after, the backups restored through a routing client) puts
// every record on its new owner.
import path from 'node:path'
import t from 'tap'
import { connect, Key } from '../../client/index.js'
import { decodeClusterMap, type ClusterMap } from '../../protocol/cluster-map.js'
import { partitionOf } from '../../protocol/partitions.js'
import { STATUS } from '../../protocol/status.js'
import { backup, restore } from '../../server/backup/run.js'
import { clusterInfo, haveEtcd, NO_ETCD, plainClient, testCluster, until } from '../helpers/cluster.js'
import { tempDataDir } from '../helpers/data-dir.js'

const SET = 'jn'
const KEYS = 3000

t.test('a third node joins two that hold records', { skip: !haveEtcd && NO_ETCD }, async (t) => {
  const cluster = await testCluster(t, 2)
  const first = await Promise.all(cluster.nodes.map((node) => plainClient(t, node!.port)))
  await until('the first map on both nodes', async () => (await Promise.all(first.map(clusterInfo))).every((i) => i.generation > 0 && i.nodes.size === 2))
  const mapOf = async (i: number): Promise<ClusterMap> => decodeClusterMap((await first[i]!.info('cluster-map'))['cluster-map']!)
  const before = await mapOf(0)
  const ownerId = (map: ClusterMap, key: Key): string => map.nodes[map.owners[partitionOf(key.digest)]!]!.id
  const keys = Array.from({ length: KEYS }, (_, i) => new Key('test', SET, i))
  for (let start = 0; start < KEYS; start += 500) await Promise.all(keys.slice(start, start + 500).map((key, j) => first[0]!.put(key, { v: start + j })))
  const objects = async (client: (typeof first)[number]): Promise<number> => Number(/objects=(\d+)/.exec((await client.info(`sets/test/${SET}`))[`sets/test/${SET}`]!)?.[1] ?? 0)
  const held = await Promise.all(first.map(objects))
  t.equal(held[0]! + held[1]!, KEYS, 'two nodes hold every key')
  // For moving the records by hand afterwards: a backup of each node (a scan reads the node it reaches).
  const backups = await Promise.all(first.map(async (client, i) => {
    const file = path.join(tempDataDir(t), `node${i + 1}.bak`)
    await backup(client, 'test', SET, file)
    return file
  }))

  await cluster.start(2)
  await until('the new map on both nodes', async () => (await Promise.all(first.map(clusterInfo))).every((i) => i.generation > before.generation && i.nodes.size === 3 && [...i.nodes.values()].every((n) => n.up)))
  const after = await mapOf(0)
  t.same(await mapOf(1), after, 'both nodes serve by the same map')
  let moved = 0
  let elsewhere = 0
  for (let p = 0; p < 4096; p++) {
    const [was, now] = [before.nodes[before.owners[p]!]!.id, after.nodes[after.owners[p]!]!.id]
    if (was !== now) moved++
    if (was !== now && now !== 'node3') elsewhere++
  }
  t.ok(moved > 4096 * 0.28 && moved < 4096 * 0.39, `about a third of the partitions moved (${moved})`)
  t.equal(elsewhere, 0, 'each to the new node, none between the others')

  const movedKeys = keys.filter((key) => ownerId(before, key) !== ownerId(after, key))
  const stayed = keys.filter((key) => ownerId(before, key) === ownerId(after, key))
  t.ok(movedKeys.length > KEYS * 0.25, `${movedKeys.length} keys are in moved partitions`)
  const node3 = await plainClient(t, cluster.nodes[2]!.port)
  t.equal(await objects(node3), 0, 'the new node starts empty: nothing was migrated')
  t.same(await Promise.all(first.map(objects)), held, 'the old owners still hold every record they had')

  for (const key of movedKeys.slice(0, 50)) await t.rejects(first[0]!.get(key), { code: STATUS.NOT_FOUND }, `key ${key.key}: not found through the cluster`)
  for (const key of stayed.slice(0, 50)) t.equal((await first[1]!.get(key)).bins.v, key.key, `key ${key.key}: served as before`)

  const rewritten = movedKeys[0]!
  await first[0]!.put(rewritten, { v: 'new' })
  t.equal(await objects(node3), 1, 'a write of a moved key creates it on the new owner')
  t.equal((await first[1]!.get(rewritten)).bins.v, 'new')
  t.same(await Promise.all(first.map(objects)), held, 'beside the old copy, which stays where it was')

  // A scan is served by the node it reaches, from all its records: the old copies of moved partitions included.
  let scanned = 0
  let stale = 0
  for await (const record of first[0]!.scan('test', SET)) {
    scanned++
    if (ownerId(after, record.key) !== 'node1') stale++
  }
  t.equal(scanned, held[0], "a scan of node1 returns every record it holds")
  t.ok(stale > 0, `${stale} of them in partitions node1 no longer owns`)

  // Moving the records by hand, as docs/cluster.md says: the old nodes' sets truncated, then each backup restored
  // through a routing client, which sends each record to its new owner.
  for (const client of first) await client.truncate('test', SET)
  const routing = await connect({ hosts: `127.0.0.1:${cluster.nodes[0]!.port}`, policy: { totalTimeoutMs: 30_000 } })
  t.teardown(() => routing.close())
  t.equal(routing.mapGeneration, after.generation, 'the routing client has the new map')
  let restored = 0
  for (const file of backups) restored += (await restore(routing, file, 'newer')).written
  t.equal(restored, KEYS - 1, 'every record restored but the one rewritten since (newer there)')
  const everyNode = [...first, node3]
  const owned = ['node1', 'node2', 'node3'].map((id) => keys.filter((key) => ownerId(after, key) === id).length)
  t.same(await Promise.all(everyNode.map(objects)), owned, `each node holds exactly the records of its partitions (${owned.join(', ')})`)
  const values = (await routing.batchGet(keys)).map((r) => r?.bins.v)
  t.same(values, keys.map((key) => (key === rewritten ? 'new' : key.key)), 'every record reads back through the cluster')
})
