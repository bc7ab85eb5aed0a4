// The Aerospike listener byte by byte, with the codec as a client: what the official Node client cannot be made to
// send (respond-all-ops, a key that differs from the stored one, requests Tally does not serve), info and admin
// answers, compressed requests, and writes that wait for the log like Tally's (a failed log write answered as such).
import t from 'tap'
import { connect } from '../../../client/index.js'
import { computeDigest } from '../../../protocol/digest.js'
import { encodeAdmin } from '../../../protocol/aerospike/admin.js'
import { encodeBatchRequest, decodeBatchResponse } from '../../../protocol/aerospike/batch.js'
import { FIELD, OP, PARTICLE, PROTO_TYPE } from '../../../protocol/aerospike/constants.js'
import { decodeInfoResponse, encodeInfoRequest } from '../../../protocol/aerospike/info.js'
import { decodeMessage, writeMessage } from '../../../protocol/aerospike/message.js'
import { RawParticle } from '../../../protocol/aerospike/particle.js'
import { writeProtoHeader } from '../../../protocol/aerospike/proto.js'
import { encodeRequest, type AsRequestInput } from '../../../protocol/aerospike/record-request.js'
import { decodeResponse } from '../../../protocol/aerospike/record-response.js'
import { WireWriter } from '../../../protocol/aerospike/wire.js'
import { STATUS } from '../../../protocol/status.js'
import { EXISTS } from '../../../protocol/types.js'
import { startServer } from '../../../server/index.js'
import { INFO_REQUESTS, LOGIN, REQUESTS } from '../../protocol/aerospike/captured.js'
import { ProtoReader, rawAsSocket } from '../../helpers/aerospike.js'
import { recordingLogger, tempDataDir } from '../../helpers/data-dir.js'
import { FaultyDisk } from '../../helpers/faulty-disk.js'
import { testServer, type Teardown } from '../../helpers/server.js'

/** A raw connection to an Aerospike listener: send frames, read answers. */
async function wire(t: Teardown, port: number): Promise<{ send: (frame: Buffer) => void; next: () => Promise<{ type: number; body: Buffer } | null> }> {
  const socket = await rawAsSocket(t, port)
  const reader = new ProtoReader(socket)
  return { send: (frame) => socket.write(frame), next: () => reader.next() }
}

const digest = (key: string): Buffer => computeDigest('w', key)
const request = (key: string, fields: Partial<AsRequestInput>): Buffer => encodeRequest({ ns: 'test', set: 'w', digest: digest(key), ...fields })
const write = (key: string, ops: AsRequestInput['ops'], more: Partial<AsRequestInput> = {}): Buffer => request(key, { write: true, ops, ...more })

