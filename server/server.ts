// The Tally server: a core that serves any duplex stream (`handle`), and `startServer`, the thin TCP shell around
// it that the daemon and the end-to-end tests use.
import net from 'node:net'
import type { Duplex } from 'node:stream'
import { DEFAULT_MAX_FRAME_BYTES } from '../protocol/frame.js'
import { PROTOCOL_VERSION, type Hello } from '../protocol/messages.js'
import { FrameWriter } from '../protocol/msgpack-writer.js'
import { writeHello } from '../protocol/response-codec.js'
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

/** Options of a server. CLI flags map one-to-one onto these. */
export interface ServerOptions {
  host?: string
  /** TCP port; 0 picks a free one (read it back from `address`). */
  port?: number
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
  /** Interval of the ticker log line and of the reported latencies; 0: no ticker. */
  tickerIntervalMs?: number
  /** Namespaces to serve; default: `test` with the default settings. */
  namespaces?: Partial<NamespaceConfig>[]
  /** How often namespaces that do not set their own sweep expired records (Aerospike's nsup-period); 0: never. */
  nsupPeriodMs?: number
  /** How long `close` waits for connections to finish before cutting them. */
  closeGraceMs?: number
  clock?: Clock
  log?: Logger
}

export const DEFAULT_SERVER_OPTIONS = {
  host: '127.0.0.1',
  port: 3100,
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
  tickerIntervalMs: 10_000,
  nsupPeriodMs: 1000,
  closeGraceMs: 5000,
} as const

/** Serves Tally's protocol on any duplex stream; owns the store and its persistence. Create with `open`. */
export class ServerCore {
  readonly store: Store
  /** Persistence of the disk namespaces; undefined when every namespace is in memory. */
  readonly persistence: Persistence | undefined
  readonly stats = new ServerStats()
  readonly log: Logger
  /** Where the TCP shell listens, once it does (the real port when 0 was asked for). */
  listeningOn: { address: string; port: number } | undefined
  readonly #context: ConnectionContext
  readonly #connections = new Set<ServerConnection>()
  readonly #streams = new Set<Duplex>()
  readonly #closeGraceMs: number
  readonly #ticker: NodeJS.Timeout | undefined

