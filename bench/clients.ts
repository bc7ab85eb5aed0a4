// The clients `tally bench` drives, through their public APIs as an app would: Tally's own (one client of one
// connection per --connections, --depth requests in flight on each), or the official Aerospike client (npm
// `aerospike`, a dev dependency: one client, one connection per request in flight, as it never pipelines).
import { connect, Key, type Bins, type Client, type WriteMeta } from '../client/index.js'
import type { BenchOptions } from './options.js'

/** One operation on the record of integer key `key`. */
export interface BenchClient {
  /** Adds 1 to bin `b`. */
  increment(key: number, meta: WriteMeta | undefined): Promise<unknown>
  get(key: number): Promise<unknown>
  put(key: number, bins: Bins, meta: WriteMeta | undefined): Promise<unknown>
  /** Tally's client, for the workloads only it serves (counters sessions). */
  readonly tally: Client | undefined
  close(): Promise<void>
}

/** The clients of a run, and how many requests each has in flight. */
export interface BenchClients {
  clients: BenchClient[]
  inFlightEach: number
}

export async function openClients(options: BenchOptions): Promise<BenchClients> {
  if (options.protocol === 'aerospike') return { clients: [await aerospikeClient(options)], inFlightEach: options.connections * options.depth }
  const hosts = `${options.host}:${options.port}`
  const policy = { totalTimeoutMs: options.timeoutMs, maxRetries: 0 }
  const security = { ...(options.user === undefined ? {} : { user: options.user, password: options.password }), ...(options.tls === undefined ? {} : { tls: options.tls }) }
  const clients: BenchClient[] = []
  // In groups, so that thousands of connections do not all knock at once.
  for (let i = 0; i < options.connections; i += 100) {
    const group = Math.min(100, options.connections - i)
    const opened = await Promise.all(Array.from({ length: group }, () => connect({ hosts, poolSize: 1, policy, connectTimeoutMs: options.timeoutMs, ...security })))
    clients.push(...opened.map((client) => tallyClient(client, options)))
  }
  return { clients, inFlightEach: options.depth }
}

function tallyClient(client: Client, { namespace, set }: BenchOptions): BenchClient {
  // A Key per operation, digest included, as an app would make them.
  return {
    tally: client,
    increment: (key, meta) => client.increment(new Key(namespace, set, key), 'b', 1, undefined, meta),
    get: (key) => client.get(new Key(namespace, set, key)),
    put: (key, bins, meta) => client.put(new Key(namespace, set, key), bins, meta),
    close: () => client.close(),
  }
}

async function aerospikeClient(options: BenchOptions): Promise<BenchClient> {
  let Aerospike: typeof import('aerospike')
  try {
    Aerospike = (await import('aerospike')).default
  } catch (err) {
    throw new Error(`--protocol aerospike drives the official Aerospike client, which is not installed (npm install aerospike@6.7.1): ${(err as Error).message}`)
  }
  const { namespace, set } = options
  const timeouts = { totalTimeout: options.timeoutMs, socketTimeout: options.timeoutMs, maxRetries: 0 }
  const client = await Aerospike.connect({
    hosts: `${options.host}:${options.port}`,
    log: { level: Aerospike.log.OFF },
    // One connection per request in flight: the client sends one request per connection at a time.
    maxConnsPerNode: options.connections * options.depth,
    policies: { read: timeouts, write: timeouts, operate: timeouts },
  })
  const incr = [Aerospike.operations.incr('b', 1)]
  const ttlOf = (meta: WriteMeta | undefined) => (meta?.ttl === undefined ? undefined : { ttl: meta.ttl })
  return {
    tally: undefined,
    increment: (key, meta) => client.operate(new Aerospike.Key(namespace, set, key), incr, ttlOf(meta)),
    get: (key) => client.get(new Aerospike.Key(namespace, set, key)),
    put: (key, bins, meta) => client.put(new Aerospike.Key(namespace, set, key), bins as Record<string, never>, ttlOf(meta)),
    close: async () => client.close(),
  }
}
