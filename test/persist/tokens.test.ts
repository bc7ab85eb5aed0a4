// Write tokens and the log (PROTOCOL.md §3.1, docs/durability.md): a token is logged with its change, so a retry
// after a restart or a crash gets the first answer and is not applied again; a snapshot carries the window; a retry
// that comes while its first attempt is not yet durable is told to try again; a write a storage failure undid is
// forgotten, so its retry applies it once.
import fs from 'node:fs'
import t from 'tap'
import { OP } from '../../protocol/messages.js'
import { STATUS } from '../../protocol/status.js'
import { computeDigest } from '../../protocol/digest.js'
import { startServer, type ServerOptions, type TallyServer } from '../../server/index.js'
import { walkDataDir } from '../../server/persist/data-dir-reader.js'
import { ENTRY } from '../../server/persist/entries.js'
import { runCli, startCliServer } from '../helpers/cli.js'
import { recordingLogger, segments, tempDataDir } from '../helpers/data-dir.js'
import { FaultyDisk } from '../helpers/faulty-disk.js'
import type { Teardown } from '../helpers/server.js'
import { frame } from '../helpers/frames.js'
import { afterId, header, increment, newClient, RawConnection } from '../helpers/tokens.js'

let keys = 0
const digestOf = (): Buffer => computeDigest('tokens', `p${process.pid}-${++keys}`)

async function open(t: Teardown, dir: string, options: ServerOptions = {}): Promise<{ server: TallyServer; c: RawConnection }> {
  const server = await startServer({ host: '127.0.0.1', port: 0, storage: 'disk', dataDir: dir, nsupPeriodMs: 0, log: recordingLogger().log, ...options })
  t.teardown(() => server.close())
  return { server, c: (await RawConnection.open(t, server.address.port)).connection }
}

t.test('a restart between a write and its retry: the retry gets the first answer, the write is applied once', async (t) => {
  const dir = tempDataDir(t)
  const client = newClient()
  const digest = digestOf()
  let s = await open(t, dir)
  const first = await s.c.send(increment(1, digest, 5, client, 1, false))
  t.same(first.message, [1, 0, 1, -1, 5])
  const batch = [2, OP.BATCH_OPERATE, [['test', 'tokens', digest, null, null, 0, 0, [[5, 'n', 1], [1, 'n']]]], [client, 2, false]]
  const saved = await s.c.send(batch)
  t.same(saved.message, [2, 0, [[2, -1, [6]]]])
  await s.server.close()
  const entries = walkDataDir(dir).files.reduce((n, f) => n + f.entries, 0)
  t.ok(entries >= 3, 'logged')
  s = await open(t, dir)
  const retry = await s.c.send(increment(50, digest, 5, client, 1, true))
  t.same(afterId(retry.bytes), afterId(first.bytes), 'the first answer, after the restart')
  t.same(afterId((await s.c.send([51, ...batch.slice(1, 3), [client, 2, true]])).bytes), afterId(saved.bytes))
  t.same((await s.c.send([...header(3, OP.GET, digest), null])).message, [3, 0, 2, -1, ['n', 6]], 'generation moved once per write')
})

t.test('SIGKILL under commit-to-device between a write and its retry: answered from the log', async (t) => {
  const dir = tempDataDir(t)
  const args = ['--storage', 'disk', '--data-dir', dir, '--log-level', 'warn']
  const client = newClient()
  const digest = digestOf()
  let server = await startCliServer(t, args)
  let c = (await RawConnection.open(t, server.port)).connection
  const answers = []
  for (let seq = 1; seq <= 20; seq++) answers.push(await c.send(increment(seq, digest, seq, client, seq, false)))
  server.child.kill('SIGKILL')
  await server.exited
  server = await startCliServer(t, args)
  c = (await RawConnection.open(t, server.port)).connection
  let same = 0
  for (let seq = 1; seq <= 20; seq++) if (afterId((await c.send(increment(100 + seq, digest, seq, client, seq, true))).bytes).equals(afterId(answers[seq - 1]!.bytes))) same++
  t.equal(same, 20, 'every retry answered as the first time')
  t.same((await c.send([...header(3, OP.GET, digest), null])).message, [3, 0, 20, -1, ['n', 210]])
  server.child.kill('SIGTERM')
  t.equal(await server.exited, 0)
})

