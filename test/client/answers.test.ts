// The client reads answers by their array lengths: an answer, a batch item or an info pair that carries fields a
// later server version added is still decoded, and the extra fields are skipped.
import t from 'tap'
import { connect, Key, ops, STATUS } from '../../client/index.js'
import { OP } from '../../protocol/messages.js'
import { Double } from '../../protocol/types.js'
import { fakeServer } from '../helpers/fake-server.js'

const future = { added: ['in', 'a', 'later', 'version'] }

/** Answers each request as a newer server might, with fields this client does not know. */
function answer(request: unknown[]): unknown[] {
  const id = request[0]
  switch (request[1]) {
    case OP.GET:
      return [id, 0, 3, -1, ['a', 1, 'd', new Double(2)], 'extra', future]
    case OP.PUT:
      return [id, 0, 1, -1, future]
    case OP.INCREMENT:
      return [id, 0, 4, 60, 5, future]
    case OP.OPERATE:
      return [id, 0, 2, -1, [7, 'x'], future]
    case OP.BATCH_GET:
      return [id, 0, [[0, 2, 100, ['a', 1], future], [STATUS.NOT_FOUND, 'record not found', future], [0, 1, -1, ['b', 'x', 'c', new Double(1.5)]]], future]
    case OP.BATCH_OPERATE:
      return [id, 0, [[1, -1, [7], future], [2, 5, [], future, 'more']], future]
    case OP.INFO:
      return [id, 0, [['status', 'ok', future], ['build', '9.9', 1, 2]], future]
    default:
      return [id, STATUS.GENERATION, 'generation 5 is not what the policy expects', 5, null, future]
  }
}

t.test('answers with extra fields are decoded; the extra fields are skipped', async (t) => {
  const fake = await fakeServer(t, { onRequest: (request, send) => send(answer(request)) })
  const client = await connect({ hosts: `127.0.0.1:${fake.port}`, poolSize: 1 })
  t.teardown(() => client.close())
  const [a, b, c] = ['a', 'b', 'c'].map((k) => new Key('test', 's', k))

  t.match(await client.get(a!), { bins: { a: 1, d: 2 }, gen: 3, ttl: -1 })
  t.same(await client.put(a!, { a: 1 }), { gen: 1, ttl: -1 })
  t.equal(await client.increment(a!, 'n', 1), 5)
  t.match(await client.operate(a!, [ops.read('n'), ops.read('s')]), { gen: 2, results: [7, 'x'] })
  const records = await client.batchGet([a!, b!, c!])
  t.equal(records.length, 3)
  t.match(records[0], { bins: { a: 1 }, gen: 2, ttl: 100 })
  t.equal(records[1], null)
  t.same(records[2]?.bins, { b: 'x', c: 1.5 })
  const saved = await client.batchOperate([{ key: a!, ops: [ops.incr('n', 1), ops.read('n')] }, { key: b!, ops: [ops.incr('n', 1)] }])
  t.same(saved.map(({ gen, ttl, results }) => [gen, ttl, results]), [[1, -1, [7]], [2, 5, []]])
  t.same(await client.info('status', 'build'), { status: 'ok', build: '9.9' })
  await t.rejects(client.touch(a!), { code: STATUS.GENERATION, gen: 5 })
  t.equal(fake.requests, 8, 'one request per call')
})