t.test('record requests byte by byte', async (t) => {
  const server = await testServer(t, { aerospikePort: 0 })
  const { send, next } = await wire(t, server.aerospikeAddress!.port)
  const answer = async (frame: Buffer) => {
    send(frame)
    const got = await next()
    t.equal(got?.type, PROTO_TYPE.MESSAGE)
    return decodeResponse(got!.body)
  }

  t.test('respond-all-ops: an entry per op but touch, empty but for reads of bins that exist', async (t) => {
    const ops = [
      { op: OP.INCR, name: 'n', value: 5 },
      { op: OP.READ, name: 'n' },
      { op: OP.READ, name: 'missing' },
      { op: OP.WRITE, name: 'w', value: 'x' },
      { op: OP.APPEND, name: 'w', value: 'y' },
      { op: OP.TOUCH, name: '' },
    ]
    await answer(write('all', [{ op: OP.WRITE, name: 'w', value: 'old' }]))
    const all = await answer(write('all', ops, { read: true, respondAllOps: true }))
    t.same(all.ops, [
      { op: OP.INCR, name: 'n', value: null },
      { op: OP.READ, name: 'n', value: 5 },
      { op: OP.READ, name: 'missing', value: null },
      { op: OP.WRITE, name: 'w', value: null },
      { op: OP.APPEND, name: 'w', value: null },
    ])
    const some = await answer(write('all', ops, { read: true }))
    t.same(some.ops, [{ op: OP.READ, name: 'n', value: 10 }], 'without it: reads of bins that exist')
    const reads = await answer(request('all', { read: true, respondAllOps: true, ops: [{ op: OP.READ, name: 'w' }, { op: OP.READ, name: 'nope' }] }))
    t.same(reads.ops, [{ op: OP.READ, name: 'w', value: 'xy' }, { op: OP.READ, name: 'nope', value: null }])
    t.same([all.gen, some.gen, reads.gen], [2, 3, 3])
  })

  t.test('a key other than the stored one: 19, on reads, writes and deletes', async (t) => {
    const stored = await answer(write('k', [{ op: OP.WRITE, name: 'n', value: 1 }], { userKey: 'k' }))
    t.equal(stored.resultCode, 0)
    t.equal((await answer(request('k', { read: true, readAll: true, userKey: 'k' }))).resultCode, 0)
    t.equal((await answer(request('k', { read: true, readAll: true, userKey: 'other' }))).resultCode, STATUS.KEY_MISMATCH)
    t.equal((await answer(write('k', [{ op: OP.WRITE, name: 'n', value: 2 }], { userKey: 'other' }))).resultCode, STATUS.KEY_MISMATCH)
    t.equal((await answer(request('k', { write: true, delete: true, userKey: 7 }))).resultCode, STATUS.KEY_MISMATCH)
    const record = await answer(request('k', { read: true, readAll: true }))
    t.same([record.gen, record.ops], [1, [{ op: OP.READ, name: 'n', value: 1 }]], 'unchanged')
  })

  t.test('what Tally does not serve is refused with 16, naming it; nothing is changed', async (t) => {
    const cases: [string, Buffer][] = [
      ['a list operation', write('u', [{ op: OP.CDT_MODIFY, name: 'l', value: Buffer.from([0x93, 1, 2, 3]), particleType: PARTICLE.BLOB }])],
      ['an HLL operation', write('u', [{ op: OP.HLL_MODIFY, name: 'h', value: Buffer.from([1]), particleType: PARTICLE.BLOB }])],
      ['a GeoJSON value', write('u', [{ op: OP.WRITE, name: 'g', value: new RawParticle(PARTICLE.GEOJSON, Buffer.from('\0\0\0{}')) }])],
      ['a filter expression', request('u', { read: true, readAll: true, filter: Buffer.from([0x93, 1, 2, 3]) })],
      ['read-touch', request('u', { read: true, readAll: true, readTouchTtlPercent: 80 })],
      ['a UDF', udfRequest()],
      ['a scan', scanRequest()],
    ]
    for (const [what, frame] of cases) {
      send(frame)
      const got = await next()
      t.equal(decodeMessage(got!.body).resultCode, STATUS.UNSUPPORTED_FEATURE, what)
    }
    t.equal(cases.length, 7)
    t.equal((await answer(request('u', { read: true, readAll: true }))).resultCode, STATUS.NOT_FOUND, 'nothing was written')
  })

  t.test('batch rows that write are answered 16 each; the reads are served', async (t) => {
    await answer(write('b1', [{ op: OP.WRITE, name: 'n', value: 1 }]))
    send(encodeBatchRequest({ rows: [
      { request: { ns: 'test', set: 'w', digest: digest('b1'), read: true, readAll: true } },
      { request: { ns: 'test', set: 'w', digest: digest('b2'), write: true, ops: [{ op: OP.WRITE, name: 'n', value: 2 }] } },
      { request: { ns: 'test', set: 'w', digest: digest('b3'), read: true, headerOnly: true } },
    ] }))
    const batch = decodeBatchResponse((await next())!.body)
    t.equal(batch.done, true)
    t.same(batch.items.map((i) => [i.index, i.resultCode, i.ops.length]), [[0, 0, 1], [1, STATUS.UNSUPPORTED_FEATURE, 0], [2, STATUS.NOT_FOUND, 0]])
  })

  t.test('a compressed request is served, answered plain', async (t) => {
    send(Buffer.from(REQUESTS.PUT_COMPRESSED, 'hex'))
    const got = await next()
    t.equal(got!.type, PROTO_TYPE.MESSAGE)
    t.equal(decodeResponse(got!.body).resultCode, 0)
  })
})

function udfRequest(): Buffer {
  const writer = new WireWriter()
  writer.skip(8)
  const fields = [
    { type: FIELD.NAMESPACE, data: Buffer.from('test') },
    { type: FIELD.SET, data: Buffer.from('w') },
    { type: FIELD.DIGEST, data: digest('u') },
    { type: FIELD.UDF_PACKAGE_NAME, data: Buffer.from('pkg') },
    { type: FIELD.UDF_FUNCTION, data: Buffer.from('fn') },
  ]
  writeMessage(writer, { info2: 1, fields })
  return finish(writer)
}

function scanRequest(): Buffer {
  const writer = new WireWriter()
  writer.skip(8)
  const fields = [
    { type: FIELD.NAMESPACE, data: Buffer.from('test') },
    { type: FIELD.SET, data: Buffer.from('w') },
    { type: FIELD.PID_ARRAY, data: Buffer.from([0, 0]) },
  ]
  writeMessage(writer, { info1: 1 | 2, fields })
  return finish(writer)
}

