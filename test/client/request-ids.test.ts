// Request ids wrap from 0xfffffffe back to 1; a write lost with its connection is in doubt exactly when it was
// sent, on either side of the wrap.
import t from 'tap'
import { Connection, type Call } from '../../client/connection.js'
import { MAX_REQUEST_ID, RequestIds } from '../../client/request-ids.js'
import { CLIENT_STATUS, TallyError } from '../../client/index.js'
import { writeInfoRequest } from '../../protocol/request-codec.js'
import { fakeServer } from '../helpers/fake-server.js'

t.test('ids wrap to 1, and what was sent is told apart from what was not across the wrap', async (t) => {
  const ids = new RequestIds(MAX_REQUEST_ID - 2)
  const sent = [ids.take(), ids.take(), ids.take(), ids.take(), ids.take()]
  t.same(sent, [MAX_REQUEST_ID - 2, MAX_REQUEST_ID - 1, MAX_REQUEST_ID, 1, 2])
  ids.markSent()
  const unsent = [ids.take(), ids.take()]
  t.same(unsent, [3, 4])
  t.same(sent.map((id) => ids.wasSent(id)), [true, true, true, true, true])
  t.same(unsent.map((id) => ids.wasSent(id)), [false, false])
  ids.markSent()
  t.ok(ids.wasSent(3) && ids.wasSent(4))
  // Unsent ids themselves spanning the wrap.
  const around = new RequestIds(MAX_REQUEST_ID)
  const first = around.take()
  around.markSent()
  const pending = [around.take(), around.take()]
  t.same(pending, [1, 2])
  t.same([around.wasSent(first), around.wasSent(1), around.wasSent(2)], [true, false, false])
  t.throws(() => new RequestIds(0), RangeError)
  t.throws(() => new RequestIds(MAX_REQUEST_ID + 1), RangeError)
})

/** A write the fake server never answers. */
function write(): Call {
  return { isWrite: true, encode: (w, id) => writeInfoRequest(w, id, ['status']), decode: () => null, resolve: () => {}, reject: () => {}, deadline: 0 }
}

/** The error `request` fails with. */
const failure = (request: Promise<unknown>): Promise<TallyError> => request.then(() => Promise.reject(new Error('answered')), (err: TallyError) => err)

t.test('a connection lost after the ids wrapped: every write sent is in doubt, the one not sent is not', async (t) => {
  const fake = await fakeServer(t)
  const connection = await Connection.open({ host: '127.0.0.1', port: fake.port, connectTimeoutMs: 2000, firstRequestId: MAX_REQUEST_ID - 1 })
  const sent = Array.from({ length: 4 }, () => failure(connection.request(write(), Infinity))) // ids MAX - 1, MAX, 1, 2
  for (let i = 0; i < 500 && fake.requests < sent.length; i++) await new Promise((r) => setTimeout(r, 10))
  t.equal(fake.requests, sent.length, 'the server received the writes')
  const unsent = failure(connection.request(write(), Infinity))
  connection.destroy(new TallyError(CLIENT_STATUS.CONNECTION, 'connection lost'))
  const errors = await Promise.all(sent)
  t.same(errors.map((err) => [err.code, err.inDoubt]), Array.from({ length: 4 }, () => [CLIENT_STATUS.CONNECTION, true]))
  t.match(await unsent, { code: CLIENT_STATUS.CONNECTION, inDoubt: false })
  t.equal(fake.requests, sent.length, 'the last write never left')
})
