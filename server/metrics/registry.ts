// What GET /metrics shows, named after the Aerospike Prometheus exporter's metrics where it has them
// (`aerospike_namespace_objects` -> `tally_namespace_objects`, `aerospike_node_stats_*` -> `tally_node_stats_*`,
// `aerospike_latencies_read_*` -> `tally_latencies_read_us`), and after prom-client's defaults for the process.
// Everything is read at scrape time from what the server counts anyway.
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { Registry } from 'prom-client'
import type { Persistence } from '../persist/persistence.js'
import type { ServerStats } from '../stats.js'
import type { Namespace } from '../store/namespace.js'
import type { Store } from '../store/store.js'
import { counter, gauge, histogram, type Sample } from './collected.js'
import { OP_KINDS } from './op-latencies.js'

/** What the metrics are read from: a running server core. */
export interface MetricsSource {
  readonly store: Store
  readonly stats: ServerStats
  readonly persistence: Persistence | undefined
  readonly connections: number
  buffers(): { answerBytes: number; frameBytes: number }
}

/** `le` of the latency histograms: 2^k µs for k from 4 to 24, 16 µs to 16.8 s. */
const LATENCY_EXPONENTS = Array.from({ length: 21 }, (_, i) => i + 4)

/** A registry of every metric, and a function that stops what it started (the event-loop delay monitor). */
export function metricsRegistry(source: MetricsSource): { registry: Registry; close(): void } {
  const registry = new Registry()
  namespaceMetrics(registry, source)
  nodeMetrics(registry, source)
  logMetrics(registry, source)
  const close = processMetrics(registry)
  return { registry, close }
}

const NS = { labelNames: ['ns'] }

function namespaceMetrics(registry: Registry, { store, stats }: MetricsSource): void {
  const perNs = (read: (ns: Namespace) => number) => (): Sample[] => store.namespaces.map((ns) => [{ ns: ns.name }, read(ns)])
  gauge(registry, { name: 'tally_namespace_objects', help: 'live records (expired ones not yet swept included)', ...NS }, perNs((ns) => ns.objects))
  gauge(registry, { name: 'tally_namespace_data_used_bytes', help: 'memory the records take, as counted against data-size', ...NS }, perNs((ns) => ns.usedBytes))
  gauge(registry, { name: 'tally_namespace_data_total_bytes', help: 'the memory budget, data-size; 0: none', ...NS }, perNs((ns) => ns.config.dataSizeBytes))
  gauge(registry, { name: 'tally_namespace_stop_writes', help: '1 while writes are refused (memory over stop-writes-used-pct, or storage failed)', ...NS }, perNs((ns) => Number(ns.stopWrites || ns.writeBlock !== undefined)))
  counter(registry, { name: 'tally_namespace_evicted_objects', help: 'records evicted since start', ...NS }, perNs((ns) => ns.evictedObjects))
  counter(registry, { name: 'tally_namespace_expired_objects', help: 'records expired since start', ...NS }, perNs((ns) => ns.expiredObjects))
  const names = Object.keys(store.namespaces[0]?.requestStats ?? {}) as (keyof Namespace['requestStats'])[]
  for (const name of names) {
    counter(registry, { name: `tally_namespace_${name}`, help: `requests counted as ${name} (as in info namespace/<ns>)`, ...NS }, perNs((ns) => ns.requestStats[name]))
  }
  const { ops, opCounts } = stats
  counter(registry, { name: 'tally_namespace_ops_total', help: 'requests by op kind and status code (0: success)', labelNames: ['ns', 'op', 'code'] }, () => [
    ...ops.histograms.flatMap((_, slot): Sample[] => {
      const { ns, kind } = ops.describe(slot)
      let failed = 0
      const samples: Sample[] = []
      for (const [code, n] of ops.failures[slot]!) {
        samples.push([{ ns, op: kind, code: String(code) }, n])
        failed += n
      }
      return [[{ ns, op: kind, code: '0' }, ops.requests[slot]! - failed], ...samples]
    }),
    ...opCounts.counts().map(({ ns, op, status, count }): Sample => [{ ns, op, code: String(status) }, count]),
  ])
  for (const [k, kind] of OP_KINDS.entries()) {
    const help = `latency of ${kind} requests in µs, from the read of their batch to its answer (after fsync, when it waits for one)`
    histogram(registry, { name: `tally_latencies_${kind}_us`, help, ...NS }, LATENCY_EXPONENTS, () =>
      ops.namespaces.map((ns, i) => [{ ns }, ops.histograms[i * OP_KINDS.length + k]!]),
    )
  }
}

