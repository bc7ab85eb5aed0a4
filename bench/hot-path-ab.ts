// The server's increment path, this checkout against another one's, in one process: each serves a stream in memory
// (no sockets, no client) with increments on random keys, 16 to a chunk as a busy client sends them, and is timed by
// this process's CPU time, interleaved (bench/ab.ts), so that a loaded machine's other work counts little. It says
// whether a change made the request path dearer, which `tally bench` alone cannot on a shared machine.
//   node dist/bench/hot-path-ab.js --base DIR [--reps 9] [--requests 200000]
// DIR is a checkout built with `npx tsc` (its dist/server/server.js is loaded).
import path from 'node:path'
import { Duplex } from 'node:stream'
import { pathToFileURL } from 'node:url'
import { OP } from '../protocol/messages.js'
import { FrameWriter } from '../protocol/msgpack-writer.js'
import { writeRecordHeader } from '../protocol/record-request.js'
import { Key } from '../protocol/types.js'
import type * as ServerModule from '../server/server.js'
import { abRatios, keptValue, option, type Variant } from './ab.js'

const REPS = Number(option('reps', '9'))
const REQUESTS = Number(option('requests', '200000'))
const BASE = option('base', '')
if (BASE === '') throw new Error('--base DIR: the checkout to compare with (built with npx tsc)')
const PER_CHUNK = 16
const KEYS = 100_000

// Chunks of PER_CHUNK increments of bin b by 1 on random keys, as `client.increment(key, 'b', 1)` sends them.
const keys = Array.from({ length: KEYS }, (_, i) => new Key('test', 'bench', i))
const chunks = Array.from({ length: 4096 }, (_, c) => {
  const w = new FrameWriter()
  for (let i = 0; i < PER_CHUNK; i++) {
    const key = keys[Math.floor(Math.random() * KEYS)]!
    w.begin()
    writeRecordHeader(w, c * PER_CHUNK + i + 1, OP.INCREMENT, 3, key.ns, key.set, key.digest, null, null, 0, 0)
    w.value('b')
    w.value(1)
    w.value(null)
    w.end()
  }
  return w.take()
})

/** A server core of `module` serving one in-memory stream; `run(n)` feeds it n increments and counts answer bytes. */
async function variant(name: string, module: typeof ServerModule): Promise<Variant> {
  const core = await module.ServerCore.open({ storage: 'memory', tickerIntervalMs: 0, nsupPeriodMs: 0, frameTimeoutMs: 0, namespaces: [{ name: 'test' }] })
  let answered = 0
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, done) {
      answered += chunk.length
      done()
    },
  })
  core.handle(stream)
  let next = 0
  return {
    name,
    run: (n) => {
      // Each chunk is served as it comes in, as a socket's 'data' event would have it.
      for (let i = 0; i < n; i += PER_CHUNK) stream.emit('data', chunks[next++ & 4095]!)
      return answered
    },
  }
}

const load = (dir: string): Promise<typeof ServerModule> => import(pathToFileURL(path.resolve(dir, 'dist/server/server.js')).href)
const variants = [await variant('base', await load(BASE)), await variant('this', await import('../server/server.js'))]
const results = abRatios(variants, REPS, REQUESTS)
console.log(`| server | CPU per increment | ratio |`)
console.log(`|--------|-------------------|-------|`)
for (const r of results) console.log(`| ${r.name} | ${(r.nsPerOp / 1000).toFixed(3)} µs | ${r.ratio.toFixed(3)} |`)
process.stderr.write(`(${keptValue()})\n`)
process.exit(0)
