// What write tokens cost (docs/PERFORMANCE.md): the server's CPU per increment with tokens and without, interleaved
// in one process (bench/ab.ts, no sockets); the window's memory per remembered write, from the heap; and through
// sockets and the client, throughput and server CPU (from /proc) against a server with a window and one without
// (whose clients send no tokens), in alternating rounds.
//   node --expose-gc dist/bench/tokens-cost.js [--reps 9] [--requests 200000] [--rounds 6] [--seconds 3] [--depth 256]
//     [--parts 1,2,3]   (1: CPU in process, 2: memory, 3: through the client; a profile wants `--parts 1`)
import { randomBytes } from 'node:crypto'
import { Duplex } from 'node:stream'
import { connect, Key } from '../client/index.js'
import { OP } from '../protocol/messages.js'
import { FrameDecoder } from '../protocol/frame.js'
import { MsgpackReader } from '../protocol/msgpack-reader.js'
import { FrameWriter } from '../protocol/msgpack-writer.js'
import { writeRecordHeader } from '../protocol/record-request.js'
import { writeInfoRequest } from '../protocol/request-codec.js'
import { readInfoResponse, readResponseHead } from '../protocol/response-codec.js'
import { ServerCore } from '../server/server.js'
import { abRatios, keptValue, median, option, type Variant } from './ab.js'
import { cpuSeconds, startTally, stop, type Running } from './processes.js'

const REPS = Number(option('reps', '9'))
const REQUESTS = Number(option('requests', '200000'))
const ROUNDS = Number(option('rounds', '6'))
const SECONDS = Number(option('seconds', '3'))
const DEPTH = Number(option('depth', '256'))
const PARTS = new Set(option('parts', '1,2,3').split(',').map(Number))
const PER_CHUNK = 16
const CHUNKS = 4096
const KEYS = 100_000

const keys = Array.from({ length: KEYS }, (_, i) => new Key('test', 'bench', i))

/** Writes a client has open at once in these runs: each token says the ones this far behind it are settled. */
const OPEN = 256

/** How the increments carry tokens: none, the tokens clients send, or those of older clients (no settledBelow). */
type Tokens = 'none' | 'settled' | 'older'

/**
 * Chunks of PER_CHUNK increments of bin b by 1 on random keys, as the client sends them; with tokens, each carries
 * one whose seq (a uint32), and settledBelow after it, are written in place before the chunk is sent again, so that
 * every write is new.
 */
function chunks(tokens: Tokens, pickKey: () => Key): { chunks: Buffer[]; seqAt: number[][] } {
  const client = randomBytes(8)
  const seqAt: number[][] = []
  const list = Array.from({ length: CHUNKS }, (_, c) => {
    const w = new FrameWriter()
    const at: number[] = []
    for (let i = 0; i < PER_CHUNK; i++) {
      const key = pickKey()
      w.begin()
      writeRecordHeader(w, c * PER_CHUNK + i + 1, OP.INCREMENT, tokens === 'none' ? 3 : 4, key.ns, key.set, key.digest, null, null, 0, 0)
      w.value('b')
      w.value(1)
      w.value(null)
      if (tokens !== 'none') {
        w.array(tokens === 'settled' ? 4 : 3)
        w.bin(client)
        at.push(w.length + 1)
        w.raw(Buffer.from([0xce, 0, 0, 0, 0]))
        w.bool(false)
        if (tokens === 'settled') w.raw(Buffer.from([0xce, 0, 0, 0, 0]))
      }
      w.end()
    }
    seqAt.push(at)
    return w.take()
  })
  return { chunks: list, seqAt }
}

/** A server core serving one in-memory stream; `run(n)` feeds it n increments and counts answer bytes. */
async function variant(name: string, tokens: Tokens, pickKey: () => Key): Promise<Variant & { core: ServerCore; statistics(command?: string): Promise<Map<string, number>> }> {
  const core = await ServerCore.open({ storage: 'memory', tickerIntervalMs: 0, nsupPeriodMs: 0, frameTimeoutMs: 0, namespaces: [{ name: 'test' }] })
  const { chunks: list, seqAt } = chunks(tokens, pickKey)
  let answered = 0
  let last: Buffer = Buffer.alloc(0)
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, done) {
      answered += chunk.length
      last = chunk
      done()
    },
  })
  core.handle(stream)
  let next = 0
  let seq = 0
  // What a variant does not send goes to a scratch buffer, so that every variant does the same work here.
  const scratch = Buffer.alloc(4)
  return {
    name,
    core,
    // `info <command>` (default `statistics`) on the stream, as name -> number.
    async statistics(command = 'statistics') {
      const w = new FrameWriter()
      w.begin()
      writeInfoRequest(w, 1, [command])
      w.end()
      stream.emit('data', w.take())
      await new Promise((resolve) => setTimeout(resolve, 50))
      const decoder = new FrameDecoder()
      decoder.push(last)
      const r = new MsgpackReader({ mapsAsObjects: true }).reset(decoder.next()!)
      const head = { id: 0, status: 0, fields: 0 }
      readResponseHead(r, head)
      const [[, text]] = readInfoResponse(r, head.fields) as [string, string][]
      return new Map(text!.split(';').map((pair) => pair.split('=')).map(([k, v]) => [k!, Number(v)]))
    },
    run: (n) => {
      for (let i = 0; i < n; i += PER_CHUNK) {
        const c = next++ % CHUNKS
        const chunk = list[c]!
        const at = seqAt[c]!
        for (let k = 0; k < PER_CHUNK; k++) {
          const settledBelow = Math.max(0, ++seq - OPEN)
          ;(tokens === 'none' ? scratch : chunk).writeUInt32BE(seq & 0xffff_ffff, tokens === 'none' ? 0 : at[k]!)
          ;(tokens === 'settled' ? chunk : scratch).writeUInt32BE(settledBelow & 0xffff_ffff, tokens === 'settled' ? at[k]! + 6 : 0)
        }
        stream.emit('data', chunk)
      }
      return answered
    },
  }
}

