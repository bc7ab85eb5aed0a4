// Tally against Redis on this machine, in one run, interleaved: the comparison table of docs/PERFORMANCE.md.
//   npm run bench:compare -- [--reps 3] [--seconds 6] [--keys 100000] [--records 1000000] [--only cpu,app,lat,mem,floor]
//                            [--tally DIR] [--client DIR]
// Figures (medians over reps; each rep runs Redis, then Tally):
//   cpu  server CPU µs per increment at 50 connections x 16 in flight: `tally bench --workload incr` against
//        redis-benchmark HINCRBY (pipelined 16)                       -> ratio tally/redis, lower is better
//   app  what a Node app gets at 16 connections x 32 in flight: the Tally client against ioredis HINCRBY
//                                                                      -> ratio tally/ioredis, higher is better
//   lat  p50 latency with one connection and one request in flight -> ratio tally/ioredis, lower is better
//   mem  resident bytes per record after loading N records of one integer bin (first rep only)
//   floor what Node itself costs, from bench/floor-server.ts, a server that only answers: its CPU per request at
//        50 x 16 and the client's p50 at 1 x 1 against it (both driven by `tally bench`), and the p50 of a bare
//        one-byte ping-pong between two Node processes
// --tally DIR measures the server built in another checkout (DIR/dist/server/cli.js), --client DIR its load
// client, for figures of earlier versions. Needs redis-server: installed with apt-get when run as root.
import { execFileSync } from 'node:child_process'
import net from 'node:net'
import path from 'node:path'
import { Redis } from 'ioredis'
import { median, option } from './ab.js'
import { CLI, cpuSeconds, onPath, rssBytes, run, startListening, startRedis, startTally, stop, tallyBench, type Running } from './processes.js'

const REPS = Number(option('reps', '3'))
const SECONDS = Number(option('seconds', '6'))
const KEYS = Number(option('keys', '100000'))
const RECORDS = Number(option('records', '1000000'))
const ONLY = new Set(option('only', 'cpu,app,lat,mem,floor').split(','))
const cliOf = (dir: string): string => (dir === '' ? CLI : path.resolve(dir, 'dist/server/cli.js'))
const SERVER_CLI = cliOf(option('tally', ''))
const CLIENT_CLI = cliOf(option('client', option('tally', '')))

const log = (line: string): void => void process.stderr.write(`[compare] ${line}\n`)
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

function ensureRedis(): void {
  const missing = ['redis-server', 'redis-benchmark', 'redis-cli'].filter((c) => !onPath(c))
  if (missing.length === 0) return
  if (process.getuid?.() !== 0) {
    throw new Error(`${missing.join(', ')} not found. Install Redis first, e.g. on Debian or Ubuntu: sudo apt-get install redis-server (or run this as root, and it installs it)`)
  }
  log('installing redis-server with apt-get')
  execFileSync('sh', ['-c', 'apt-get install -y redis-server >/dev/null || (apt-get update >/dev/null && apt-get install -y redis-server >/dev/null)'], { stdio: 'inherit' })
}

/** HINCRBY on random keys from C connections with P requests in flight each: ops/s and p50 latency. */
async function ioredisLoad(port: number, connections: number, perConnection: number, seconds: number): Promise<{ opsPerSec: number; p50Us: number }> {
  const clients: Redis[] = []
  for (let i = 0; i < connections; i++) {
    const redis = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0 })
    await redis.connect()
    clients.push(redis)
  }
  const latencies: number[] = []
  let ops = 0
  const end = performance.now() + seconds * 1000
  const worker = async (redis: Redis): Promise<void> => {
    while (performance.now() < end) {
      const started = performance.now()
      await redis.hincrby(`key:${Math.floor(Math.random() * KEYS)}`, 'b', 1)
      latencies.push(performance.now() - started)
      ops++
    }
  }
  const started = performance.now()
  await Promise.all(clients.flatMap((redis) => Array.from({ length: perConnection }, () => worker(redis))))
  const elapsed = (performance.now() - started) / 1000
  for (const redis of clients) redis.disconnect()
  latencies.sort((a, b) => a - b)
  return { opsPerSec: ops / elapsed, p50Us: latencies[latencies.length >> 1]! * 1000 }
}

