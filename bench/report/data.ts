// What the HTML report of a `tally bench` run shows: one point per second as the run goes (ops per type, errors per
// status, p50/p99/max of all requests), and at the end the settings, the JSON result, and each op type's latency
// histogram.
import { statusName } from '../../protocol/status.js'
import { SERVER_VERSION } from '../../server/version.js'
import type { Histogram } from '../histogram.js'
import { workloadName, type BenchOptions } from '../options.js'
import type { Interval } from '../runner.js'

/** One second of the run. */
export interface SecondPoint {
  /** Seconds since the run began (warm-up included), at the end of this second. */
  t: number
  /** Successful requests per second, per op type. */
  ops: Record<string, number>
  /** Failed requests per second, per status code. */
  errors: Record<string, number>
  p50Us: number
  p99Us: number
  maxUs: number
}

/** A histogram as bars: [lowUs, highUs, count], coarsened to BARS_PER_OCTAVE bars per doubling. */
export type Bars = [lowUs: number, highUs: number, count: number][]

export interface ReportData {
  title: string
  generated: string
  settings: [name: string, value: string][]
  /** The JSON result of the run (report.ts `resultJson`). */
  result: Record<string, unknown>
  statusNames: Record<string, string>
  timeline: SecondPoint[]
  histograms: Record<string, Bars>
}

const BARS_PER_OCTAVE = 4

/** The point of one second (or of the last part of one), from the progress report of that second. */
export function secondPoint(t: number, second: Interval): SecondPoint {
  const ops: Record<string, number> = {}
  const errors: Record<string, number> = {}
  const perSecond = (n: number): number => Math.round(n / (second.seconds || 1))
  for (const [type, counts] of second.byType) {
    ops[type] = perSecond(counts.ops)
    for (const [code, n] of counts.errors) errors[code] = (errors[code] ?? 0) + n
  }
  for (const code of Object.keys(errors)) errors[code] = perSecond(errors[code]!)
  const { latency } = second
  return { t: Math.round(t * 10) / 10, ops, errors, p50Us: Math.round(latency.percentile(50)), p99Us: Math.round(latency.percentile(99)), maxUs: Math.round(latency.max) }
}

/** Everything the page needs, from the run's options, its measured interval, its JSON result and its seconds. */
export function reportData(options: BenchOptions, measured: Interval, result: Record<string, unknown>, timeline: SecondPoint[]): ReportData {
  const codes = new Set<string>()
  for (const point of timeline) for (const code of Object.keys(point.errors)) codes.add(code)
  for (const code of Object.keys(result.errors as Record<string, number>)) codes.add(code)
  const histograms: Record<string, Bars> = {}
  for (const [type, counts] of measured.byType) histograms[type] = bars(counts.latency)
  return {
    title: `tally bench ${workloadName(options.workload)}: ${options.connections} connections x ${options.depth} in flight`,
    generated: new Date().toISOString(),
    settings: settings(options),
    result,
    statusNames: Object.fromEntries([...codes].map((code) => [code, statusName(Number(code))])),
    timeline,
    histograms,
  }
}

function settings(o: BenchOptions): [string, string][] {
  const spec = o.bins.map((b) => (b.type === 'I' || b.type === 'D' ? b.type : `${b.type}${b.size}`)).join(',')
  return [
    ['server', `${o.host}:${o.port}`],
    ['namespace / set', `${o.namespace} / ${o.set}`],
    ['workload', workloadName(o.workload)],
    ['keys', o.keys.toLocaleString('en-US')],
    ['bins', o.workload.kind === 'ru' || o.workload.kind === 'insert' ? spec : '-'],
    ['ttl', o.ttlSec === undefined ? 'as the namespace sets' : `${o.ttlSec} s`],
    ['connections x in flight', `${o.connections} x ${o.depth}`],
    ['length', o.ops !== undefined || o.workload.kind === 'insert' ? `${(o.ops ?? o.keys).toLocaleString('en-US')} ops` : `${o.durationSec} s`],
    ['warm-up', `${o.warmupSec} s`],
    ['throughput limit', o.throughput > 0 ? `${o.throughput.toLocaleString('en-US')} ops/s` : 'none'],
    ['request timeout', `${o.timeoutMs} ms`],
    ['client', `tally ${SERVER_VERSION}, Node.js ${process.version}`],
  ]
}

// The histogram's fine buckets, merged into BARS_PER_OCTAVE bars per doubling of the latency.
function bars(h: Histogram): Bars {
  const out: Bars = []
  for (const { lowUs, highUs, count } of h.buckets()) {
    const bar = Math.floor(Math.log2(Math.max(1, lowUs)) * BARS_PER_OCTAVE)
    const last = out.at(-1)
    if (last !== undefined && Math.floor(Math.log2(Math.max(1, last[0])) * BARS_PER_OCTAVE) === bar) {
      last[1] = highUs
      last[2] += count
    } else {
      out.push([lowUs, highUs, count])
    }
  }
  return out
}
