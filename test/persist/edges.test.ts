// The log's edges, each found by attacking it: a failed write under flush-ms keeps what was acknowledged before it;
// a stop while the log is down says what it loses; a snapshot never replaces log entries that are not yet durable;
// a record's bytes that look like log entries never pass for entries; a successor that claims none of a segment,
// and two versions of one segment, are never taken at their word.
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { connect, Key, ops, type Client } from '../../client/index.js'
import { startServer, type TallyServer } from '../../server/index.js'
import { walkDataDir } from '../../server/persist/data-dir-reader.js'
import { ENTRY, EntryWriter } from '../../server/persist/entries.js'
import { segmentFile } from '../../server/persist/files.js'
import { repairDataDir } from '../../server/persist/repair.js'
import type { FileSystem } from '../../server/persist/files.js'
import { recordingLogger, segments, tempDataDir } from '../helpers/data-dir.js'
import { FaultyDisk } from '../helpers/faulty-disk.js'

interface Open {
  server: TallyServer
  client: Client
  lines: string[]
}

async function open(dir: string, options: { fileSystem?: FileSystem; flushMs?: number; segmentBytes?: number } = {}): Promise<Open> {
  const { lines, log } = recordingLogger()
  const server = await startServer({
    host: '127.0.0.1',
    port: 0,
    storage: 'disk',
    dataDir: dir,
    nsupPeriodMs: 0,
    log,
    ...(options.fileSystem === undefined ? {} : { fileSystem: options.fileSystem }),
    ...(options.flushMs === undefined ? {} : { commitToDevice: false, flushMs: options.flushMs }),
    ...(options.segmentBytes === undefined ? {} : { segmentBytes: options.segmentBytes }),
  })
  return { server, client: await connect({ hosts: `127.0.0.1:${server.address.port}` }), lines }
}

async function shut(s: Open): Promise<void> {
  await s.client.close()
  await s.server.close()
}

const k = (name: string | number): Key => new Key('test', 'e', name)

t.test('flush-ms: a write that fails keeps every write acknowledged before it, across a clean stop', async (t) => {
  const dir = tempDataDir(t)
  const disk = new FaultyDisk()
  let s = await open(dir, { fileSystem: disk, flushMs: 1000 })
  for (let i = 0; i < 50; i++) await s.client.put(k(i), { v: i })
  disk.failWrite = 'ENOSPC'
  disk.freeBytes = 0
  await t.rejects(s.client.put(k('late'), { v: 1 }), { code: 8 })
  await shut(s)
  s = await open(dir)
  t.teardown(() => shut(s))
  const values = await s.client.batchGet(Array.from({ length: 50 }, (_, i) => k(i)))
  t.equal(values.filter((r, i) => r?.bins.v === i).length, 50, 'all 50 acknowledged writes')
  t.equal(await s.client.exists(k('late')), false, 'the failed one is not there')
})