t.test('a snapshot carries the window: retries are answered once the log before it is gone', async (t) => {
  const dir = tempDataDir(t)
  const client = newClient()
  const digest = digestOf()
  let s = await open(t, dir)
  const first = await s.c.send(increment(1, digest, 1, client, 1, false))
  const failed = await s.c.send([...header(2, OP.PUT, digest, 1), ['n', 0], [client, 2, false]]) // create: exists
  t.match(failed.message, [2, STATUS.RECORD_EXISTS])
  await s.server.core.persistence!.snapshot()
  t.equal(segments(dir).length, 1, 'the segments before the snapshot are gone')
  t.notOk(fs.readFileSync(segments(dir)[0]!).includes(Buffer.from(client)), 'the token is only in the snapshot')
  await s.server.close()
  s = await open(t, dir)
  t.same(afterId((await s.c.send(increment(3, digest, 1, client, 1, true))).bytes), afterId(first.bytes))
  // A failure is remembered in memory only: after a restart the retry runs again, and fails the same way.
  t.match((await s.c.send([...header(4, OP.PUT, digest, 1), ['n', 0], [client, 2, true]])).message, [4, STATUS.RECORD_EXISTS])
  await s.server.close()
  const check = await runCli(['check', '--data-dir', dir])
  t.equal(check.code, 0, check.stdout)
  const walk = walkDataDir(dir)
  t.same(walk.problems, [])
  t.ok(walk.files.some((f) => f.kind === 'snapshot' && f.entries >= 3), 'records and window entries in the snapshot')
})

t.test('a retry while the first attempt waits for its fsync is told to try again; a write a failure undid is applied by its retry, once', async (t) => {
  const dir = tempDataDir(t)
  const disk = new FaultyDisk()
  const s = await open(t, dir, { fileSystem: disk })
  const client = newClient()
  const digest = digestOf()
  t.equal((await s.c.send(increment(1, digest, 1, client, 1, false))).message[1], 0)
  let release!: () => void
  disk.gate = new Promise<void>((resolve) => (release = resolve))
  const { connection: other } = await RawConnection.open(t, s.server.address.port)
  s.c.socket.write(frame(increment(2, digest, 10, client, 2, false)))
  await new Promise((r) => setTimeout(r, 100)) // applied, its log write held at the gate
  // Its retry: like every answer, held until what was logged before it is durable; then it says to try again.
  other.socket.write(frame(increment(3, digest, 10, client, 2, true)))
  await new Promise((r) => setTimeout(r, 100))
  disk.failLogWrite = 'EIO'
  disk.gate = undefined
  release()
  t.match((await s.c.next()).message, [2, STATUS.SERVER_ERROR, /not applied/], 'the first attempt failed and was undone')
  t.match((await other.next()).message, [3, STATUS.KEY_BUSY, /not yet durable/], 'not answered as applied')
  disk.failLogWrite = undefined
  let answer: unknown[] = []
  for (let i = 0; i < 100 && answer[1] !== 0; i++) {
    answer = (await other.send(increment(4, digest, 10, client, 2, true))).message
    if (answer[1] !== 0) await new Promise((r) => setTimeout(r, 50)) // the log reopens
  }
  t.same(answer, [4, 0, 2, -1, 11], 'the retry applied it, once')
  t.same((await other.send(increment(5, digest, 10, client, 2, true))).message, [5, 0, 2, -1, 11], 'and then answers it')
  t.same((await other.send([...header(6, OP.GET, digest), null])).message, [6, 0, 2, -1, ['n', 11]], 'there, once')
  t.equal(walkDataDir(dir).problems.length, 0)
})

t.test('old logs (no tokens) and new ones are read alike; check counts the changes inside token entries', async (t) => {
  const dir = tempDataDir(t)
  const digest = digestOf()
  let s = await open(t, dir)
  await s.c.send([...header(1, OP.PUT, digest), ['n', 1]])
  await s.c.send(increment(2, digest, 1, newClient(), 1, false))
  await s.server.close()
  const walk = walkDataDir(dir, { onChange: () => {} })
  const segment = walk.files.find((f) => f.kind === 'segment')!
  t.equal(segment.changes, 2, 'a plain write and a token entry, one change each')
  const types: number[] = []
  walkDataDir(dir, { onChange: (entry) => void types.push(entry.type) })
  t.same(types, [ENTRY.WRITE, ENTRY.TOKEN])
  s = await open(t, dir)
  t.same((await s.c.send([...header(3, OP.GET, digest), null])).message, [3, 0, 2, -1, ['n', 2]])
})
