// Output of `tally bench`: a progress line per second, a summary at the end, and the JSON result; latency for all
// requests and for each op type.
import { statusName } from '../protocol/status.js'
import type { Histogram } from './histogram.js'
import { workloadName, type BenchOptions } from './options.js'
import type { BenchResult, Interval } from './runner.js'

const PERCENTILES = { p50: 50, p90: 90, p99: 99, p999: 99.9 } as const

function errorsOf(interval: Interval): Record<string, number> {
  const errors: Record<string, number> = {}
  for (const counts of interval.byType.values()) for (const [code, n] of counts.errors) errors[code] = (errors[code] ?? 0) + n
  return errors
}

function opsOf(interval: Interval): number {
  let ops = 0
  for (const counts of interval.byType.values()) ops += counts.ops
  return ops
}

function ms(us: number): string {
  return us >= 1000 ? `${(us / 1000).toFixed(1)}ms` : `${Math.round(us)}us`
}

function describeErrors(errors: Record<string, number>): string {
  const entries = Object.entries(errors)
  return entries.length === 0 ? 'none' : entries.map(([code, n]) => `${statusName(Number(code))}(${code}) ${n}`).join(', ')
}

/** `[  3s] incr 152,340/s  errors: none  p50 310us p99 1.2ms`: rates over the second (or the last part of one). */
export function progressLine(elapsedSec: number, second: Interval): string {
  const rate = (n: number): string => Math.round(n / (second.seconds || 1)).toLocaleString('en-US')
  const types = [...second.byType].map(([type, c]) => `${type} ${rate(c.ops)}/s`).join('  ') || 'no ops'
  const latency = second.latency
  return `[${elapsedSec.toFixed(0).padStart(4)}s] ${types}  errors: ${describeErrors(errorsOf(second))}  p50 ${ms(latency.percentile(50))} p99 ${ms(latency.percentile(99))}`
}

export function latencyOf(histogram: Histogram): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [name, p] of Object.entries(PERCENTILES)) out[name] = Math.round(histogram.percentile(p))
  out.max = Math.round(histogram.max)
  out.mean = Math.round(histogram.mean)
  return out
}

/**
 * The JSON result: ops (measured, successful), totalOps (every request), seconds, opsPerSec, latencyUs, errors, and
 * byType: per op type its ops, opsPerSec, latencyUs and errors.
 */
export function resultJson(options: BenchOptions, result: BenchResult): Record<string, unknown> {
  const { measured } = result
  const ops = opsOf(measured)
  const seconds = measured.seconds
  const byType: Record<string, { ops: number; opsPerSec: number; latencyUs: Record<string, number>; errors: Record<string, number> }> = {}
  for (const [type, c] of measured.byType) {
    const opsPerSec = seconds > 0 ? Math.round(c.ops / seconds) : 0
    byType[type] = { ops: c.ops, opsPerSec, latencyUs: latencyOf(c.latency), errors: Object.fromEntries(c.errors) }
  }
  return {
    workload: workloadName(options.workload),
    connections: options.connections,
    depth: options.depth,
    keys: options.keys,
    ops,
    totalOps: result.totalOps,
    seconds: Number(seconds.toFixed(3)),
    opsPerSec: seconds > 0 ? Math.round(ops / seconds) : 0,
    byType,
    latencyUs: latencyOf(measured.latency),
    errors: errorsOf(measured),
  }
}

const latencyLine = (latency: Record<string, number>): string =>
  `p50 ${ms(latency.p50!)}  p90 ${ms(latency.p90!)}  p99 ${ms(latency.p99!)}  p99.9 ${ms(latency.p999!)}  max ${ms(latency.max!)}`

/** The human summary printed at the end: totals, latency of all requests, then of each op type when there are several. */
export function summary(json: Record<string, unknown>): string {
  const byType = Object.entries(json.byType as Record<string, { ops: number; opsPerSec: number; latencyUs: Record<string, number> }>)
  const width = Math.max(...byType.map(([type]) => type.length))
  const lines = [
    `workload ${json.workload}: ${json.connections} connections x ${json.depth} in flight, ${json.keys} keys`,
    `ops ${Number(json.ops).toLocaleString('en-US')} in ${json.seconds}s = ${Number(json.opsPerSec).toLocaleString('en-US')} ops/s`,
    `latency ${latencyLine(json.latencyUs as Record<string, number>)}`,
    ...(byType.length > 1 ? byType.map(([type, c]) => `  ${type.padEnd(width)}  ${c.opsPerSec.toLocaleString('en-US')} ops/s  ${latencyLine(c.latencyUs)}`) : []),
    `errors: ${describeErrors(json.errors as Record<string, number>)}`,
  ]
  return lines.join('\n')
}
