// Integers and doubles across the wire with msgpackr, another msgpack implementation, as the other side: a float
// is stored as a double whatever its value, integers of any width are written back as msgpack integers.
import t from 'tap'
import { computeDigest } from '../../protocol/digest.js'
import { OP } from '../../protocol/messages.js'
import { STATUS } from '../../protocol/status.js'
import { Double } from '../../protocol/types.js'
import { Key } from '../../client/index.js'
import { encodeFrame } from '../../protocol/frame.js'
import { frame, FrameReader } from '../helpers/frames.js'
import { rawSocket, testClient, testServer } from '../helpers/server.js'

const header = (id: number, op: number, key: string): unknown[] => [id, op, 'test', 'num', computeDigest('num', key), null, null, 0, 0]

t.test('a float from another msgpack client is a double bin; integers stay integers', async (t) => {
  const server = await testServer(t)
  const socket = await rawSocket(t, server.address.port)
  const reader = new FrameReader(socket)
  await reader.next()
  // msgpackr writes 5e9 and 1.5 as float64 and 5000000000n as int 64.
  socket.write(frame([...header(1, OP.PUT, 'k'), ['d', 5e9, 'i', 5_000_000_000n, 'f', 1.5, 'l', [2.5, 7e9, 7_000_000_000n], 'n', -5e9]]))
  t.match(await reader.next(), [1, STATUS.OK])
  // A float64 holding 2.0, as a client in a language with a float type sends it.
  const two = Buffer.from('cb4000000000000000', 'hex')
  const put = Buffer.from(frame([...header(2, OP.PUT, 'k'), ['two', null]]).subarray(4))
  socket.write(encodeFrame(Buffer.concat([put.subarray(0, put.length - 1), two])))
  t.match(await reader.next(), [2, STATUS.OK])

  socket.write(frame([...header(3, OP.GET, 'k'), null]))
  const [id, status, , , bins] = (await reader.next()) as unknown[]
  t.equal(id, 3)
  t.equal(status, STATUS.OK)
  t.strictSame(bins, ['d', new Double(5e9), 'i', 5_000_000_000n, 'f', new Double(1.5), 'l', [new Double(2.5), new Double(7e9), 5_000_000_000n + 2_000_000_000n], 'n', new Double(-5e9), 'two', new Double(2)])

  // Through the Node client: doubles are numbers to the application, and they keep their type in the store.
  const client = await testClient(t, server)
  const key = new Key('test', 'num', 'k')
  t.match((await client.get(key)).bins, { d: 5e9, i: 5e9, f: 1.5, l: [2.5, 7e9, 7e9], n: -5e9, two: 2 })
  await t.rejects(client.increment(key, 'd', 1), { code: STATUS.INCOMPATIBLE_TYPE }, 'd is a double bin: an integer offset does not apply')
  t.equal(await client.increment(key, 'd', new Double(1)), 5e9 + 1)
  t.equal(await client.increment(key, 'i', 1), 5e9 + 1, 'i is an integer bin')
  t.equal(await client.increment(key, 'i', 2 ** 40), 5e9 + 1 + 2 ** 40)
})
