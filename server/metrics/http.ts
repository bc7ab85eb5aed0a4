// The metrics endpoint: GET /metrics answers every metric in Prometheus' text format, read at that moment. It listens
// on its own port (metrics-port), at the service's address; anything else gets 404 (another path) or 405.
import http from 'node:http'
import type net from 'node:net'
import type { Logger } from '../log.js'
import { describeSystemError, systemErrorCode } from '../system-errors.js'
import { metricsRegistry, type MetricsSource } from './registry.js'

/** A running metrics endpoint. */
export interface MetricsEndpoint {
  /** The address actually bound (the real port when 0 was asked for). */
  readonly address: { host: string; port: number }
  close(): Promise<void>
}

/** Serves /metrics of `source` on `host:port`; resolves once it listens. */
export async function serveMetrics(source: MetricsSource, host: string, port: number, log: Logger): Promise<MetricsEndpoint> {
  const { registry, close } = metricsRegistry(source)
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0]
    if (path !== '/metrics') return answer(res, 404, 'not found: the metrics are at /metrics\n')
    if (req.method !== 'GET' && req.method !== 'HEAD') return answer(res, 405, 'only GET\n', { allow: 'GET, HEAD' })
    registry.metrics().then(
      (text) => answer(res, 200, req.method === 'HEAD' ? '' : text, { 'content-type': registry.contentType }),
      (err: Error) => {
        log.error(`metrics: ${err.message}`)
        answer(res, 500, `cannot collect the metrics: ${err.message}\n`)
      },
    )
  })
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen({ host, port }, () => {
        server.off('error', reject)
        resolve()
      })
    })
  } catch (err) {
    close()
    const why = systemErrorCode(err) === 'EADDRINUSE' ? 'the port is in use (by another server?)' : describeSystemError(err)
    throw new Error(`cannot serve metrics on ${host}:${port}: ${why}; choose another --metrics-port (metrics-port in the service block of the config)`)
  }
  const bound = server.address() as net.AddressInfo
  return {
    address: { host: bound.address, port: bound.port },
    close: async () => {
      close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

function answer(res: http.ServerResponse, status: number, body: string, headers: http.OutgoingHttpHeaders = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers })
  res.end(body)
}
