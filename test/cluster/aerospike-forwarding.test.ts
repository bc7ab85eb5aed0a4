// Three real nodes and a real etcd: requests on one node's Aerospike listener for records of the other nodes'
// partitions are forwarded to their owners and answered as if served there (writes, reads, operate, exists, a
// generation conflict, deletes; pipelined, in order), the records land on their owners only, batch reads are
// split row by row, and the node's forwarded counter counts them. An owner that is down answers 11, per record.
import t from 'tap'
import { encodeBatchRequest, decodeBatchResponse, type AsBatchItem } from '../../protocol/aerospike/batch.js'
import { OP as AS_OP } from '../../protocol/aerospike/constants.js'
import { encodeRequest, type AsRequestInput } from '../../protocol/aerospike/record-request.js'
import { decodeResponse, type AsResponse } from '../../protocol/aerospike/record-response.js'
import { decodeClusterMap } from '../../protocol/cluster-map.js'
import { computeDigest } from '../../protocol/digest.js'
import { partitionOf } from '../../protocol/partitions.js'
import { STATUS } from '../../protocol/status.js'
import { Double, GEN_POLICY } from '../../protocol/types.js'
import { rawAsWire } from '../helpers/aerospike.js'
import { clusterInfo, haveEtcd, NO_ETCD, plainClient, testCluster, until } from '../helpers/cluster.js'

const SET = 'af'
const digest = (key: string): Buffer => computeDigest(SET, key)
const request = (key: string, fields: Partial<AsRequestInput>): Buffer => encodeRequest({ ns: 'test', set: SET, digest: digest(key), ...fields })
const readAll = (key: string): Buffer => request(key, { read: true, readAll: true })

