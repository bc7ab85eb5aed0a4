// What a scan costs a serving server, in one run against one server (records in memory, --metrics-port on):
//   1. a scan of RECORDS records (1M by default) by `tally scan` while a probe sends one GET at a time: the scan's
//      rate, the longest event-loop delay the server reports (nodejs_eventloop_lag_max_seconds, scraped every
//      second) and the probe's slowest answer, beside the same figures over a stretch with no scan;
//   2. `tally bench --workload incr` (50 connections x 16 in flight) alone, beside the same load while `tally scan`
//      runs over and over (unlimited, and at --records-per-second RATE): ops/s and server CPU, interleaved reps.
//   node dist/bench/scan-cost.js [--records 1000000] [--reps 3] [--seconds 6] [--rate 100000]
import { spawn, type ChildProcess } from 'node:child_process'
import { connect, Key } from '../client/index.js'
import { median, option } from './ab.js'
import { CLI, cpuSeconds, freePort, startTally, stop, tallyBenchInBackground, type BenchResult } from './processes.js'

const RECORDS = Number(option('records', '1000000'))
const REPS = Number(option('reps', '3'))
const SECONDS = Number(option('seconds', '6'))
const RATE = Number(option('rate', '100000'))

const log = (line: string): void => void process.stderr.write(`[scan-cost] ${line}\n`)
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** `tally scan` as a child process, its output counted and dropped; resolves with records and seconds. */
function scanOnce(port: number, flags: string[] = []): { child: ChildProcess; done: Promise<{ records: number; seconds: number }> } {
  const started = performance.now()
  const child = spawn(process.execPath, [CLI, 'scan', 'test', 'scan', '--port', String(port), ...flags], { stdio: ['ignore', 'pipe', 'inherit'] })
  let records = 0
  child.stdout!.on('data', (d: Buffer) => {
    for (let at = d.indexOf(10); at >= 0; at = d.indexOf(10, at + 1)) records++
  })
  const done = new Promise<{ records: number; seconds: number }>((resolve, reject) =>
    child.once('exit', (code, signal) => (code === 0 || signal === 'SIGTERM' ? resolve({ records, seconds: (performance.now() - started) / 1000 }) : reject(new Error(`tally scan exited ${code}`)))),
  )
  return { child, done }
}

/** The server's longest event-loop delay since the last scrape, in ms. */
async function lagMaxMs(url: string): Promise<number> {
  const text = await (await fetch(url)).text()
  return Number(/^nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(text)?.[1] ?? NaN) * 1000
}

/** Watches the server while `during` runs: the longest event-loop delay, and the slowest of sequential GETs. */
async function watch(port: number, url: string, during: Promise<unknown>): Promise<{ lagMs: number; probeMaxMs: number; probes: number }> {
  const client = await connect({ hosts: `127.0.0.1:${port}`, poolSize: 1, policy: { totalTimeoutMs: 10_000 } })
  let running = true
  let lagMs = await lagMaxMs(url).then(() => 0) // the first scrape resets the server's maximum
  const scraper = (async () => {
    while (running) {
      await sleep(1000)
      lagMs = Math.max(lagMs, await lagMaxMs(url))
    }
  })()
  let probeMaxMs = 0
  let probes = 0
  const prober = (async () => {
    const key = new Key('test', 'probe', 1)
    await client.put(key, { n: 1 })
    while (running) {
      const t0 = performance.now()
      await client.get(key)
      probeMaxMs = Math.max(probeMaxMs, performance.now() - t0)
      probes++
      await sleep(1)
    }
  })()
  await during
  running = false
  await Promise.all([scraper, prober])
  lagMs = Math.max(lagMs, await lagMaxMs(url))
  await client.close()
  return { lagMs, probeMaxMs, probes }
}

async function load(port: number): Promise<void> {
  const client = await connect({ hosts: `127.0.0.1:${port}`, poolSize: 4, policy: { totalTimeoutMs: 30_000 } })
  const started = performance.now()
  for (let from = 0; from < RECORDS; from += 2000) {
    const wave: Promise<unknown>[] = []
    for (let i = from; i < Math.min(RECORDS, from + 2000); i++) wave.push(client.put(new Key('test', 'scan', i), { n: i, s: `value ${i}` }))
    await Promise.all(wave)
  }
  log(`loaded ${RECORDS} records in ${((performance.now() - started) / 1000).toFixed(1)} s`)
  await client.close()
}

