// batchOperate end to end: ops on many records applied together or not at all, a failure naming its record,
// per-record conditions and metadata, the limits, and the statistics it counts.
import t from 'tap'
import { Key, ops, STATUS, TallyError } from '../../client/index.js'
import { serverAndClient, testClient, testServer, uniqueKey } from '../helpers/server.js'

t.test('every record is changed, reads see the ops before them, each record gets its own metadata', async (t) => {
  const { client } = await serverAndClient(t)
  const [a, b, c] = [uniqueKey(), uniqueKey(), uniqueKey()]
  await client.put(b, { n: 10, s: 'x' }, { ttl: 500 })
  const results = await client.batchOperate([
    { key: a, ops: [ops.incr('n', 1), ops.read('n')] },
    { key: b, ops: [ops.incr('n', -3), ops.append('s', 'y'), ops.read('n'), ops.read('s')], meta: { ttl: 100 } },
    { key: c, ops: [ops.write('v', 'new'), ops.read('gone')] },
  ])
  t.same(results[0], { gen: 1, ttl: -1, results: [1], bins: { n: 1 } })
  t.same(results[1]!.results, [7, 'xy'])
  t.same(results[1]!.bins, { n: 7, s: 'xy' })
  t.equal(results[1]!.gen, 2)
  t.ok(results[1]!.ttl <= 100 && results[1]!.ttl > 95, 'meta.ttl applies to its own record')
  t.same(results[2], { gen: 1, ttl: -1, results: [null], bins: {} })
  t.same((await client.get(c)).bins, { v: 'new' })
})

t.test('a failure on the last record leaves every earlier record untouched', async (t) => {
  const { server, client } = await serverAndClient(t)
  const keys = Array.from({ length: 5 }, () => uniqueKey())
  await client.put(keys[0]!, { n: 1 })
  await client.put(keys[4]!, { n: 2n ** 63n - 1n, s: 'text' })
  const before = await client.batchGet(keys)
  const objects = server.core.store.namespace('test').objects

  const cases: [string, Parameters<typeof ops.incr> | null, number, RegExp][] = [
    ['overflow', ['n', 1], STATUS.OP_NOT_APPLICABLE, /bin 'n'.*overflows int64/],
    ['a non-integer bin', ['s', 1], STATUS.INCOMPATIBLE_TYPE, /bin 's'/],
    ['a bad bin name', ['a-name-longer-than-fifteen-bytes', 1], STATUS.BIN_NAME, /bin name 'a-name-longer-than-fifteen-bytes'/],
  ]
  for (const [what, args, code, message] of cases) {
    const err: unknown = await client
      .batchOperate(keys.map((key, i) => ({ key, ops: i < 4 ? [ops.incr('n', 5), ops.write('w', what)] : [ops.incr(...args!)] })))
      .catch((e: unknown) => e)
    t.ok(err instanceof TallyError, what)
    t.match(err, { code, index: 4, message }, what)
    t.match((err as Error).message, new RegExp(`^record 4 \\(${keys[4]}\\): `), `${what}: the message names the record`)
  }
  t.same(await client.batchGet(keys), before, 'every record is exactly as it was')
  t.equal(server.core.store.namespace('test').objects, objects, 'no record was created')
})

t.test('per-record conditions: exists and generation policies, the first failure reported', async (t) => {
  const { client } = await serverAndClient(t)
  const [a, b] = [uniqueKey(), uniqueKey()]
  await client.put(a, { n: 1 })
  await t.rejects(client.batchOperate([{ key: a, ops: [ops.incr('n', 1)] }, { key: b, ops: [ops.incr('n', 1)], policy: { exists: 'update' } }]), {
    code: STATUS.NOT_FOUND,
    index: 1,
  })
  await t.rejects(client.batchOperate([{ key: a, ops: [ops.incr('n', 1)], meta: { gen: 7 }, policy: { gen: 'eq' } }, { key: b, ops: [ops.incr('n', 1)] }]), {
    code: STATUS.GENERATION,
    index: 0,
    gen: 1,
  })
  await t.rejects(client.batchOperate([{ key: a, ops: [ops.incr('n', 1)] }, { key: b, ops: [ops.incr('n', 1)] }], { exists: 'create' }), {
    code: STATUS.RECORD_EXISTS,
    index: 0,
  })
  t.same((await client.get(a)).bins, { n: 1 })
  t.equal(await client.exists(b), false)
  const [ra] = await client.batchOperate([{ key: a, ops: [ops.incr('n', 1), ops.read('n')], meta: { gen: 1 }, policy: { gen: 'eq' } }])
  t.same(ra!.results, [2])
})