t.test("one node's Aerospike listener reaches every record", { skip: !haveEtcd && NO_ETCD }, async (t) => {
  const cluster = await testCluster(t, 3)
  const direct = await Promise.all(cluster.nodes.map((node) => plainClient(t, node!.port)))
  await until('the first map on every node', async () => (await Promise.all(direct.map(clusterInfo))).every((i) => i.generation > 0 && i.nodes.size === 3))
  const map = decodeClusterMap((await direct[0]!.info('cluster-map'))['cluster-map']!)
  const ownerOf = (key: string): number => map.owners[partitionOf(digest(key))]!
  const keys = Array.from({ length: 90 }, (_, i) => `k${i}`)
  const elsewhere = keys.filter((key) => ownerOf(key) !== 0)
  t.ok(elsewhere.length > 40, `${elsewhere.length} of ${keys.length} keys belong to node2 or node3`)

  const node1 = await rawAsWire(t, cluster.nodes[0]!.aerospikePort!)
  const answer = async (frame: Buffer): Promise<AsResponse> => {
    node1.send(frame)
    return decodeResponse((await node1.next())!.body)
  }
  const before = (await clusterInfo(direct[0]!)).forwarded

  // Pipelined: every write sent at once, then every read; the answers come in the order asked.
  for (const [i, key] of keys.entries()) {
    const ops = [{ op: AS_OP.WRITE, name: 'v', value: i }, { op: AS_OP.WRITE, name: 'd', value: new Double(2) }, { op: AS_OP.WRITE, name: 'l', value: [1, new Double(1.5)] }]
    node1.send(request(key, { write: true, userKey: key, ops }))
  }
  const written: number[] = []
  for (let i = 0; i < keys.length; i++) written.push(decodeResponse((await node1.next())!.body).resultCode)
  t.same(written, keys.map(() => 0), 'every write answered 0')
  for (const key of keys) node1.send(readAll(key))
  const reads: AsResponse[] = []
  for (let i = 0; i < keys.length; i++) reads.push(decodeResponse((await node1.next())!.body))
  t.same(reads.map((r) => r.ops.find((op) => op.name === 'v')?.value), keys.map((_, i) => i), 'every read answered, in order')
  const far = elsewhere[0]!
  const farRead = reads[keys.indexOf(far)]!
  t.ok(farRead.ops.find((op) => op.name === 'd')?.value instanceof Double, 'a whole double comes back a double')

  // The same record read on its owner's own listener answers the same.
  const owner = await rawAsWire(t, cluster.nodes[ownerOf(far)]!.aerospikePort!)
  owner.send(readAll(far))
  const onOwner = decodeResponse((await owner.next())!.body)
  t.same([onOwner.gen, onOwner.ops], [farRead.gen, farRead.ops], 'as its owner answers it')

  const incr = await answer(request(far, { write: true, read: true, respondAllOps: true, ops: [{ op: AS_OP.INCR, name: 'v', value: 10 }, { op: AS_OP.READ, name: 'v' }] }))
  t.same([incr.resultCode, incr.gen, incr.ops.map((op) => op.value)], [0, 2, [null, keys.indexOf(far) + 10]], 'operate: an increment and a read')
  const exists = await answer(request(far, { read: true, headerOnly: true }))
  t.same([exists.resultCode, exists.gen, exists.ops.length], [0, 2, 0], 'exists')
  const conflict = await answer(request(far, { write: true, genPolicy: GEN_POLICY.eq, gen: 1, ops: [{ op: AS_OP.WRITE, name: 'v', value: 0 }] }))
  t.equal(conflict.resultCode, STATUS.GENERATION, 'a generation conflict, as the owner found it')
  const gone = elsewhere[1]!
  t.equal((await answer(request(gone, { write: true, delete: true }))).resultCode, 0, 'a delete')
  t.equal((await answer(readAll(gone))).resultCode, STATUS.NOT_FOUND, 'then not found')

  const forwarded = (await clusterInfo(direct[0]!)).forwarded - before
  const expected = 2 * elsewhere.length + 5
  t.ok(forwarded >= expected, `node1 forwarded what it does not own (${forwarded} >= ${expected})`)
  for (let i = 0; i < 3; i++) {
    const objects = Number(/objects=(\d+)/.exec((await direct[i]!.info(`sets/test/${SET}`))[`sets/test/${SET}`]!)?.[1] ?? 0)
    const owned = keys.filter((key) => ownerOf(key) === i && key !== gone).length
    t.equal(objects, owned, `node${i + 1} holds exactly the records of its partitions (${owned})`)
  }

  // A batch read through node1: each row from its owner, in order; a missing record answered 2.
  const batchKeys = [...keys.slice(0, 30), 'missing']
  const batch = async (): Promise<AsBatchItem[]> => {
    node1.send(encodeBatchRequest({ rows: batchKeys.map((key) => ({ request: { ns: 'test', set: SET, digest: digest(key), read: true, readAll: true } })) }))
    const items: AsBatchItem[] = []
    for (;;) {
      const frame = decodeBatchResponse((await node1.next())!.body)
      items.push(...frame.items)
      if (frame.done) return items
    }
  }
  const rows = await batch()
  t.same(rows.map((r) => r.index), batchKeys.map((_, i) => i), 'one answer per row, in order')
  const value = (key: string): number => (key === far ? keys.indexOf(far) + 10 : keys.indexOf(key))
  t.same(rows.map((r) => (r.resultCode === 0 ? r.ops.find((op) => op.name === 'v')?.value : r.resultCode)), batchKeys.map((key) => (key === gone || key === 'missing' ? STATUS.NOT_FOUND : value(key))))
  t.ok((await clusterInfo(direct[0]!)).forwarded - before >= expected + batchKeys.filter((k) => ownerOf(k) !== 0).length, 'batch rows counted as forwarded')

  // node3 stops: its records answer 11, on their own and as batch rows; the others are still served.
  await cluster.stop(2)
  await until('node3 seen down', async () => (await clusterInfo(direct[0]!)).nodes.get('node3')?.up === false)
  const onNode3 = keys.find((key) => ownerOf(key) === 2)!
  t.equal((await answer(readAll(onNode3))).resultCode, STATUS.UNAVAILABLE, "a record of a down node's partition: 11")
  const onNode2 = keys.find((key) => ownerOf(key) === 1 && key !== gone && key !== far)!
  t.equal((await answer(readAll(onNode2))).resultCode, 0, 'one of a live node: served')
  const after = await batch()
  t.same(after.map((r) => r.resultCode), batchKeys.map((key) => (ownerOf(key) === 2 ? STATUS.UNAVAILABLE : key === gone || key === 'missing' ? STATUS.NOT_FOUND : 0)), 'batch rows of node3: 11 each')
})
