// Storage failures: a full disk or an I/O error makes writes fail with status 8 or 1, undoes them, corrupts
// nothing on disk, and leaves reads working; once the disk recovers, writes are accepted again.
import t from 'tap'
import { connect, Key, ops, STATUS, type Client, type ClientOptions } from '../../client/index.js'
import type { FileSystem } from '../../server/persist/files.js'
import { startServer, type TallyServer } from '../../server/index.js'
import { recordingLogger, segments, tempDataDir } from '../helpers/data-dir.js'
import { FaultyDisk } from '../helpers/faulty-disk.js'
import type { Teardown } from '../helpers/server.js'

async function open(dir: string, disk: FileSystem, log = recordingLogger().log): Promise<{ server: TallyServer; client: Client }> {
  const server = await startServer({ host: '127.0.0.1', port: 0, storage: 'disk', dataDir: dir, nsupPeriodMs: 0, fileSystem: disk, log })
  return { server, client: await connect({ hosts: `127.0.0.1:${server.address.port}` }) }
}

const k = (n: number | string): Key => new Key('test', 'f', n)

/** A server with the disk namespace `test` and the memory namespace `cache`, and a client; closed when the test ends. */
async function openWithMemoryNamespace(t: Teardown, disk: FileSystem, clientOptions: Partial<ClientOptions> = {}): Promise<Client> {
  const server = await startServer({
    host: '127.0.0.1',
    port: 0,
    storage: 'disk',
    dataDir: tempDataDir(t),
    nsupPeriodMs: 0,
    fileSystem: disk,
    namespaces: [{ name: 'test' }, { name: 'cache', storage: 'memory' }],
    log: recordingLogger().log,
  })
  const client = await connect({ hosts: `127.0.0.1:${server.address.port}`, ...clientOptions })
  t.teardown(async () => {
    await client.close()
    await server.close()
  })
  return client
}

/** Retries `write` until it is accepted (the log reopens right after a failure, or within its retry interval). */
async function eventually<T>(write: () => Promise<T>, withinMs = 3000): Promise<T> {
  for (const started = Date.now(); ; await new Promise((r) => setTimeout(r, 20))) {
    try {
      return await write()
    } catch (err) {
      if (Date.now() - started > withinMs) throw err
    }
  }
}

for (const [code, status] of [
  ['ENOSPC', STATUS.OUT_OF_SPACE],
  ['EIO', STATUS.SERVER_ERROR],
] as const) {
  t.test(`${code} on write: status ${status}, the writes undone, reads go on`, async (t) => {
    const dir = tempDataDir(t)
    const disk = new FaultyDisk()
    const recorded = recordingLogger()
    let s = await open(dir, disk, recorded.log)
    await s.client.put(k('a'), { n: 1 })
    disk.failWrite = code
    const results = await Promise.allSettled([s.client.increment(k('a'), 'n', 1), s.client.put(k('new'), { n: 1 }), s.client.remove(k('a'))])
    for (const r of results) t.match(r, { status: 'rejected', reason: { code: status, message: new RegExp(`not applied: storage write failed \\(${code}\\)`) } })
    t.same((await s.client.get(k('a'))).bins, { n: 1 }, 'the record is exactly as it was')
    t.same(await s.client.existsWithMetadata(k('a')), { gen: 1, ttl: -1 }, 'generation unchanged')
    t.equal(await s.client.exists(k('new')), false, 'the failed create left nothing')
    t.match(recorded.lines.join('\n'), new RegExp(`ERROR log segment \\d+: storage write failed \\(${code}\\)`))
    disk.failWrite = undefined
    t.equal(await eventually(() => s.client.increment(k('a'), 'n', 1)), 2, 'writes work again once the disk does')
    await s.client.close()
    await s.server.close()
    s = await open(dir, new FaultyDisk())
    t.teardown(async () => {
      await s.client.close()
      await s.server.close()
    })
    t.same((await s.client.get(k('a'))).bins, { n: 2 }, 'after a restart: the acknowledged writes, none of the failed ones')
    t.equal(await s.client.exists(k('new')), false)
  })
}

t.test('fsync failure under commit-to-device: nothing acknowledged is lost, nothing failed is kept', async (t) => {
  const dir = tempDataDir(t)
  const disk = new FaultyDisk()
  let s = await open(dir, disk)
  await s.client.put(k('c'), { n: 0 })
  disk.failSync = 'EIO'
  await t.rejects(s.client.increment(k('c'), 'n', 5), { code: STATUS.SERVER_ERROR, message: /storage sync failed \(EIO\)/ })
  disk.failSync = undefined
  t.equal(await eventually(() => s.client.increment(k('c'), 'n', 1)), 1)
  await s.client.close()
  await s.server.close()
  s = await open(dir, new FaultyDisk())
  t.teardown(async () => {
    await s.client.close()
    await s.server.close()
  })
  t.equal((await s.client.get(k('c'))).bins.n, 1)
})

