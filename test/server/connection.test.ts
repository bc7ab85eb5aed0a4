// The wire, spoken raw: hello, pipelining, one write per read, bad input answered with status 4 while the
// connection (and everyone else) carries on, broken framing closing only that connection, and backpressure.
import net from 'node:net'
import { Duplex } from 'node:stream'
import t from 'tap'
import { BIN_OP, OP, PROTOCOL_VERSION } from '../../protocol/messages.js'
import { STATUS } from '../../protocol/status.js'
import { FrameDecoder } from '../../protocol/frame.js'
import { computeDigest } from '../../protocol/digest.js'
import type { ServerConnection } from '../../server/connection.js'
import { ServerCore } from '../../server/server.js'
import { frame, FrameReader } from '../helpers/frames.js'
import { rawSocket, testClient, testServer, uniqueKey } from '../helpers/server.js'

const digest = (key: string): Buffer => computeDigest('raw', key)
const request = (id: number, op: number, key: string, ...args: unknown[]): unknown[] => [id, op, 'test', 'raw', digest(key), null, null, 0, 0, ...args]

/** A list nested `depth` deep. */
function nested(depth: number): unknown[] {
  let value: unknown[] = [1]
  for (let i = 1; i < depth; i++) value = [value]
  return value
}

/** A duplex that records every write the server makes. */
class RecordingStream extends Duplex {
  readonly writes: Buffer[] = []
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.writes.push(chunk)
    done()
  }
  override _read(): void {}
}

t.test('the server core serves any duplex stream, one write per read batch', async (t) => {
  const core = await ServerCore.open({ storage: 'memory', nsupPeriodMs: 0 })
  t.teardown(() => core.close())
  const stream = new RecordingStream()
  core.handle(stream)
  t.equal(stream.writes.length, 1, 'the hello')
  const batch = Buffer.concat(Array.from({ length: 50 }, (_, i) => frame(request(i + 1, OP.INCREMENT, 'n', 'n', 1))))
  stream.push(batch)
  await new Promise((r) => setImmediate(r))
  t.equal(stream.writes.length, 2, '50 answers, one write')
  const decoder = new FrameDecoder()
  decoder.push(stream.writes[1]!)
  let count = 0
  while (decoder.next() !== null) count++
  t.equal(count, 50)
})

