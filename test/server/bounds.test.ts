// Memory bounds across connections, over real TCP: answers held for the log or for clients that do not read,
// input buffered for unfinished frames, frames that never finish, and connections over the limit.
import type net from 'node:net'
import t from 'tap'
import { connect, Key, type Client } from '../../client/index.js'
import { computeDigest } from '../../protocol/digest.js'
import { OP } from '../../protocol/messages.js'
import { STATUS } from '../../protocol/status.js'
import { nodeFileSystem, type FileSystem } from '../../server/persist/files.js'
import type { TallyServer } from '../../server/server.js'
import { recordingLogger, tempDataDir } from '../helpers/data-dir.js'
import { frame, FrameReader } from '../helpers/frames.js'
import { rawSocket, testClient, testServer, uniqueKey } from '../helpers/server.js'

const MiB = 1024 * 1024
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Polls `done` every 20 ms for at most `ms`; true once it held. */
async function until(done: () => boolean, ms = 10_000): Promise<boolean> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await sleep(20)) if (done()) return true
  return done()
}

/** A disk whose fsyncs wait while it is held: answers then wait for the log as long as the test likes. */
function heldDisk(): { fs: FileSystem; hold(): void; release(): void } {
  let held = false
  const waiting: (() => void)[] = []
  return {
    fs: {
      ...nodeFileSystem,
      async fdatasync(fd) {
        while (held) await new Promise<void>((resolve) => waiting.push(resolve))
        return nodeFileSystem.fdatasync(fd)
      },
    },
    hold: () => (held = true),
    release() {
      held = false
      for (const resume of waiting.splice(0)) resume()
    },
  }
}

/** Seven records of 100 KiB in set `set`, and a batch read of all of them (an answer of 700 KiB). */
async function bigRecords(client: Client, set: string): Promise<(id: number) => Buffer> {
  const blob = Buffer.alloc(100 * 1024, 7)
  for (let i = 0; i < 7; i++) await client.put(new Key('test', set, i), { blob })
  const keys = Array.from({ length: 7 }, (_, i) => ['test', set, computeDigest(set, i), null])
  return (id) => frame([id, OP.BATCH_GET, keys, null])
}

const reads = (server: TallyServer): number => server.core.store.findNamespace('test')!.requestStats.client_read_success

t.test('answers held for the log are bounded per connection; the client is read again as they go out', async (t) => {
  const disk = heldDisk()
  const server = await testServer(t, { storage: 'disk', dataDir: tempDataDir(t), fileSystem: disk.fs, maxAnswerBufferBytes: MiB })
  const client = await testClient(t, server, { policy: { totalTimeoutMs: 20_000 } })
  const batchGet = await bigRecords(client, 'held')
  const BATCHES = 150 // 150 answers of 700 KiB: 105 MB held if reading went on
  const increment = frame([1, OP.INCREMENT, 'test', 'held', computeDigest('held', 'n'), null, null, 0, 0, 'n', 1])
  const slow = await rawSocket(t, server.address.port)
  slow.pause() // never reads, for now
  disk.hold()
  const before = reads(server)
  slow.write(Buffer.concat([increment, ...Array.from({ length: BATCHES }, (_, i) => batchGet(i + 2))]))
  t.ok(await until(() => server.core.buffers().answerBytes >= MiB), 'answers wait for the log')
  await sleep(300)
  const read = (reads(server) - before) / 7
  t.ok(read <= 3, `${read} of ${BATCHES} batch reads were taken in while their answers wait for the log`)
  const held = server.core.buffers().answerBytes
  t.ok(held <= 3 * MiB, `${held} answer bytes held: the bound (1 MiB) plus at most one read's answers`)

  disk.release()
  const other = uniqueKey()
  t.equal(await client.increment(other, 'n', 1), 1, 'another client is served while the slow one does not read')
  t.ok(server.core.buffers().answerBytes <= 3 * MiB, 'answers queued for the client that does not read stay bounded')

  const reader = new FrameReader(slow)
  slow.resume()
  t.match(await reader.next(), [0, 0], 'hello')
  t.match(await reader.next(10_000), [1, 0], 'the increment')
  let answered = 0
  for (let i = 0; i < BATCHES; i++) {
    const answer = (await reader.next(10_000)) as [number, number, unknown[]]
    if (answer[0] === i + 2 && answer[1] === STATUS.OK && answer[2].length === 7) answered++
  }
  t.equal(answered, BATCHES, 'once it reads, every batch is answered in order')
  t.ok(await until(() => server.core.buffers().answerBytes === 0), 'nothing is held any more')
})

