// Growth figures for docs/PERFORMANCE.md: how Tally holds up as records, connections and expiring records grow.
// Spawns a real server (memory storage) and drives it with `tally bench`, reading server CPU from /proc.
//   node dist/bench/growth.js [--only records,connections,expiry] [--records 10000000] [--seconds 5]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { connect, Key } from '../client/index.js'

const CLI = fileURLToPath(new URL('../server/cli.js', import.meta.url))
const args = new Map<string, string>()
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '')
const ONLY = new Set((args.get('only') ?? 'records,connections,expiry').split(','))
const BIG = Number(args.get('records') ?? 10_000_000)
const SECONDS = Number(args.get('seconds') ?? 5)

const log = (line: string): void => void process.stderr.write(`[growth] ${line}\n`)

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

function rssBytes(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) * 1024
}

async function startServer(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [CLI, 'server', '--host', '127.0.0.1', '--port', '0', '--aerospike-port', 'off', '--storage', 'memory', '--log-level', 'warn'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const port = await new Promise<number>((resolve, reject) => {
    let seen = ''
    child.stdout!.on('data', (d: Buffer) => {
      seen += d
      const m = /listening on [^\s:]+:(\d+)/.exec(seen)
      if (m) resolve(Number(m[1]))
    })
    child.once('exit', (code) => reject(new Error(`server exited (${code})`)))
  })
  return { child, port }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return
  const exited = new Promise((r) => child.once('exit', r))
  child.kill('SIGTERM')
  await exited
}

interface BenchJson {
  ops: number
  totalOps: number
  opsPerSec: number
  latencyUs: Record<string, number>
}

function bench(port: number, flags: string[]): BenchJson {
  const r = spawnSync(process.execPath, [CLI, 'bench', '--port', String(port), '--json', ...flags], { encoding: 'utf8', maxBuffer: 64 << 20 })
  if (r.status !== 0) throw new Error(`bench ${flags.join(' ')} failed:\n${r.stderr}`)
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as BenchJson
}

/** Runs a bench and measures the server's CPU per operation over it. */
function measured(pid: number, port: number, flags: string[]): BenchJson & { cpuUsPerOp: number } {
  const before = cpuSeconds(pid)
  const result = bench(port, flags)
  return { ...result, cpuUsPerOp: ((cpuSeconds(pid) - before) / result.totalOps) * 1e6 }
}

const out: Record<string, unknown> = {}

if (ONLY.has('records')) {
  const { child, port } = await startServer()
  try {
    const load = { connections: '16', depth: '32', duration: String(SECONDS) }
    const incr = (keys: number) => measured(child.pid!, port, ['--workload', 'incr', '--keys', String(keys), '--connections', load.connections, '--depth', load.depth, '--duration', load.duration])
    log('100k records')
    bench(port, ['--workload', 'insert', '--keys', '100000', '--connections', '16', '--depth', '64'])
    const small = incr(100_000)
    log(`loading ${BIG} records`)
    const loadStart = performance.now()
    bench(port, ['--workload', 'insert', '--set', 'big', '--keys', String(BIG), '--connections', '16', '--depth', '64'])
    const loadSeconds = (performance.now() - loadStart) / 1000
    log(`${BIG} records`)
    const big = measured(child.pid!, port, ['--workload', 'incr', '--set', 'big', '--keys', String(BIG), '--connections', load.connections, '--depth', load.depth, '--duration', load.duration])
    out.records = {
      small: { records: 100_000, opsPerSec: small.opsPerSec, cpuUsPerOp: +small.cpuUsPerOp.toFixed(2), p99Us: small.latencyUs.p99 },
      big: { records: BIG, opsPerSec: big.opsPerSec, cpuUsPerOp: +big.cpuUsPerOp.toFixed(2), p99Us: big.latencyUs.p99, loadSeconds: +loadSeconds.toFixed(1) },
      ratio: +(big.opsPerSec / small.opsPerSec).toFixed(2),
      rssBytesPerRecord: Math.round(rssBytes(child.pid!) / (BIG + 100_000)),
    }
  } finally {
    await stop(child)
  }
}

if (ONLY.has('connections')) {
  const { child, port } = await startServer()
  try {
    bench(port, ['--workload', 'insert', '--keys', '100000', '--connections', '16', '--depth', '64'])
    const rows = []
    for (const connections of [1, 10, 100, 1000]) {
      log(`${connections} connections x 16`)
      const r = measured(child.pid!, port, ['--workload', 'incr', '--connections', String(connections), '--depth', '16', '--duration', String(SECONDS)])
      rows.push({ connections, depth: 16, opsPerSec: r.opsPerSec, cpuUsPerOp: +r.cpuUsPerOp.toFixed(2), p50Us: r.latencyUs.p50, p99Us: r.latencyUs.p99 })
    }
    out.connections = rows
  } finally {
    await stop(child)
  }
}

if (ONLY.has('expiry')) {
  const { child, port } = await startServer()
  try {
    log('1M records with a 10 s TTL')
    const loaded = performance.now()
    bench(port, ['--workload', 'insert', '--set', 'exp', '--keys', '1000000', '--ttl', '10', '--connections', '16', '--depth', '64'])
    const before = bench(port, ['--workload', 'incr', '--connections', '1', '--depth', '1', '--duration', '1'])
    log('latency while they expire')
    // One connection, one request at a time, across the sweep: any pause shows up as the max.
    const during = bench(port, ['--workload', 'incr', '--connections', '1', '--depth', '1', '--duration', String(Math.ceil(16 - (performance.now() - loaded) / 1000))])
    const client = await connect({ hosts: `127.0.0.1:${port}` })
    const sample = await client.batchGet(Array.from({ length: 1000 }, () => new Key('test', 'exp', Math.floor(Math.random() * 1_000_000))))
    await client.close()
    out.expiry = {
      expiringRecords: 1_000_000,
      stillThereOf1000Sampled: sample.filter((r) => r !== null).length,
      p50UsBefore: before.latencyUs.p50,
      p50Us: during.latencyUs.p50,
      p999Us: during.latencyUs.p999,
      maxUs: during.latencyUs.max,
    }
  } finally {
    await stop(child)
  }
}

console.log(JSON.stringify(out))
