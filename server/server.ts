// The Tally server: a core that serves any duplex stream (`handle`), and `startServer`, the thin TCP shell around
// it that the daemon and the end-to-end tests use.
import net from 'node:net'
import type { Duplex } from 'node:stream'
import { DEFAULT_MAX_FRAME_BYTES, FRAME_HEADER_BYTES } from '../protocol/frame.js'
import { PROTOCOL_VERSION, type Hello } from '../protocol/messages.js'
import { FrameWriter } from '../protocol/msgpack-writer.js'
import { writeHello } from '../protocol/response-codec.js'
import { AnswerBudget, FrameBudget } from './budgets.js'
import { ServerConnection, type ConnectionContext } from './connection.js'
import { silentLogger, type Logger } from './log.js'
import { DEFAULT_PERSISTENCE, Persistence } from './persist/persistence.js'
import type { FileSystem } from './persist/files.js'
import type { Clock } from './store/clock.js'
import type { NamespaceConfig } from './store/namespace.js'
import { Store } from './store/store.js'
import { SERVER_VERSION } from './version.js'
import { infoValue, type InfoSource } from './info.js'
import { ServerStats } from './stats.js'
import type { MetricsEndpoint } from './metrics/http.js'
import { OP_KINDS } from './metrics/op-latencies.js'
import { DEFAULT_SLOW_LOG } from './slow-log.js'
import { Refusals } from './refusals.js'
import { TallyWire } from './tally-wire.js'
import { AerospikeWire } from './aerospike/aerospike-wire.js'
import { listen, stopListening } from './listener.js'
import { ThrottledWarning } from './throttled-warning.js'
import { DEFAULT_WRITE_WINDOW, WriteWindow } from './window/write-window.js'
import { tlsServerOptions, type TlsOptions } from './security/tls.js'
import { DEFAULT_SECURITY, Security, type SecurityOptions } from './security/security.js'
import { ClusterNode, type ClusterOptions } from './cluster/cluster-node.js'
import { peerNonce } from './cluster/peer-auth.js'

