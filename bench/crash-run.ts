// The long SIGKILL run behind docs/durability.md: a real server, killed at random moments while clients increment
// counters as fast as they can, restarted on the same directory, in both commit modes, with snapshots and
// segments over 8 MiB. After every restart each counter is read back and compared with what was acknowledged:
// lower is a lost write; higher is an increment whose answer the kill cut off (in doubt), which may land.
//   node dist/bench/crash-run.js [--kills 40] [--counters 200] [--connections 8] [--depth 64] [--modes commit-to-device,flush-ms]
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { connect, Key, type Client } from '../client/index.js'
import { CLI, startTally, type Running } from './processes.js'

const args = new Map<string, string>()
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '')
const KILLS = Number(args.get('kills') ?? 40)
const COUNTERS = Number(args.get('counters') ?? 200)
const CONNECTIONS = Number(args.get('connections') ?? 8)
const DEPTH = Number(args.get('depth') ?? 64)
const MODES = (args.get('modes') ?? 'commit-to-device,flush-ms').split(',')
const SEGMENT_BYTES = 12 * 1024 * 1024 // over the 8 MiB read size
const SNAPSHOT_LOG_BYTES = 48 * 1024 * 1024

const log = (line: string): void => void process.stderr.write(`[crash-run] ${line}\n`)
const counter = (c: number): Key => new Key('test', 'crash-run', `c${c}`)

function start(dir: string, mode: string): Promise<Running> {
  const flags = ['--storage', 'disk', '--data-dir', dir, '--segment-bytes', String(SEGMENT_BYTES), '--snapshot-log-bytes', String(SNAPSHOT_LOG_BYTES), '--log-level', 'info']
  if (mode === 'flush-ms') flags.push('--flush-ms', '1000')
  return startTally(CLI, flags)
}

/** Increments random counters until `running()` is false; counts what was acknowledged and what is in doubt. */
async function load(client: Client, acked: number[], doubtful: number[], running: () => boolean): Promise<void> {
  await Promise.all(
    Array.from({ length: DEPTH * CONNECTIONS }, async () => {
      while (running()) {
        const c = Math.floor(Math.random() * COUNTERS)
        try {
          await client.increment(counter(c), 'n', 1)
          acked[c]!++
        } catch {
          doubtful[c]!++
          return
        }
      }
    }),
  )
}

interface ModeResult {
  kills: number
  acknowledged: number
  inDoubt: number
  lost: number
  landedInDoubt: number
  snapshots: number
  largestSegmentBytes: number
  restartMs: number[]
}

async function run(mode: string): Promise<ModeResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tally-crash-run-'))
  const acked = new Array<number>(COUNTERS).fill(0)
  const doubtful = new Array<number>(COUNTERS).fill(0)
  const result: ModeResult = { kills: 0, acknowledged: 0, inDoubt: 0, lost: 0, landedInDoubt: 0, snapshots: 0, largestSegmentBytes: 0, restartMs: [] }
  try {
    for (let round = 0; round <= KILLS; round++) {
      const started = performance.now()
      const server = await start(dir, mode)
      result.restartMs.push(performance.now() - started)
      const client = await connect({ hosts: `127.0.0.1:${server.port}`, poolSize: CONNECTIONS, policy: { maxRetries: 0, totalTimeoutMs: 5000 } })
      const values = await client.batchGet(Array.from({ length: COUNTERS }, (_, c) => counter(c)))
      values.forEach((record, c) => {
        const value = Number(record?.bins.n ?? 0)
        if (value < acked[c]!) result.lost += acked[c]! - value
        result.landedInDoubt += Math.max(0, Math.min(value - acked[c]!, doubtful[c]!))
        acked[c] = value // the new baseline: whatever the doubtful ones did is now known
        doubtful[c] = 0
      })
      if (round === KILLS) {
        await client.close()
        server.child.kill('SIGTERM')
        await new Promise((r) => server.child.once('exit', r))
        break
      }
      let running = true
      const before = acked.reduce((a, b) => a + b, 0)
      const workers = load(client, acked, doubtful, () => running)
      await new Promise((r) => setTimeout(r, 1000 + Math.random() * 5000))
      running = false
      server.child.kill('SIGKILL')
      await new Promise((r) => server.child.once('exit', r))
      await workers
      await client.close()
      result.kills++
      result.acknowledged += acked.reduce((a, b) => a + b, 0) - before
      result.inDoubt += doubtful.reduce((a, b) => a + b, 0)
      result.snapshots += (server.output().match(/snapshot \d+: \d+ records/g) ?? []).length
      for (const f of readdirSync(dir)) if (f.startsWith('log-')) result.largestSegmentBytes = Math.max(result.largestSegmentBytes, statSync(path.join(dir, f)).size)
      log(`${mode}: kill ${result.kills}/${KILLS}: ${result.acknowledged} acknowledged so far, ${result.lost} lost`)
    }
    return result
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[(xs.length - 1) >> 1]!
const out: Record<string, unknown> = {}
for (const mode of MODES) {
  const r = await run(mode)
  out[mode] = { ...r, restartMs: { median: Math.round(median(r.restartMs)), max: Math.round(Math.max(...r.restartMs)) } }
}
console.log(JSON.stringify(out))
