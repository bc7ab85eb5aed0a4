// Truncate: a set or a namespace emptied through the client, the CLI and the info commands; records hidden at once,
// removed in steps; logged, so that nothing truncated comes back after a restart, from the log or from a snapshot.
import t from 'tap'
import { connect, Key, STATUS, type Client } from '../../client/index.js'
import { startServer, type ServerOptions, type TallyServer } from '../../server/index.js'
import { runTool } from '../helpers/cli.js'
import { tempDataDir } from '../helpers/data-dir.js'
import { serverAndClient } from '../helpers/server.js'

async function fill(client: Client, set: string, count: number, from = 0): Promise<void> {
  for (let i = from; i < from + count; i += 500)
    await Promise.all(Array.from({ length: Math.min(500, from + count - i) }, (_, j) => client.put(new Key('test', set, i + j), { n: i + j })))
}

async function setObjects(client: Client, set: string): Promise<number> {
  const value = (await client.info(`sets/test/${set}`))[`sets/test/${set}`]!
  return value.startsWith('ERROR:') ? 0 : Number(/objects=(\d+)/.exec(value)![1])
}

// The records are removed in the background: wait (bounded) until the namespace says it is done.
async function settled(client: Client): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (!(await client.info('namespace/test'))['namespace/test']!.includes('truncating=true')) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error('the truncation did not finish within 6 s')
}

t.test('truncating a set removes its records and no others; later writes stay', async (t) => {
  const { client } = await serverAndClient(t)
  await fill(client, 'a', 3000)
  await fill(client, 'b', 1000)
  t.equal(await setObjects(client, 'a'), 3000)
  await client.truncate('test', 'a')
  t.equal(await client.exists(new Key('test', 'a', 7)), false, 'hidden as soon as the truncate is answered')
  await client.put(new Key('test', 'a', 7), { n: -1 })
  await settled(client)
  t.equal(await setObjects(client, 'a'), 1, 'only the record written after the truncate is left')
  t.equal(await setObjects(client, 'b'), 1000, 'another set is untouched')
  t.same((await client.get(new Key('test', 'a', 7))).bins, { n: -1 })
  t.equal((await client.get(new Key('test', 'a', 7))).gen, 1, 'a new record, not the truncated one')
})

t.test('a scan started right after a truncate sees none of the truncated records', async (t) => {
  const { client } = await serverAndClient(t)
  await fill(client, 'a', 20_000)
  await fill(client, 'b', 100)
  await client.truncate('test', 'a')
  let a = 0
  let all = 0
  for await (const record of client.scan('test')) {
    all++
    if (record.key.set === 'a') a++
  }
  t.equal(a, 0, 'no truncated record')
  t.equal(all, 100, 'the other set whole')
})

t.test('truncating a namespace removes everything; bad input is refused', async (t) => {
  const { client } = await serverAndClient(t)
  await fill(client, 'a', 1000)
  await fill(client, 'b', 1000)
  await client.truncate('test')
  await settled(client)
  t.equal(Number(/(?:^|;)objects=(\d+)/.exec((await client.info('namespace/test'))['namespace/test']!)![1]), 0)
  t.equal(Number(/truncated_objects=(\d+)/.exec((await client.info('namespace/test'))['namespace/test']!)![1]), 2000)
  await t.rejects(client.truncate('nope'), { code: STATUS.NAMESPACE })
  await t.rejects(client.truncate(''), { code: -2 })
})

t.test('the CLI and the info commands truncate too', async (t) => {
  const { server, client } = await serverAndClient(t)
  await fill(client, 'a', 200)
  await fill(client, 'b', 200)
  const cli = await runTool(['truncate', 'test', 'a', '--port', String(server.address.port)])
  t.equal(cli.code, 0, cli.stderr)
  t.match(cli.stdout, 'truncated set test/a')
  t.same(await client.info('truncate:namespace=test;set=b'), { 'truncate:namespace=test;set=b': 'ok' })
  await settled(client)
  t.equal(await setObjects(client, 'a'), 0)
  t.equal(await setObjects(client, 'b'), 0)
  await fill(client, 'c', 10)
  t.same(await client.info('truncate-namespace:namespace=test'), { 'truncate-namespace:namespace=test': 'ok' })
  await settled(client)
  t.equal(await setObjects(client, 'c'), 0)
  t.match((await client.info('truncate:namespace=test'))['truncate:namespace=test'], /^ERROR:4:/)
  t.match((await client.info('truncate-namespace:namespace=nope'))['truncate-namespace:namespace=nope'], /^ERROR:20:/)
})

async function open(dir: string, options: ServerOptions = {}): Promise<{ server: TallyServer; client: Client }> {
  const server = await startServer({ host: '127.0.0.1', port: 0, aerospikePort: null, storage: 'disk', dataDir: dir, nsupPeriodMs: 0, ...options })
  const client = await connect({ hosts: `127.0.0.1:${server.address.port}`, policy: { totalTimeoutMs: 30_000 } })
  return { server, client }
}

async function shut({ server, client }: { server: TallyServer; client: Client }): Promise<void> {
  await client.close()
  await server.close()
}

for (const when of ['logged only', 'after a snapshot', 'with the records only in an older snapshot']) {
  t.test(`a truncate survives a restart (${when}); writes after it survive too`, async (t) => {
    const dir = tempDataDir(t)
    let s = await open(dir)
    t.teardown(() => shut(s)) // the server open when the test ends
    await fill(s.client, 'a', 2000)
    await fill(s.client, 'b', 500)
    if (when === 'with the records only in an older snapshot') await s.server.core.persistence!.snapshot()
    await s.client.truncate('test', 'a')
    await fill(s.client, 'a', 10, 5000)
    await s.client.put(new Key('test', 'a', 3), { n: 'new' })
    if (when === 'after a snapshot') {
      await settled(s.client)
      await s.server.core.persistence!.snapshot()
    }
    await shut(s)
    s = await open(dir)
    t.equal(await setObjects(s.client, 'a'), 11, 'only the records written after the truncate')
    t.equal(await setObjects(s.client, 'b'), 500)
    t.equal(await s.client.exists(new Key('test', 'a', 4)), false)
    t.same((await s.client.get(new Key('test', 'a', 3))).bins, { n: 'new' })
  })
}