t.test('while no log segment can be opened, writes are refused at once; they resume when one can', async (t) => {
  const dir = tempDataDir(t)
  const disk = new FaultyDisk()
  const s = await open(dir, disk)
  t.teardown(async () => {
    await s.client.close()
    await s.server.close()
  })
  await s.client.put(k('d'), { n: 1 })
  disk.failWrite = 'ENOSPC'
  disk.failOpen = 'ENOSPC'
  await t.rejects(s.client.put(k('d'), { n: 2 }), { code: STATUS.OUT_OF_SPACE })
  const refused = await s.client.put(k('d'), { n: 3 }).catch((e) => e)
  t.match(refused, { code: STATUS.OUT_OF_SPACE, message: /storage (write|open) failed \(ENOSPC\)/ }, 'refused before being applied')
  t.same((await s.client.get(k('d'))).bins, { n: 1 }, 'reads still work')
  disk.failWrite = undefined
  disk.failOpen = undefined
  await eventually(() => s.client.put(k('d'), { n: 4 }))
  t.same((await s.client.get(k('d'))).bins, { n: 4 })
})

t.test('after a failure the new segment restates the records involved: undone writes stay undone across a restart', async (t) => {
  const dir = tempDataDir(t)
  const disk = new FaultyDisk()
  let s = await open(dir, disk)
  await s.client.put(k('kept'), { n: 1 })
  await s.client.put(k('removed-later'), { n: 1 })
  disk.failSync = 'EIO'
  await t.rejects(s.client.put(k('kept'), { n: 2 }), { code: STATUS.SERVER_ERROR })
  await t.rejects(s.client.remove(k('removed-later')), { code: STATUS.SERVER_ERROR })
  disk.failSync = undefined
  await eventually(() => s.client.put(k('other'), { n: 1 }))
  await s.server.core.persistence!.snapshot()
  await s.client.close()
  await s.server.close()
  s = await open(dir, new FaultyDisk())
  t.teardown(async () => {
    await s.client.close()
    await s.server.close()
  })
  t.same((await s.client.get(k('kept'))).bins, { n: 1 })
  t.same((await s.client.get(k('removed-later'))).bins, { n: 1 }, 'the failed remove did not remove it')
})

t.test('flush-ms: writes acknowledged before a failed fsync are restated in the new segment', async (t) => {
  const dir = tempDataDir(t)
  const disk = new FaultyDisk()
  const server = await startServer({ host: '127.0.0.1', port: 0, storage: 'disk', dataDir: dir, nsupPeriodMs: 0, fileSystem: disk, commitToDevice: false, flushMs: 200, log: recordingLogger().log })
  const client = await connect({ hosts: `127.0.0.1:${server.address.port}` })
  disk.failSync = 'EIO'
  await client.put(k('flushed'), { n: 7 }) // acknowledged once written; the fsync after it fails
  await new Promise((r) => setTimeout(r, 400))
  disk.failSync = undefined
  await eventually(() => client.put(k('later'), { n: 1 }))
  await client.close()
  await server.close()
  const s = await open(dir, new FaultyDisk())
  t.teardown(async () => {
    await s.client.close()
    await s.server.close()
  })
  t.same((await s.client.get(k('flushed'))).bins, { n: 7 })
})

t.test('a batch mixing namespaces: only the requests whose changes were undone get the error', async (t) => {
  const disk = new FaultyDisk()
  const client = await openWithMemoryNamespace(t, disk, { poolSize: 1 })
  disk.failWrite = 'ENOSPC'
  const [onDisk, inMemory] = await Promise.allSettled([client.put(k('d'), { n: 1 }), client.put(new Key('cache', 's', 'm'), { n: 1 })])
  t.match(onDisk, { status: 'rejected', reason: { code: STATUS.OUT_OF_SPACE } })
  t.match(inMemory, { status: 'fulfilled' }, 'the memory namespace write was applied and says so')
  t.same((await client.get(new Key('cache', 's', 'm'))).bins, { n: 1 })
  disk.failWrite = undefined
})

