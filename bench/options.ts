// `tally bench` options: one interface, one defaults object, and the parsers for the workload and bin specs.

/** What the load consists of. */
export type Workload =
  /** Increments of bin `b` on random keys. */
  | { kind: 'incr' }
  /** Reads (`get`) and updates (`put` of the bin spec) on random keys; `readPct` percent are reads. */
  | { kind: 'ru'; readPct: number }
  /** Writes keys 0..keys-1 once each, then stops. */
  | { kind: 'insert' }
  /** A counters session per operation: `counters` counters incremented on each of `records` random records, saved at once. */
  | { kind: 'counters'; records: number; counters: number }

/** One bin of a put workload: int, double, string of `size` characters, or `size` random bytes. */
export interface BinSpec {
  name: string
  type: 'I' | 'D' | 'S' | 'B'
  size: number
}

export interface BenchOptions {
  /** The protocol, and so the client: Tally's own, or the official Aerospike client against the Aerospike listener. */
  protocol: 'tally' | 'aerospike'
  host: string
  port: number
  namespace: string
  set: string
  /** Size of the key space: keys are the integers 0..keys-1. */
  keys: number
  workload: Workload
  bins: BinSpec[]
  /** TTL in seconds given with every write; undefined keeps records' TTLs. */
  ttlSec: number | undefined
  /**
   * Client connections, each with its own `depth` requests in flight. The Aerospike client sends one request per
   * connection at a time: it has `connections` x `depth` connections instead.
   */
  connections: number
  depth: number
  /** Stop after this many seconds (not counting warm-up)... */
  durationSec: number
  /** ...or after this many operations, if set. */
  ops: number | undefined
  /** Most operations per second over all connections; 0 = as fast as possible. */
  throughput: number
  /** Seconds of load before measuring starts. */
  warmupSec: number
  /** Per-request timeout. */
  timeoutMs: number
  /** Print one JSON object as the last line of stdout. */
  json: boolean
  /** Log in as this user with this password (Tally protocol). */
  user?: string
  password?: string
  /** Connect with TLS (Tally protocol). */
  tls?: { ca: Buffer; servername?: string }
  /** Write an HTML report of the run to this file. */
  report: string | undefined
}

export const DEFAULT_BENCH_OPTIONS: BenchOptions = {
  protocol: 'tally',
  host: '127.0.0.1',
  port: 3100,
  namespace: 'test',
  set: 'bench',
  keys: 100_000,
  workload: { kind: 'incr' },
  bins: [{ name: 'b', type: 'I', size: 8 }],
  ttlSec: undefined,
  connections: 16,
  depth: 16,
  durationSec: 10,
  ops: undefined,
  throughput: 0,
  warmupSec: 0,
  timeoutMs: 5000,
  json: false,
  report: undefined,
}

/** Parses `incr`, `insert`, `ru,READPCT` (READPCT from 0 to 100) or `counters[,RECORDS[,COUNTERS]]` (default 3 and 2). */
export function parseWorkload(text: string): Workload {
  if (text === 'incr' || text === 'insert') return { kind: text }
  const ru = /^ru,(\d{1,3})$/.exec(text)
  if (ru !== null && Number(ru[1]) <= 100) return { kind: 'ru', readPct: Number(ru[1]) }
  const counters = /^counters(?:,(\d{1,4})(?:,(\d{1,4}))?)?$/.exec(text)
  if (counters !== null) {
    const records = Number(counters[1] ?? 3)
    const perRecord = Number(counters[2] ?? 2)
    if (records >= 1 && perRecord >= 1) return { kind: 'counters', records, counters: perRecord }
  }
  throw new Error(`unknown workload '${text}': use incr, insert, ru,READPCT (e.g. ru,80) or counters,RECORDS,COUNTERS (e.g. counters,3,2)`)
}

/**
 * Parses a bin spec in asbench's style: comma-separated `I` (int), `D` (double), `S<n>` (string of n characters),
 * `B<n>` (n bytes). Bins are named b, b2, b3, ...
 */
export function parseBins(text: string): BinSpec[] {
  const parts = text.split(',').map((p) => p.trim())
  return parts.map((part, i): BinSpec => {
    const match = /^([IDSB])(\d*)$/.exec(part)
    if (match === null) throw new Error(`cannot read bin spec '${part}': use I, D, S<n> or B<n>`)
    const type = match[1] as BinSpec['type']
    const size = match[2] === '' ? (type === 'S' || type === 'B' ? 16 : 8) : Number(match[2])
    if ((type === 'I' || type === 'D') && match[2] !== '') throw new Error(`bin spec '${part}': I and D take no size`)
    if (!(size >= 1 && size <= 1_000_000)) throw new Error(`bin spec '${part}': size must be 1 to 1000000`)
    return { name: i === 0 ? 'b' : `b${i + 1}`, type, size }
  })
}

/** A short description of a workload, as used in output. */
export function workloadName(workload: Workload): string {
  if (workload.kind === 'ru') return `ru,${workload.readPct}`
  if (workload.kind === 'counters') return `counters,${workload.records},${workload.counters}`
  return workload.kind
}