t.test('a stop while the log is down says how many acknowledged changes it could not log', async (t) => {
  const dir = tempDataDir(t)
  const disk = new FaultyDisk()
  const s = await open(dir, { fileSystem: disk, flushMs: 60_000 })
  for (let i = 0; i < 5; i++) await s.client.put(k(i), { v: i })
  disk.failSync = 'EIO' // the written changes cannot be made durable...
  disk.failWrite = 'EIO' // ...nor logged again
  disk.freeBytes = 0
  await t.rejects(s.client.put(k('late'), { v: 1 }))
  await shut(s)
  t.match(s.lines.join('\n'), /ERROR 5 acknowledged changes could not be logged before stopping \(storage open failed \(EIO\)/)
})

t.test('a snapshot waits until the log holding what it saw is durable, and is dropped if the log fails', async (t) => {
  const dir = tempDataDir(t)
  const disk = new FaultyDisk()
  const s = await open(dir, { fileSystem: disk, flushMs: 60_000 })
  t.teardown(() => shut(s))
  for (let i = 0; i < 20_000; i += 1000) await s.client.batchOperate(Array.from({ length: 1000 }, (_, j) => ({ key: k(i + j), ops: [ops.write('v', 0)] })))
  // A slow device: log writes wait once the snapshot is under way; a batch changes the first and the last record.
  let release: () => void = () => {}
  let started: () => void = () => {}
  const snapshotStarted = new Promise<void>((r) => (started = r))
  disk.onOpen = (file) => {
    if (!file.endsWith('.tmp')) return
    disk.gate = new Promise((r) => (release = r))
    started()
  }
  const snapshotting = s.server.core.persistence!.snapshot()
  await snapshotStarted
  const batch = s.client.batchOperate([{ key: k(0), ops: [ops.write('v', 1)] }, { key: k(19_999), ops: [ops.write('v', 1)] }])
  await new Promise((r) => setTimeout(r, 500))
  t.notOk(fs.readdirSync(dir).some((f) => /^snapshot-\d+\.tally$/.test(f)), 'no snapshot takes the log\'s place while the log is behind')
  release()
  disk.gate = undefined
  disk.onOpen = undefined
  await batch
  await snapshotting
  t.ok(fs.readdirSync(dir).some((f) => /^snapshot-\d+\.tally$/.test(f)), 'the snapshot is in place once the log caught up')

  // The log fails while a snapshot is written: the snapshot is dropped, not kept with changes the failure undid.
  let opened: () => void = () => {}
  const tmpOpened = new Promise<void>((r) => (opened = r))
  disk.onOpen = (file) => file.endsWith('.tmp') && opened()
  disk.snapshotGate = new Promise((r) => (release = r))
  const second = s.server.core.persistence!.snapshot()
  await tmpOpened
  disk.failLogWrite = 'EIO'
  const code = await s.client.put(k(5), { v: 2 }).then(() => 0, (err: { code: number }) => err.code)
  t.equal(code, 1, 'a write during the snapshot fails with the log')
  release()
  await t.rejects(second, /the log failed while the snapshot was written/)
  t.equal(fs.readdirSync(dir).filter((f) => /^snapshot-\d+\.tally$/.test(f)).length, 1, 'only the first snapshot is in place')
  disk.failLogWrite = undefined
  disk.snapshotGate = undefined
  disk.onOpen = undefined
})

t.test('log-entry bytes inside a record value never pass for entries: a torn tail holding them is cut as torn', async (t) => {
  const dir = tempDataDir(t)
  let s = await open(dir)
  await s.client.put(k('victim'), { v: 'keep me' })
  const forged = new EntryWriter(256)
  forged.begin()
  forged.deleteBody('test', k('victim').digest)
  forged.end()
  const payload = Buffer.concat([Buffer.alloc(100, 7), forged.take(), Buffer.alloc(2000, 7)])
  await s.client.put(k('carrier'), { blob: payload })
  await shut(s)
  const [file] = segments(dir)
  const bytes = fs.readFileSync(file!)
  const at = bytes.indexOf(payload.subarray(100, 130))
  fs.truncateSync(file!, at + 200) // the append of 'carrier' was cut by a crash, past the bytes that look like an entry
  t.same(walkDataDir(dir).problems, [], 'check: the server starts')
  s = await open(dir)
  t.teardown(() => shut(s))
  t.match(s.lines.join('\n'), /WARN log segment .*: a torn tail/)
  t.same((await s.client.get(k('victim'))).bins, { v: 'keep me' }, 'the record the bytes would delete is there')
})

t.test('a segment whose successor says none of it counts is damage, not an empty segment', async (t) => {
  const dir = tempDataDir(t)
  const s = await open(dir)
  for (let i = 0; i < 20; i++) await s.client.put(k(i), { v: i })
  await shut(s)
  const last = segments(dir).at(-1)!
  const seq = Number(/(\d{10})/.exec(path.basename(last))![1])
  const header = new EntryWriter(64)
  header.marker(ENTRY.SEGMENT, seq + 1, 0) // as an interrupted repair could leave it
  fs.writeFileSync(segmentFile(dir, seq + 1), header.take())
  const problems = walkDataDir(dir).problems
  t.match(problems, [/says only 0 bytes of segment \d+ count, less than its header/])
})

t.test('two versions of one segment: repair reads one (the longer one of which the other is the start) and says so', async (t) => {
  const dir = tempDataDir(t)
  let s = await open(dir)
  await s.client.put(k('a'), { v: 1 })
  await shut(s)
  s = await open(dir)
  await s.client.put(k('a'), { v: 2 })
  const second = segments(dir).at(-1)!
  const copy = fs.readFileSync(second) // a copy taken while the server runs
  await s.client.put(k('a'), { v: 3 })
  await shut(s)
  const next = segments(dir).at(-1)!.replace(/\d{10}/, (n) => String(Number(n) + 1).padStart(10, '0'))
  fs.writeFileSync(next, copy) // the copy put back under the next number
  const report = repairDataDir(dir)
  t.ok(report.repaired)
  t.same(report.copiesDropped, [next], 'the stale copy is left out and named')
  s = await open(dir)
  t.teardown(() => shut(s))
  t.same((await s.client.get(k('a'))).bins, { v: 3 }, 'the acknowledged value, not the copy\'s')
})