const randomKey = (): Key => keys[Math.floor(Math.random() * KEYS)]!

// 1. Server CPU per increment, interleaved.
async function inProcess(): Promise<void> {
  const plain = await variant('without tokens', 'none', randomKey)
  const tokened = await variant(`with tokens (${OPEN} open)`, 'settled', randomKey)
  const older = await variant('with tokens of older clients (no settledBelow)', 'older', randomKey)
  const results = abRatios([plain, tokened, older], REPS, REQUESTS)
  console.log('Server CPU per increment (one process, no sockets, interleaved; medians of', REPS, 'runs of', REQUESTS, 'increments):\n')
  console.log('| increments | CPU per increment | ratio |')
  console.log('|------------|-------------------|-------|')
  for (const r of results) console.log(`| ${r.name} | ${(r.nsPerOp / 1000).toFixed(3)} µs | ${r.ratio.toFixed(3)} |`)
  // Every increment must have been applied and answered as a success, or the figures mean nothing.
  for (const v of [plain, tokened, older]) {
    const stats = await v.statistics('namespace/test')
    if (stats.get('client_write_error') !== 0 || !(stats.get('client_write_success')! > 0)) throw new Error(`${v.name}: ${stats.get('client_write_error')} writes failed`)
  }
  await plain.core.close()
  await tokened.core.close()
  await older.core.close()
}

if (PARTS.has(1)) await inProcess()

// 2. Memory per remembered write: a fresh core, one key (the store does not grow), a million tokened increments.
async function memory(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) {
    console.log('\n(run with node --expose-gc for the memory figure)')
    return
  }
  const one = keys[0]!
  const measured = await variant('memory', 'older', () => one)
  measured.run(20_000)
  gc()
  const before = process.memoryUsage()
  const written = 1_000_000
  measured.run(written)
  gc()
  const after = process.memoryUsage()
  const stats = await measured.statistics()
  const window = { bytes: stats.get('write_window_bytes')!, entries: stats.get('write_window_entries')! }
  const heapBytes = after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers)
  console.log(`\nMemory per remembered write (${written} increments with tokens from one client on one key):\n`)
  console.log(`| measure | bytes per write |`)
  console.log(`|---------|-----------------|`)
  console.log(`| heap and array buffers grown, over writes | ${(heapBytes / written).toFixed(1)} |`)
  console.log(`| window's own count (write_window_bytes / write_window_entries) | ${(window.bytes / window.entries).toFixed(1)} (${window.entries} entries) |`)
  await measured.core.close()
}

if (PARTS.has(2)) await memory()

// 3. Through sockets and the client: a server with a window (the client sends tokens) and one without, alternating.
async function round(server: Running): Promise<{ opsPerSec: number; cpuUsPerOp: number }> {
  const client = await connect({ hosts: `127.0.0.1:${server.port}`, policy: { totalTimeoutMs: 30_000 } })
  let ops = 0
  const cpuBefore = cpuSeconds(server.pid)
  const started = performance.now()
  const end = started + SECONDS * 1000
  await Promise.all(
    Array.from({ length: DEPTH }, async () => {
      while (performance.now() < end) {
        await client.increment(randomKey(), 'b', 1)
        ops++
      }
    }),
  )
  const elapsed = (performance.now() - started) / 1000
  const cpu = cpuSeconds(server.pid) - cpuBefore
  await client.close()
  return { opsPerSec: ops / elapsed, cpuUsPerOp: (cpu * 1e6) / ops }
}

async function throughTheClient(): Promise<void> {
  const servers = [
    { name: 'without tokens (write-window-max 0)', server: await startTally(undefined, ['--storage', 'memory', '--write-window-max', '0']), rounds: [] as { opsPerSec: number; cpuUsPerOp: number }[] },
    { name: 'with tokens (the default window)', server: await startTally(undefined, ['--storage', 'memory']), rounds: [] as { opsPerSec: number; cpuUsPerOp: number }[] },
  ]
  try {
    for (const s of servers) await round(s.server) // warm-up
    for (let r = 0; r < ROUNDS; r++) for (const s of r % 2 === 0 ? servers : [...servers].reverse()) s.rounds.push(await round(s.server))
    console.log(`\nThrough the client (${DEPTH} increments in flight, ${ROUNDS} rounds of ${SECONDS} s each, alternating; medians; server CPU from /proc):\n`)
    console.log('| server | increments/s | server CPU per increment |')
    console.log('|--------|--------------|--------------------------|')
    for (const s of servers)
      console.log(`| ${s.name} | ${Math.round(median(s.rounds.map((x) => x.opsPerSec)))} | ${median(s.rounds.map((x) => x.cpuUsPerOp)).toFixed(2)} µs |`)
  } finally {
    for (const s of servers) await stop(s.server)
  }
}

if (PARTS.has(3) && ROUNDS > 0) await throughTheClient()
process.stderr.write(`(${keptValue()})\n`)
process.exit(0)