/** Options of a server. CLI flags map one-to-one onto these. */
export interface ServerOptions {
  host?: string
  /** TCP port of Tally's protocol; 0 picks a free one (read it back from `address`). */
  port?: number
  /**
   * TCP port of Aerospike's protocol (docs/aerospike.md); 0 picks a free one (read it back from `aerospikeAddress`);
   * null: no such listener. `tally server` opens it on AEROSPIKE_SERVICE_PORT unless told otherwise; here it is
   * opened only when asked for, so that a server started on port 0 takes no fixed port.
   */
  aerospikePort?: number | null
  /**
   * Where namespaces keep records unless they say otherwise: `disk` (logged to `dataDir`, restored on restart) or
   * `memory` (gone when the server stops).
   */
  storage?: 'memory' | 'disk'
  /** Directory of the log and snapshots of disk namespaces. One server per directory. */
  dataDir?: string
  /** Disk namespaces: answer a write only once it is fsynced (group commit). False: `flushMs` mode. */
  commitToDevice?: boolean
  /** Disk namespaces without commitToDevice: fsync at most this many ms after a write is answered. */
  flushMs?: number
  /** Size at which a log segment is closed and the next begun. */
  segmentBytes?: number
  /** Log bytes after which a background snapshot retires the log it covers. */
  snapshotLogBytes?: number
  /** File operations for persistence; tests inject failures here. */
  fileSystem?: FileSystem
  /** Largest frame body accepted or sent. */
  maxFrameBytes?: number
  /** Most keys in one batch request. */
  maxBatchKeys?: number
  /** Most client connections at once; more are refused (and logged). Aerospike's proto-fd-max. */
  maxConnections?: number
  /** Close a connection that sent nothing for this long; 0: never. Aerospike's proto-fd-idle-ms. */
  idleTimeoutMs?: number
  /** Most requests of one connection being served at once (waiting for the log included); past it, reading pauses. */
  maxInFlight?: number
  /** Most answer bytes held for one connection (waiting for the log, or for its client to read); past it, reading pauses. */
  maxAnswerBufferBytes?: number
  /**
   * Most answer bytes held for all connections together; at it no connection is read, and those whose clients
   * stopped reading longest are closed until the rest fit.
   */
  maxTotalAnswerBufferBytes?: number
  /**
   * Most bytes buffered for unfinished frames over all connections: a frame over 64 KiB reserves its size before
   * it is read, or waits for room. At least `maxFrameBytes` + 4.
   */
  maxTotalFrameBufferBytes?: number
  /** Close a connection that stays in the middle of one frame this long (status 9, or 8 if it waited for room); 0: never. */
  frameTimeoutMs?: number
  /** Interval of the ticker log line and of the reported latencies; 0: no ticker. */
  tickerIntervalMs?: number
  /** Most answers to write tokens remembered, over all clients (PROTOCOL.md §3.1); 0: none, tokens are ignored. */
  maxWriteWindowEntries?: number
  /** Answers to write tokens are kept at least this long while there is room; a client silent this long is forgotten. */
  writeWindowAgeMs?: number
  /** Port of the Prometheus endpoint (GET /metrics), at `host`; undefined: none. 0 picks a free one. */
  metricsPort?: number
  /** Requests at least this slow (batch read to answer) are counted and kept in the slow log; 0: none. */
  slowLogThresholdMs?: number
  /** Most slow requests the slow log keeps (the newest). */
  slowLogMaxEntries?: number
  /** TLS on both listeners (docs/security.md); undefined: plain TCP. */
  tls?: TlsOptions
  /** Users, roles and logins on both listeners (docs/security.md); the users live in `dataDir`. */
  security?: SecurityOptions
  /** Namespaces to serve; default: `test` with the default settings. */
  namespaces?: Partial<NamespaceConfig>[]
  /** How often namespaces that do not set their own sweep expired records (Aerospike's nsup-period); 0: never. */
  nsupPeriodMs?: number
  /** How long `close` waits for connections to finish before cutting them. */
  closeGraceMs?: number
  /** Makes this server a node of a cluster coordinated by etcd (docs/cluster.md); undefined: a server on its own. */
  cluster?: ClusterOptions
  clock?: Clock
  log?: Logger
}

export const DEFAULT_SERVER_OPTIONS = {
  host: '127.0.0.1',
  port: 3100,
  aerospikePort: null as number | null,
  storage: 'disk',
  dataDir: './data',
  commitToDevice: true,
  flushMs: 1000,
  segmentBytes: DEFAULT_PERSISTENCE.segmentBytes,
  snapshotLogBytes: DEFAULT_PERSISTENCE.snapshotLogBytes,
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
  maxBatchKeys: 5000,
  maxConnections: 15_000,
  idleTimeoutMs: 0,
  maxInFlight: 1024,
  maxAnswerBufferBytes: 4 * 1024 * 1024,
  maxTotalAnswerBufferBytes: 256 * 1024 * 1024,
  maxTotalFrameBufferBytes: 256 * 1024 * 1024,
  frameTimeoutMs: 10_000,
  tickerIntervalMs: 10_000,
  slowLogThresholdMs: DEFAULT_SLOW_LOG.thresholdMs,
  slowLogMaxEntries: DEFAULT_SLOW_LOG.maxEntries,
  nsupPeriodMs: 1000,
  closeGraceMs: 5000,
  maxWriteWindowEntries: DEFAULT_WRITE_WINDOW.maxEntries,
  writeWindowAgeMs: DEFAULT_WRITE_WINDOW.maxAgeMs,
} as const

/** The port `tally server` gives the Aerospike listener unless told otherwise: Aerospike's own. */
export const AEROSPIKE_SERVICE_PORT = 3000

/** The protocols a connection may speak: Tally's own, or Aerospike's (docs/aerospike.md). */
export type Protocol = 'tally' | 'aerospike'

