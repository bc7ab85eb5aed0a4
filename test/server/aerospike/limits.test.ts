// The server's limits hold on the Aerospike listener as on Tally's: the connection limit counts both listeners,
// a frame left unfinished is cut after the frame timeout, a namespace over its stop-writes threshold refuses
// writes (8) and serves reads, and a frame over the size limit closes the connection.
import t from 'tap'
import { OP, PROTO_TYPE } from '../../../protocol/aerospike/constants.js'
import { decodeMessage } from '../../../protocol/aerospike/message.js'
import { encodeRequest } from '../../../protocol/aerospike/record-request.js'
import { decodeResponse } from '../../../protocol/aerospike/record-response.js'
import { computeDigest } from '../../../protocol/digest.js'
import { STATUS } from '../../../protocol/status.js'
import { INFO_REQUESTS, REQUESTS } from '../../protocol/aerospike/captured.js'
import { ProtoReader, rawAsSocket } from '../../helpers/aerospike.js'
import { testClient, testServer } from '../../helpers/server.js'

const put = (key: string, value: unknown): Buffer =>
  encodeRequest({ ns: 'test', set: 'l', digest: computeDigest('l', key), write: true, ops: [{ op: OP.WRITE, name: 'v', value }] })

t.test('the connection limit counts both listeners; an Aerospike client over it is closed', async (t) => {
  const server = await testServer(t, { aerospikePort: 0, maxConnections: 2 })
  const port = server.aerospikeAddress!.port
  await testClient(t, server, { poolSize: 1 }) // one Tally connection
  const first = await rawAsSocket(t, port)
  const firstReader = new ProtoReader(first)
  const second = await rawAsSocket(t, port)
  const secondReader = new ProtoReader(second)
  second.write(Buffer.from(INFO_REQUESTS.TEND, 'hex'))
  t.equal(await secondReader.next(), null, 'the third connection is closed without an answer')
  first.write(Buffer.from(INFO_REQUESTS.TEND, 'hex'))
  t.equal((await firstReader.next())?.type, PROTO_TYPE.INFO, 'the second is served')
  t.equal(server.core.stats.clientConnectionsRefused, 1)
})

t.test('a frame left unfinished is cut after the frame timeout', async (t) => {
  const server = await testServer(t, { aerospikePort: 0, frameTimeoutMs: 200 })
  const socket = await rawAsSocket(t, server.aerospikeAddress!.port)
  const reader = new ProtoReader(socket)
  socket.write(Buffer.from(REQUESTS.GET, 'hex').subarray(0, 20))
  const answer = await reader.next(10_000)
  t.equal(decodeMessage(answer!.body).resultCode, STATUS.TIMEOUT, 'answered 9')
  t.equal(await reader.next(10_000), null, 'then closed')
  t.equal(server.core.stats.clientFrameTimeouts, 1)
})

t.test('stop-writes: writes refused with 8, reads go on', async (t) => {
  const server = await testServer(t, { aerospikePort: 0, namespaces: [{ name: 'test', dataSizeBytes: 64 * 1024, stopWritesUsedPct: 50 }] })
  const socket = await rawAsSocket(t, server.aerospikeAddress!.port)
  const reader = new ProtoReader(socket)
  const send = async (frame: Buffer) => {
    socket.write(frame)
    return decodeResponse((await reader.next())!.body)
  }
  let accepted = 0
  let refused = 0
  for (let i = 0; i < 200 && refused === 0; i++) {
    const code = (await send(put(`k${i}`, 'x'.repeat(1000)))).resultCode
    if (code === 0) accepted++
    else if (code === STATUS.OUT_OF_SPACE) refused++
  }
  t.ok(accepted > 10, `${accepted} writes accepted first`)
  t.equal(refused, 1, 'then one refused with 8')
  const read = await send(encodeRequest({ ns: 'test', set: 'l', digest: computeDigest('l', 'k0'), read: true, readAll: true }))
  t.same([read.resultCode, read.ops[0]?.value], [0, 'x'.repeat(1000)], 'reads go on')
})

t.test('a frame over the size limit is answered 4, and its connection closed', async (t) => {
  const server = await testServer(t, { aerospikePort: 0, maxFrameBytes: 64 * 1024, maxTotalFrameBufferBytes: 1024 * 1024 })
  const socket = await rawAsSocket(t, server.aerospikeAddress!.port)
  const reader = new ProtoReader(socket)
  socket.write(put('big', 'x'.repeat(100 * 1024)))
  const answer = await reader.next()
  t.equal(decodeMessage(answer!.body).resultCode, STATUS.PARAMETER)
  t.equal(await reader.next(), null)
})
