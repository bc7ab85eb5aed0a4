// The load loop of `tally bench`: clients (clients.ts) with workers that each issue one request at a time through
// the public client library, so the figures are what a Node app gets. Latency goes into a histogram; every second
// a progress line, at the end a summary.
import { Key, type Bins, type Client, type WriteMeta } from '../client/index.js'
import { openClients, type BenchClient } from './clients.js'
import { Histogram } from './histogram.js'
import type { BenchOptions, BinSpec } from './options.js'

/** Counts for one op type. */
interface TypeCounts {
  ops: number
  errors: Map<number, number>
}

/** What one second (or the whole run) saw. */
export interface Interval {
  seconds: number
  byType: Map<string, TypeCounts>
  latency: Histogram
}

/** The outcome of a run. */
export interface BenchResult {
  /** Measured interval: after warm-up. */
  measured: Interval
  /** Every request completed, warm-up and errors included. */
  totalOps: number
}

/** Receives a progress report once a second. */
export type ProgressListener = (elapsedSec: number, second: Interval) => void

export async function runBench(options: BenchOptions, onProgress: ProgressListener = () => {}): Promise<BenchResult> {
  const { clients, inFlightEach } = await openClients(options)
  try {
    return await drive(clients, inFlightEach, options, onProgress)
  } finally {
    await Promise.all(clients.map((c) => c.close()))
  }
}

function newInterval(): Interval {
  return { seconds: 0, byType: new Map(), latency: new Histogram() }
}

function countsFor(interval: Interval, type: string): TypeCounts {
  let counts = interval.byType.get(type)
  if (counts === undefined) interval.byType.set(type, (counts = { ops: 0, errors: new Map() }))
  return counts
}

async function drive(clients: BenchClient[], inFlightEach: number, options: BenchOptions, onProgress: ProgressListener): Promise<BenchResult> {
  const { workload, keys, namespace, set } = options
  const meta = options.ttlSec === undefined ? undefined : { ttl: options.ttlSec }
  const binsFor = binMaker(options.bins)
  const started = performance.now()
  const measureFrom = started + options.warmupSec * 1000
  const stopAt = measureFrom + options.durationSec * 1000
  const opLimit = workload.kind === 'insert' ? (options.ops ?? keys) : options.ops
  let issued = 0
  let completed = 0
  let measuring = options.warmupSec === 0
  let measuredAt = measuring ? started : 0
  const measured = newInterval()
  let second = newInterval()

  const ticker = setInterval(() => {
    second.seconds = 1
    onProgress((performance.now() - started) / 1000, second)
    second = newInterval()
  }, 1000)

  const record = (type: string, t0: number, err: unknown): void => {
    const now = performance.now()
    completed++
    if (!measuring && now >= measureFrom) {
      measuring = true
      measuredAt = now
    }
    const us = (now - t0) * 1000
    tally(second, type, us, err)
    if (measuring) tally(measured, type, us, err)
  }

  const worker = async (client: BenchClient): Promise<void> => {
    for (;;) {
      if (options.throughput > 0) {
        const due = started + (issued / options.throughput) * 1000
        const wait = due - performance.now()
        if (wait > 1) await new Promise((r) => setTimeout(r, wait))
      }
      const t0 = performance.now()
      if (opLimit !== undefined ? issued >= opLimit : t0 >= stopAt) return
      const key = workload.kind === 'insert' ? issued : Math.floor(Math.random() * keys)
      issued++
      let type: string
      let op: Promise<unknown>
      if (workload.kind === 'incr') {
        type = 'incr'
        op = client.increment(key, meta)
      } else if (workload.kind === 'counters') {
        type = 'save'
        op = saveCounters(client.tally!, new Key(namespace, set, key), workload, options, meta)
      } else if (workload.kind === 'ru' && Math.random() * 100 < workload.readPct) {
        type = 'read'
        op = client.get(key)
      } else {
        type = workload.kind === 'insert' ? 'insert' : 'update'
        op = client.put(key, binsFor(), meta)
      }
      try {
        await op
        record(type, t0, undefined)
      } catch (err) {
        record(type, t0, err)
      }
    }
  }

  try {
    await Promise.all(clients.flatMap((client) => Array.from({ length: inFlightEach }, () => worker(client))))
  } finally {
    clearInterval(ticker)
  }
  measured.seconds = measuring ? (performance.now() - measuredAt) / 1000 : 0
  return { measured, totalOps: completed }
}

/** One counters session: a few counters on each of a few random records (the first `key`), saved in one batch. */
function saveCounters(client: Client, key: Key, workload: { records: number; counters: number }, options: BenchOptions, meta: WriteMeta | undefined): Promise<unknown> {
  const session = client.openSession(meta === undefined ? undefined : { meta })
  for (let r = 0; r < workload.records; r++) {
    const counters = session.countersFor(r === 0 ? key : new Key(options.namespace, options.set, Math.floor(Math.random() * options.keys)))
    for (let c = 1; c <= workload.counters; c++) counters.increment(`c${c}`)
  }
  return session.saveChanges()
}

function tally(interval: Interval, type: string, us: number, err: unknown): void {
  const counts = countsFor(interval, type)
  if (err === undefined) {
    counts.ops++
    interval.latency.record(us)
  } else {
    // TallyError and AerospikeError alike carry the status as a numeric code.
    const code = typeof (err as { code?: unknown })?.code === 'number' ? (err as { code: number }).code : -1
    counts.errors.set(code, (counts.errors.get(code) ?? 0) + 1)
  }
}

/** A function that makes the bins of one put, following the spec. */
function binMaker(spec: BinSpec[]): () => Bins {
  return () => {
    const bins: Bins = {}
    for (const { name, type, size } of spec) {
      if (type === 'I') bins[name] = Math.floor(Math.random() * 1_000_000)
      else if (type === 'D') bins[name] = Math.random() + 0.5
      else if (type === 'S') bins[name] = randomString(size)
      else bins[name] = Buffer.alloc(size, Math.floor(Math.random() * 256))
    }
    return bins
  }
}

function randomString(length: number): string {
  const letter = String.fromCharCode(97 + Math.floor(Math.random() * 26))
  return letter.repeat(length)
}