function nodeMetrics(registry: Registry, source: MetricsSource): void {
  const { stats } = source
  const one = (value: () => number) => (): Sample[] => [[{}, value()]]
  const node = (name: string): string => `tally_node_stats_${name}`
  gauge(registry, { name: node('client_connections'), help: 'client connections open now' }, one(() => source.connections))
  counter(registry, { name: node('client_connections_opened'), help: 'client connections accepted since start' }, one(() => stats.clientConnectionsOpened))
  counter(registry, { name: node('client_connections_closed'), help: 'client connections closed since start' }, one(() => stats.clientConnectionsClosed))
  counter(registry, { name: node('client_connections_refused'), help: 'connections refused over proto-fd-max' }, one(() => stats.clientConnectionsRefused))
  counter(registry, { name: node('client_frame_timeouts'), help: 'connections closed for a frame left unfinished' }, one(() => stats.clientFrameTimeouts))
  counter(registry, { name: node('client_slow_readers_closed'), help: 'connections closed for not reading their answers' }, one(() => stats.clientSlowReadersClosed))
  gauge(registry, { name: node('client_answer_buffer_bytes'), help: 'answer bytes held for clients now' }, one(() => source.buffers().answerBytes))
  gauge(registry, { name: node('client_frame_buffer_bytes'), help: 'bytes received and not yet cut into frames' }, one(() => source.buffers().frameBytes))
  counter(registry, { name: node('slow_ops'), help: 'requests at least slowlog-threshold-ms slow since start' }, one(() => stats.slowLog.count))
  gauge(registry, { name: node('uptime'), help: 'seconds since the server started' }, one(() => Math.floor((Date.now() - stats.started) / 1000)))
}

// Only when there are disk namespaces: the log and its snapshots.
function logMetrics(registry: Registry, { persistence }: MetricsSource): void {
  if (persistence === undefined) return
  const one = (value: () => number) => (): Sample[] => [[{}, value()]]
  histogram(registry, { name: 'tally_log_fsync_us', help: 'fsyncs of the log and their latency in µs' }, LATENCY_EXPONENTS, () => [[{}, persistence.fsyncs]])
  counter(registry, { name: 'tally_log_bytes', help: 'bytes of changes logged since start' }, one(() => persistence.position))
  gauge(registry, { name: 'tally_snapshot_age_seconds', help: 'seconds since the newest snapshot was written (since start if there is none)' }, one(() => (Date.now() - persistence.snapshotAtMs) / 1000))
  gauge(registry, { name: 'tally_node_stats_storage_free_bytes', help: 'free space on the data directory file system' }, () => (persistence.space ? [[{}, persistence.space.freeBytes]] : []))
  gauge(registry, { name: 'tally_node_stats_storage_total_bytes', help: 'size of the data directory file system' }, () => (persistence.space ? [[{}, persistence.space.totalBytes]] : []))
}

// Process memory, CPU and event-loop delay, under prom-client's default names. The delay is sampled every 10 ms
// by a timer of Node's own and reported over the time since the last scrape.
function processMetrics(registry: Registry): () => void {
  const one = (value: () => number) => (): Sample[] => [[{}, value()]]
  gauge(registry, { name: 'process_resident_memory_bytes', help: 'resident memory size in bytes' }, one(() => process.memoryUsage.rss()))
  gauge(registry, { name: 'nodejs_heap_size_used_bytes', help: 'V8 heap used in bytes' }, one(() => process.memoryUsage().heapUsed))
  gauge(registry, { name: 'nodejs_heap_size_total_bytes', help: 'V8 heap size in bytes' }, one(() => process.memoryUsage().heapTotal))
  gauge(registry, { name: 'nodejs_external_memory_bytes', help: 'memory of C++ objects bound to JavaScript (buffers) in bytes' }, one(() => process.memoryUsage().external))
  counter(registry, { name: 'process_cpu_seconds_total', help: 'user and system CPU time in seconds' }, one(() => {
    const { user, system } = process.cpuUsage()
    return (user + system) / 1e6
  }))
  const startSeconds = Math.round(Date.now() / 1000 - process.uptime())
  gauge(registry, { name: 'process_start_time_seconds', help: 'start time of the process since the epoch in seconds' }, one(() => startSeconds))
  const delay = monitorEventLoopDelay({ resolution: 10 })
  delay.enable()
  const lag = (name: string, help: string, value: () => number): void => gauge(registry, { name, help }, one(() => value() / 1e9))
  lag('nodejs_eventloop_lag_mean_seconds', 'mean event-loop delay since the last scrape', () => delay.mean || 0)
  lag('nodejs_eventloop_lag_p50_seconds', 'median event-loop delay since the last scrape', () => delay.percentile(50))
  lag('nodejs_eventloop_lag_p99_seconds', '99th percentile of event-loop delay since the last scrape', () => delay.percentile(99))
  // Last of the delay figures: read, then the next interval begins.
  lag('nodejs_eventloop_lag_max_seconds', 'longest event-loop delay since the last scrape', () => {
    const max = delay.max
    delay.reset()
    return max
  })
  return () => delay.disable()
}
