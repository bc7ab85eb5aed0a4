// `latencies` in Aerospike's `latencies:` format, per namespace and op kind, and the slow log: requests made slow on
// purpose (every fsync of the log waits) are counted and the newest kept with their op, namespace, set and digest.
import t from 'tap'
import { Key } from '../../client/index.js'
import { computeDigest } from '../../protocol/digest.js'
import { OP, type Request } from '../../protocol/messages.js'
import { nodeFileSystem } from '../../server/persist/files.js'
import { parseSlowLog } from '../../server/commands/info.js'
import { SLOW_KEPT_PER_BATCH } from '../../server/metrics/batch-tally.js'
import { ServerStats } from '../../server/stats.js'
import { runTool } from '../helpers/cli.js'
import { tempDataDir } from '../helpers/data-dir.js'
import { testClient, testServer, type Teardown } from '../helpers/server.js'

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

t.test('latencies: a row per namespace and op kind, over the last ticker interval', async (t) => {
  const server = await testServer(t, { tickerIntervalMs: 200, namespaces: [{ name: 'test' }, { name: 'other' }] })
  const client = await testClient(t, server)
  // Increments go on until an interval that saw them has been rolled: no guess at how long that takes.
  let value = ''
  for (let i = 0; i < 1000 && !/\{test\}-increment:msec/.test(value); i++) {
    await Promise.all(Array.from({ length: 20 }, (_, k) => client.increment(new Key('test', 'l', k), 'n', 1)))
    value = (await client.info('latencies')).latencies!
    await sleep(20)
  }
  const rows = value.split(';')
  t.same(
    rows.map((row) => row.slice(0, row.indexOf(':'))),
    ['test', 'other'].flatMap((ns) => ['read', 'write', 'increment', 'operate', 'batch'].map((kind) => `{${ns}}-${kind}`)),
    'Aerospike names, every kind of every namespace',
  )
  const increment = rows.find((row) => row.startsWith('{test}-increment:'))!
  const [unit, opsPerSec, ...over] = increment.slice(increment.indexOf(':') + 1).split(',')
  t.equal(unit, 'msec')
  t.ok(Number(opsPerSec) > 0, `ops/s ${opsPerSec}`)
  t.equal(over.length, 17, 'the share over 1, 2, 4 ... 65536 ms')
  const pcts = over.map(Number)
  t.ok(pcts.every((p, i) => p >= 0 && p <= 100 && (i === 0 || p <= pcts[i - 1]!)), `shares fall: ${over.join(',')}`)
  t.ok(rows.includes('{other}-read:'), 'a histogram with nothing in the interval is empty')
  const one = await client.info('latencies:hist={test}-increment', 'latencies:hist={nope}-read', 'latencies:x')
  t.match(one['latencies:hist={test}-increment'], /^\{test\}-increment:(msec(,[\d.]+){18})?$/)
  t.match(one['latencies:hist={nope}-read'], /^ERROR:4:no histogram/)
  t.match(one['latencies:x'], /^ERROR:4:unrecognized latencies parameter/)
})

/** A server whose log takes at least `syncMs` per fsync, so that every durable write is that slow. */
async function slowDiskServer(t: Teardown, syncMs: number, slowLog: { slowLogThresholdMs: number; slowLogMaxEntries?: number }) {
  const fileSystem = { ...nodeFileSystem, fdatasync: async (fd: number) => (await sleep(syncMs), nodeFileSystem.fdatasync(fd)) }
  return testServer(t, { dataDir: tempDataDir(t), fileSystem, namespaces: [{ name: 'test', storage: 'disk' }], ...slowLog })
}

t.test('slow requests are counted and the newest kept', async (t) => {
  const server = await slowDiskServer(t, 40, { slowLogThresholdMs: 20, slowLogMaxEntries: 3 })
  const client = await testClient(t, server)
  const keys = Array.from({ length: 5 }, (_, i) => new Key('test', 'a:b;c', `slow-${i}`))
  for (const key of keys) await client.put(key, { n: 1 })
  const info = await client.info('slowlog', 'statistics')
  t.match(info.statistics, /;slow_ops=5;/, 'every slow request counted')
  const entries = parseSlowLog(info.slowlog!)
  t.equal(entries.length, 3, 'the newest three kept')
  t.same(
    entries.map((e) => e.digest),
    [4, 3, 2].map((i) => Buffer.from(computeDigest('a:b;c', `slow-${i}`)).toString('hex')),
    'newest first, each with its digest',
  )
  for (const e of entries) {
    t.match(e, { op: 'put', ns: 'test', set: 'a:b;c' })
    t.ok(Number(e.latency_us) >= 20_000, `latency ${e.latency_us} µs`)
    t.ok(Math.abs(Date.parse(String(e.time)) - Date.now()) < 60_000, `time ${e.time}`)
  }
  const shown = await runTool(['info', 'slowlog', '--port', String(server.address.port)])
  t.equal(shown.code, 0, shown.stderr)
  t.match(shown.stdout, /^(\d{4}-\d\d-\d\dT[\d:.]+Z {2}put {2}test\/a:b;c {2}[0-9a-f]{40} {2}\d+\.\d ms\n){3}$/)
})

t.test('a threshold of 0 turns the slow log off', async (t) => {
  const server = await slowDiskServer(t, 30, { slowLogThresholdMs: 0 })
  const client = await testClient(t, server)
  for (let i = 0; i < 3; i++) await client.put(new Key('test', 's', i), { n: 1 })
  const info = await client.info('slowlog', 'statistics')
  t.equal(info.slowlog, '')
  t.match(info.statistics, /;slow_ops=0;/)
  t.equal((await runTool(['info', 'slowlog', '--port', String(server.address.port)])).stdout, '(no slow requests kept)\n')
})

t.test('a slow batch counts every request, and keeps the first few', async (t) => {
  const stats = new ServerStats(['test'], { thresholdMs: 5, maxEntries: 100 })
  const tally = stats.tally()
  const requests = Array.from({ length: 10 }, (_, i) => ({ op: OP.TOUCH, id: i, address: { ns: 'test', set: 's', digest: computeDigest('s', i), userKey: null } }) as unknown as Request)
  for (const request of requests) tally.add(request, 0)
  tally.add({ ...requests[0]!, address: { ns: 'nope', set: null, digest: computeDigest(null, 1), userKey: null } } as Request, 20)
  t.equal(tally.requests, 11, 'every request counts in flight')
  tally.record(performance.now() - 50)
  t.equal(stats.slowLog.count, 10, 'every request of a namespace counted slow')
  const kept = stats.slowLog.entries()
  t.equal(kept.length, SLOW_KEPT_PER_BATCH)
  t.same(kept.map((e) => e.digest), requests.slice(0, SLOW_KEPT_PER_BATCH).reverse().map((r) => Buffer.from((r as { address: { digest: Uint8Array } }).address.digest).toString('hex')), 'newest first')
  t.ok(kept.every((e) => e.op === 'touch' && e.ns === 'test' && e.set === 's' && e.latencyUs >= 50_000))
  t.equal(stats.ops.histograms[1]!.total, 10, 'ten writes of test in its histogram')
  t.equal(tally.requests, 0, 'the tally starts over')
})
