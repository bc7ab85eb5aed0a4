// The partition map without etcd: rendezvous ownership (even, stable, about 1/N moved when a node joins), the map
// as clients read it, and the id rewriting of forwarded requests.
import t from 'tap'
import { decodeClusterMap, encodeClusterMap, NO_OWNER } from '../../protocol/cluster-map.js'
import { PARTITIONS } from '../../protocol/partitions.js'
import { peekRequestId, withRequestId } from '../../protocol/request-codec.js'
import { rendezvousOwners } from '../../server/cluster/rendezvous.js'
import { createPacker, createUnpacker } from '../helpers/msgpackr.js'

t.test('rendezvous owners: even, the same for the same roster, about 1/N moved by a new node', async (t) => {
  const three = rendezvousOwners(['node1', 'node2', 'node3'])
  t.same(rendezvousOwners(['node1', 'node2', 'node3']), three, 'deterministic')
  const counts = [0, 0, 0]
  for (const owner of three) counts[owner]!++
  for (const c of counts) t.ok(c > PARTITIONS / 3 - 250 && c < PARTITIONS / 3 + 250, `about a third each (${counts.join(', ')})`)
  const four = rendezvousOwners(['node1', 'node2', 'node3', 'node4'])
  let moved = 0
  let shuffled = 0
  for (let p = 0; p < PARTITIONS; p++) {
    if (four[p] === 3) moved++
    else if (four[p] !== three[p]) shuffled++
  }
  t.equal(shuffled, 0, 'no partition moves between the old nodes')
  t.ok(moved > PARTITIONS / 4 - 250 && moved < PARTITIONS / 4 + 250, `the new node takes about 1/4 (${moved}), only from the others`)
})

t.test('the client map round-trips and bad ones are refused', async (t) => {
  const owners = new Uint8Array(PARTITIONS).fill(1)
  owners[7] = 0
  const map = { generation: 12, nodes: [{ id: 'a', address: { host: '127.0.0.1', port: 3101 } }, { id: 'b-2', address: undefined }], owners }
  t.same(decodeClusterMap(encodeClusterMap(map)), map)
  t.throws(() => decodeClusterMap('generation=x;nodes=;owners='), /generation/)
  t.throws(() => decodeClusterMap(`generation=1;nodes=a@h:1;owners=${Buffer.alloc(10).toString('base64')}`), /owners/)
  t.throws(() => decodeClusterMap(`generation=1;nodes=a@h:1;owners=${Buffer.alloc(PARTITIONS, 3).toString('base64')}`), /names node 3/)
  t.throws(() => decodeClusterMap(`generation=1;nodes=a@h:0;owners=${Buffer.alloc(PARTITIONS).toString('base64')}`), /address/)
  t.equal(decodeClusterMap(`generation=0;nodes=;owners=${Buffer.alloc(PARTITIONS, NO_OWNER).toString('base64')}`).nodes.length, 0)
})

t.test('a forwarded request keeps everything but its id', async (t) => {
  const pack = createPacker()
  const unpack = createUnpacker({ mapsAsObjects: false })
  for (const id of [1, 127, 128, 300, 70_000, 2 ** 32 - 1])
    for (const message of [[id, 2, 'test', 's', Buffer.alloc(20)], [id, 9, ['status']], Array.from({ length: 20 }, (_, i) => (i === 0 ? id : i))]) {
      const body = pack.pack(message)
      const frame = withRequestId(body, 4242)
      t.equal(frame.readUInt32BE(0), frame.length - 4, 'framed')
      t.equal(peekRequestId(frame.subarray(4)), 4242)
      t.same(unpack.unpack(frame.subarray(4)), [4242, ...message.slice(1)])
    }
})