const bench = (port: number): Promise<BenchResult> => tallyBenchInBackground(port, ['--workload', 'incr', '--keys', '100000', '--connections', '50', '--depth', '16', '--duration', String(SECONDS)])

/** The load, with scans over and over meanwhile when `scanFlags` is given: ops/s, server CPU, records scanned. */
async function serve(port: number, pid: number, scanFlags: string[] | undefined): Promise<{ opsPerSec: number; cpuUs: number; scanned: number }> {
  const before = cpuSeconds(pid)
  let loading = true
  let scanned = 0
  let current: ChildProcess | undefined
  const scanning = (async () => {
    while (scanFlags !== undefined && loading) {
      const scan = scanOnce(port, scanFlags)
      current = scan.child
      scanned += (await scan.done).records
    }
  })()
  const r = await bench(port)
  loading = false
  current?.kill('SIGTERM') // this run's own child, by its handle
  await scanning
  return { opsPerSec: r.opsPerSec, cpuUs: ((cpuSeconds(pid) - before) / r.totalOps) * 1e6, scanned }
}

const metricsPort = await freePort()
const server = await startTally(CLI, ['--storage', 'memory', '--metrics-port', String(metricsPort)])
try {
  const url = `http://127.0.0.1:${metricsPort}/metrics`
  await load(server.port)
  const idle = await watch(server.port, url, sleep(5000))
  log(`no scan, 5 s: longest event-loop delay ${idle.lagMs.toFixed(1)} ms, slowest of ${idle.probes} GETs ${idle.probeMaxMs.toFixed(1)} ms`)
  const scan = scanOnce(server.port)
  const during = await watch(server.port, url, scan.done)
  const { records, seconds } = await scan.done
  log(`scan of ${records} records in ${seconds.toFixed(1)} s: longest event-loop delay ${during.lagMs.toFixed(1)} ms, slowest of ${during.probes} GETs ${during.probeMaxMs.toFixed(1)} ms`)
  console.log(`| ${RECORDS.toLocaleString('en-US')} records | scan time | records/s | longest event-loop delay | slowest GET (one at a time) |`)
  console.log(`|---|---|---|---|---|`)
  console.log(`| no scan (5 s) | – | – | ${idle.lagMs.toFixed(1)} ms | ${idle.probeMaxMs.toFixed(1)} ms |`)
  console.log(`| \`tally scan\` | ${seconds.toFixed(1)} s | ${Math.round(records / seconds).toLocaleString('en-US')} | ${during.lagMs.toFixed(1)} ms | ${during.probeMaxMs.toFixed(1)} ms |`)
  if (records !== RECORDS) log(`the scan returned ${records} records, not ${RECORDS}`)

  const variants: [string, string[] | undefined][] = [
    ['serving alone', undefined],
    ['serving while scanning (no limit)', []],
    [`serving while scanning at ${RATE.toLocaleString('en-US')} records/s`, ['--records-per-second', String(RATE)]],
  ]
  const results = new Map(variants.map(([name]) => [name, { ops: [] as number[], cpu: [] as number[], scanned: [] as number[] }]))
  for (let rep = 0; rep < REPS; rep++) {
    for (let k = 0; k < variants.length; k++) {
      const [name, flags] = variants[(rep + k) % variants.length]!
      const m = await serve(server.port, server.pid, flags)
      const r = results.get(name)!
      r.ops.push(m.opsPerSec)
      r.cpu.push(m.cpuUs)
      r.scanned.push(m.scanned / SECONDS)
      log(`rep ${rep + 1} ${name}: ${m.opsPerSec} ops/s, ${m.cpuUs.toFixed(2)} µs server CPU per op, ${Math.round(m.scanned / SECONDS)} records scanned/s`)
    }
  }
  const alone = median(results.get('serving alone')!.ops)
  console.log('')
  console.log(`| variant (medians of ${REPS}) | increments/s | ratio | server CPU per increment (scan included) | records scanned/s |`)
  console.log(`|---|---|---|---|---|`)
  for (const [name, r] of results)
    console.log(`| ${name} | ${Math.round(median(r.ops)).toLocaleString('en-US')} | ${(median(r.ops) / alone).toFixed(3)} | ${median(r.cpu).toFixed(2)} µs | ${Math.round(median(r.scanned)).toLocaleString('en-US')} |`)
} finally {
  await stop(server)
}
