// Bad input over TCP: every field of every request fuzzed gets an answer with a status, never 1 (internal error);
// error messages stay short whatever they were given; a real internal error is logged with its stack at most once
// per interval, however often it happens.
import t from 'tap'
import { computeDigest } from '../../protocol/digest.js'
import { MAX_MESSAGE_BYTES } from '../../protocol/errors.js'
import { encodeFrame } from '../../protocol/frame.js'
import { OP } from '../../protocol/messages.js'
import { MsgpackReader } from '../../protocol/msgpack-reader.js'
import { FrameWriter } from '../../protocol/msgpack-writer.js'
import { writeInfoRequest } from '../../protocol/request-codec.js'
import { STATUS } from '../../protocol/status.js'
import { dispatch, STACK_TRACE_INTERVAL_MS } from '../../server/dispatch.js'
import type { Logger } from '../../server/log.js'
import { Store } from '../../server/store/store.js'
import { ServerStats } from '../../server/stats.js'
import { frame, FrameReader } from '../helpers/frames.js'
import { fuzzedRequest, seededRandom } from '../helpers/fuzz.js'
import { createPacker, createUnpacker } from '../helpers/msgpackr.js'
import { rawSocket, testClient, testServer, uniqueKey } from '../helpers/server.js'

/** A logger that keeps its error lines. */
function recordingLogger(): Logger & { errors: string[] } {
  const errors: string[] = []
  return { errors, debug() {}, info() {}, warn() {}, error: (line) => errors.push(line) }
}

t.test('fuzz over TCP: every fuzzed frame is answered, none with status 1, none with a long message', async (t) => {
  const log = recordingLogger()
  const server = await testServer(t, { log })
  const packer = createPacker()
  const seed = Date.now() >>> 0
  t.comment(`seed ${seed}`)
  const random = seededRandom(seed)
  const CONNECTIONS = 4
  const FRAMES = 1500 // per connection
  const statuses = new Map<number, number>()
  let longMessages = 0
  let answers = 0
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      const socket = await rawSocket(t, server.address.port)
      const reader = new FrameReader(socket, { mapsAsObjects: false })
      const [, , hello] = (await reader.next()) as [number, number, Map<string, number>]
      for (let sent = 0; sent < FRAMES; sent += 100) {
        const frames: Buffer[] = []
        for (let i = 0; i < 100; i++) {
          const body = Buffer.from(packer.pack(fuzzedRequest(random)))
          if (random() < 0.2) body[Math.floor(random() * body.length)] = Math.floor(random() * 256)
          frames.push(encodeFrame(body))
        }
        socket.write(Buffer.concat(frames))
        for (let i = 0; i < 100; i++) {
          const answer = (await reader.next(10_000)) as unknown[]
          answers++
          const status = answer[1] as number
          statuses.set(status, (statuses.get(status) ?? 0) + 1)
          if (status !== STATUS.OK && Buffer.byteLength(String(answer[2])) > MAX_MESSAGE_BYTES) longMessages++
        }
      }
      t.ok(hello.get('maxFrameBytes')! > 0)
    }),
  )
  t.comment(`statuses: ${JSON.stringify(Object.fromEntries(statuses))}`)
  t.equal(answers, CONNECTIONS * FRAMES, 'one answer per frame')
  t.equal(statuses.get(STATUS.SERVER_ERROR) ?? 0, 0, 'no internal errors')
  t.ok((statuses.get(STATUS.PARAMETER) ?? 0) > answers / 2, 'most are status 4')
  t.equal(longMessages, 0, `no message over ${MAX_MESSAGE_BYTES} bytes`)
  t.same(log.errors, [], 'nothing in the error log')
  const client = await testClient(t, server)
  t.equal(await client.increment(uniqueKey(), 'n', 1), 1, 'the server still answers')
})

t.test('error messages are short, whatever they echo, and answers fit the frame limit', async (t) => {
  const server = await testServer(t)
  const socket = await rawSocket(t, server.address.port)
  const reader = new FrameReader(socket)
  await reader.next()
  const digest = computeDigest('s', 'k')
  const huge = 'x'.repeat(7_000_000)
  // A 7 MB bytes op code got a 29 MB message, past the frame limit the hello states.
  const cases: [unknown[], number, RegExp][] = [
    [[1, Buffer.alloc(7_000_000, 1)], STATUS.PARAMETER, /^unknown op 7000000 bytes$/],
    [[2, OP.GET, huge, 's', digest, null, null, 0, 0, null], STATUS.NAMESPACE, /^namespace 'x{64}…' does not exist$/],
    [[3, OP.PUT, 'test', 's', digest, null, null, 0, 0, [huge, 1]], STATUS.BIN_NAME, /^bin name 'x{64}…' is longer than 15 bytes$/],
  ]
  for (const [message, status, pattern] of cases) {
    socket.write(frame(message))
    const answer = (await reader.next(30_000)) as [number, number, string]
    t.same(answer.slice(0, 2), [message[0], status])
    t.match(answer[2], pattern)
    t.ok(Buffer.byteLength(answer[2]) <= MAX_MESSAGE_BYTES)
  }
  socket.write(frame([4, OP.BATCH_GET, Array.from({ length: 2000 }, () => ['x'.repeat(3000), null, digest]), null]))
  const [id, status, items] = (await reader.next(30_000)) as [number, number, [number, string][]]
  t.same([id, status, items.length], [4, STATUS.OK, 2000], 'a BATCH_GET answers every key')
  t.ok(items.every(([code, text]) => code === STATUS.NAMESPACE && Buffer.byteLength(text) < 100), 'each with a short message')
})

t.test('an internal error is status 1; its stack is logged once per interval, the others counted', async (t) => {
  const log = recordingLogger()
  const store = new Store({ namespaces: [{ name: 'test', nsupPeriodMs: 0 }] })
  const context = {
    store,
    limits: { maxFrameBytes: 1024 * 1024, maxBatchKeys: 10 },
    info: (): string => {
      throw new Error(`a bug: ${'detail '.repeat(200)}`)
    },
  }
  const w = new FrameWriter()
  w.begin()
  writeInfoRequest(w, 9, ['status'])
  w.end()
  const request = w.take()
  const r = new MsgpackReader({ mapsAsObjects: false })
  const unpacker = createUnpacker({ mapsAsObjects: false })
  const tally = new ServerStats(['test']).tally()
  const run = (): unknown[] => {
    dispatch(context, request, 4, request.length, r, w, log, tally)
    return unpacker.unpack(w.take().subarray(4)) as unknown[]
  }
  const FAILURES = 1000
  let internal = 0
  for (let i = 0; i < FAILURES; i++) {
    const [id, status, message] = run() as [number, number, string]
    if (id === 9 && status === STATUS.SERVER_ERROR && /^internal error: a bug/.test(message) && Buffer.byteLength(message) <= MAX_MESSAGE_BYTES) internal++
  }
  t.equal(internal, FAILURES, 'every one answered with status 1 and a short message')
  t.equal(log.errors.length, 1, 'one stack in the log')
  t.match(log.errors[0], /request 9 failed unexpectedly: Error: a bug[^]*\n\s+at /)
  const realNow = Date.now
  Date.now = () => realNow() + STACK_TRACE_INTERVAL_MS
  try {
    run()
  } finally {
    Date.now = realNow
  }
  t.equal(log.errors.length, 2, 'the next interval logs the next one')
  t.match(log.errors[1], new RegExp(`\\(${FAILURES - 1} more internal errors since the last one logged\\)`))
  t.equal(run()[1], STATUS.SERVER_ERROR, 'and then counts again')
  t.equal(log.errors.length, 2)
})
