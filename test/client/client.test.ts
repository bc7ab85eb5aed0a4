// The client's own behaviour: connecting, hosts, timeouts and retries, in-doubt writes, dropped connections,
// reconnecting, bounded queues, and a close that lets requests in flight finish.
import t from 'tap'
import { connect, CLIENT_STATUS, Key, STATUS } from '../../client/index.js'
import { parseHosts } from '../../client/options.js'
import { deadPort, fakeServer } from '../helpers/fake-server.js'
import { testClient, testServer, uniqueKey } from '../helpers/server.js'
import { startServer } from '../../server/index.js'

const key = new Key('test', 's', 'k')

t.test('hosts: host:port lists, IPv6 in brackets, the default port; bad ones are INVALID_HOST (-4)', async (t) => {
  t.same(parseHosts('a:1, b:2'), [{ host: 'a', port: 1 }, { host: 'b', port: 2 }])
  t.same(parseHosts(['[::1]:7', 'c', { host: 'd', port: 9 }]), [{ host: '::1', port: 7 }, { host: 'c', port: 3100 }, { host: 'd', port: 9 }])
  for (const bad of ['', 'a:b', 'a:70000', [], [{ host: '', port: 1 }]]) t.throws(() => parseHosts(bad as never), { code: CLIENT_STATUS.INVALID_HOST })
  await t.rejects(connect({ hosts: 'x:y' }), { code: CLIENT_STATUS.INVALID_HOST })
  await t.rejects(connect({ hosts: '127.0.0.1:1', poolSize: 0 }), { code: CLIENT_STATUS.PARAMETER })
})

t.test('connecting to nothing fails with CONNECTION (-10); a later seed is tried', async (t) => {
  const port = await deadPort()
  const started = Date.now()
  await t.rejects(connect({ hosts: `127.0.0.1:${port}`, connectTimeoutMs: 300 }), { code: CLIENT_STATUS.CONNECTION, message: /no connection/ })
  t.ok(Date.now() - started < 10_000, 'at once, not after retrying for ever')
  const server = await testServer(t)
  const client = await connect({ hosts: [`127.0.0.1:${port}`, `127.0.0.1:${server.address.port}`], connectTimeoutMs: 300 })
  t.teardown(() => client.close())
  t.equal(await client.increment(uniqueKey(), 'n', 1), 1)
})

t.test('a hello with another protocol version is refused', async (t) => {
  const fake = await fakeServer(t, { hello: { protocol: 99 } })
  await t.rejects(connect({ hosts: `127.0.0.1:${fake.port}`, connectTimeoutMs: 300 }), { code: CLIENT_STATUS.CONNECTION, message: /protocol version 99/ })
  const odd = await fakeServer(t, { hello: { maxFrameBytes: -1 } })
  await t.rejects(connect({ hosts: `127.0.0.1:${odd.port}`, connectTimeoutMs: 300 }), { code: CLIENT_STATUS.CONNECTION, message: /maxFrameBytes/ })
})

t.test('a server that never answers: TIMEOUT (9), writes in doubt, reads retried', async (t) => {
  const fake = await fakeServer(t)
  const client = await connect({ hosts: `127.0.0.1:${fake.port}`, poolSize: 1 })
  t.teardown(() => client.close())
  const write = await client.put(key, { a: 1 }, undefined, { totalTimeoutMs: 100 }).catch((e) => e)
  t.match(write, { code: STATUS.TIMEOUT, inDoubt: true })
  const before = fake.requests
  // The total is far beyond three socket timeouts, so only maxRetries ends the attempts, however slow the machine.
  const read = await client.get(key, { totalTimeoutMs: 10_000, socketTimeoutMs: 100, maxRetries: 2 }).catch((e) => e)
  t.match(read, { code: STATUS.TIMEOUT, inDoubt: false })
  for (let i = 0; i < 100 && fake.requests - before < 3; i++) await new Promise((r) => setTimeout(r, 50)) // the fake server may read the last one late
  t.equal(fake.requests - before, 3, 'one attempt and two retries')
  const retriedWrite = await client.increment(key, 'n', 1, undefined, undefined, { totalTimeoutMs: 300, socketTimeoutMs: 50, maxRetries: 1 }).catch((e) => e)
  t.match(retriedWrite, { code: STATUS.TIMEOUT, inDoubt: true })
})

t.test('requests are bounded: past maxPendingRequests, QUEUE_FULL (-11)', async (t) => {
  const fake = await fakeServer(t)
  const client = await connect({ hosts: `127.0.0.1:${fake.port}`, maxPendingRequests: 10 })
  t.teardown(() => client.close())
  const waiting = Array.from({ length: 10 }, () => client.get(key, { totalTimeoutMs: 200, maxRetries: 0 }).catch((e) => e))
  await t.rejects(client.get(key), { code: CLIENT_STATUS.QUEUE_FULL })
  for (const err of await Promise.all(waiting)) t.equal(err.code, STATUS.TIMEOUT)
  t.equal(await client.get(key, { totalTimeoutMs: 50 }).catch((e) => e.code), STATUS.TIMEOUT, 'room again once they finished')
})

