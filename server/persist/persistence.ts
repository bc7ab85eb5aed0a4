// Persistence of a store's disk namespaces: on open, lock the data directory and recover; then log every change
// before its answer goes out (see `barrier`), and snapshot in the background once the log has grown.
import fs from 'node:fs'
import { makeDirectory } from '../directories.js'
import type { Logger } from '../log.js'
import type { LatencyHistogram } from '../metrics/latency-histogram.js'
import type { Mutation, Namespace } from '../store/namespace.js'
import type { Store } from '../store/store.js'
import { listDataFiles, nodeFileSystem, segmentFile, snapshotFile, type FileSystem } from './files.js'
import { lockDataDir, type DataDirLock } from './lock.js'
import { LogWriter, type LogFailure } from './log-writer.js'
import { recover, type Recovered } from './recovery.js'
import { TallyError } from '../../protocol/errors.js'
import { STATUS } from '../../protocol/status.js'
import { writeSnapshot } from './snapshot.js'
import type { WindowChunk } from './entries.js'

/**
 * The write window (server/window/), as persistence keeps it: rebuilt from TOKEN entries and snapshots, told of
 * changes the log undoes, and written into snapshots.
 */
export interface PersistedWindow {
  /** An answer found in the log or a snapshot: the client's write `seq` got `answer` (without its id). */
  restore(clientHi: number, clientLo: number, seq: number, answer: Uint8Array): void
  /** From a snapshot: the answers of the client's writes numbered up to `lost` may have been forgotten. */
  restoreLost(clientHi: number, clientLo: number, lost: number): void
  /** The log undid the change whose entry ends at log position `lsn`. */
  undone(lsn: number): void
  /** The window, in chunks of at most `max` answers; each chunk is to be written before the next is asked for. */
  chunks(max: number): Iterable<WindowChunk>
}

export interface PersistenceOptions {
  /** Directory of the log and snapshots; created if missing. */
  dataDir: string
  log: Logger
  fs?: FileSystem
  /** Size at which a log segment is closed and the next begun. */
  segmentBytes?: number
  /**
   * A snapshot is taken once the log since the last one passes this size, or half the last snapshot's size if
   * that is larger: a restart then replays at most half as many log entries as it loads records.
   */
  snapshotLogBytes?: number
  /** The write window, logged and snapshotted with the records; none: tokens in the log are read and left aside. */
  window?: PersistedWindow
}

export const DEFAULT_PERSISTENCE = {
  segmentBytes: 64 * 1024 * 1024,
  snapshotLogBytes: 16 * 1024 * 1024,
} as const

type Options = Required<Omit<PersistenceOptions, 'window'>> & Pick<PersistenceOptions, 'window'>

/** After a full disk, writes resume once this much is free (or one segment's size, if smaller). */
const MIN_FREE_BYTES = 64 * 1024 * 1024
const SNAPSHOT_CHECK_MS = 1000
/** Log since the last snapshot, as a share of that snapshot's size, past which the next one is taken. */
const SNAPSHOT_LOG_SHARE = 0.5
const SNAPSHOT_RETRY_MS = 60_000

export class Persistence {
  readonly recovered: Recovered
  readonly #store: Store
  readonly #o: Options
  readonly #namespaces: Namespace[]
  readonly #writer: LogWriter
  readonly #lock: DataDirLock
  #logDown: TallyError | undefined
  #lockLost: TallyError | undefined
  readonly #stopListening: () => void
  readonly #timer: NodeJS.Timeout
  #logStart: number // log position when the current snapshot's segment began
  #snapshotBytes: number
  #snapshotting: Promise<void> | undefined
  #snapshotNotBefore = 0
  /** Space on the data directory's file system, as last measured (every second). */
  space: { freeBytes: number; totalBytes: number } | undefined
  /** When the newest snapshot was written (ms since the epoch); when the server started if there is none. */
  snapshotAtMs = Date.now()

