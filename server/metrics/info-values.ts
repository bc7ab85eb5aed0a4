// The values of the info commands `latencies` and `slowlog`. `latencies` is Aerospike's `latencies:` (5.1 and
// later), so that asadm and the Aerospike Prometheus exporter read it: one histogram per namespace and op kind,
// `{ns}-kind:msec,<ops/s>,<% over 1 ms>,<% over 2 ms>,...,<% over 65536 ms>`, over the last ticker interval, and
// `{ns}-kind:` for one that saw no request in it.
import type { SlowLog } from '../slow-log.js'
import type { LatencyHistogram } from './latency-histogram.js'
import { OP_KINDS, type OpLatencies } from './op-latencies.js'

/** Columns of a `latencies` row: share of requests over 2^0 to 2^16 ms. */
const COLUMNS = 17

/** `latencies` or `latencies:` (every histogram), or `latencies:hist={ns}-kind` (one). */
export function latenciesValue(ops: OpLatencies, params: string): string {
  const rows = ops.last.map((h, slot) => {
    const { ns, kind } = ops.describe(slot)
    return { name: `{${ns}}-${kind}`, h }
  })
  if (params === '') return rows.map(({ name, h }) => row(name, h, ops.lastSeconds)).join(';')
  const hist = /^hist=(.*)$/.exec(params)
  if (hist === null) return `ERROR:4:unrecognized latencies parameter (hist={ns}-kind, kind one of ${OP_KINDS.join(', ')})`
  const wanted = rows.find(({ name }) => name === hist[1])
  return wanted === undefined ? `ERROR:4:no histogram ${hist[1]}` : row(wanted.name, wanted.h, ops.lastSeconds)
}

function row(name: string, h: LatencyHistogram, seconds: number): string {
  if (h.total === 0 || seconds === 0) return `${name}:`
  const over = Array.from({ length: COLUMNS }, (_, i) => h.overPct(2 ** i).toFixed(2))
  return `${name}:msec,${(h.total / seconds).toFixed(1)},${over.join(',')}`
}

/**
 * `slowlog`: the slow requests kept, newest first, `;` between them, each
 * `time=<ms since epoch>:op=<op>:ns=<ns>:set=<set>:digest=<hex>:latency_us=<µs>`; the set is URI-encoded (a set
 * name may hold `:` or `;`), and empty for a request that named none.
 */
export function slowLogValue(log: SlowLog): string {
  return log
    .entries()
    .map((op) => `time=${op.timeMs}:op=${op.op}:ns=${op.ns}:set=${encodeURIComponent(op.set ?? '')}:digest=${op.digest}:latency_us=${op.latencyUs}`)
    .join(';')
}
