// Restart restores exactly what was acknowledged: bins, generation, remaining TTL, stored keys; deleted and
// expired records stay gone. Torn tails are cut and reported; worse damage stops startup with a message.
import fs from 'node:fs'
import t from 'tap'
import { connect, Key, ops, STATUS, type Client } from '../../client/index.js'
import { ManualClock, startServer, type ServerOptions, type TallyServer } from '../../server/index.js'
import { ENTRY } from '../../server/persist/entries.js'
import { firstEntry } from '../../server/persist/entry-file.js'
import { recordingLogger, segments, tempDataDir } from '../helpers/data-dir.js'
import { runCli } from '../helpers/cli.js'

async function open(dir: string, options: ServerOptions = {}): Promise<{ server: TallyServer; client: Client }> {
  const server = await startServer({ host: '127.0.0.1', port: 0, storage: 'disk', dataDir: dir, nsupPeriodMs: 0, ...options })
  const client = await connect({ hosts: `127.0.0.1:${server.address.port}` })
  return { server, client }
}

async function shut({ server, client }: { server: TallyServer; client: Client }): Promise<void> {
  await client.close()
  await server.close()
}

const k = (name: string | number): Key => new Key('test', 'r', name)

t.test('a restart restores bins, generation, remaining TTL and stored keys; deletes stay deleted', async (t) => {
  const dir = tempDataDir(t)
  const clock = new ManualClock(Date.now())
  let s = await open(dir, { clock })
  await s.client.put(k('a'), { s: 'x', n: 1, l: [1, 2], m: { z: 1 }, b: Buffer.from([1]), big: 2n ** 60n }, { ttl: 100 }, { key: 'send' })
  for (let i = 0; i < 10; i++) await s.client.increment(k('a'), 'n', 1)
  await s.client.put(k('gone'), { a: 1 })
  await s.client.remove(k('gone'))
  await s.client.put(k('expires'), { a: 1 }, { ttl: 5 })
  await s.client.put(k('forever'), { a: 1 })
  await s.client.operate(k('bin-dropped'), [ops.write('a', 1), ops.write('b', 2)])
  await s.client.put(k('bin-dropped'), { a: null })
  await shut(s)

  clock.advance(30_000)
  s = await open(dir, { clock })
  t.teardown(() => shut(s))
  const a = await s.client.get(k('a'))
  t.same(a.bins, { s: 'x', n: 11, l: [1, 2], m: { z: 1 }, b: Buffer.from([1]), big: 2n ** 60n })
  t.equal(a.gen, 11)
  t.equal(a.ttl, 70, 'time passed while down counts')
  await t.rejects(s.client.get(new Key('test', 'r', 'impostor', k('a').digest), { key: 'send' }), { code: STATUS.KEY_MISMATCH }, 'the stored key came back')
  t.equal(await s.client.exists(k('gone')), false, 'a removed record stays removed')
  t.equal(await s.client.exists(k('expires')), false, 'a record that expired while down stays gone')
  t.same((await s.client.get(k('bin-dropped'))).bins, { b: 2 })
  t.same(await s.client.existsWithMetadata(k('forever')), { gen: 1, ttl: -1 })
  t.equal(s.server.core.store.namespace('test').objects, 3, 'expired records are not even loaded')
})

t.test('flush-ms mode survives a clean restart too', async (t) => {
  const dir = tempDataDir(t)
  let s = await open(dir, { commitToDevice: false, flushMs: 50 })
  await Promise.all(Array.from({ length: 500 }, (_, i) => s.client.increment(k(i % 10), 'n', 1)))
  await shut(s)
  s = await open(dir)
  t.teardown(() => shut(s))
  const values = await s.client.batchGet(Array.from({ length: 10 }, (_, i) => k(i)))
  t.same(values.map((r) => r?.bins.n), Array(10).fill(50))
})

t.test('a torn tail is cut off and reported; nothing before it is lost', async (t) => {
  const dir = tempDataDir(t)
  let s = await open(dir)
  for (let i = 0; i < 20; i++) await s.client.put(k(i), { v: i })
  await shut(s)
  const [file] = segments(dir)
  const size = fs.statSync(file!).size
  const bytes = fs.readFileSync(file!)
  let last = 0
  for (let at = 0; at < bytes.length; at += 8 + bytes.readUInt32BE(at)) last = at
  fs.truncateSync(file!, size - 3) // the last entry was being appended when the server stopped
  const { lines, log } = recordingLogger()
  s = await open(dir, { log })
  t.teardown(() => shut(s))
  t.match(lines.join('\n'), /WARN log segment .*log-0000000001\.tally: a torn tail at byte \d+ of \d+ \(an entry of \d+ bytes with only \d+ left\); cut off \d+ bytes/)
  const values = await s.client.batchGet(Array.from({ length: 20 }, (_, i) => k(i)))
  t.same(values.map((r) => r?.bins.v ?? null), [...Array.from({ length: 19 }, (_, i) => i), null])
  t.equal(firstEntry(file!, last)?.type, ENTRY.SEGMENT_END, 'the file was cut where the torn entry started; the mark that the log goes on follows')
})