function finish(writer: WireWriter): Buffer {
  writeProtoHeader(writer.buf, 0, PROTO_TYPE.MESSAGE, writer.pos - 8)
  return writer.take()
}

t.test('info and admin', async (t) => {
  const server = await testServer(t, { aerospikePort: 0 })
  const { send, next } = await wire(t, server.aerospikeAddress!.port)
  const ask = async (commands: string[]) => {
    send(encodeInfoRequest(commands))
    const got = await next()
    t.equal(got!.type, PROTO_TYPE.INFO)
    return decodeInfoResponse(got!.body)
  }
  const connecting = ['node', 'partition-generation', 'build', 'peers-clear-std', 'replicas', 'peers-generation', 'cluster-name', 'service-clear-std', 'user-agent-set:value=MSxub2RlanMtNi43LjEsbm90LXNldA==']
  const answers = await ask(connecting)
  t.same(answers.map(([c]) => c), connecting, 'each command echoed, in order')
  const values = Object.fromEntries(answers)
  t.match(values.node, /^[0-9A-F]{15}$/)
  t.equal(values['partition-generation'], '1')
  t.equal(values.build, '7.1.0.0')
  t.equal(values['peers-clear-std'], `1,${server.aerospikeAddress!.port},[]`)
  t.equal(values.replicas, `test:0,1,${'/'.repeat(682)}8=`)
  t.equal(values['service-clear-std'], `127.0.0.1:${server.aerospikeAddress!.port}`)
  t.equal(values['user-agent-set:value=MSxub2RlanMtNi43LjEsbm90LXNldA=='], 'ok')
  const tools = ['namespaces', 'namespace/test', 'sets', 'bins', 'bins/test', 'statistics', 'status', 'version', 'edition', 'features', 'get-config', 'get-config:context=namespace;id=test', 'latencies', 'no-such-command']
  const client = await connect({ hosts: `127.0.0.1:${server.address.port}` })
  t.teardown(() => client.close())
  const viaTally = await client.info(...tools)
  const viaAerospike = Object.fromEntries(await ask(tools))
  for (const command of tools.filter((c) => c !== 'statistics' && c !== 'latencies')) t.equal(viaAerospike[command], viaTally[command], `${command}: the same through both`)
  t.match(viaAerospike.statistics, /^objects=\d+;/)
  t.equal(viaAerospike['no-such-command'], 'ERROR:4:unrecognized command')
  t.equal(viaAerospike.features, 'batch-any;batch-index;float;peers;pipelining;replicas;replicas-all;replicas-master')

  send(Buffer.from(LOGIN, 'hex'))
  const login = await next()
  t.same([login!.type, login!.body.length, login!.body[1]], [PROTO_TYPE.ADMIN, 16, 52], 'LOGIN: security not enabled (52)')
  send(encodeAdmin({ command: 0, fields: [{ id: 0, data: Buffer.from('u') }] }))
  t.equal((await next())!.body[1], 52, 'AUTHENTICATE: 52')
  t.same(await ask(['status']), [['status', 'ok']], 'and the connection goes on')
  send(Buffer.from(INFO_REQUESTS.TEND, 'hex'))
  t.equal(decodeInfoResponse((await next())!.body).length, 3)
})

t.test('writes wait for the log like Tally writes; a failed log write is answered with its error, and undone', async (t) => {
  const disk = new FaultyDisk()
  const server = await startServer({ host: '127.0.0.1', port: 0, aerospikePort: 0, storage: 'disk', dataDir: tempDataDir(t), nsupPeriodMs: 0, fileSystem: disk, log: recordingLogger().log })
  t.teardown(() => server.close())
  const { send, next } = await wire(t, server.aerospikeAddress!.port)
  send(write('d', [{ op: OP.WRITE, name: 'n', value: 1 }], { exists: EXISTS.create }))
  t.equal(decodeResponse((await next())!.body).resultCode, 0)
  let release!: () => void
  disk.gate = new Promise((resolve) => (release = resolve))
  send(write('d', [{ op: OP.INCR, name: 'n', value: 1 }]))
  const pending = next()
  const early = await Promise.race([pending, new Promise((r) => setTimeout(() => r('waiting'), 300))])
  t.equal(early, 'waiting', 'no answer while the log write waits')
  disk.failWrite = 'EIO'
  release()
  disk.gate = undefined
  const failed = decodeResponse((await pending)!.body)
  t.equal(failed.resultCode, STATUS.SERVER_ERROR, 'the storage error, not OK')
  disk.failWrite = undefined
  send(request('d', { read: true, readAll: true }))
  const read = decodeResponse((await next())!.body)
  t.same([read.gen, read.ops], [1, [{ op: OP.READ, name: 'n', value: 1 }]], 'the increment was undone')
})
