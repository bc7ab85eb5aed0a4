// Durability figures for docs/PERFORMANCE.md: increment throughput by commit mode, side by side; restart time
// and memory at 1M records; the worst request latency while a 1M-record snapshot is written.
//   node dist/bench/durability.js [--reps 3] [--seconds 5] [--records 1000000]
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { CLI, startTally, type Running } from './processes.js'

const args = new Map<string, string>()
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '')
const REPS = Number(args.get('reps') ?? 3)
const SECONDS = Number(args.get('seconds') ?? 5)
const RECORDS = Number(args.get('records') ?? 1_000_000)

const log = (line: string): void => void process.stderr.write(`[durability] ${line}\n`)
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[(xs.length - 1) >> 1]!

type Server = Running

const start = (flags: string[]): Promise<Server> => startTally(CLI, flags)

async function stop(server: Server, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (server.child.exitCode !== null) return
  const exited = new Promise((r) => server.child.once('exit', r))
  server.child.kill(signal)
  await exited
}

function bench(port: number, flags: string[]): { opsPerSec: number; latencyUs: Record<string, number> } {
  const r = spawnSync(process.execPath, [CLI, 'bench', '--port', String(port), '--json', ...flags], { encoding: 'utf8', maxBuffer: 64 << 20 })
  if (r.status !== 0) throw new Error(`bench failed:\n${r.stderr}`)
  return JSON.parse(r.stdout.trim().split('\n').pop()!)
}

/** The first match of `pattern` in the server's output, waited for up to `timeoutMs` (output queued while bench ran). */
async function outputLine(server: Server, pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray | null> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const match = pattern.exec(server.output())
    if (match !== null || Date.now() > deadline) return match
    await new Promise((r) => setTimeout(r, 100))
  }
}

const rss = (pid: number): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) * 1024
const tempDir = (): string => mkdtempSync(path.join(os.tmpdir(), 'tally-durability-'))

const MODES: Record<string, (dir: string) => string[]> = {
  memory: () => ['--storage', 'memory'],
  'flush-ms 1000': (dir) => ['--storage', 'disk', '--data-dir', dir, '--flush-ms', '1000'],
  'commit-to-device': (dir) => ['--storage', 'disk', '--data-dir', dir],
}

const out: Record<string, unknown> = {}
const throughput: Record<string, number[]> = Object.fromEntries(Object.keys(MODES).map((m) => [m, []]))
for (let rep = 1; rep <= REPS; rep++) {
  for (const [mode, flags] of Object.entries(MODES)) {
    log(`rep ${rep}/${REPS}: ${mode}`)
    const dir = tempDir()
    const server = await start([...flags(dir), '--log-level', 'warn'])
    try {
      throughput[mode]!.push(bench(server.port, ['--workload', 'incr', '--connections', '50', '--depth', '16', '--duration', String(SECONDS)]).opsPerSec)
    } finally {
      await stop(server)
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
const memoryOps = median(throughput.memory!)
out.incrementOpsPerSec = Object.fromEntries(Object.entries(throughput).map(([m, xs]) => [m, { median: median(xs), ratioToMemory: +(median(xs) / memoryOps).toFixed(2) }]))

const dir = tempDir()
try {
  log(`loading ${RECORDS} records (commit-to-device)`)
  // No snapshot while loading: the first restart then replays the whole log, and with a threshold of 1 MiB and no
  // snapshot yet, it writes one at its first check, while the latency is measured. (Left to the default, snapshots
  // taken during the load leave a tail under half the last snapshot's size, and none is due in the window.)
  let server = await start(['--storage', 'disk', '--data-dir', dir, '--log-level', 'info', '--snapshot-log-bytes', '1T'])
  const load = bench(server.port, ['--workload', 'insert', '--keys', String(RECORDS), '--connections', '16', '--depth', '64'])
  await stop(server, 'SIGKILL')
  log('restart from the log')
  let started = performance.now()
  server = await start(['--storage', 'disk', '--data-dir', dir, '--log-level', 'info', '--snapshot-log-bytes', '1048576'])
  const fromLogMs = performance.now() - started
  const fromLogRss = rss(server.child.pid!)
  log('latency while the snapshot is written')
  const during = bench(server.port, ['--workload', 'incr', '--set', 'other', '--connections', '1', '--depth', '1', '--duration', '8'])
  const snapshotLine = await outputLine(server, /snapshot \d+: (\d+) records, (\d+) bytes in (\d+) ms/, 30_000)
  await stop(server, 'SIGKILL')
  log('restart from the snapshot')
  started = performance.now()
  server = await start(['--storage', 'disk', '--data-dir', dir, '--log-level', 'info'])
  const fromSnapshotMs = performance.now() - started
  const fromSnapshotRss = rss(server.child.pid!)
  await stop(server)
  out.records = {
    count: RECORDS,
    loadOpsPerSec: load.opsPerSec,
    restartFromLogMs: Math.round(fromLogMs),
    restartFromSnapshotMs: Math.round(fromSnapshotMs),
    rssMbAfterRestart: Math.round(Math.max(fromLogRss, fromSnapshotRss) / 2 ** 20),
    snapshot: snapshotLine ? { records: Number(snapshotLine[1]), bytes: Number(snapshotLine[2]), ms: Number(snapshotLine[3]) } : 'not seen',
    latencyDuringSnapshotUs: { p50: during.latencyUs.p50, p999: during.latencyUs.p999, max: during.latencyUs.max },
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
console.log(JSON.stringify(out))
