// The client's retries of writes with tokens (PROTOCOL.md §3.1), through a proxy that loses answers: a retry gets
// the first answer and the write is applied once, for every kind of write; a retry past the window is
// OUTCOME_UNKNOWN; a restart between a write and its retry changes nothing; a failed create fails again the same
// way; a server without a window gets no tokens and no retries.
import t from 'tap'
import { connect, Key, ops, STATUS, TALLY_STATUS, type Client } from '../../client/index.js'
import { CLIENT_STATUS } from '../../protocol/status.js'
import { startServer, type ServerOptions, type TallyServer } from '../../server/index.js'
import { recordingLogger, tempDataDir } from '../helpers/data-dir.js'
import { testClient, testServer, uniqueKey, type Teardown } from '../helpers/server.js'
import { TcpProxy } from '../../bench/tcp-proxy.js'

/** A client through `proxy`, one connection, so that a lost answer cuts the only one. */
async function proxiedClient(t: Teardown, proxy: TcpProxy): Promise<Client> {
  const client = await connect({ hosts: `127.0.0.1:${proxy.port}`, poolSize: 1, maxReconnectDelayMs: 50, policy: { totalTimeoutMs: 30_000 } })
  t.teardown(() => client.close())
  return client
}

/** Waits (at most 20 s) for `done`, checking every 10 ms. */
async function until(done: () => boolean, what: string): Promise<void> {
  for (const end = Date.now() + 20_000; !done(); await new Promise((r) => setTimeout(r, 10))) if (Date.now() > end) throw new Error(`no ${what} in 20 s`)
}

const stat = async (client: Client, name: string): Promise<number> => {
  const { statistics } = await client.info('statistics')
  return Number(new RegExp(`(?:^|;)${name}=(\\d+)`).exec(statistics!)![1])
}

t.test('an answer lost: the retry gets the first answer and the write is applied once, for every kind of write', async (t) => {
  const server = await testServer(t)
  const proxy = await TcpProxy.start(t, server.address.port)
  const client = await proxiedClient(t, proxy)
  const direct = await testClient(t, server)
  const key = uniqueKey()
  const gen = async (): Promise<number> => (await direct.get(key)).gen
  const lost = async <T>(write: () => Promise<T>): Promise<T> => {
    proxy.loseAnswers(1)
    return write()
  }
  t.equal(await lost(() => client.increment(key, 'n', 5)), 5)
  t.equal(await gen(), 1, 'the generation moved once')
  t.same(await lost(() => client.put(key, { s: 'b' })), { gen: 2, ttl: -1 })
  t.same(await lost(() => client.append(key, { s: 'c' })), { gen: 3, ttl: -1 })
  t.same(await lost(() => client.prepend(key, { s: 'a' })), { gen: 4, ttl: -1 })
  t.match(await lost(() => client.operate(key, [ops.incr('n', 2), ops.read('n'), ops.read('s')])), { gen: 5, bins: { n: 7, s: 'abc' } })
  t.match(await lost(() => client.touch(key)), { gen: 6 })
  const other = uniqueKey()
  const batch = await lost(() => client.batchOperate([{ key, ops: [ops.incr('n', 1), ops.read('n')] }, { key: other, ops: [ops.incr('m', 1), ops.read('m')] }]))
  t.same(batch.map((r) => r.results), [[8], [1]])
  const session = client.openSession()
  session.countersFor(key).increment('n', 10)
  session.countersFor(other).increment('m', 10)
  const saved = await lost(() => session.saveChanges())
  t.same(saved.map((s) => s.counters), [{ n: 18 }, { m: 11 }])
  t.match(await direct.get(key), { gen: 8, bins: { n: 18, s: 'abc' } }, 'each write applied once')
  t.match(await direct.get(other), { gen: 2, bins: { m: 11 } })
  await lost(() => client.remove(other))
  t.equal(await direct.exists(other), false)
  t.equal(proxy.counts.lostAnswers, 9, 'nine answers lost')
  t.equal(await stat(direct, 'write_window_hits'), 9, 'nine retries answered from the window')
})

t.test('a retry past the window: OUTCOME_UNKNOWN (240), in doubt, and not applied again', async (t) => {
  // Room for one client's answers: another client's writes push the first one's out.
  const server = await testServer(t, { maxWriteWindowEntries: 64 })
  const proxy = await TcpProxy.start(t, server.address.port)
  const client = await proxiedClient(t, proxy)
  const direct = await testClient(t, server)
  const key = uniqueKey()
  await client.increment(key, 'n', 1)
  proxy.loseAnswers(1)
  proxy.refusing = true
  const retried = client.increment(key, 'n', 1).catch((err) => err)
  await until(() => proxy.counts.lostAnswers === 1 && proxy.counts.refused > 0, 'lost answer')
  await direct.increment(uniqueKey(), 'n', 1)
  t.equal(await stat(direct, 'write_window_evicted'), 2, "the first client's two answers are pushed out")
  proxy.refusing = false
  t.match(await retried, { code: TALLY_STATUS.OUTCOME_UNKNOWN, inDoubt: true })
  t.match(await direct.get(key), { gen: 2, bins: { n: 2 } }, 'applied once: the retry was not applied')
  t.equal(await stat(direct, 'write_window_unknown'), 1)
})

