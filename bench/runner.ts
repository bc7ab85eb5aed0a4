// The load loop of `tally bench`: clients (clients.ts) with workers that each issue one request at a time through
// the public client library, so the figures are what a Node app gets. Latency goes into a histogram per op type and
// one for all; every second a progress line, at the end a summary. A server that cannot be reached, or that
// refuses every request alike, ends the run at once with why.
import net from 'node:net'
import { Key, type Client, type Bins, type WriteMeta } from '../client/index.js'
import { statusName } from '../protocol/status.js'
import { openClients, type BenchClient } from './clients.js'
import { Histogram } from './histogram.js'
import type { BenchOptions, BinSpec } from './options.js'

/** Counts for one op type. */
export interface TypeCounts {
  ops: number
  errors: Map<number, number>
  /** Latencies of its successful requests, in µs. */
  latency: Histogram
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

/** Requests that all failed alike, with none succeeding, after which the run stops (or after its first second). */
const FAILURES_TO_GIVE_UP = 100

export async function runBench(options: BenchOptions, onProgress: ProgressListener = () => {}): Promise<BenchResult> {
  await probe(options)
  const { clients, inFlightEach } = await openClients(options)
  try {
    return await drive(clients, inFlightEach, options, onProgress)
  } finally {
    await Promise.all(clients.map((c) => c.close()))
  }
}

// One TCP connection first: a server that is not there is reported at once, rather than after the connect timeout.
function probe({ host, port, timeoutMs }: BenchOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, timeout: timeoutMs })
    const fail = (why: string): void => {
      socket.destroy()
      reject(new Error(`cannot connect to ${host}:${port}: ${why}`))
    }
    socket.once('connect', () => {
      socket.destroy()
      resolve()
    })
    socket.once('timeout', () => fail(`no answer within ${timeoutMs} ms (--timeout-ms)`))
    socket.once('error', (err: NodeJS.ErrnoException) =>
      fail(err.code === 'ECONNREFUSED' ? 'connection refused (is a server listening there? --host, --port)' : err.message),
    )
  })
}

function newInterval(): Interval {
  return { seconds: 0, byType: new Map(), latency: new Histogram() }
}

function countsFor(interval: Interval, type: string): TypeCounts {
  let counts = interval.byType.get(type)
  if (counts === undefined) interval.byType.set(type, (counts = { ops: 0, errors: new Map(), latency: new Histogram() }))
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
  const refusals = new Refusals()

  let secondStart = started
  // Reports the second (or, at the end, the part of one) since the last report.
  const report = (now: number): void => {
    second.seconds = (now - secondStart) / 1000
    onProgress((now - started) / 1000, second)
    second = newInterval()
    secondStart = now
  }
  const ticker = setInterval(() => {
    report(performance.now())
    refusals.check(true)
  }, 1000)

  const record = (type: string, t0: number, err: unknown): void => {
    const now = performance.now()
    completed++
    refusals.note(err)
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
      if (refusals.reason !== undefined || (opLimit !== undefined ? issued >= opLimit : t0 >= stopAt)) return
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
  const now = performance.now()
  if (second.byType.size > 0 && now - secondStart >= 100) report(now)
  refusals.check(true)
  if (refusals.reason !== undefined) throw new Error(refusals.reason)
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

/**
 * Watches for a server that refuses every request alike (a namespace that does not exist, a full disk): once
 * FAILURES_TO_GIVE_UP requests, or all of the first second's, failed with one status and none succeeded, `reason`
 * says so and the run stops.
 */
class Refusals {
  reason: string | undefined
  #succeeded = 0
  #failed = 0
  #first: { code: number; message: string } | undefined
  #mixed = false

  note(err: unknown): void {
    if (err === undefined) {
      this.#succeeded++
      return
    }
    const code = statusOf(err)
    if (this.#first === undefined) this.#first = { code, message: (err as Error)?.message ?? String(err) }
    else if (code !== this.#first.code) this.#mixed = true
    this.#failed++
    this.check(false)
  }

  /** Decides, on `timeUp` (a second has passed, or the run ended) or once enough requests have failed. */
  check(timeUp: boolean): void {
    if (this.reason !== undefined || this.#succeeded > 0 || this.#mixed || this.#first === undefined) return
    if (!timeUp && this.#failed < FAILURES_TO_GIVE_UP) return
    const { code, message } = this.#first
    this.reason = `all ${this.#failed} requests failed with ${statusName(code)} (${code}), none succeeded: ${message}`
  }
}

// TallyError and AerospikeError alike carry the status as a numeric code; anything else counts as -1.
function statusOf(err: unknown): number {
  return typeof (err as { code?: unknown })?.code === 'number' ? (err as { code: number }).code : -1
}

function tally(interval: Interval, type: string, us: number, err: unknown): void {
  const counts = countsFor(interval, type)
  if (err === undefined) {
    counts.ops++
    counts.latency.record(us)
    interval.latency.record(us)
  } else {
    const code = statusOf(err)
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