t.test('limits and usage errors', async (t) => {
  const server = await testServer(t, { maxBatchKeys: 3 })
  const client = await testClient(t, server)
  const key = uniqueKey()
  const four = Array.from({ length: 4 }, () => ({ key: uniqueKey(), ops: [ops.incr('n', 1)] }))
  await t.rejects(client.batchOperate(four), { code: STATUS.PARAMETER, message: /4 records, more than the limit of 3/ })
  await t.rejects(client.batchOperate([{ key, ops: [ops.incr('n', 1)] }, { key: new Key('test', key.set, key.key), ops: [ops.incr('n', 1)] }]), {
    code: STATUS.PARAMETER,
    index: 1,
    message: /appears twice/,
  })
  await t.rejects(client.batchOperate([{ key, ops: [ops.incr('n', 1)] }, { key: new Key('nope', 's', 1), ops: [ops.incr('n', 1)] }]), {
    code: STATUS.NAMESPACE,
    index: 1,
  })
  await t.rejects(client.batchOperate([]), { code: -2 })
  await t.rejects(client.batchOperate([{ key, ops: [] }]), { code: -2 })
  await t.rejects(client.batchOperate([{ key: 'k' as never, ops: [ops.incr('n', 1)] }]), { code: -2 })
  t.equal(await client.exists(key), false, 'nothing was applied')
  t.equal(await client.increment(key, 'n', 1), 1, 'the server serves on')
})

t.test('reads whose answer would pass the frame limit are refused before anything changes', async (t) => {
  const server = await testServer(t, { maxFrameBytes: 64 * 1024 })
  const client = await testClient(t, server)
  const [a, b] = [uniqueKey(), uniqueKey()]
  await client.put(a, { big: 'x'.repeat(20_000) })
  await client.put(b, { big: 'y'.repeat(20_000) })
  await t.rejects(
    client.batchOperate([
      { key: a, ops: [ops.incr('n', 1), ops.read('big'), ops.read('big')] },
      { key: b, ops: [ops.incr('n', 1), ops.read('big'), ops.read('big')] },
    ]),
    { code: STATUS.RECORD_TOO_BIG, index: 1 },
  )
  t.same((await client.batchGet([a, b])).map((r) => r!.bins.n), [undefined, undefined])
})

t.test('the answer-size check counts msgpack headers: near the limit nothing is applied either', async (t) => {
  const server = await testServer(t, { maxFrameBytes: 33_500 })
  const client = await testClient(t, server)
  const key = uniqueKey()
  await client.put(key, { s: 'x'.repeat(32) })
  const reads = [ops.incr('n', 1), ...Array.from({ length: 1000 }, () => ops.read('s'))]
  await t.rejects(client.batchOperate([{ key, ops: reads }]), { code: STATUS.RECORD_TOO_BIG })
  await t.rejects(client.operate(key, reads), { code: STATUS.RECORD_TOO_BIG })
  t.same((await client.get(key)).bins, { s: 'x'.repeat(32) }, 'n was never written')
})

t.test('writes are counted per record', async (t) => {
  const { client } = await serverAndClient(t)
  const stats = async () => Object.fromEntries((await client.info('namespace/test'))['namespace/test']!.split(';').map((kv) => kv.split('=')))
  const before = await stats()
  await client.batchOperate([uniqueKey(), uniqueKey(), uniqueKey()].map((key) => ({ key, ops: [ops.incr('n', 1)] })))
  await client.batchOperate([uniqueKey(), new Key('test', 's', 'x'.repeat(2))].map((key, i) => ({ key, ops: [ops.incr(i === 1 ? '' : 'n', 1)] }))).catch(() => {})
  const after = await stats()
  t.equal(Number(after.client_write_success) - Number(before.client_write_success), 3)
  t.equal(Number(after.client_write_error) - Number(before.client_write_error), 1)
})
