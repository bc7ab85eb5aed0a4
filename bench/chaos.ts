// The chaos run behind docs/durability.md and test/client/chaos.test.ts: clients increment a few hundred counters
// and save counters sessions through a proxy that cuts connections at random moments, delays chunks and cuts frames
// mid-way, while the server (a child process, commit-to-device, on a data dir) is SIGKILLed and restarted. At the
// end every counter must equal the sum of the increments whose promises resolved: none lost, none applied twice.
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { connect, Key, TallyError, type Client } from '../client/index.js'
import { TcpProxy, type Teardown } from './tcp-proxy.js'

const CLI = fileURLToPath(new URL('../server/cli.js', import.meta.url))

/** What a run does, and for how long. */
export interface ChaosRunOptions {
  dataDir: string
  /** Load runs this long (then stops at once, whatever `maxWrites` says), or longer until `minKills` kills. */
  durationMs: number
  /** Load goes on past `durationMs` until the server has been killed this often, but never past `maxDurationMs`. */
  minKills: number
  maxDurationMs: number
  /** Load stops after this many writes have been started. */
  maxWrites: number
  clients: number
  /** Writes each client has in flight. */
  depth: number
  keys: number
  /** A SIGKILL this long after each start, at random between the two. */
  killAfterMs: [number, number]
  /** A random connection cut this often, at random up to it. */
  cutEveryMs: number
  /** Per chunk forwarded: chance of a cut (at a random byte) and of a delay, and the longest delay. */
  cutChance: number
  delayChance: number
  maxDelayMs: number
  seed: number
  /** More flags for `tally server` (such as `--write-window-max 0`, to see the run without tokens). */
  serverFlags: string[]
  log: (line: string) => void
}

export const DEFAULT_CHAOS_RUN: Omit<ChaosRunOptions, 'dataDir' | 'log'> = {
  durationMs: 20_000,
  minKills: 0,
  maxDurationMs: 20_000,
  maxWrites: 1_000_000,
  clients: 3,
  depth: 32,
  keys: 300,
  killAfterMs: [2000, 4000],
  cutEveryMs: 300,
  cutChance: 0.005,
  delayChance: 0.05,
  maxDelayMs: 30,
  seed: 1,
  serverFlags: [],
}

/** What a run found. */
export interface ChaosReport {
  /** Increments (plain or in sessions) whose promise resolved, and sessions saved. */
  increments: number
  sessions: number
  /** Writes that failed in doubt (retries ran out), and that failed settled (not applied). */
  inDoubt: number
  failed: number
  /** Failures by code, for the report. */
  failures: Record<string, number>
  kills: number
  proxy: TcpProxy['counts']
  /** Counters whose value is not the sum of their acknowledged increments, with both. */
  wrong: { key: number; expected: number; actual: number; doubtful: number }[]
  elapsedMs: number
}