/** Serves Tally's and Aerospike's protocols on any duplex stream; owns the store and its persistence. Create with `open`. */
export class ServerCore {
  readonly store: Store
  /** Persistence of the disk namespaces; undefined when every namespace is in memory. */
  readonly persistence: Persistence | undefined
  readonly stats: ServerStats
  readonly log: Logger
  /** Where the TCP shell listens, once it does (the real port when 0 was asked for). */
  listeningOn: { address: string; port: number } | undefined
  /** Where the Aerospike listener listens, and whether with TLS, once it does; undefined without one. */
  aerospikeListeningOn: { address: string; port: number; tls: boolean } | undefined
  readonly #context: ConnectionContext
  readonly #connections = new Set<ServerConnection>()
  readonly #streams = new Set<Duplex>()
  readonly #closeGraceMs: number
  readonly #ticker: NodeJS.Timeout | undefined
  readonly #frameTimer: NodeJS.Timeout | undefined
  readonly #refusals: Refusals
  readonly #hello: Uint8Array
  readonly #helloFields: Hello

  /** Users and logins; undefined when security is not enabled. */
  readonly security: Security | undefined

  private constructor(store: Store, persistence: Persistence | undefined, window: WriteWindow, stats: ServerStats, security: Security | undefined, cluster: ClusterNode | undefined, o: Resolved) {
    this.store = store
    this.persistence = persistence
    this.log = o.log ?? silentLogger
    this.stats = stats
    this.security = security
    const limits = { maxFrameBytes: o.maxFrameBytes, maxBatchKeys: o.maxBatchKeys }
    const hello: Hello = {
      protocol: PROTOCOL_VERSION,
      server: `tally/${SERVER_VERSION}`,
      maxFrameBytes: o.maxFrameBytes,
      maxRecordBytes: Math.min(...store.namespaces.map((ns) => ns.config.maxRecordBytes)),
      maxBatchKeys: o.maxBatchKeys,
      writeWindowMs: window.enabled ? window.maxAgeMs : 0,
      ...(o.cluster === undefined ? {} : { cluster: o.cluster.name }),
    }
    this.#helloFields = hello
    this.#hello = helloFrame(hello)
    const source: InfoSource = {
      store,
      stats: this.stats,
      connections: () => this.connections,
      buffers: () => this.buffers(),
      serviceConfig: () => ({ ...serviceConfig(o), port: this.aerospikeListeningOn?.port ?? o.aerospikePort ?? 'off' }),
      networkConfig: () => ({ 'service.address': this.listeningOn?.address ?? o.host, 'service.port': this.listeningOn?.port ?? o.port }),
      aerospike: () => this.aerospikeListeningOn,
      storageSpace: () => persistence?.space,
      window: () => window.stats(),
      cluster: () => this.#context.cluster,
    }
    this.#context = {
      store,
      limits,
      log: this.log,
      durability: persistence,
      stats: this.stats,
      maxInFlight: o.maxInFlight,
      maxAnswerBytes: o.maxAnswerBufferBytes,
      answers: new AnswerBudget(o.maxTotalAnswerBufferBytes),
      frames: new FrameBudget(o.maxTotalFrameBufferBytes),
      warnings: {
        slowReaders: new ThrottledWarning(this.log, (n, s) => `closed ${n} more connections whose clients did not read their answers in the last ${s} s (answer-buffer-total-max)`),
        frameTimeouts: new ThrottledWarning(this.log, (n, s) => `closed ${n} more connections for unfinished frames in the last ${s} s (frame-timeout-ms)`),
      },
      info: (command) => infoValue(source, command),
      window,
      security,
      cluster,
    }
    this.#refusals = new Refusals(this.log, this.stats, o.maxConnections)
    this.#closeGraceMs = o.closeGraceMs
    if (o.tickerIntervalMs > 0) {
      this.#ticker = setInterval(() => this.#tick(), o.tickerIntervalMs)
      this.#ticker.unref()
    }
    if (o.frameTimeoutMs > 0) {
      // Checked four times per timeout (at least every second): a frame is cut 1 to 1.5 timeouts after it began.
      const timeoutMs = o.frameTimeoutMs
      const sweep = (): void => {
        const now = performance.now()
        for (const connection of this.#connections) connection.checkFrameTimeout(now, timeoutMs)
      }
      this.#frameTimer = setInterval(sweep, Math.min(1000, Math.max(10, timeoutMs / 4)))
      this.#frameTimer.unref()
    }
  }

