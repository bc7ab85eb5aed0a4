// A scan's flow control over a raw socket (PROTOCOL.md §4.11): the server sends no more frames than the client
// granted, stops when the client stops reading (holding about one frame, however large the namespace), carries on
// when it reads again, ends with a last frame when asked to stop, and bounds the scans of one connection.
import type net from 'node:net'
import t from 'tap'
import { Key, type Client } from '../../client/index.js'
import { FrameDecoder } from '../../protocol/frame.js'
import { OP } from '../../protocol/messages.js'
import { STATUS } from '../../protocol/status.js'
import { frame } from '../helpers/frames.js'
import { createUnpacker } from '../helpers/msgpackr.js'
import { rawSocket, serverAndClient } from '../helpers/server.js'

const RECORDS = 20_000
const unpacker = createUnpacker({ mapsAsObjects: true })

async function until(done: () => boolean, ms = 20_000): Promise<boolean> {
  const deadline = Date.now() + ms
  while (!done()) {
    if (Date.now() > deadline) return false
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return true
}

/** Records of about 2 KiB each, so that a scan's answers are far larger than the socket buffers. */
async function load(client: Client, count: number): Promise<void> {
  const text = 'x'.repeat(2000)
  for (let from = 0; from < count; from += 1000) {
    const wave: Promise<unknown>[] = []
    for (let i = from; i < Math.min(count, from + 1000); i++) wave.push(client.put(new Key('test', 'big', i), { n: i, text }))
    await Promise.all(wave)
  }
}

/** Messages from a socket, decoded, as they come. `grant`: each frame of scan `grant` read grants it one more. */
function messages(socket: net.Socket, grant?: number): { list: unknown[][] } {
  const decoder = new FrameDecoder(64 * 1024 * 1024)
  const out = { list: [] as unknown[][] }
  socket.on('data', (chunk: Buffer) => {
    decoder.push(chunk)
    for (let body = decoder.next(); body !== null; body = decoder.next()) {
      const message = unpacker.unpack(body) as unknown[]
      out.list.push(message)
      if (message[0] === grant && message[4] === false) socket.write(frame([grant, OP.SCAN, 1]))
    }
  })
  return out
}

const scanFrames = (list: unknown[][], id: number): unknown[][] => list.filter((m) => m[0] === id)
const recordsIn = (frames: unknown[][]): number => frames.reduce((n, f) => n + ((f[2] as unknown[] | undefined)?.length ?? 0), 0)

t.test('a client that stops reading stops the scan: the server holds about one frame, then goes on', async (t) => {
  const { server, client } = await serverAndClient(t)
  await load(client, RECORDS)
  const socket = await rawSocket(t, server.address.port)
  const got = messages(socket, 5)
  t.ok(await until(() => got.list.length === 1), 'hello')
  // All the credit there is, granted again and again, and nothing read: only the connection's backpressure holds it.
  socket.write(frame([5, OP.SCAN, 'test', 'big', null, null, 0, 16, 10_000]))
  for (let i = 0; i < 100; i++) socket.write(frame([5, OP.SCAN, 16]))
  socket.pause()
  t.ok(await until(() => server.core.buffers().answerBytes > 0), 'the socket filled up: the server holds answers')
  let held = 0
  for (let i = 0; i < 50; i++) {
    held = Math.max(held, server.core.buffers().answerBytes)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  const totalBytes = RECORDS * 2000
  t.ok(held <= 400 * 1024, `at most ${held} bytes held of a ${totalBytes}-byte scan (a frame is cut at 256 KiB)`)
  socket.resume()
  t.ok(await until(() => got.list.some((m) => m[0] === 5 && m[4] === true), 60_000), 'the scan ends once the client reads')
  const frames = scanFrames(got.list, 5)
  t.equal(recordsIn(frames), RECORDS, 'every record, once the client read again')
  t.ok(await until(() => server.core.buffers().answerBytes === 0), 'nothing is held any more')
})

t.test('credit: the server sends the frames granted, no more; 0 stops the scan with a last frame', async (t) => {
  const { server, client } = await serverAndClient(t)
  await load(client, 2000)
  const socket = await rawSocket(t, server.address.port)
  const got = messages(socket)
  socket.write(frame([7, OP.SCAN, 'test', 'big', ['n'], null, 0, 2, 10]))
  t.ok(await until(() => scanFrames(got.list, 7).length === 2), 'the two frames of the first credit')
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.equal(scanFrames(got.list, 7).length, 2, 'and no third before a grant')
  t.equal(recordsIn(scanFrames(got.list, 7)), 20, 'ten records a frame')
  socket.write(frame([7, OP.SCAN, 1]))
  t.ok(await until(() => scanFrames(got.list, 7).length === 3), 'one more frame per frame granted')
  socket.write(frame([7, OP.SCAN, 0]))
  t.ok(await until(() => scanFrames(got.list, 7).length === 4), 'a last frame after the stop')
  const last = scanFrames(got.list, 7)[3]!
  t.same([last[1], (last[2] as unknown[]).length, last[4]], [STATUS.OK, 0, true], 'done, with no records')
  socket.write(frame([7, OP.SCAN, 1]))
  socket.write(frame([8, OP.INFO, ['status']]))
  t.ok(await until(() => got.list.some((m) => m[0] === 8)), 'a grant to a scan that ended gets no answer; the connection serves on')
  t.equal(scanFrames(got.list, 7).length, 4)
})

t.test('one connection runs at most 8 scans; an id already scanning is refused; both with status 4', async (t) => {
  const { server, client } = await serverAndClient(t)
  await load(client, 2000)
  const socket = await rawSocket(t, server.address.port)
  const got = messages(socket)
  for (let id = 1; id <= 9; id++) socket.write(frame([id, OP.SCAN, 'test', null, [], null, 0, 1, 1]))
  socket.write(frame([3, OP.SCAN, 'test', null, [], null, 0, 1, 1]))
  t.ok(await until(() => got.list.filter((m) => m[1] !== STATUS.OK).length === 2), 'two refusals')
  const refused = got.list.filter((m) => m[1] !== STATUS.OK)
  t.same(refused.map((m) => [m[0], m[1]]), [[9, STATUS.PARAMETER], [3, STATUS.PARAMETER]])
  t.match(refused[0]![2], /8 scans are already running/)
  t.match(refused[1]![2], /already a scan in progress/)
  t.ok(await until(() => new Set(got.list.filter((m) => m[1] === STATUS.OK && Number(m[0]) >= 1 && Number(m[0]) <= 8).map((m) => m[0])).size === 8), 'the 8 scans each sent their frame')
})
