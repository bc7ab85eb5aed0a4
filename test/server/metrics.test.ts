// GET /metrics of a real server after known requests: the text parses strictly as Prometheus reads it, and the
// figures are the requests made: records, requests by op kind and status, latency histograms, connections, the
// log's fsyncs (each made slow on purpose, so that the buckets they land in are known).
import { once } from 'node:events'
import net from 'node:net'
import t from 'tap'
import { Key, ops } from '../../client/index.js'
import { METRICS_MAX_CONNECTIONS } from '../../server/metrics/http.js'
import { nodeFileSystem } from '../../server/persist/files.js'
import { tempDataDir } from '../helpers/data-dir.js'
import { parsePrometheus, sampleValue, type PromFamily } from '../helpers/prometheus.js'
import { testClient, testServer } from '../helpers/server.js'

/** Every fsync of the log takes at least this long. */
const SLOW_SYNC_MS = 40

async function scrape(port: number): Promise<Map<string, PromFamily>> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`)
  if (res.status !== 200) throw new Error(`status ${res.status}`)
  if (!/^text\/plain; version=0\.0\.4/.test(res.headers.get('content-type') ?? '')) throw new Error(`content-type ${res.headers.get('content-type')}`)
  return parsePrometheus(await res.text())
}

t.test('the metrics of known requests', async (t) => {
  const fileSystem = { ...nodeFileSystem, fdatasync: async (fd: number) => (await new Promise((r) => setTimeout(r, SLOW_SYNC_MS)), nodeFileSystem.fdatasync(fd)) }
  const server = await testServer(t, {
    metricsPort: 0,
    dataDir: tempDataDir(t),
    fileSystem,
    namespaces: [{ name: 'test' }, { name: 'durable', storage: 'disk' }],
  })
  t.ok(server.metrics !== undefined && server.metrics.port > 0 && server.metrics.host === '127.0.0.1', 'served at the service address')
  const client = await testClient(t, server, { poolSize: 1 })
  const key = (i: number, ns = 'test'): Key => new Key(ns, 'm', i)
  for (let i = 0; i < 10; i++) await client.put(key(i), { n: i, s: 'x' })
  for (let i = 0; i < 5; i++) await client.get(key(i))
  for (let i = 100; i < 103; i++) await t.rejects(client.get(key(i)), { code: 2 })
  for (let i = 0; i < 4; i++) await client.increment(key(i), 'n', 1)
  await t.rejects(client.increment(key(0), 's', 1), { code: 12 }, 'incrementing a string: status 12')
  await client.operate(key(1), [ops.incr('n', 1), ops.read('n')])
  await client.operate(key(2), [ops.read('n')])
  t.equal((await client.batchGet([key(0), key(1), key(200)])).filter((r) => r !== null).length, 2)
  await client.remove(key(9))
  for (let i = 0; i < 3; i++) await client.put(key(i, 'durable'), { n: i })

  const m = await scrape(server.metrics!.port)
  const value = (name: string, labels: Record<string, string> = {}, family = name): number => sampleValue(m, name, labels, family)
  t.equal(value('tally_namespace_objects', { ns: 'test' }), 9)
  t.equal(value('tally_namespace_objects', { ns: 'durable' }), 3)
  t.ok(value('tally_namespace_data_used_bytes', { ns: 'test' }) > 0)
  t.equal(value('tally_namespace_stop_writes', { ns: 'test' }), 0)
  t.equal(value('tally_namespace_client_read_not_found', { ns: 'test' }), 3 + 1, 'three gets and one batch key')
  const opsTotal = (op: string, code: string, ns = 'test'): number => value('tally_namespace_ops_total', { ns, op, code })
  t.equal(opsTotal('write', '0'), 11, 'ten puts and a remove')
  t.equal(opsTotal('read', '0'), 5)
  t.equal(opsTotal('read', '2'), 3)
  t.equal(opsTotal('increment', '0'), 4)
  t.equal(opsTotal('increment', '12'), 1)
  t.equal(opsTotal('operate', '0'), 2)
  t.equal(opsTotal('batch', '0'), 1)
  t.equal(opsTotal('write', '0', 'durable'), 3)
  for (const [kind, count] of [['read', 8], ['write', 11], ['increment', 5], ['operate', 2], ['batch', 1]] as const) {
    const family = `tally_latencies_${kind}_us`
    t.equal(m.get(family)?.type, 'histogram', family)
    t.equal(value(`${family}_count`, { ns: 'test' }, family), count, `${kind}: every request in the histogram`)
    t.ok(value(`${family}_sum`, { ns: 'test' }, family) > 0, `${kind}: a sum`)
  }
  // A durable write waits for its fsync: each of these took at least SLOW_SYNC_MS.
  t.equal(value('tally_latencies_write_us_bucket', { ns: 'durable', le: '32768' }, 'tally_latencies_write_us'), 0)
  t.equal(value('tally_latencies_write_us_bucket', { ns: 'durable', le: '+Inf' }, 'tally_latencies_write_us'), 3)
  const fsyncs = value('tally_log_fsync_us_count', {}, 'tally_log_fsync_us')
  t.ok(fsyncs >= 3, `one fsync per durable write at least (${fsyncs})`)
  t.equal(value('tally_log_fsync_us_bucket', { le: '32768' }, 'tally_log_fsync_us'), 0, 'no fsync under 32.8 ms')
  t.ok(value('tally_log_fsync_us_sum', {}, 'tally_log_fsync_us') >= fsyncs * SLOW_SYNC_MS * 1000)
  t.ok(value('tally_log_bytes') > 0)
  t.ok(value('tally_snapshot_age_seconds') >= 0)
  t.equal(value('tally_node_stats_client_connections'), 1)
  t.ok(value('tally_node_stats_client_connections_opened') >= 1)
  t.ok(value('process_resident_memory_bytes') > 1e6)
  t.ok(value('nodejs_eventloop_lag_p99_seconds') >= 0)
  for (const [name, family] of m) if (name.startsWith('tally_')) t.ok(family.help !== undefined && family.help.length > 0, `${name} has help`)
})

t.test('scans, truncates and restores are counted one request each, with their status', async (t) => {
  const server = await testServer(t, { metricsPort: 0, namespaces: [{ name: 'test' }, { name: 'other' }] })
  const client = await testClient(t, server, { poolSize: 1 })
  for (let i = 0; i < 20; i++) await client.put(new Key('test', 'c', i), { n: i })
  const scanned = async (options = {}): Promise<number> => {
    let records = 0
    for await (const _ of client.scan('test', 'c', options)) records++
    return records
  }
  t.equal(await scanned(), 20)
  t.equal(await scanned({ recordsPerFrame: 1, framesAhead: 1 }), 20, 'a scan of many frames is one request')
  await t.rejects(scanned({ bins: ['a-name-too-long-for-a-bin'] }), { code: 21 })
  await t.rejects(scanned({ partitions: [1, 1] }), { code: -2 }, 'refused by the client: never sent')
  const stored = { digest: new Key('test', 'r', 1).digest, set: 'r', key: 1, gen: 3, voidMs: 0, bins: ['n', 1] }
  t.same(await client.restore('test', [stored]), [1], 'written')
  await client.truncate('test', 'c')
  await client.truncate('test')
  await client.truncate('other', 'c')
  await t.rejects(client.truncate('nope'), { code: 20 }, 'a namespace that does not exist: not counted, as for any request')
  const byInfo = await client.info('truncate-namespace:namespace=test', 'truncate:namespace=test')
  t.same(Object.values(byInfo).map((v) => v.split(':')[0]), ['ok', 'ERROR'], "Aerospike's info commands: one done, one refused")

  const m = await scrape(server.metrics!.port)
  const opsTotal = (op: string, code: string, ns = 'test'): number => sampleValue(m, 'tally_namespace_ops_total', { ns, op, code }, 'tally_namespace_ops_total')
  t.equal(opsTotal('scan', '0'), 2, 'two scans, whatever their frames')
  t.equal(opsTotal('scan', '21'), 1, 'one refused for its bin name')
  t.equal(opsTotal('restore', '0'), 1)
  t.equal(opsTotal('truncate', '0'), 3, 'two requests and an info command')
  t.equal(opsTotal('truncate', '4'), 1, 'an info command without its set')
  t.equal(opsTotal('truncate', '0', 'other'), 1)
  const counted = m.get('tally_namespace_ops_total')!.samples.filter((s) => ['scan', 'truncate', 'restore'].includes(s.labels.op!))
  t.equal(counted.reduce((n, s) => n + s.value, 0), 9, 'nothing else counted under these ops')
  t.equal(opsTotal('write', '0'), 20, 'the puts are counted as before, and nothing else')
  t.equal(m.get('tally_namespace_ops_total')!.samples.filter((s) => s.labels.op === 'write').reduce((n, s) => n + s.value, 0), 20)
})

t.test('only GET /metrics; no endpoint unless asked; a taken port is named', async (t) => {
  const server = await testServer(t, { metricsPort: 0 })
  const base = `http://127.0.0.1:${server.metrics!.port}`
  t.equal((await fetch(`${base}/`)).status, 404)
  t.equal((await fetch(`${base}/metrics`, { method: 'POST' })).status, 405)
  t.equal((await fetch(`${base}/metrics?x=1`)).status, 200)
  const plain = await testServer(t)
  t.equal(plain.metrics, undefined)
  await t.rejects(testServer(t, { metricsPort: server.metrics!.port }), { message: /cannot serve metrics on 127\.0\.0\.1:\d+: the port is in use .*--metrics-port/ })
})

