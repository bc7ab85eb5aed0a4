// The chaos run (bench/chaos.ts) for as long as asked, on a temporary data dir; prints what it found, and exits 1
// if a counter is off.
//   node dist/bench/chaos-run.js [--seconds 300] [--clients 4] [--depth 32] [--keys 300] [--seed 1] [--server-flags '--write-window-max 0']
// Without a window (`--server-flags '--write-window-max 0'`) the clients retry writes without tokens, to show why.
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { DEFAULT_CHAOS_RUN, runChaos } from './chaos.js'

const args = new Map<string, string>()
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '')
const number = (name: string, fallback: number): number => Number(args.get(name) ?? fallback)

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tally-chaos-'))
const cleanups: (() => unknown)[] = []
try {
  const report = await runChaos(
    {
      ...DEFAULT_CHAOS_RUN,
      durationMs: number('seconds', 300) * 1000,
      maxWrites: Infinity,
      clients: number('clients', 4),
      depth: number('depth', DEFAULT_CHAOS_RUN.depth),
      keys: number('keys', DEFAULT_CHAOS_RUN.keys),
      seed: number('seed', Date.now() % 1_000_000),
      serverFlags: (args.get('server-flags') ?? '').split(' ').filter((f) => f !== ''),
      dataDir,
      log: (line) => void process.stderr.write(`[chaos] ${line}\n`),
    },
    { teardown: (fn) => void cleanups.push(fn) },
  )
  const { wrong, ...rest } = report
  process.stdout.write(`${JSON.stringify({ ...rest, wrongCounters: wrong.length, firstWrong: wrong.slice(0, 5) }, null, 2)}\n`)
  process.exitCode = wrong.length === 0 ? 0 : 1
} finally {
  for (const fn of cleanups.reverse()) await fn()
  rmSync(dataDir, { recursive: true, force: true })
}
