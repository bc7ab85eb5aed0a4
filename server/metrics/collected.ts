// Metrics read when Prometheus scrapes, from figures the server keeps anyway: nothing is added on the request path.
// Gauges and counters are prom-client's, set in their `collect`; histograms hand the registry the bucket counts of
// the server's power-of-two histograms, in the shape prom-client's metrics give it.
import { Counter, Gauge, type Metric, type Registry } from 'prom-client'
import type { LatencyHistogram } from './latency-histogram.js'

/** Label values of one sample. */
export type Labels = Record<string, string>
/** One sample: its labels and value. */
export type Sample = [labels: Labels, value: number]

interface Definition {
  name: string
  help: string
  labelNames?: string[]
}

/** A gauge whose samples are read at each scrape. */
export function gauge(registry: Registry, d: Definition, read: () => Sample[]): void {
  new Gauge({
    ...d,
    registers: [registry],
    collect() {
      this.reset()
      for (const [labels, value] of read()) this.set(labels, value)
    },
  })
}

/** A counter whose samples (totals since start) are read at each scrape. */
export function counter(registry: Registry, d: Definition, read: () => Sample[]): void {
  new Counter({
    ...d,
    registers: [registry],
    collect() {
      this.reset()
      for (const [labels, value] of read()) this.inc(labels, value)
    },
  })
}

/**
 * A histogram in µs whose buckets are read at each scrape: `le` 2^k µs for each k of `exponents`. The server's
 * histograms count requests by power-of-two bucket as they are served; prom-client's Histogram only takes
 * observations one by one, so this hands the registry the counts as its own histograms do: `_bucket` samples with
 * cumulative counts, then `_sum` and `_count`.
 */
export function histogram(registry: Registry, d: Definition, exponents: number[], read: () => [Labels, LatencyHistogram][]): void {
  const values = (): { labels: Record<string, string | number>; value: number; metricName: string }[] =>
    read().flatMap(([labels, h]) => [
      ...exponents.map((k) => ({ labels: { ...labels, le: 2 ** k }, value: h.under(k), metricName: `${d.name}_bucket` })),
      { labels: { ...labels, le: '+Inf' }, value: h.total, metricName: `${d.name}_bucket` },
      { labels, value: h.sumUs, metricName: `${d.name}_sum` },
      { labels, value: h.total, metricName: `${d.name}_count` },
    ])
  const metric = {
    name: d.name,
    help: d.help,
    type: 'histogram',
    aggregator: 'sum',
    get: async () => ({ name: d.name, help: d.help, type: 'histogram', aggregator: 'sum', values: values() }),
    reset: () => {},
  }
  registry.registerMetric(metric as unknown as Metric)
}
