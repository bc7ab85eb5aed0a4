// What watching the server costs it, in one run, interleaved: server CPU µs per increment and the ops/s the load
// gets (`tally bench --workload incr`, 50 connections x 16 in flight, records in memory), for
//   off       this checkout, no metrics endpoint
//   scraped   this checkout with --metrics-port, GET /metrics once a second while the load runs
//   base      the server of another checkout (--base DIR), to compare the request path before and after a change
//   node dist/bench/metrics-cost.js [--reps 5] [--seconds 6] [--base DIR]
// Medians over the reps, and each variant's ratio to `off`.
import path from 'node:path'
import { median, option } from './ab.js'
import { CLI, cpuSeconds, freePort, startTally, stop, tallyBenchInBackground, type BenchResult } from './processes.js'

const REPS = Number(option('reps', '5'))
const SECONDS = Number(option('seconds', '6'))
const BASE = option('base', '')

interface Variant {
  name: string
  cli: string
  scrape: boolean
}

const variants: Variant[] = [
  { name: 'off', cli: CLI, scrape: false },
  { name: 'scraped', cli: CLI, scrape: true },
  ...(BASE === '' ? [] : [{ name: 'base', cli: path.resolve(BASE, 'dist/server/cli.js'), scrape: false }]),
]

const log = (line: string): void => void process.stderr.write(`[metrics-cost] ${line}\n`)

const bench = (port: number): Promise<BenchResult> => tallyBenchInBackground(port, ['--workload', 'incr', '--keys', '100000', '--connections', '50', '--depth', '16', '--duration', String(SECONDS)])

/** GET /metrics every second until stopped; how many scrapes answered, and their mean size. */
function scrapeEverySecond(url: string): () => { scrapes: number; bytes: number } {
  let scrapes = 0
  let bytes = 0
  const timer = setInterval(() => {
    fetch(url).then(
      async (res) => {
        bytes += (await res.text()).length
        scrapes++
      },
      (err: Error) => log(`scrape failed: ${err.message}`),
    )
  }, 1000)
  return () => {
    clearInterval(timer)
    return { scrapes, bytes: scrapes > 0 ? bytes / scrapes : 0 }
  }
}

async function measure(v: Variant): Promise<{ cpuUs: number; opsPerSec: number; scrapes: number; bytes: number }> {
  const metricsPort = v.scrape ? await freePort() : undefined
  const server = await startTally(v.cli, ['--storage', 'memory', ...(metricsPort === undefined ? [] : ['--metrics-port', String(metricsPort)])])
  try {
    const port = server.port
    const metrics = metricsPort === undefined ? undefined : `http://127.0.0.1:${metricsPort}/metrics`
    const before = cpuSeconds(server.pid)
    const stopScraping = metrics === undefined ? () => ({ scrapes: 0, bytes: 0 }) : scrapeEverySecond(metrics)
    const r = await bench(port)
    const scraped = stopScraping()
    return { cpuUs: ((cpuSeconds(server.pid) - before) / r.totalOps) * 1e6, opsPerSec: r.opsPerSec, ...scraped }
  } finally {
    await stop(server)
  }
}

const results = new Map(variants.map((v) => [v.name, { cpuUs: [] as number[], opsPerSec: [] as number[], scrapes: 0, bytes: 0 }]))
for (let rep = 0; rep < REPS; rep++) {
  for (let k = 0; k < variants.length; k++) {
    const v = variants[(rep + k) % variants.length]!
    const m = await measure(v)
    const r = results.get(v.name)!
    r.cpuUs.push(m.cpuUs)
    r.opsPerSec.push(m.opsPerSec)
    r.scrapes += m.scrapes
    r.bytes = Math.max(r.bytes, m.bytes)
    log(`rep ${rep + 1} ${v.name}: ${m.cpuUs.toFixed(2)} µs/op server CPU, ${m.opsPerSec} ops/s${v.scrape ? `, ${m.scrapes} scrapes of ${Math.round(m.bytes)} bytes` : ''}`)
  }
}
const off = results.get('off')!
console.log(`| variant | server CPU per increment | ratio | ops/s | ratio |`)
console.log(`|---------|--------------------------|-------|-------|-------|`)
for (const [name, r] of results) {
  const cpu = median(r.cpuUs)
  const ops = median(r.opsPerSec)
  const extra = r.scrapes > 0 ? ` (${r.scrapes} scrapes, ${Math.round(r.bytes / 1024)} KiB each)` : ''
  console.log(`| ${name}${extra} | ${cpu.toFixed(2)} µs | ${(cpu / median(off.cpuUs)).toFixed(3)} | ${Math.round(ops).toLocaleString('en-US')} | ${(ops / median(off.opsPerSec)).toFixed(3)} |`)
}