  private constructor(store: Store, persistence: Persistence | undefined, o: Resolved) {
    this.store = store
    this.persistence = persistence
    this.log = o.log ?? silentLogger
    const limits = { maxFrameBytes: o.maxFrameBytes, maxBatchKeys: o.maxBatchKeys }
    const hello: Hello = {
      protocol: PROTOCOL_VERSION,
      server: `tally/${SERVER_VERSION}`,
      maxFrameBytes: o.maxFrameBytes,
      maxRecordBytes: Math.min(...store.namespaces.map((ns) => ns.config.maxRecordBytes)),
      maxBatchKeys: o.maxBatchKeys,
    }
    const helloWriter = new FrameWriter(256)
    helloWriter.begin()
    writeHello(helloWriter, hello)
    helloWriter.end()
    const source: InfoSource = {
      store,
      stats: this.stats,
      connections: () => this.connections,
      serviceConfig: () => ({ ...serviceConfig(o), ...this.listeningOn }),
      storageSpace: () => persistence?.space,
    }
    this.#context = {
      store,
      limits,
      log: this.log,
      hello: helloWriter.take(),
      durability: persistence,
      stats: this.stats,
      maxInFlight: o.maxInFlight,
      info: (command) => infoValue(source, command),
    }
    this.#closeGraceMs = o.closeGraceMs
    if (o.tickerIntervalMs > 0) {
      this.#ticker = setInterval(() => this.#tick(), o.tickerIntervalMs)
      this.#ticker.unref()
    }
  }

  // The periodic status line: records, request rates over the interval, memory, connections.
  #tick(): void {
    this.stats.rollInterval()
    const { read, write, seconds } = this.stats.last
    const objects = this.store.namespaces.map((ns) => `${ns.name} ${ns.objects}`).join(', ')
    const memory = process.memoryUsage()
    const mb = (bytes: number): string => `${Math.round(bytes / 2 ** 20)} MB`
    this.log.info(
      `ticker: objects ${objects} | ops/s read ${Math.round(read.total / seconds)} write ${Math.round(write.total / seconds)}` +
        ` | memory rss ${mb(memory.rss)} heap ${mb(memory.heapUsed)} | connections ${this.connections}`,
    )
  }

  /** Creates the store and, for disk namespaces, recovers them from `dataDir` before serving anything. */
  static async open(options: ServerOptions = {}): Promise<ServerCore> {
    const o = { ...DEFAULT_SERVER_OPTIONS, ...options }
    if (o.storage !== 'memory' && o.storage !== 'disk') throw new Error(`unknown storage '${String(o.storage)}' (memory or disk)`)
    const defaults = { storage: o.storage, commitToDevice: o.commitToDevice, flushMs: o.flushMs, nsupPeriodMs: o.nsupPeriodMs }
    const namespaces = (o.namespaces ?? [{}]).map((ns) => ({ ...defaults, ...ns }))
    const store = new Store({ namespaces, clock: o.clock })
    let persistence: Persistence | undefined
    if (store.namespaces.some((ns) => ns.config.storage === 'disk')) {
      try {
        persistence = await Persistence.open(store, {
          dataDir: o.dataDir,
          log: o.log ?? silentLogger,
          segmentBytes: o.segmentBytes,
          snapshotLogBytes: o.snapshotLogBytes,
          ...(o.fileSystem === undefined ? {} : { fs: o.fileSystem }),
        })
      } catch (err) {
        store.close()
        throw err
      }
    }
    return new ServerCore(store, persistence, o)
  }

  /** Open connections. */
  get connections(): number {
    return this.#connections.size
  }

  /** Serves one client over `stream` until either side ends it. */
  handle(stream: Duplex): ServerConnection {
    const connection = new ServerConnection(stream, this.#context)
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

  /**
   * Answers what every connection has sent (once it is durable), ends them, syncs and closes the log, and stops the
   * store's background work.
   */
  async close(): Promise<void> {
    for (const connection of this.#connections) connection.close()
    const deadline = Date.now() + this.#closeGraceMs
    while (this.#streams.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
    for (const stream of this.#streams) stream.destroy()
    clearInterval(this.#ticker)
    await this.persistence?.close()
    this.store.close()
  }
}

/** Options with every default filled in. */
type Resolved = Required<Omit<ServerOptions, 'clock' | 'log' | 'fileSystem' | 'namespaces'>> & ServerOptions

/** The service settings in force, under their config-file names, for `get-config`. */
function serviceConfig(o: Resolved): Record<string, string | number | boolean> {
  return {
    address: o.host,
    port: o.port,
    'data-dir': o.dataDir,
    'proto-fd-max': o.maxConnections,
    'proto-fd-idle-ms': o.idleTimeoutMs,
    'in-flight-max': o.maxInFlight,
    'batch-max-requests': o.maxBatchKeys,
    'max-frame-size': o.maxFrameBytes,
    'ticker-interval': o.tickerIntervalMs / 1000,
    'segment-size': o.segmentBytes,
    'snapshot-log-size': o.snapshotLogBytes,
  }
}

/** A running TCP server. */
export interface TallyServer {
  readonly core: ServerCore
  /** The address actually bound (the real port when 0 was asked for). */
  readonly address: { host: string; port: number }
  /** Stops accepting, lets connections finish what they sent, then closes them. */
  close(): Promise<void>
}

/** Starts a server listening on `host:port`. Resolves once it accepts connections. */
export async function startServer(options: ServerOptions = {}): Promise<TallyServer> {
  const core = await ServerCore.open(options)
  const host = options.host ?? DEFAULT_SERVER_OPTIONS.host
  const maxConnections = options.maxConnections ?? DEFAULT_SERVER_OPTIONS.maxConnections
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_SERVER_OPTIONS.idleTimeoutMs
  // allowHalfOpen: a client that ends its side still gets every answer; the connection ends the socket itself.
  const listener = net.createServer({ noDelay: true, allowHalfOpen: true }, (socket) => {
    if (idleTimeoutMs > 0) {
      socket.setTimeout(idleTimeoutMs, () => {
        core.log.debug(`closing a connection from ${socket.remoteAddress}: idle for ${idleTimeoutMs} ms`)
        socket.destroy()
      })
    }
    core.handle(socket)
  })
  listener.maxConnections = maxConnections
  listener.on('drop', (peer) => {
    core.stats.clientConnectionsRefused++
    core.log.warn(`refused a connection from ${peer?.remoteAddress ?? 'a client'}: ${maxConnections} connections already (proto-fd-max)`)
  })
  await new Promise<void>((resolve, reject) => {
    listener.once('error', (err) => core.close().then(() => reject(err), () => reject(err)))
    // A deep accept queue, so that a thousand clients connecting at once are not dropped (Node's default is 511).
    listener.listen({ port: options.port ?? DEFAULT_SERVER_OPTIONS.port, host, backlog: 4096 }, () => {
      listener.off('error', reject)
      resolve()
    })
  })
  const bound = listener.address() as net.AddressInfo
  core.listeningOn = { address: bound.address, port: bound.port }
  let closing: Promise<void> | undefined
  return {
    core,
    address: { host: bound.address, port: bound.port },
    close: () =>
      (closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => listener.close(() => resolve()))
        await core.close()
        await stopped
      })()),
  }
}