t.test('the endpoint holds a bounded number of connections, and still answers once they go', async (t) => {
  const server = await testServer(t, { metricsPort: 0 })
  const sockets: net.Socket[] = []
  t.teardown(() => sockets.forEach((s) => s.destroy()))
  const closed: boolean[] = []
  // Idle connections that never send a request: past the bound, each is closed by the server at once.
  for (let i = 0; i < METRICS_MAX_CONNECTIONS + 8; i++) {
    const socket = net.connect(server.metrics!.port, '127.0.0.1')
    sockets.push(socket)
    closed.push(false)
    socket.on('close', () => (closed[i] = true))
    socket.on('error', () => {})
    await once(socket, 'connect')
  }
  const deadline = Date.now() + 10_000
  while (closed.filter(Boolean).length < 8 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
  t.equal(closed.filter(Boolean).length, 8, 'the connections over the bound were closed')
  t.equal(closed.slice(0, METRICS_MAX_CONNECTIONS).filter(Boolean).length, 0, 'those within it were kept')
  sockets.forEach((s) => s.destroy())
  await new Promise((r) => setTimeout(r, 100))
  t.equal((await fetch(`http://127.0.0.1:${server.metrics!.port}/metrics`)).status, 200)
})

t.test('the reader refuses what Prometheus would', async (t) => {
  const bad = [
    'x 1\n', // no TYPE
    '# TYPE x gauge\nx{a="1"} 1\nx{a="1"} 2\n', // a series twice
    '# TYPE x gauge\nx{a=1} 1\n', // an unquoted label value
    '# TYPE x counter\nx -1\n',
    '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n',
    '# TYPE x gauge\n# TYPE y gauge\nx 1\ny 1\nx{a="2"} 1\n', // interleaved
    '# TYPE x gauge\nx 1', // no final newline
  ]
  for (const text of bad) t.throws(() => parsePrometheus(text), JSON.stringify(text))
  t.equal(parsePrometheus('# HELP x a "thing"\n# TYPE x gauge\nx{a="q\\"\\n"} +Inf\n').get('x')!.samples[0]!.labels.a, 'q"\n')
})