async function diskServer(t: Teardown, dir: string, options: ServerOptions = {}): Promise<TallyServer> {
  const server = await startServer({ host: '127.0.0.1', port: 0, storage: 'disk', dataDir: dir, commitToDevice: true, nsupPeriodMs: 0, log: recordingLogger().log, ...options })
  t.teardown(() => server.close())
  return server
}

for (const snapshot of [false, true]) {
  t.test(`a restart between a write and its retry (commit-to-device): the first answer, from the ${snapshot ? 'snapshot' : 'log'}`, async (t) => {
    const dir = tempDataDir(t)
    let server = await diskServer(t, dir)
    const proxy = await TcpProxy.start(t, server.address.port)
    const client = await proxiedClient(t, proxy)
    const key = uniqueKey()
    t.equal(await client.increment(key, 'n', 1), 1)
    proxy.loseAnswers(1)
    proxy.refusing = true
    const retried = client.increment(key, 'n', 5)
    await until(() => proxy.counts.lostAnswers === 1, 'lost answer')
    if (snapshot) await server.core.persistence!.snapshot()
    await server.close()
    server = await diskServer(t, dir)
    proxy.targetPort = server.address.port
    proxy.refusing = false
    t.equal(await retried, 6, 'the first answer')
    const direct = await testClient(t, server)
    t.match(await direct.get(key), { gen: 2, bins: { n: 6 } }, 'applied once')
    t.equal(await stat(direct, 'write_window_hits'), 1)
  })
}

t.test('a retried create that failed with 5 fails with 5 again, though it would now succeed; not in doubt', async (t) => {
  const server = await testServer(t)
  const proxy = await TcpProxy.start(t, server.address.port)
  const client = await proxiedClient(t, proxy)
  const direct = await testClient(t, server)
  const key = uniqueKey()
  await direct.put(key, { a: 1 })
  proxy.loseAnswers(1)
  proxy.refusing = true
  const retried = client.put(key, { a: 2 }, undefined, { exists: 'create' }).catch((err) => err)
  await until(() => proxy.counts.lostAnswers === 1, 'lost answer')
  await direct.remove(key)
  proxy.refusing = false
  const err = await retried
  t.match(err, { code: STATUS.RECORD_EXISTS })
  t.notOk(err.inDoubt, 'the answer settles it')
  t.equal(await direct.exists(key), false, 'nothing written')
})

t.test('a server without a window: writes carry no token and are not retried unless asked; reads are', async (t) => {
  const server = await testServer(t, { maxWriteWindowEntries: 0 })
  const proxy = await TcpProxy.start(t, server.address.port)
  const client = await proxiedClient(t, proxy)
  const direct = await testClient(t, server)
  const key = uniqueKey()
  proxy.loseAnswers(1)
  t.match(await client.increment(key, 'n', 1).catch((err) => err), { code: CLIENT_STATUS.CONNECTION, inDoubt: true })
  proxy.loseAnswers(1)
  t.match(await client.get(key), { bins: { n: 1 } }, 'a read is retried')
  // Asked to, the client retries a write without a token, and the server applies it twice, as Aerospike would.
  proxy.loseAnswers(1)
  t.equal(await client.increment(key, 'n', 1, undefined, undefined, { maxRetries: 1 }), 3)
  t.equal(await stat(direct, 'write_window_entries'), 0)
  t.equal(proxy.counts.lostAnswers, 3)
})

t.test('retries off (maxRetries 0): a lost answer leaves the write in doubt', async (t) => {
  const server = await testServer(t)
  const proxy = await TcpProxy.start(t, server.address.port)
  const client = await proxiedClient(t, proxy)
  const key = new Key('test', 'tests', `off-${process.pid}`)
  proxy.loseAnswers(1)
  t.match(await client.increment(key, 'n', 1, undefined, undefined, { maxRetries: 0 }).catch((err) => err), { code: CLIENT_STATUS.CONNECTION, inDoubt: true })
  t.equal(await client.increment(key, 'n', 1, undefined, undefined, { maxRetries: 0 }), 2)
})

t.test('the client says which writes it settled, so the server keeps a ring the size of the writes open, not of its age', async (t) => {
  const server = await testServer(t)
  const client = await testClient(t, server)
  const key = uniqueKey()
  const inFlight = 200
  const perWorker = 100
  await Promise.all(Array.from({ length: inFlight }, async () => {
    for (let i = 0; i < perWorker; i++) await client.increment(key, 'n', 1)
  }))
  t.equal((await client.get(key)).bins.n, inFlight * perWorker)
  const bytes = await stat(client, 'write_window_bytes')
  t.ok(bytes <= 1024 * 15, `${bytes} bytes held for ${inFlight * perWorker} writes, ${inFlight} open at once (at most 1024 slots of 15 bytes)`)
  t.equal(await stat(client, 'write_window_evicted'), 0)
  t.ok((await stat(client, 'write_window_expired')) >= inFlight * perWorker - 1024, 'settled answers are let go at once')
})