  /** Answer bytes held for clients, and bytes received but not yet cut into frames, over all connections. */
  buffers(): { answerBytes: number; frameBytes: number } {
    let frameBytes = 0
    for (const connection of this.#connections) frameBytes += connection.bufferedInputBytes
    return { answerBytes: this.#context.answers.used, frameBytes }
  }

  // The periodic status line: records, request rates by op kind over the interval, memory, connections.
  #tick(): void {
    const { ops } = this.stats
    ops.roll()
    const perKind = OP_KINDS.map((kind, k) => {
      const total = ops.last.reduce((n, h, slot) => (slot % OP_KINDS.length === k ? n + h.total : n), 0)
      return `${kind} ${Math.round(total / ops.lastSeconds)}`
    })
    const objects = this.store.namespaces.map((ns) => `${ns.name} ${ns.objects}`).join(', ')
    const memory = process.memoryUsage()
    const mb = (bytes: number): string => `${Math.round(bytes / 2 ** 20)} MB`
    this.log.info(
      `ticker: objects ${objects} | ops/s ${perKind.join(' ')} | slow ${this.stats.slowLog.count}` +
        ` | memory rss ${mb(memory.rss)} heap ${mb(memory.heapUsed)} | connections ${this.connections}`,
    )
  }

  /** Creates the store and, for disk namespaces, recovers them from `dataDir` before serving anything. */
  static async open(options: ServerOptions = {}): Promise<ServerCore> {
    const o = { ...DEFAULT_SERVER_OPTIONS, ...options }
    if (o.storage !== 'memory' && o.storage !== 'disk') throw new Error(`unknown storage '${String(o.storage)}' (memory or disk)`)
    if (o.maxTotalFrameBufferBytes < o.maxFrameBytes + FRAME_HEADER_BYTES)
      throw new Error(`frame-buffer-total-max (${o.maxTotalFrameBufferBytes} bytes) must hold one frame of max-frame-size (${o.maxFrameBytes} bytes) and its header`)
    // Before anything is opened: with security, forwarded requests act for their users only between nodes that
    // prove themselves (docs/cluster.md "Security").
    if (o.security?.enabled === true && o.cluster !== undefined && o.cluster.peerSecretFile === undefined)
      throw new Error('a cluster node with security needs the peer secret every node shares: peer-secret-file in the cluster block, or --peer-secret-file')
    const cluster = o.cluster === undefined ? undefined : new ClusterNode(o.cluster)
    const defaults = { storage: o.storage, commitToDevice: o.commitToDevice, flushMs: o.flushMs, nsupPeriodMs: o.nsupPeriodMs }
    const namespaces = (o.namespaces ?? [{}]).map((ns) => ({ ...defaults, ...ns }))
    const store = new Store({ namespaces, clock: o.clock })
    const window = new WriteWindow({ maxEntries: o.maxWriteWindowEntries, maxAgeMs: o.writeWindowAgeMs }, store.clock)
    let persistence: Persistence | undefined
    if (store.namespaces.some((ns) => ns.config.storage === 'disk')) {
      try {
        persistence = await Persistence.open(store, {
          dataDir: o.dataDir,
          log: o.log ?? silentLogger,
          segmentBytes: o.segmentBytes,
          snapshotLogBytes: o.snapshotLogBytes,
          ...(o.fileSystem === undefined ? {} : { fs: o.fileSystem }),
          ...(window.enabled ? { window } : {}),
        })
      } catch (err) {
        store.close()
        throw err
      }
      window.attach(persistence)
    }
    const stats = new ServerStats(
      store.namespaces.map((ns) => ns.name),
      { thresholdMs: o.slowLogThresholdMs, maxEntries: o.slowLogMaxEntries },
    )
    let security: Security | undefined
    if (o.security?.enabled === true) {
      try {
        security = await Security.open(o.dataDir, o.security, o.log ?? silentLogger, stats, store.clock)
      } catch (err) {
        await persistence?.close()
        store.close()
        throw err
      }
    }
    return new ServerCore(store, persistence, window, stats, security, cluster, o)
  }

  /** This server's cluster membership; undefined for a server on its own. */
  get cluster(): ClusterNode | undefined {
    return this.#context.cluster
  }

  /** Open connections. */
  get connections(): number {
    return this.#connections.size
  }

  /** Serves one client of `protocol` over `stream` until either side ends it. */
  handle(stream: Duplex, protocol: Protocol = 'tally'): ServerConnection {
    const context = this.#context
    const peer = (stream as Partial<net.Socket>).remoteAddress ?? 'a local stream'
    const wire = protocol === 'tally' ? this.#tallyWire(peer) : new AerospikeWire(context, peer)
    const connection = new ServerConnection(stream, context, wire)
    this.#connections.add(connection)
    this.#streams.add(stream)
    this.stats.clientConnectionsOpened++
    stream.once('close', () => {
      this.#connections.delete(connection)
      this.#streams.delete(stream)
      this.stats.clientConnectionsClosed++
    })
    return connection
  }

  // On a cluster whose nodes prove themselves with a peer secret, each hello carries a challenge of its own.
  #tallyWire(peer: string): TallyWire {
    if (this.#context.cluster?.peerSecret !== true) return new TallyWire(this.#context, this.#hello, peer)
    const nonce = peerNonce()
    return new TallyWire(this.#context, helloFrame({ ...this.#helloFields, peerNonce: nonce }), peer, nonce)
  }

  /** Answers a connection over `maxConnections` with status 8 (Aerospike's: closes it at once), then closes it (see refusals.ts). */
  refuse(stream: Duplex, peer?: string, protocol: Protocol = 'tally'): void {
    this.#streams.add(stream)
    stream.once('close', () => this.#streams.delete(stream))
    this.#refusals.refuse(stream, peer, protocol === 'tally')
  }

  /**
   * Answers what every connection has sent (once it is durable), ends them, syncs and closes the log, and stops the
   * store's background work.
   */
  async close(): Promise<void> {
    // A cluster node leaves first (seen down at once); a server on its own closes its connections without a pause.
    if (this.#context.cluster !== undefined) await this.#context.cluster.close()
    for (const connection of this.#connections) connection.close()
    const deadline = Date.now() + this.#closeGraceMs
    while (this.#streams.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
    for (const stream of this.#streams) stream.destroy()
    clearInterval(this.#ticker)
    clearInterval(this.#frameTimer)
    this.#refusals.flush()
    this.#context.warnings.slowReaders.flush()
    this.#context.warnings.frameTimeouts.flush()
    await this.persistence?.close()
    this.store.close()
  }
}

/** Options with every default filled in. */
type Resolved = Required<Omit<ServerOptions, 'clock' | 'log' | 'fileSystem' | 'namespaces' | 'aerospikePort' | 'metricsPort' | 'tls' | 'security' | 'cluster'>> & ServerOptions

/** The service settings in force, under their config-file names, for `get-config`. */
function serviceConfig(o: Resolved): Record<string, string | number | boolean> {
  return {
    address: o.host,
    port: o.port,
    'data-dir': o.dataDir,
    'proto-fd-max': o.maxConnections,
    'proto-fd-idle-ms': o.idleTimeoutMs,
    'in-flight-max': o.maxInFlight,
    'answer-buffer-max': o.maxAnswerBufferBytes,
    'answer-buffer-total-max': o.maxTotalAnswerBufferBytes,
    'frame-buffer-total-max': o.maxTotalFrameBufferBytes,
    'frame-timeout-ms': o.frameTimeoutMs,
    'batch-max-requests': o.maxBatchKeys,
    'max-frame-size': o.maxFrameBytes,
    'ticker-interval': o.tickerIntervalMs / 1000,
    'metrics-port': o.metricsPort ?? 'none',
    'slowlog-threshold-ms': o.slowLogThresholdMs,
    'slowlog-max-entries': o.slowLogMaxEntries,
    'segment-size': o.segmentBytes,
    'snapshot-log-size': o.snapshotLogBytes,
    'write-window-max': o.maxWriteWindowEntries,
    'write-window-age': o.writeWindowAgeMs / 1000,
    // Whether security and TLS are on; never a password (docs/security.md).
    'enable-security': o.security?.enabled === true,
    'session-ttl': o.security?.sessionTtlSec ?? DEFAULT_SECURITY.sessionTtlSec,
    tls: o.tls === undefined ? 'off' : o.tls.authenticateClient === true ? 'mutual' : 'on',
  }
}

/** A running TCP server. */
export interface TallyServer {
  readonly core: ServerCore
  /** The address actually bound (the real port when 0 was asked for). */
  readonly address: { host: string; port: number }
  /** Where the Aerospike listener is bound; undefined when it is off. */
  readonly aerospikeAddress: { host: string; port: number } | undefined
  /** Where GET /metrics is served, when `metricsPort` is set. */
  readonly metrics: { host: string; port: number } | undefined
  /** Stops accepting, lets connections finish what they sent, then closes them. */
  close(): Promise<void>
}

/** Starts a server listening on `host:port`, and on `host:aerospikePort` unless it is null. Resolves once both accept connections. */
export async function startServer(options: ServerOptions = {}): Promise<TallyServer> {
  // The certificate files are read before anything is opened: a missing one stops the start with its name.
  const tls = options.tls === undefined ? undefined : tlsServerOptions(options.tls)
  const core = await ServerCore.open(options)
  const d = DEFAULT_SERVER_OPTIONS
  const host = options.host ?? d.host
  const shared = { host, maxConnections: options.maxConnections ?? d.maxConnections, idleTimeoutMs: options.idleTimeoutMs ?? d.idleTimeoutMs, ...(tls === undefined ? {} : { tls }) }
  const aerospikePort = options.aerospikePort === undefined ? d.aerospikePort : options.aerospikePort
  const listeners: net.Server[] = []
  let metrics: MetricsEndpoint | undefined
  const stop = async (): Promise<void> => {
    const stopped = Promise.all(listeners.map(stopListening))
    await metrics?.close()
    await core.close()
    await stopped
  }
  try {
    listeners.push(await listen(core, { ...shared, port: options.port ?? d.port, protocol: 'tally' }))
    if (aerospikePort !== null) listeners.push(await listen(core, { ...shared, port: aerospikePort, protocol: 'aerospike' }))
    if (options.metricsPort !== undefined) {
      // Loaded only when asked for: prom-client takes a tenth of a second to load.
      const { serveMetrics } = await import('./metrics/http.js')
      metrics = await serveMetrics(core, host, options.metricsPort, core.log)
    }
  } catch (err) {
    await stop()
    throw err
  }
  const [tally, aerospike] = listeners.map((listener) => listener.address() as net.AddressInfo)
  core.listeningOn = { address: tally!.address, port: tally!.port }
  if (aerospike !== undefined) core.aerospikeListeningOn = { address: aerospike.address, port: aerospike.port, tls: tls !== undefined }
  if (core.cluster !== undefined) {
    try {
      await core.cluster.start({ host: tally!.address, port: tally!.port, aerospikePort: aerospike?.port ?? null }, core.log)
    } catch (err) {
      await stop()
      throw err
    }
  }
  let closing: Promise<void> | undefined
  return {
    core,
    address: { host: tally!.address, port: tally!.port },
    aerospikeAddress: aerospike === undefined ? undefined : { host: aerospike.address, port: aerospike.port },
    metrics: metrics?.address,
    close: () => (closing ??= stop()),
  }
}

/** The hello frame stating `hello` (PROTOCOL.md §5.3). */
function helloFrame(hello: Hello): Uint8Array {
  const w = new FrameWriter(256)
  w.begin()
  writeHello(w, hello)
  w.end()
  return w.take()
}