/** A small seeded generator (mulberry32), so a failing run can be repeated. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = Math.imul(a ^ (a >>> 15), a | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

interface Server {
  child: ChildProcess
  port: number
  exited: Promise<void>
}

async function startServer(dataDir: string, more: string[]): Promise<Server> {
  const flags = [...more, '--host', '127.0.0.1', '--port', '0', '--aerospike-port', 'off', '--storage', 'disk', '--data-dir', dataDir, '--log-level', 'warn']
  const child = spawn(process.execPath, [CLI, 'server', ...flags], { stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  let seen = ''
  const port = await new Promise<number>((resolve, reject) => {
    const onData = (d: Buffer): void => {
      seen += d
      const m = /listening on [^\s:]+:(\d+)/.exec(seen)
      if (m) resolve(Number(m[1]))
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    void exited.then(() => reject(new Error(`the server exited before listening:\n${seen}`)))
  })
  return { child, port, exited }
}

const keyOf = (k: number): Key => new Key('test', 'chaos', `c${k}`)

/** Runs the load, the proxy's chaos and the kills; then reads every counter back. */
export async function runChaos(o: ChaosRunOptions, t: Teardown): Promise<ChaosReport> {
  const random = seeded(o.seed)
  const started = performance.now()
  let server = await startServer(o.dataDir, o.serverFlags)
  t.teardown(() => server.child.kill('SIGKILL'))
  const proxy = await TcpProxy.start(t, server.port)
  // Each client is known to the server (one write logged) before the chaos, so a first write retried after a
  // restart is not taken for one from a client the window never saw (PROTOCOL.md §3.1: OUTCOME_UNKNOWN).
  const policy = { totalTimeoutMs: 30_000, socketTimeoutMs: 5000, maxRetries: 1000 }
  const clients: Client[] = []
  for (let i = 0; i < o.clients; i++) {
    const client = await connect({ hosts: `127.0.0.1:${proxy.port}`, poolSize: 2, maxReconnectDelayMs: 100, connectTimeoutMs: 2000, policy })
    t.teardown(() => client.close())
    await client.increment(keyOf(0), 'warm', 1)
    clients.push(client)
  }
  proxy.chaos = { cutChance: o.cutChance, delayChance: o.delayChance, maxDelayMs: o.maxDelayMs, random }

  const acked = new Float64Array(o.keys)
  const doubtful = new Float64Array(o.keys)
  const report: ChaosReport = { increments: 0, sessions: 0, inDoubt: 0, failed: 0, failures: {}, kills: 0, proxy: proxy.counts, wrong: [], elapsedMs: 0 }
  let writes = 0
  const endAt = performance.now() + o.durationMs
  const lastAt = performance.now() + Math.max(o.durationMs, o.maxDurationMs)
  const running = (): boolean => {
    const now = performance.now()
    return writes < o.maxWrites && (now < endAt || (report.kills < o.minKills && now < lastAt))
  }

  const failed = (err: unknown, deltas: [number, number][]): void => {
    const code = err instanceof TallyError ? err.code : 'other'
    report.failures[code] = (report.failures[code] ?? 0) + 1
    if (err instanceof TallyError && err.inDoubt) {
      report.inDoubt++
      for (const [k, d] of deltas) doubtful[k]! += d
    } else report.failed++
  }
  const worker = async (client: Client): Promise<void> => {
    while (running()) {
      writes++
      if (random() < 0.8) {
        const k = Math.floor(random() * o.keys)
        const delta = 1 + Math.floor(random() * 3)
        try {
          await client.increment(keyOf(k), 'n', delta)
          acked[k]! += delta
          report.increments++
        } catch (err) {
          failed(err, [[k, delta]])
        }
        continue
      }
      const session = client.openSession()
      const deltas: [number, number][] = []
      for (let i = 1 + Math.floor(random() * 3); i > 0; i--) {
        const k = Math.floor(random() * o.keys)
        const delta = 1 + Math.floor(random() * 3)
        session.countersFor(keyOf(k)).increment('n', delta)
        deltas.push([k, delta])
      }
      try {
        await session.saveChanges()
        for (const [k, d] of deltas) acked[k]! += d
        report.increments += deltas.length
        report.sessions++
      } catch (err) {
        failed(err, deltas)
      }
    }
  }

  let chaosOn = true
  const killer = (async () => {
    while (chaosOn) {
      const [min, max] = o.killAfterMs
      await new Promise((r) => setTimeout(r, min + random() * (max - min)))
      if (!chaosOn) break
      server.child.kill('SIGKILL')
      await server.exited
      report.kills++
      server = await startServer(o.dataDir, o.serverFlags)
      proxy.targetPort = server.port
      o.log(`kill ${report.kills}: restarted on port ${server.port}; ${report.increments} increments acknowledged`)
    }
  })()
  const cutter = setInterval(() => proxy.cutOne(random), o.cutEveryMs)
  await Promise.all(clients.flatMap((client) => Array.from({ length: o.depth }, () => worker(client))))
  chaosOn = false
  clearInterval(cutter)
  await killer
  proxy.chaos = undefined

  // Read back directly from the server, past the proxy.
  const reader = await connect({ hosts: `127.0.0.1:${server.port}`, policy: { totalTimeoutMs: 30_000 } })
  try {
    const records = await reader.batchGet(Array.from({ length: o.keys }, (_, k) => keyOf(k)))
    records.forEach((record, k) => {
      // In-doubt increments may or may not have landed; every acknowledged one must have, once.
      const actual = Number(record?.bins.n ?? 0)
      if (actual < acked[k]! || actual > acked[k]! + doubtful[k]!) report.wrong.push({ key: k, expected: acked[k]!, actual, doubtful: doubtful[k]! })
    })
  } finally {
    await reader.close()
  }
  report.elapsedMs = performance.now() - started
  return report
}