t.test('damage before the end of the log stops startup with a message', async (t) => {
  const dir = tempDataDir(t)
  const s = await open(dir, { segmentBytes: 1024 })
  for (let i = 0; i < 100; i++) await s.client.put(k(i), { v: 'x'.repeat(50) })
  await shut(s)
  const files = segments(dir)
  t.ok(files.length > 3, `${files.length} segments`)
  const bytes = fs.readFileSync(files[1]!)
  bytes[bytes.length >> 1]! ^= 0x01
  fs.writeFileSync(files[1]!, bytes)
  await t.rejects(open(dir), { name: 'RecoveryError', message: /log segment .*log-0000000002\.tally is damaged at byte \d+ of \d+: an entry whose checksum does not match; \d+ valid entries follow it/ })
  fs.rmSync(files[2]!)
  await t.rejects(open(dir), { message: /log segment 3 is missing/ })
})

t.test('snapshots retire old segments; a restart loads the snapshot then the log after it', async (t) => {
  const dir = tempDataDir(t)
  let s = await open(dir, { segmentBytes: 4096 })
  for (let i = 0; i < 300; i++) await s.client.put(k(i), { v: i })
  await s.client.remove(k(0))
  const before = segments(dir).length
  await s.server.core.persistence!.snapshot()
  t.ok(segments(dir).length < before, `segments: ${before} -> ${segments(dir).length}`)
  t.ok(fs.readdirSync(dir).some((f) => f.startsWith('snapshot-')))
  for (let i = 1; i < 50; i++) await s.client.increment(k(i), 'v', 1000)
  await s.client.remove(k(299))
  await shut(s)
  s = await open(dir)
  t.teardown(() => shut(s))
  const values = await s.client.batchGet(Array.from({ length: 300 }, (_, i) => k(i)))
  t.equal(values[0], null)
  t.equal(values[299], null)
  t.same(values.slice(1, 50).map((r) => r!.bins.v), Array.from({ length: 49 }, (_, i) => i + 1 + 1000))
  t.same(values.slice(50, 299).map((r) => r!.bins.v), Array.from({ length: 249 }, (_, i) => i + 50))
})

t.test('a snapshot is taken by itself once the log grows', async (t) => {
  const dir = tempDataDir(t)
  const s = await open(dir, { segmentBytes: 4096, snapshotLogBytes: 16 * 1024 })
  t.teardown(() => shut(s))
  for (let i = 0; i < 400; i++) await s.client.put(k(i), { v: 'y'.repeat(40) })
  for (let waited = 0; waited < 3000 && !fs.readdirSync(dir).some((f) => f.startsWith('snapshot-')); waited += 50) await new Promise((r) => setTimeout(r, 50))
  t.ok(fs.readdirSync(dir).some((f) => f.startsWith('snapshot-')))
})

t.test('one server per data directory', async (t) => {
  const dir = tempDataDir(t)
  const s = await open(dir)
  t.teardown(() => shut(s))
  await t.rejects(open(dir), { message: /already in use by a server in this process/ })
  const other = await runCli(['server', '--port', '0', '--aerospike-port', '0', '--data-dir', dir])
  t.equal(other.code, 1)
  t.match(other.stderr, new RegExp(`data directory ${dir} is in use by process ${process.pid} \\(it holds ${dir}/LOCK\\)`))
})

t.test('a lock left by a killed server is taken over', async (t) => {
  const dir = tempDataDir(t)
  fs.writeFileSync(`${dir}/LOCK`, '999999999\n')
  const s = await open(dir)
  t.teardown(() => shut(s))
  t.equal(fs.readFileSync(`${dir}/LOCK`, 'utf8').trim(), String(process.pid))
})

t.test('a last segment left without a whole header is dropped; missing or short segments stop startup', async (t) => {
  const dir = tempDataDir(t)
  let s = await open(dir, { segmentBytes: 1024 })
  for (let i = 0; i < 60; i++) await s.client.put(k(i), { v: 'z'.repeat(40) })
  await shut(s)
  let files = segments(dir)
  const next = files.at(-1)!.replace(/(\d{10})/, (n) => String(Number(n) + 1).padStart(10, '0'))
  fs.writeFileSync(next, Buffer.from([0, 0, 0]))
  const { lines, log } = recordingLogger()
  s = await open(dir, { log })
  t.match(lines.join('\n'), /has no whole header \(3 bytes\) and nothing after it; removed/)
  t.equal((await s.client.get(k(59))).bins.v, 'z'.repeat(40))
  await shut(s)
  files = segments(dir)
  const short = fs.readFileSync(files[1]!)
  fs.writeFileSync(files[1]!, short.subarray(0, short.length - 30))
  await t.rejects(open(dir), { message: /holds \d+ bytes, but the next segment says \d+ of them count/ })
  fs.rmSync(files[0]!)
  await t.rejects(open(dir), { message: /log segments 1 to 1 are missing/ })
})

t.test('a batch is one log entry: restored whole, and dropped whole when torn', async (t) => {
  const dir = tempDataDir(t)
  let s = await open(dir)
  const keys = Array.from({ length: 5 }, (_, i) => k(`batch-${i}`))
  const session = s.client.openSession()
  for (const key of keys) session.countersFor(key).increment('n', 10)
  await session.saveChanges()
  await s.client.batchOperate(keys.map((key) => ({ key, ops: [ops.incr('n', 1)] })))
  await shut(s)
  const [file] = segments(dir)
  fs.truncateSync(file!, fs.statSync(file!).size - 3)
  const { lines, log } = recordingLogger()
  s = await open(dir, { log })
  t.teardown(() => shut(s))
  t.match(lines.join('\n'), /cut off \d+ bytes/)
  t.same((await s.client.batchGet(keys)).map((r) => r!.bins.n), [10, 10, 10, 10, 10], 'the first batch whole, none of the torn one')
})