t.test('answers held for all connections are bounded; clients that stopped reading longest are closed', async (t) => {
  const { lines, log } = recordingLogger()
  const server = await testServer(t, { maxAnswerBufferBytes: MiB, maxTotalAnswerBufferBytes: 4 * MiB, log })
  const client = await testClient(t, server)
  const batchGet = await bigRecords(client, 'total')
  const many = Buffer.concat(Array.from({ length: 40 }, (_, i) => batchGet(i + 1))) // 28 MB of answers each
  const SLOW = 8
  const sockets: net.Socket[] = []
  let most = 0
  for (let i = 0; i < SLOW; i++) {
    const socket = await rawSocket(t, server.address.port)
    socket.on('error', () => {})
    socket.pause()
    socket.write(many)
    sockets.push(socket)
    await sleep(50)
    most = Math.max(most, server.core.buffers().answerBytes)
  }
  t.ok(await until(() => server.core.stats.clientSlowReadersClosed >= 1), 'clients that do not read were closed')
  for (let i = 0; i < 10; i++, await sleep(20)) most = Math.max(most, server.core.buffers().answerBytes)
  t.ok(most <= 6 * MiB, `at most ${most} answer bytes held: the total bound (4 MiB) plus one write`)
  const key = uniqueKey()
  t.equal(await client.increment(key, 'n', 1), 1, 'a client that reads is served')
  // The first client to stop reading was closed; the last one is served once it reads.
  const frames = async (socket: net.Socket): Promise<number> => {
    const reader = new FrameReader(socket)
    socket.resume()
    let n = 0
    while (n < 41 && (await reader.next(10_000)) !== null) n++
    return n
  }
  t.ok((await frames(sockets[0]!)) < 41, 'the first client to stop reading was closed before all its answers')
  t.equal(await frames(sockets.at(-1)!), 41, 'the last one gets the hello and all 40 answers')

  const shed = server.core.stats.clientSlowReadersClosed
  await server.close()
  const warnings = lines.filter((l) => /connections? whose clients? (does|did) not read/.test(l))
  t.match(warnings[0], /WARN closing a connection whose client does not read its answers \(\d+ bytes held\): .*answer-buffer-total-max \(4194304 bytes\)/)
  if (shed > 1) t.match(warnings[1], new RegExp(`WARN closed ${shed - 1} more connections whose clients did not read their answers in the last \\d+ s`))
  t.equal(warnings.length, shed > 1 ? 2 : 1, `${shed} closed, logged in ${warnings.length} lines`)
})

t.test('bytes of unfinished frames are bounded over all connections; every frame is served in turn', async (t) => {
  const server = await testServer(t, { maxFrameBytes: 512 * 1024, maxTotalFrameBufferBytes: 1280 * 1024 })
  const client = await testClient(t, server)
  const CLIENTS = 8
  const SENT = 450 * 1024 // of each frame of 500 KiB and a little: 3.6 MB buffered if nothing stopped reading
  const sockets = await Promise.all(Array.from({ length: CLIENTS }, () => rawSocket(t, server.address.port)))
  const readers = sockets.map((s) => new FrameReader(s))
  const frames = sockets.map((_, i) => frame([i + 1, OP.PUT, 'test', 'frames', computeDigest('frames', i), null, null, 0, 0, ['blob', Buffer.alloc(500 * 1024, i)]]))
  sockets.forEach((s, i) => s.write(frames[i]!.subarray(0, SENT)))
  // Two frames fit in the budget; the others wait with at most one read (64 KiB) each.
  t.ok(await until(() => server.core.buffers().frameBytes >= 2 * SENT), 'the frames that fit are read')
  let most = 0
  for (let i = 0; i < 20; i++, await sleep(25)) most = Math.max(most, server.core.buffers().frameBytes)
  t.ok(most <= 1280 * 1024 + CLIENTS * 64 * 1024, `at most ${most} bytes buffered for unfinished frames`)
  t.equal(await client.increment(uniqueKey(), 'n', 1), 1, 'small requests are served meanwhile')

  sockets.forEach((s, i) => s.write(frames[i]!.subarray(SENT)))
  let stored = 0
  for (const [i, reader] of readers.entries()) {
    await reader.next() // hello
    const answer = (await reader.next(10_000)) as unknown[]
    if (answer[0] === i + 1 && answer[1] === STATUS.OK) stored++
  }
  t.equal(stored, CLIENTS, 'each frame was read once there was room, and answered')
  t.equal(server.core.buffers().frameBytes, 0)
})

