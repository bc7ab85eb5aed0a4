// Restart time after a long write history, for docs/PERFORMANCE.md: 1M two-bin records inserted, then rewritten
// again and again while background snapshots keep the log short, then the server is killed and restarted. The
// figure is the time from the start of the process to "listening", and the entries it replayed.
//   node dist/bench/restart.js [--records 1000000] [--rewrites 3] [--reps 3] [--tally DIR]
import { spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { startTally, type Running } from './processes.js'

const args = new Map<string, string>()
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '')
/** `--tally DIR`: measure the build in another checkout (its dist/), e.g. an earlier version. */
const CLI = args.has('tally') ? path.resolve(args.get('tally')!, 'dist/server/cli.js') : fileURLToPath(new URL('../server/cli.js', import.meta.url))
const RECORDS = Number(args.get('records') ?? 1_000_000)
const REWRITES = Number(args.get('rewrites') ?? 3)
const REPS = Number(args.get('reps') ?? 3)

const log = (line: string): void => void process.stderr.write(`[restart] ${line}\n`)
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[(xs.length - 1) >> 1]!

// The time from spawning the process to its readiness line is the restart's.
async function start(dir: string): Promise<Running & { ms: number }> {
  const started = performance.now()
  const running = await startTally(CLI, ['--storage', 'disk', '--data-dir', dir, '--flush-ms', '1000', '--log-level', 'info'])
  return { ...running, ms: performance.now() - started }
}

async function kill(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r))
  child.kill('SIGKILL')
  await exited
}

function bench(port: number, workload: string): void {
  const r = spawnSync(process.execPath, [CLI, 'bench', '--port', String(port), '--workload', workload, '--keys', String(RECORDS), '--ops', String(RECORDS), '--bins', 'I,S16', '--connections', '16', '--depth', '64', '--json'], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  })
  if (r.status !== 0) throw new Error(`bench failed:\n${r.stderr}`)
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'tally-restart-'))
try {
  let server = await start(dir)
  log(`inserting ${RECORDS} two-bin records`)
  bench(server.port, 'insert')
  for (let i = 0; i < REWRITES; i++) {
    log(`rewriting them (${i + 1}/${REWRITES})`)
    bench(server.port, 'insert')
  }
  await new Promise((r) => setTimeout(r, 3000)) // let a snapshot the last rewrite called for finish
  const history = server.output()
  await kill(server.child)
  const times: number[] = []
  let replayed = ''
  for (let rep = 0; rep < REPS; rep++) {
    server = await start(dir)
    times.push(server.ms)
    replayed = /recovered \d+ records from .* \(\d+ entries\) in \d+ ms/.exec(server.output())?.[0] ?? 'no recovery line'
    await kill(server.child)
  }
  console.log(
    JSON.stringify({
      records: RECORDS,
      writes: RECORDS * (1 + REWRITES),
      snapshotsDuringHistory: (history.match(/snapshot \d+: \d+ records/g) ?? []).length,
      restartMs: { median: Math.round(median(times)), all: times.map(Math.round) },
      recovery: replayed,
    }),
  )
} finally {
  rmSync(dir, { recursive: true, force: true })
}