t.test('a batchOperate over a disk and a memory namespace is undone whole when the log fails', async (t) => {
  const disk = new FaultyDisk()
  const client = await openWithMemoryNamespace(t, disk)
  const [onDisk, inMemory] = [k('batch'), new Key('cache', 's', 'batch')]
  await client.put(onDisk, { n: 1 })
  await client.put(inMemory, { n: 1 })
  disk.failWrite = 'ENOSPC'
  const session = client.openSession()
  session.countersFor(inMemory).increment('n')
  session.countersFor(onDisk).increment('n')
  session.countersFor(new Key('cache', 's', 'created')).increment('n')
  await t.rejects(session.saveChanges(), { code: STATUS.OUT_OF_SPACE })
  t.same((await client.batchGet([onDisk, inMemory])).map((r) => [r!.bins.n, r!.gen]), [[1, 1], [1, 1]], 'both records as they were')
  t.equal(await client.exists(new Key('cache', 's', 'created')), false, 'the created record is gone again')
  disk.failWrite = undefined
  const saved = await eventually(() => client.batchOperate([onDisk, inMemory].map((key) => ({ key, ops: [ops.incr('n', 1), ops.read('n')] }))))
  t.same(saved.map((r) => r.results), [[2], [2]])
})

t.test('shutting down while the log is down does not hang', async (t) => {
  const dir = tempDataDir(t)
  const disk = new FaultyDisk()
  const s = await open(dir, disk)
  await s.client.put(k('x'), { n: 1 })
  disk.failWrite = disk.failOpen = 'ENOSPC'
  await t.rejects(s.client.put(k('x'), { n: 2 }))
  const snapshot = s.server.core.persistence!.snapshot().catch((e) => e)
  await s.client.close()
  const closed = await Promise.race([s.server.close().then(() => 'closed'), new Promise((r) => setTimeout(() => r('hung'), 5000))])
  t.equal(closed, 'closed')
  t.match(await snapshot, { code: STATUS.OUT_OF_SPACE }, 'the snapshot gave up')
})

t.test('a full disk: writes refused at once and stop_writes says why, no new segment per failed write; writes resume once there is room', async (t) => {
  const dir = tempDataDir(t)
  const disk = new FaultyDisk()
  const s = await open(dir, disk)
  t.teardown(async () => {
    await s.client.close()
    await s.server.close()
  })
  await s.client.put(k('full'), { n: 1 })
  const segmentsBefore = segments(dir).length
  disk.failAppend = 'ENOSPC' // a new segment's few bytes may still fit; every append fails
  disk.freeBytes = 0
  await t.rejects(s.client.put(k('full'), { n: 2 }), { code: STATUS.OUT_OF_SPACE })
  let refused = 0
  for (const started = Date.now(); Date.now() - started < 2500; await new Promise((r) => setTimeout(r, 10))) {
    const err = await s.client.put(k('full'), { n: 3 }).catch((e) => e)
    if (err?.code === STATUS.OUT_OF_SPACE) refused++
  }
  t.ok(refused > 20, `${refused} writes refused while the disk is full`)
  t.equal(segments(dir).length, segmentsBefore, 'no new segment while there is no room')
  const stats = (await s.client.info('namespace/test'))['namespace/test']!
  t.match(stats, /stop_writes=true;stop_writes_reason=disk-full;device_available_pct=0/)
  t.same((await s.client.get(k('full'))).bins, { n: 1 }, 'reads go on')
  disk.failAppend = undefined
  disk.freeBytes = undefined
  await eventually(() => s.client.put(k('full'), { n: 4 }))
  t.same((await s.client.get(k('full'))).bins, { n: 4 })
  t.match((await s.client.info('namespace/test'))['namespace/test'], /stop_writes=false;stop_writes_reason=none/)
})

t.test('a disk that keeps failing gets at most one new segment a second, not one per failed write', async (t) => {
  const dir = tempDataDir(t)
  const disk = new FaultyDisk()
  const s = await open(dir, disk)
  t.teardown(async () => {
    await s.client.close()
    await s.server.close()
  })
  await s.client.put(k('eio'), { n: 1 })
  const segmentsBefore = segments(dir).length
  disk.failAppend = 'EIO'
  let failed = 0
  const started = Date.now()
  while (Date.now() - started < 2500) {
    const err = await s.client.put(k('eio'), { n: 2 }).catch((e) => e)
    if (err?.code === STATUS.SERVER_ERROR) failed++
  }
  const seconds = (Date.now() - started) / 1000
  t.ok(failed > 20, `${failed} writes failed`)
  t.ok(segments(dir).length - segmentsBefore <= Math.ceil(seconds) + 1, `${segments(dir).length - segmentsBefore} new segments in ${seconds} s`)
})