t.test('a connection that stays in the middle of a frame is told so and closed', async (t) => {
  const server = await testServer(t, { frameTimeoutMs: 200, maxFrameBytes: 256 * 1024, maxTotalFrameBufferBytes: 256 * 1024 + 4 })
  const idle = await rawSocket(t, server.address.port)
  const idleReader = new FrameReader(idle)
  await idleReader.next()
  idle.write(frame([1, OP.INCREMENT, 'test', 'raw', computeDigest('raw', 'idle'), null, null, 0, 0, 'n', 1]))
  t.match(await idleReader.next(), [1, 0], 'a whole frame, then silence')

  const stalled = await rawSocket(t, server.address.port)
  const stalledReader = new FrameReader(stalled)
  await stalledReader.next()
  const big = frame([2, OP.PUT, 'test', 'raw', computeDigest('raw', 'big'), null, null, 0, 0, ['blob', Buffer.alloc(200 * 1024)]])
  stalled.write(big.subarray(0, 100 * 1024))
  t.ok(await until(() => server.core.buffers().frameBytes >= 100 * 1024), 'the first frame has room')
  const waiting = await rawSocket(t, server.address.port)
  const waitingReader = new FrameReader(waiting)
  await waitingReader.next()
  waiting.write(big.subarray(0, 100 * 1024)) // no room left in the frame budget: it waits

  t.match(await stalledReader.next(10_000), [0, STATUS.TIMEOUT, /a frame stayed unfinished for 200 ms \(\d+ of 204\d{3} bytes received\)/])
  t.equal(await stalledReader.next(10_000), null, 'closed')
  t.match(await waitingReader.next(10_000), [0, STATUS.OUT_OF_SPACE, /no room to receive a frame of 204\d{3} bytes in 200 ms: .*frame-buffer-total-max/])
  t.equal(await waitingReader.next(10_000), null, 'closed')
  t.equal(idleReader.closed, false, 'a connection between frames is not timed')
  t.equal(server.core.stats.clientFrameTimeouts, 2)
  t.equal(server.core.buffers().frameBytes, 0)
})

t.test('connections over the limit are answered with status 8, counted, and logged at a bounded rate', async (t) => {
  const { lines, log } = recordingLogger()
  const server = await testServer(t, { maxConnections: 2, log })
  const kept = await Promise.all([0, 1].map(() => rawSocket(t, server.address.port)))
  for (const socket of kept) await new FrameReader(socket).next()
  const EXTRA = 20
  let refused = 0
  for (let i = 0; i < EXTRA; i++) {
    const reader = new FrameReader(await rawSocket(t, server.address.port))
    const answer = await reader.next()
    const closed = (await reader.next()) === null
    if (Array.isArray(answer) && answer[0] === 0 && answer[1] === STATUS.OUT_OF_SPACE && closed) {
      t.match(answer[2], /^connection refused: 2 connections already \(proto-fd-max\)$/)
      refused++
    }
  }
  t.equal(refused, EXTRA, 'each connection over the limit got a connection error, status 8, and was closed')
  t.equal(server.core.stats.clientConnectionsRefused, EXTRA)
  const refusals = (): string[] => lines.filter((l) => /refused/.test(l))
  t.same(refusals(), ['WARN refused a connection from 127.0.0.1: 2 connections already (proto-fd-max)'], 'one line at once')
  await t.rejects(connect({ hosts: `127.0.0.1:${server.address.port}` }), { message: /status 8 \(OUT_OF_SPACE\) instead of a hello: connection refused: 2 connections already/ }, 'the client says why')
  const all = server.core.stats.clientConnectionsRefused
  await server.close()
  t.equal(refusals().length, 2)
  t.match(refusals()[1], new RegExp(`^WARN refused ${all - 1} more connections in the last \\d+ s: 2 connections already \\(proto-fd-max\\)$`))
})