type Sides = Record<string, number[]>
const figures: Record<string, Sides> = { cpu: { tally: [], redis: [] }, app: { tally: [], ioredis: [] }, lat: { tally: [], ioredis: [] }, mem: { tally: [], redis: [] } }

async function redisRep(first: boolean): Promise<void> {
  let redis = await startRedis()
  try {
    if (ONLY.has('cpu')) {
      const requests = Math.round(350_000 * SECONDS)
      const before = cpuSeconds(redis.pid)
      run('redis-benchmark', ['-h', '127.0.0.1', '-p', String(redis.port), '-c', '50', '-P', '16', '-r', String(KEYS), '-n', String(requests), '-q', 'HINCRBY', 'key:__rand_int__', 'b', '1'])
      figures.cpu!.redis!.push(((cpuSeconds(redis.pid) - before) / requests) * 1e6)
    }
    if (ONLY.has('app')) figures.app!.ioredis!.push((await ioredisLoad(redis.port, 16, 32, SECONDS)).opsPerSec)
    if (ONLY.has('lat')) figures.lat!.ioredis!.push((await ioredisLoad(redis.port, 1, 1, Math.min(SECONDS, 4))).p50Us)
    if (ONLY.has('mem') && first) {
      await stop(redis)
      redis = await startRedis()
      const before = rssBytes(redis.pid)
      // Random keys drawn until about RECORDS of them exist: 4 x RECORDS draws from a space of 4 x RECORDS.
      run('redis-benchmark', ['-h', '127.0.0.1', '-p', String(redis.port), '-c', '50', '-P', '64', '-r', String(RECORDS * 4), '-n', String(RECORDS * 4), '-q', 'HSET', 'key:__rand_int__', 'b', '1'])
      const count = Number(run('redis-cli', ['-p', String(redis.port), 'dbsize']).trim())
      figures.mem!.redis!.push((rssBytes(redis.pid) - before) / count)
    }
  } finally {
    await stop(redis)
  }
}

async function tallyRep(first: boolean): Promise<void> {
  const load = ['--namespace', 'test', '--set', 'bench', '--keys', String(KEYS), '--workload', 'incr']
  let tally = await startTally(SERVER_CLI)
  try {
    if (ONLY.has('cpu')) {
      const before = cpuSeconds(tally.pid)
      const r = tallyBench(tally.port, [...load, '--connections', '50', '--depth', '16', '--duration', String(SECONDS)], CLIENT_CLI)
      figures.cpu!.tally!.push(((cpuSeconds(tally.pid) - before) / r.totalOps) * 1e6)
    }
    if (ONLY.has('app')) figures.app!.tally!.push(tallyBench(tally.port, [...load, '--connections', '16', '--depth', '32', '--duration', String(SECONDS)], CLIENT_CLI).opsPerSec)
    if (ONLY.has('lat')) figures.lat!.tally!.push(tallyBench(tally.port, [...load, '--connections', '1', '--depth', '1', '--duration', String(Math.min(SECONDS, 4))], CLIENT_CLI).latencyUs.p50)
    if (ONLY.has('mem') && first) {
      await stop(tally)
      tally = await startTally(SERVER_CLI)
      const before = rssBytes(tally.pid)
      const r = tallyBench(tally.port, ['--keys', String(RECORDS), '--workload', 'insert', '--connections', '50', '--depth', '64', '--ops', String(RECORDS)], CLIENT_CLI)
      await sleep(500)
      figures.mem!.tally!.push((rssBytes(tally.pid) - before) / r.ops)
    }
  } finally {
    await stop(tally)
  }
}

const FLOOR_SERVER = new URL('./floor-server.js', import.meta.url).pathname
const floors: Record<string, number[]> = { floorCpu: [], floorLat: [], pingPong: [] }

