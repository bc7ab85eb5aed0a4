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
  /** Namespaces to serve; default: `test` with the default settings. */
  namespaces?: Partial<NamespaceConfig>[]
  /** Expiry sweep interval (Aerospike's nsup-period); 0 turns the background sweep off. */
  sweepIntervalMs?: number
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
  sweepIntervalMs: 1000,
  closeGraceMs: 5000,
} as const

/** Serves Tally's protocol on any duplex stream; owns the store and its persistence. Create with `open`. */
export class ServerCore {
  readonly store: Store
  /** Persistence of the disk namespaces; undefined when every namespace is in memory. */
  readonly persistence: Persistence | undefined
  readonly #context: ConnectionContext
  readonly #connections = new Set<ServerConnection>()
  readonly #streams = new Set<Duplex>()
  readonly #closeGraceMs: number

  private constructor(store: Store, persistence: Persistence | undefined, o: ServerOptions & { maxFrameBytes: number; maxBatchKeys: number; closeGraceMs: number }) {
    this.store = store
    this.persistence = persistence
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
    this.#context = { store, limits, log: o.log ?? silentLogger, hello: helloWriter.take(), durability: persistence }
    this.#closeGraceMs = o.closeGraceMs
  }

  /** Creates the store and, for disk namespaces, recovers them from `dataDir` before serving anything. */
  static async open(options: ServerOptions = {}): Promise<ServerCore> {
    const o = { ...DEFAULT_SERVER_OPTIONS, ...options }
    if (o.storage !== 'memory' && o.storage !== 'disk') throw new Error(`unknown storage '${String(o.storage)}' (memory or disk)`)
    const defaults = { storage: o.storage, commitToDevice: o.commitToDevice, flushMs: o.flushMs }
    const namespaces = (o.namespaces ?? [{}]).map((ns) => ({ ...defaults, ...ns }))
    const store = new Store({ namespaces, clock: o.clock, sweepIntervalMs: o.sweepIntervalMs })
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
    stream.once('close', () => {
      this.#connections.delete(connection)
      this.#streams.delete(stream)
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
    await this.persistence?.close()
    this.store.close()
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
  // allowHalfOpen: a client that ends its side still gets every answer; the connection ends the socket itself.
  const listener = net.createServer({ noDelay: true, allowHalfOpen: true }, (socket) => core.handle(socket))
  await new Promise<void>((resolve, reject) => {
    listener.once('error', (err) => core.close().then(() => reject(err), () => reject(err)))
    // A deep accept queue, so that a thousand clients connecting at once are not dropped (Node's default is 511).
    listener.listen({ port: options.port ?? DEFAULT_SERVER_OPTIONS.port, host, backlog: 4096 }, () => {
      listener.off('error', reject)
      resolve()
    })
  })
  const bound = listener.address() as net.AddressInfo
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