t.test('a request over the server frame limit is refused before sending', async (t) => {
  const fake = await fakeServer(t, { hello: { maxFrameBytes: 1000 } })
  const client = await connect({ hosts: `127.0.0.1:${fake.port}` })
  t.teardown(() => client.close())
  await t.rejects(client.put(key, { s: 'x'.repeat(2000) }), { code: CLIENT_STATUS.PARAMETER, message: /frame limit of 1000/ })
  t.equal(fake.requests, 0)
})

t.test('a dropped connection: writes in doubt, reads retried on the next connection', async (t) => {
  let drop = true
  const fake = await fakeServer(t, {
    onRequest: (request, send, socket) => {
      if (drop) socket.destroy()
      else send([request[0], 0, 1, -1, ['a', 1]])
    },
  })
  const client = await connect({ hosts: `127.0.0.1:${fake.port}`, poolSize: 1 })
  t.teardown(() => client.close())
  t.match(await client.put(key, { a: 1 }).catch((e) => e), { code: CLIENT_STATUS.CONNECTION, inDoubt: true })
  drop = false
  const record = await client.get(key, { maxRetries: 3 })
  t.same(record.bins, { a: 1 }, 'the client reconnected by itself')
})

t.test('while no server is reachable, requests wait, then fail with CONNECTION and are not in doubt', async (t) => {
  const server = await startServer({ host: '127.0.0.1', port: 0, storage: 'memory', nsupPeriodMs: 0 })
  const port = server.address.port
  const client = await connect({ hosts: `127.0.0.1:${port}`, maxReconnectDelayMs: 100 })
  t.teardown(() => client.close())
  const k = uniqueKey()
  await client.put(k, { n: 1 })
  await server.close()
  const err = await client.increment(k, 'n', 1, undefined, undefined, { totalTimeoutMs: 300 }).catch((e) => e)
  t.match(err, { code: CLIENT_STATUS.CONNECTION, inDoubt: false })
  const again = await startServer({ host: '127.0.0.1', port, storage: 'memory', nsupPeriodMs: 0 })
  t.teardown(() => again.close())
  t.equal(await client.increment(k, 'n', 5, undefined, undefined, { totalTimeoutMs: 2000 }), 5, 'reconnected to the restarted server')
})

t.test('close() lets requests in flight finish, then refuses new ones', async (t) => {
  const server = await testServer(t)
  const client = await testClient(t, server)
  const k = uniqueKey()
  const inFlight = Array.from({ length: 2000 }, () => client.increment(k, 'n', 1))
  const closed = client.close()
  const values = await Promise.all(inFlight)
  await closed
  t.equal(Math.max(...(values as number[])), 2000)
  await t.rejects(client.get(k), { code: CLIENT_STATUS.CLIENT_ERROR, message: /closed/ })
  const other = await testClient(t, server)
  t.equal((await other.get(k)).bins.n, 2000)
})

t.test('close() may be called twice while requests are in flight', async (t) => {
  let answer: (() => void) | undefined
  const fake = await fakeServer(t, { onRequest: (request, send) => (answer = () => send([request[0], 0, 1, -1])) })
  const client = await connect({ hosts: `127.0.0.1:${fake.port}`, poolSize: 1 })
  const put = client.put(key, { a: 1 })
  for (let i = 0; i < 2000 && answer === undefined; i++) await new Promise((r) => setTimeout(r, 5))
  if (answer === undefined) throw new Error('the request never reached the server')
  const first = client.close()
  const second = client.close()
  answer()
  t.same(await put, { gen: 1, ttl: -1 })
  t.same(await Promise.all([first, second]), [undefined, undefined], 'both closes resolved')
})

t.test('without timeouts, a request made while reconnecting waits for the connection', async (t) => {
  const server = await startServer({ host: '127.0.0.1', port: 0, storage: 'memory', nsupPeriodMs: 0 })
  const port = server.address.port
  const client = await connect({ hosts: `127.0.0.1:${port}`, maxReconnectDelayMs: 100, policy: { totalTimeoutMs: 0, maxRetries: 0 } })
  t.teardown(() => client.close())
  await server.close()
  await new Promise((r) => setTimeout(r, 50))
  const pending = client.increment(uniqueKey(), 'n', 1)
  await new Promise((r) => setTimeout(r, 300))
  const again = await startServer({ host: '127.0.0.1', port, storage: 'memory', nsupPeriodMs: 0 })
  t.teardown(() => again.close())
  t.equal(await pending, 1)
})