/** Round trips of one byte for `seconds`: the p50 in µs. */
async function pingPong(port: number, seconds: number): Promise<number> {
  const socket = net.connect({ host: '127.0.0.1', port, noDelay: true })
  await new Promise((r) => socket.once('connect', r))
  const latencies: number[] = []
  const end = performance.now() + seconds * 1000
  await new Promise<void>((resolve) => {
    let sent = performance.now()
    socket.on('data', () => {
      const now = performance.now()
      latencies.push(now - sent)
      if (now >= end) return resolve()
      sent = now
      socket.write('x')
    })
    socket.write('x')
  })
  socket.destroy()
  latencies.sort((a, b) => a - b)
  return latencies[latencies.length >> 1]! * 1000
}

async function floorRep(): Promise<void> {
  let floor: Running = await startListening([FLOOR_SERVER])
  try {
    const load = ['--keys', String(KEYS), '--workload', 'incr']
    const before = cpuSeconds(floor.pid)
    const r = tallyBench(floor.port, [...load, '--connections', '50', '--depth', '16', '--duration', String(SECONDS)], CLIENT_CLI)
    floors.floorCpu!.push(((cpuSeconds(floor.pid) - before) / r.totalOps) * 1e6)
    floors.floorLat!.push(tallyBench(floor.port, [...load, '--connections', '1', '--depth', '1', '--duration', String(Math.min(SECONDS, 4))], CLIENT_CLI).latencyUs.p50)
    await stop(floor)
    floor = await startListening([FLOOR_SERVER, '--echo'])
    floors.pingPong!.push(await pingPong(floor.port, Math.min(SECONDS, 4)))
  } finally {
    await stop(floor)
  }
}

const UNITS: Record<string, string> = {
  cpu: 'server CPU µs per increment (50 x 16), lower is better',
  app: 'Node client ops/s (16 x 32), higher is better',
  lat: 'p50 latency µs (1 x 1), lower is better',
  mem: 'resident bytes per record, lower is better',
  floorCpu: 'CPU µs per request of a server that only answers (50 x 16)',
  floorLat: 'p50 latency µs of the Tally client against a server that only answers (1 x 1)',
  pingPong: 'p50 µs of a bare one-byte ping-pong between two Node processes',
}

async function main(): Promise<void> {
  ensureRedis()
  log(`server ${SERVER_CLI}, client ${CLIENT_CLI}; ${REPS} reps of ${SECONDS} s, ${KEYS} keys`)
  for (let rep = 1; rep <= REPS; rep++) {
    log(`rep ${rep}/${REPS}: redis`)
    await redisRep(rep === 1)
    log(`rep ${rep}/${REPS}: tally`)
    await tallyRep(rep === 1)
    if (ONLY.has('floor')) {
      log(`rep ${rep}/${REPS}: floor`)
      await floorRep()
    }
  }
  const out: Record<string, unknown> = {}
  for (const [name, sides] of Object.entries(figures)) {
    const [[a, xs], [b, ys]] = Object.entries(sides) as [[string, number[]], [string, number[]]]
    if (xs.length === 0) continue
    const [ma, mb] = [median(xs), median(ys)]
    out[name] = { [a]: Number(ma.toFixed(2)), [b]: Number(mb.toFixed(2)), ratio: Number((ma / mb).toFixed(2)), unit: UNITS[name], reps: xs.length, all: { [a]: xs.map((x) => Number(x.toFixed(2))), [b]: ys.map((y) => Number(y.toFixed(2))) } }
    log(`${name}: ${a} ${ma.toFixed(2)}, ${b} ${mb.toFixed(2)}, ratio ${(ma / mb).toFixed(2)} (${UNITS[name]})`)
  }
  for (const [name, xs] of Object.entries(floors)) {
    if (xs.length === 0) continue
    out[name] = { value: Number(median(xs).toFixed(2)), unit: UNITS[name], reps: xs.length, all: xs.map((x) => Number(x.toFixed(2))) }
    log(`${name}: ${median(xs).toFixed(2)} (${UNITS[name]})`)
  }
  console.log(JSON.stringify(out))
}

main().catch((err: Error) => {
  console.error(err.stack ?? String(err))
  process.exit(1)
})
