// Hostile shapes over TCP: a request that would decode into far more memory than its frame is refused with
// status 4 while it is read, and the server goes on serving that connection and every other.
import t from 'tap'
import { computeDigest } from '../../protocol/digest.js'
import { encodeFrame } from '../../protocol/frame.js'
import { OP } from '../../protocol/messages.js'
import { STATUS } from '../../protocol/status.js'
import { frame, FrameReader, withList } from '../helpers/frames.js'
import { rawSocket, testClient, testServer, uniqueKey } from '../helpers/server.js'

const header = (id: number, op: number): unknown[] => [id, op, 'test', 'hostile', computeDigest('hostile', 'k'), null, null, 0, 0]

t.test('one 8 MB frame of 8M empty maps is refused with status 4; everyone is still served', async (t) => {
  const server = await testServer(t)
  const client = await testClient(t, server)
  const socket = await rawSocket(t, server.address.port)
  const reader = new FrameReader(socket)
  await reader.next()
  const body = withList([...header(7, OP.PUT), ['a', null]], 8_000_000, [0x80])
  t.ok(body.length <= 8 * 1024 * 1024, `a ${body.length}-byte frame, within the frame limit`)
  const started = performance.now()
  socket.write(encodeFrame(body))
  const key = uniqueKey()
  const other = client.increment(key, 'n', 1) // on another connection, while the frame is read
  t.match(await reader.next(30_000), [7, STATUS.PARAMETER, /decodes to more than \d+ bytes of memory/])
  t.comment(`refused ${Math.round(performance.now() - started)} ms after sending`)
  t.equal(await other, 1, 'another client was served')
  socket.write(frame([...header(8, OP.INCREMENT), 'n', 1]))
  t.match(await reader.next(), [8, STATUS.OK, 1, -1, 1], 'the same connection carries on')
  t.equal(await client.increment(key, 'n', 1), 2)
})