t.test('raw protocol over TCP', async (t) => {
  const server = await testServer(t)
  const port = server.address.port

  t.test('hello first, then pipelined answers matched by id', async (t) => {
    const socket = await rawSocket(t, port)
    const reader = new FrameReader(socket)
    const hello = await reader.next()
    t.match(hello, [0, 0, { protocol: PROTOCOL_VERSION, maxFrameBytes: 8 * 1024 * 1024, maxRecordBytes: 1024 * 1024, server: /^tally\// }])
    socket.write(Buffer.concat(Array.from({ length: 100 }, (_, i) => frame(request(i + 1, OP.INCREMENT, 'p', 'n', 1)))))
    for (let i = 1; i <= 100; i++) t.match(await reader.next(), [i, 0, i, -1, i])
  })

  t.test('bad input is status 4 naming the problem, and the connection carries on', async (t) => {
    const socket = await rawSocket(t, port)
    const reader = new FrameReader(socket)
    await reader.next()
    const cases: [Buffer, number, RegExp][] = [
      [Buffer.from([0, 0, 0, 3, 0x93, 0x05, 0xc1]), 5, /malformed msgpack/],
      [Buffer.from([0, 0, 0, 2, 0x93, 0x06]), 6, /malformed msgpack/],
      [Buffer.from([0, 0, 0, 0]), 0, /malformed msgpack/],
      [frame([7, 99]), 7, /unknown op 99/],
      [frame(request(8, OP.GET, 'x', 'all')), 8, /bin names must be an array/],
      [frame([9, OP.GET, 'test', 'raw', Buffer.alloc(3), null, null, 0, 0, null]), 9, /digest must be 20 bytes/],
      [frame(request(10, OP.PUT, 'x', ['a', new Date(0)])), 10, /extension type -1 .* not supported/],
      [frame(request(11, OP.INCREMENT, 'x', 'n', 'one')), 11, /offset must be an int64 or a double/],
      [frame(request(12, OP.OPERATE, 'x', [])), 12, /at least one op/],
      [frame(request(13, OP.PUT, 'x', ['a'])), 13, /name, value pairs/],
      [frame(request(14, OP.PUT, 'x', [1, 2])), 14, /bin name 0 is not a string/],
      [frame([15, OP.BATCH_GET, Array.from({ length: 5001 }, () => ['test', null, digest('x'), null]), null]), 15, /more than the limit of 5000/],
      [frame(request(16, OP.PUT, 'x', ['a', nested(70)])), 16, /nest deeper than 64/],
      [frame(request(17, OP.PUT, 'x', ['a', nested(40)])), 17, /bin 'a': lists and maps nest deeper than 32/],
    ]
    for (const [bytes, id, pattern] of cases) {
      socket.write(bytes)
      const [gotId, status, message] = (await reader.next()) as [number, number, string]
      t.equal(gotId, id, `id for ${pattern}`)
      t.equal(status, STATUS.PARAMETER)
      t.match(message, pattern)
    }
    socket.write(frame(request(99, OP.PUT, 'fine', ['a', 1])))
    t.match(await reader.next(), [99, 0, 1, -1], 'still serving')
  })

  t.test('a frame over the limit ends that connection only, after saying why', async (t) => {
    const client = await testClient(t, server)
    const key = uniqueKey()
    await client.put(key, { a: 1 })
    const socket = await rawSocket(t, port)
    const reader = new FrameReader(socket)
    await reader.next()
    socket.write(Buffer.from([0x7f, 0xff, 0xff, 0xff]))
    t.match(await reader.next(), [0, STATUS.PARAMETER, /exceeds the limit/])
    t.equal(await reader.next(), null, 'closed')
    t.equal((await client.get(key)).bins.a, 1, 'other clients are unaffected')
  })

  t.test('random bytes from many connections never take the server down', async (t) => {
    for (let i = 0; i < 30; i++) {
      const socket = await rawSocket(t, port)
      socket.on('error', () => {})
      const junk = Buffer.from(Array.from({ length: 1 + Math.floor(Math.random() * 200) }, () => Math.floor(Math.random() * 256)))
      if (i % 3 === 0 && junk.length >= 4) junk.writeUInt32BE(Math.floor(Math.random() * 50), 0) // a plausible length, random body
      socket.end(junk)
    }
    await new Promise((r) => setTimeout(r, 100))
    const client = await testClient(t, server)
    const key = uniqueKey()
    t.equal(await client.increment(key, 'n', 1), 1)
  })

  t.test('a client that half-closes in the middle of a frame is told so, and the connection closes', async (t) => {
    const socket = await rawSocket(t, port)
    const reader = new FrameReader(socket)
    await reader.next()
    const whole = frame(request(1, OP.INCREMENT, 'mid', 'n', 1))
    socket.end(Buffer.concat([whole, whole.subarray(0, 7)]))
    t.match(await reader.next(), [1, 0, 1, -1, 1], 'the whole frame is answered')
    t.match(await reader.next(), [0, STATUS.PARAMETER, /ended in the middle of a frame/])
    t.equal(await reader.next(), null, 'closed')
  })

  t.test('a client that half-closes still gets every answer', async (t) => {
    const socket = await rawSocket(t, port)
    const reader = new FrameReader(socket)
    await reader.next()
    socket.end(Buffer.concat(Array.from({ length: 20 }, (_, i) => frame(request(i + 1, OP.INCREMENT, 'half', 'n', 1)))))
    let answers = 0
    while ((await reader.next()) !== null) answers++
    t.equal(answers, 20)
  })
})

t.test('a client that stops reading stops being read from; memory stays bounded', async (t) => {
  const core = await ServerCore.open({ storage: 'memory', nsupPeriodMs: 0 })
  const connections: ServerConnection[] = []
  const listener = net.createServer((socket) => connections.push(core.handle(socket)))
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r))
  t.teardown(async () => {
    await core.close()
    await new Promise((r) => listener.close(r))
  })
  const port = (listener.address() as net.AddressInfo).port
  const writer = await rawSocket(t, port)
  const writerReader = new FrameReader(writer)
  await writerReader.next()
  writer.write(frame(request(1, OP.PUT, 'big', ['blob', Buffer.alloc(64 * 1024, 1)])))
  t.match(await writerReader.next(), [1, 0])

  const slow = await rawSocket(t, port)
  slow.pause() // never reads
  const REQUESTS = 4000 // 4000 x 64 KiB = 250 MiB of answers if the server did not stop
  const requests = Buffer.concat(Array.from({ length: REQUESTS }, (_, i) => frame(request(i + 1, OP.GET, 'big', null))))
  slow.write(requests)
  await new Promise((r) => setTimeout(r, 500))
  const stuck = connections[1]!
  t.ok(stuck.requests < REQUESTS, `stopped after ${stuck.requests} of ${REQUESTS} requests`)
  t.ok(stuck.bufferedOutputBytes < 16 * 1024 * 1024, `${stuck.bufferedOutputBytes} bytes queued for the stuck client`)

  writer.write(frame(request(2, OP.OPERATE, 'other', [[BIN_OP.INCR, 'n', 1], [BIN_OP.READ, 'n']])))
  t.match(await writerReader.next(), [2, 0, 1, -1, [1]], 'others are still served')

  const reader = new FrameReader(slow)
  slow.resume()
  let answers = 0
  while (answers < REQUESTS && (await reader.next(10_000)) !== null) answers++
  t.equal(answers, REQUESTS, 'once it reads again, every request is answered')
})
