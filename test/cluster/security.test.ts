// Security on a cluster: three real nodes with users and a shared peer secret, and a real etcd. A user with the read
// role reads records of every node through one node that forwards (over both listeners) and may not write (81);
// nodes prove themselves to each other without a login, and a connection that does not prove the peer secret is
// refused (80), as is acting for a user on it; the owner checks a forwarded request against the roles it was sent
// for. A node with security but no (or a bad) peer secret does not start.
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { connect, Key, type Client } from '../../client/index.js'
import { decodeAdmin, encodeAdmin } from '../../protocol/aerospike/admin.js'
import { ADMIN_COMMAND, ADMIN_FIELD, OP as AS_OP } from '../../protocol/aerospike/constants.js'
import { encodeRequest } from '../../protocol/aerospike/record-request.js'
import { decodeResponse } from '../../protocol/aerospike/record-response.js'
import { decodeClusterMap } from '../../protocol/cluster-map.js'
import { credentialOf } from '../../protocol/credential.js'
import { OP } from '../../protocol/messages.js'
import { partitionOf } from '../../protocol/partitions.js'
import { STATUS } from '../../protocol/status.js'
import { peerProof } from '../../server/cluster/peer-auth.js'
import { PeerLink } from '../../server/cluster/peer-link.js'
import { rawAsWire } from '../helpers/aerospike.js'
import { runCli } from '../helpers/cli.js'
import { clusterInfo, haveEtcd, NO_ETCD, testCluster, until } from '../helpers/cluster.js'
import { tempDataDir } from '../helpers/data-dir.js'
import { frame, FrameReader } from '../helpers/frames.js'
import { createUnpacker } from '../helpers/msgpackr.js'
import { rawSocket, type Teardown } from '../helpers/server.js'

const ADMIN_PASSWORD = 'cluster admin pw'
const READER_PASSWORD = 'cluster reader pw'
const SET = 'sec'
const unpacker = createUnpacker({ mapsAsObjects: true })

/** A peer secret file only its owner may read. */
function secretFile(t: Teardown, secret: string, mode = 0o600): string {
  const file = path.join(tempDataDir(t), 'peer-secret')
  fs.writeFileSync(file, `${secret}\n`, { mode })
  fs.chmodSync(file, mode)
  return file
}