  private constructor(store: Store, o: Options, namespaces: Namespace[], writer: LogWriter, lock: DataDirLock, recovered: Recovered) {
    this.#store = store
    this.#o = o
    this.#namespaces = namespaces
    this.#writer = writer
    this.#lock = lock
    this.recovered = recovered
    this.#logStart = -recovered.logBytes
    this.#snapshotBytes = recovered.snapshotBytes
    const syncOf = new Map(namespaces.map((ns) => [ns.name, ns.config.commitToDevice]))
    this.#stopListening = store.onMutation((m: Mutation) => {
      if (m.type !== 'batch') {
        const sync = syncOf.get(m.ns)
        // Expiry is not logged: replay drops records whose time has passed by their own expiry.
        if (sync !== undefined && !(m.type === 'delete' && m.reason === 'expire')) writer.append(m, sync)
        return
      }
      const logged = m.mutations.filter((inner) => syncOf.has(inner.ns))
      if (logged.length === 0) return
      const unlogged = m.mutations.filter((inner) => !syncOf.has(inner.ns))
      writer.append({ type: 'batch', mutations: logged, by: m.by }, logged.some((inner) => syncOf.get(inner.ns)), unlogged)
    })
    this.#timer = setInterval(() => {
      this.#maybeSnapshot()
      o.fs.space(o.dataDir).then(
        (space) => (this.space = space),
        () => (this.space = undefined),
      )
    }, SNAPSHOT_CHECK_MS)
    this.#timer.unref()
  }

  /** Locks the data directory, loads what it holds into `store`, and starts logging its disk namespaces. */
  static async open(store: Store, options: PersistenceOptions): Promise<Persistence> {
    const o = { ...DEFAULT_PERSISTENCE, fs: nodeFileSystem, ...options }
    makeDirectory({ dir: o.dataDir, what: `the data directory ${o.dataDir}`, choose: 'choose another data directory' })
    const lock = lockDataDir(o.dataDir)
    let persistence: Persistence | undefined
    try {
      const started = performance.now()
      const recovered = recover(o.dataDir, store, o.log, o.window)
      const namespaces = store.namespaces.filter((ns) => ns.config.storage === 'disk')
      const flushMs = Math.min(...namespaces.map((ns) => ns.config.flushMs), 1000)
      const writer = await LogWriter.open(
        {
          dir: o.dataDir,
          fs: o.fs,
          segmentBytes: o.segmentBytes,
          flushMs,
          log: o.log,
          undo: (ns, digest, previous, lsn) => {
            store.namespace(ns).restore(digest, previous)
            o.window?.undone(lsn)
          },
          current: (ns, digest) => store.namespace(ns).current(digest),
          minFreeBytes: Math.min(o.segmentBytes, MIN_FREE_BYTES),
          lostOwnership: () => lock.check(),
          onStateChange: (down) => {
            if (persistence !== undefined) persistence.#setLogDown(down)
          },
        },
        recovered.nextSeq,
        recovered.previousValidBytes,
      )
      const objects = namespaces.reduce((n, ns) => n + ns.objects, 0)
      o.log.info(`recovered ${objects} records from ${o.dataDir} (${recovered.entries} entries) in ${Math.round(performance.now() - started)} ms`)
      persistence = new Persistence(store, o, namespaces, writer, lock, recovered)
      if (recovered.snapshotSeq !== undefined)
        persistence.snapshotAtMs = fs.statSync(snapshotFile(o.dataDir, recovered.snapshotSeq), { throwIfNoEntry: false })?.mtimeMs ?? Date.now()
      persistence.space = await o.fs.space(o.dataDir).catch(() => undefined)
      lock.watch((reason) => persistence!.#loseLock(reason))
      return persistence
    } catch (err) {
      lock.release()
      throw err
    }
  }

  /** Log position after the last change: compare before and after a request to see whether it logged anything. */
  get position(): number {
    return this.#writer.position
  }

  /**
   * Resolves once every change logged so far is as durable as its namespace requires (with undefined), or with
   * what a storage failure undid; returns undefined if everything already is.
   */
  barrier(): Promise<LogFailure | undefined> | undefined {
    return this.#writer.barrier()
  }

  /** The log's fsyncs and their latencies. */
  get fsyncs(): LatencyHistogram {
    return this.#writer.fsyncs
  }

  /** Writes a snapshot now (or waits for the one being written) and retires the log it covers. */
  snapshot(): Promise<void> {
    return (this.#snapshotting ??= this.#takeSnapshot().finally(() => (this.#snapshotting = undefined)))
  }

  /** Syncs and closes the log, and unlocks the data directory. */
  async close(): Promise<void> {
    clearInterval(this.#timer)
    await this.#snapshotting?.catch(() => {})
    this.#stopListening()
    await this.#writer.close()
    this.#lock.release()
  }

  /** Why writes are refused, if they are: the lock is lost, or the log cannot be written. */
  get writeBlock(): TallyError | undefined {
    return this.#lockLost ?? this.#logDown
  }

  #setLogDown(down: TallyError | undefined): void {
    this.#logDown = down
    this.#applyWriteBlock()
  }

  #loseLock(reason: string): void {
    const message = `writes refused: this server no longer owns its data directory (${reason}); stop it and check that no other server uses ${this.#o.dataDir}`
    this.#o.log.error(message)
    this.#lockLost = new TallyError(STATUS.FORBIDDEN, message)
    this.#applyWriteBlock()
  }

  #applyWriteBlock(): void {
    for (const ns of this.#namespaces) ns.writeBlock = this.writeBlock
  }

  #maybeSnapshot(): void {
    const logBytes = this.#writer.position - this.#logStart
    if (this.#snapshotting !== undefined || Date.now() < this.#snapshotNotBefore) return
    if (logBytes > Math.max(this.#o.snapshotLogBytes, this.#snapshotBytes * SNAPSHOT_LOG_SHARE)) {
      this.snapshot().catch((err) => {
        this.#snapshotNotBefore = Date.now() + SNAPSHOT_RETRY_MS
        this.#o.log.error(`snapshot failed, next attempt in ${SNAPSHOT_RETRY_MS / 1000} s: ${(err as Error).message}`)
      })
    }
  }

  async #takeSnapshot(): Promise<void> {
    const started = performance.now()
    const logStart = this.#writer.position
    const seq = await this.#writer.rotate()
    const { bytes, records } = await writeSnapshot(this.#o.dataDir, this.#o.fs, seq, this.#namespaces, () => this.#store.clock.nowMs(), async () => {
      const failure = await this.#writer.syncAll()
      if (failure !== undefined) throw new Error(`the log failed while the snapshot was written (${failure.error.message}); the snapshot is dropped`)
    }, this.#o.window)
    this.#logStart = logStart
    this.#snapshotBytes = bytes
    this.snapshotAtMs = Date.now()
    const { segments, snapshots } = listDataFiles(this.#o.dataDir)
    for (const old of segments) if (old < seq) await this.#o.fs.unlink(segmentFile(this.#o.dataDir, old)).catch(() => {})
    for (const old of snapshots) if (old < seq) await this.#o.fs.unlink(snapshotFile(this.#o.dataDir, old)).catch(() => {})
    this.#o.log.info(`snapshot ${seq}: ${records} records, ${bytes} bytes in ${Math.round(performance.now() - started)} ms`)
  }
}