t.test('a secure cluster', { skip: !haveEtcd && NO_ETCD }, async (t) => {
  process.env.TALLY_ADMIN_PASSWORD = ADMIN_PASSWORD
  t.teardown(() => delete process.env.TALLY_ADMIN_PASSWORD)
  const secret = randomBytes(32).toString('hex')
  const file = secretFile(t, secret)
  const dataDirs = [0, 1, 2].map(() => tempDataDir(t))
  const cluster = await testCluster(t, 3, (i) => ['--enable-security', '--data-dir', dataDirs[i]!, '--peer-secret-file', file])
  const login = async (i: number, user: string, password: string, routing = false): Promise<Client> => {
    const client = await connect({ hosts: `127.0.0.1:${cluster.nodes[i]!.port}`, routing, user, password, policy: { totalTimeoutMs: 30_000 } })
    t.teardown(() => client.close())
    return client
  }
  const admins = await Promise.all([0, 1, 2].map((i) => login(i, 'admin', ADMIN_PASSWORD)))
  for (const admin of admins) await admin.users.create('reader', READER_PASSWORD, ['read']) // users live on each node
  await until('the first map on every node', async () => (await Promise.all(admins.map(clusterInfo))).every((i) => i.generation > 0 && i.nodes.size === 3))
  const map = decodeClusterMap((await admins[0]!.info('cluster-map'))['cluster-map']!)
  const ownerOf = (key: Key): number => map.owners[partitionOf(key.digest)]!
  const keys = Array.from({ length: 60 }, (_, i) => new Key('test', SET, i))
  await Promise.all(keys.map((key, i) => admins[0]!.put(key, { v: i })))
  const far = keys.filter((key) => ownerOf(key) !== 0)
  const onNode2 = keys.filter((key) => ownerOf(key) === 1)
  const onNode3 = keys.filter((key) => ownerOf(key) === 2)

  await t.test('a reader through a node that forwards', async (t) => {
    const reader = await login(0, 'reader', READER_PASSWORD)
    const before = (await clusterInfo(admins[0]!)).forwarded
    for (const key of far.slice(0, 10)) t.equal((await reader.get(key)).bins.v, keys.indexOf(key), `key ${key.key} read through node1`)
    const forwarded = (await clusterInfo(admins[0]!)).forwarded - before
    t.ok(forwarded >= 10, `forwarded (${forwarded})`)
    t.same((await reader.batchGet(onNode2.slice(0, 5))).map((r) => r?.bins.v), onNode2.slice(0, 5).map((k) => keys.indexOf(k)), "a batch read of node2's records")
    await t.rejects(reader.put(far[0]!, { v: -1 }), { code: STATUS.ROLE_VIOLATION }, 'no write: 81')
    await t.rejects(reader.increment(far[0]!, 'v', 1), { code: STATUS.ROLE_VIOLATION }, 'no increment: 81')
    t.equal((await admins[0]!.get(far[0]!)).bins.v, keys.indexOf(far[0]!), 'unchanged')
    const routing = await login(1, 'reader', READER_PASSWORD, true)
    t.same((await routing.batchGet(keys)).map((r) => r?.bins.v), keys.map((_, i) => i), 'a routing reader reads every node')
  })

  await t.test("a reader on node1's Aerospike listener", async (t) => {
    const wire = await rawAsWire(t, cluster.nodes[0]!.aerospikePort!)
    const user = { id: ADMIN_FIELD.USER, data: Buffer.from('reader') }
    wire.send(encodeAdmin({ command: ADMIN_COMMAND.LOGIN, fields: [user, { id: ADMIN_FIELD.CREDENTIAL, data: Buffer.from(await credentialOf(READER_PASSWORD)) }] }))
    t.equal(decodeAdmin((await wire.next())!.body).result, 0, 'logged in')
    const key = far[1]!
    const request = (fields: object): Buffer => encodeRequest({ ns: 'test', set: SET, digest: key.digest, ...fields })
    wire.send(request({ read: true, readAll: true }))
    const read = decodeResponse((await wire.next())!.body)
    t.same([read.resultCode, read.ops[0]?.value], [0, keys.indexOf(key)], 'a read forwarded')
    wire.send(request({ write: true, ops: [{ op: AS_OP.WRITE, name: 'v', value: -1 }] }))
    t.equal(decodeResponse((await wire.next())!.body).resultCode, STATUS.ROLE_VIOLATION, 'a write: 81')
  })

  await t.test('PEER connections', async (t) => {
    const socket = await rawSocket(t, cluster.nodes[1]!.port)
    const reader = new FrameReader(socket)
    const hello = (await reader.next())!
    const nonce = (hello[2] as { peerNonce: Uint8Array }).peerNonce
    t.equal(nonce.length, 16, "the hello carries this connection's nonce")
    const ask = async (message: unknown[]): Promise<unknown[]> => {
      socket.write(frame(message))
      return (await reader.next())!
    }
    const header = (id: number, op: number, key: Key, ...args: unknown[]): unknown[] => [id, op, 'test', SET, key.digest, null, null, 0, 0, ...args]
    const mine = onNode2[0]!
    const readOnly = ['read']
    t.equal((await ask([1, OP.PEER]))[1], STATUS.NOT_AUTHENTICATED, 'a PEER without a proof: 80')
    t.equal((await ask([2, OP.PEER, 'node1', Buffer.alloc(32)]))[1], STATUS.NOT_AUTHENTICATED, 'a wrong proof: 80')
    t.equal((await ask([3, OP.PEER, 'node1', peerProof(Buffer.from(secret), cluster.name, 'node1', 'node2', Buffer.alloc(16))]))[1], STATUS.NOT_AUTHENTICATED, "a proof for another connection's nonce: 80")
    t.equal((await ask([31, OP.PEER, 'node1', peerProof(Buffer.from(secret), cluster.name, 'node1', 'node3', nonce)]))[1], STATUS.NOT_AUTHENTICATED, 'a proof made for another node: 80')
    t.equal((await ask([4, OP.PEER, null, null, 'admin', ['read-write']]))[1], STATUS.NOT_AUTHENTICATED, 'acting for a user on it: 80')
    t.equal((await ask(header(5, OP.GET, mine)))[1], STATUS.NOT_AUTHENTICATED, 'a request on it: 80')

    t.same(await ask([6, OP.PEER, 'node1', peerProof(Buffer.from(secret), cluster.name, 'node1', 'node2', nonce)]), [6, 0, 0, 0], 'the right proof: accepted')
    t.equal((await ask(header(7, OP.GET, mine)))[1], STATUS.NOT_AUTHENTICATED, 'a request acting for nobody: 80')
    t.same(await ask([8, OP.PEER, null, null, 'reader', readOnly]), [8, 0, 0, 0], 'acting for the reader')
    const got = await ask(header(9, OP.GET, mine))
    t.same([got[1], got[4]], [0, ['v', keys.indexOf(mine)]], 'a read, as the reader')
    t.equal((await ask(header(10, OP.PUT, mine, ['v', -1])))[1], STATUS.ROLE_VIOLATION, 'a write, checked again by the owner: 81')
    t.equal((await ask(header(11, OP.GET, onNode3[0]!)))[1], STATUS.CLUSTER_CHANGE, 'a record of another node: 7, never forwarded again')
    t.equal((await ask([12, OP.PEER, null, null, 'reader', ['no-such-role']]))[1], STATUS.INVALID_ROLE, 'roles that do not parse: 70')
    t.equal((await ask(header(13, OP.GET, mine)))[1], STATUS.NOT_AUTHENTICATED, '...and the connection acts for nobody')
  })

  await t.test("a node's link to another: refused with the wrong secret, open with the right one", async (t) => {
    const body = frame([7, OP.GET, 'test', SET, onNode2[0]!.digest, null, null, 0, 0]).subarray(4)
    const reader = { name: 'reader', hash: '', grants: [{ role: 'read' as const, ns: null, set: null }], dropped: false }
    const answerOf = (bytes: Uint8Array): unknown[] => unpacker.unpack(bytes.subarray(4)) as unknown[]
    const wrong = new PeerLink('127.0.0.1', cluster.nodes[1]!.port, { node: 'node1', proof: (nonce) => peerProof(Buffer.from('not the secret at all'), cluster.name, 'node1', 'node2', nonce) })
    t.teardown(() => wrong.close())
    const refused = answerOf(await wrong.forward(body, 7, reader))
    t.same(refused.slice(0, 2), [7, STATUS.UNAVAILABLE], 'a request over a refused link: 11')
    t.match(refused[2], /refused this node's PEER: PEER: the proof of node node1 does not match/)
    const right = new PeerLink('127.0.0.1', cluster.nodes[1]!.port, { node: 'node1', proof: (nonce) => peerProof(Buffer.from(secret), cluster.name, 'node1', 'node2', nonce) })
    t.teardown(() => right.close())
    t.same(answerOf(await right.forward(body, 7, reader)).slice(0, 2), [7, STATUS.OK], 'served over a link that proved the secret, for a user')
    t.same(answerOf(await right.forward(body, 8)).slice(0, 2), [8, STATUS.OK], 'the next request acts for the same user')
  })
})

t.test('a node with security needs a sound peer secret', async (t) => {
  const start = (...more: string[]) =>
    runCli(['server', '--storage', 'memory', '--port', '0', '--aerospike-port', 'off', '--enable-security', '--data-dir', tempDataDir(t), '--cluster', 'c', '--etcd', 'http://127.0.0.1:9', '--node-id', 'a', ...more], {
      timeoutMs: 60_000,
      env: { ...process.env, TALLY_ADMIN_PASSWORD: ADMIN_PASSWORD },
    })
  const none = await start()
  t.not(none.code, 0)
  t.match(none.stderr, /a cluster node with security needs the peer secret every node shares/)
  const open = await start('--peer-secret-file', secretFile(t, randomBytes(32).toString('hex'), 0o644))
  t.not(open.code, 0)
  t.match(open.stderr, /can be read by others than its owner \(mode 644\): chmod 600/)
  const short = await start('--peer-secret-file', secretFile(t, 'short'))
  t.not(short.code, 0)
  t.match(short.stderr, /has 5 bytes; it needs at least 16/)
  const alone = await runCli(['server', '--storage', 'memory', '--port', '0', '--peer-secret-file', secretFile(t, randomBytes(32).toString('hex'))], { timeoutMs: 60_000 })
  t.not(alone.code, 0)
  t.match(alone.stderr, /--peer-secret-file is for a cluster node/)
})
