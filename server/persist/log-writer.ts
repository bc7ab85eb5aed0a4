// The write-ahead log: every change to a persistent namespace is appended here before its answer is sent.
// Appends go to memory; one cycle at a time writes what has gathered and, when any of it needs it, fsyncs:
// concurrent writes share one fsync (group commit). A request's answer waits on `barrier()`.
//
// If a write or fsync fails, every change not yet acknowledged is undone in memory (newest first), the segment is
// cut back to its last synced byte, and logging continues in a new segment whose first entry says how much of the
// old one counts. While no segment can be opened, the log is down and writes are refused.
import { TallyError } from '../../protocol/errors.js'
import { STATUS } from '../../protocol/status.js'
import type { Logger } from '../log.js'
import type { Mutation, RecordState } from '../store/namespace.js'
import { ENTRY, EntryWriter } from './entries.js'
import { isOutOfSpace, segmentFile, type FileSystem } from './files.js'

export interface LogWriterOptions {
  dir: string
  fs: FileSystem
  /** A segment is closed and a new one started once it holds this many bytes. */
  segmentBytes: number
  /** Changes that do not need an fsync before their answer get one at most this many ms later. */
  flushMs: number
  log: Logger
  /** Undoes one change that could not be made durable: puts the record back as it was. */
  undo(ns: string, digest: Uint8Array, previous: RecordState | null): void
  /** The log is down (error) or up again (undefined). */
  onStateChange(down: TallyError | undefined): void
}

/** A change not yet durable, with what it replaced. `lsn` is the log position at the end of its entry. */
interface Pending {
  lsn: number
  sync: boolean
  ns: string
  digest: Uint8Array
  previous: RecordState | null
}

interface Waiter {
  written: number
  synced: number
  resolve(): void
  reject(err: TallyError): void
}

const RETRY_MS = 1000

export class LogWriter {
  readonly #o: LogWriterOptions
  readonly #buffer = new EntryWriter(64 * 1024)
  #fd = -1
  #seq = 0
  #segmentStart = 0 // log position of the segment's first entry after its header
  #headerBytes = 0
  // Log positions count the bytes of change entries since the log was opened.
  #appended = 0
  #written = 0
  #synced = 0
  #needSync = 0
  #pending: Pending[] = []
  #waiters: Waiter[] = []
  #cycling = false
  #scheduled = false
  #flushDue = false
  #rotation: ((seq: number) => void)[] = []
  #down: TallyError | undefined
  #closed = false
  readonly #flushTimer: NodeJS.Timeout
  #retryTimer: NodeJS.Timeout | undefined

  private constructor(options: LogWriterOptions) {
    this.#o = options
    this.#flushTimer = setInterval(() => {
      if (this.#written > this.#synced) {
        this.#flushDue = true
        this.#schedule()
      }
    }, Math.max(1, options.flushMs))
    this.#flushTimer.unref()
  }

  /** Opens a new segment `seq` for appending; `previousValidBytes` is how much of segment `seq - 1` counts. */
  static async open(options: LogWriterOptions, seq: number, previousValidBytes: number): Promise<LogWriter> {
    const writer = new LogWriter(options)
    await writer.#openSegment(seq, previousValidBytes)
    return writer
  }

  /** The current segment's sequence number. */
  get seq(): number {
    return this.#seq
  }

  /** Bytes of changes logged since the log was opened. */
  get position(): number {
    return this.#appended
  }

  /** Appends one change. `sync`: its answer must wait for an fsync (commit-to-device). */
  append(mutation: Mutation, sync: boolean): void {
    if (this.#down !== undefined) throw this.#down
    const b = this.#buffer
    const before = b.length
    b.begin()
    if (mutation.type === 'write') b.recordBody(mutation.ns, mutation.digest, mutation.state)
    else b.deleteBody(mutation.ns, mutation.digest)
    b.end()
    this.#appended += b.length - before
    this.#pending.push({ lsn: this.#appended, sync, ns: mutation.ns, digest: Buffer.from(mutation.digest), previous: mutation.previous })
    if (sync) this.#needSync = this.#appended
    this.#schedule()
  }

  /** Resolves once everything appended so far is as durable as it needs to be; undefined if it already is. */
  barrier(): Promise<void> | undefined {
    if (this.#written >= this.#appended && this.#synced >= this.#needSync) return undefined
    return new Promise((resolve, reject) => this.#waiters.push({ written: this.#appended, synced: this.#needSync, resolve, reject }))
  }

  /** Starts a new segment once what is written is synced; resolves with the new segment's number. */
  rotate(): Promise<number> {
    return new Promise((resolve) => {
      this.#rotation.push(resolve)
      this.#schedule()
    })
  }

  /** Writes and syncs everything appended, then closes the segment. */
  async close(): Promise<void> {
    clearInterval(this.#flushTimer)
    clearTimeout(this.#retryTimer)
    this.#flushDue = true
    await this.#cycle()
    this.#closed = true
    if (this.#fd >= 0) await this.#o.fs.close(this.#fd).catch(() => {})
    this.#fd = -1
  }

  #schedule(): void {
    if (this.#scheduled || this.#cycling || this.#closed) return
    this.#scheduled = true
    setImmediate(() => {
      this.#scheduled = false
      void this.#cycle()
    })
  }

  async #cycle(): Promise<void> {
    if (this.#cycling) return
    this.#cycling = true
    try {
      while (this.#down === undefined && this.#fd >= 0) {
        // A rotation goes first, so that a steady stream of writes cannot hold it (and a snapshot) back.
        if (this.#rotation.length > 0 || this.#written - this.#segmentStart >= this.#o.segmentBytes) await this.#rotate()
        else if (this.#buffer.length > 0) await this.#write()
        else if (this.#synced < this.#needSync || (this.#flushDue && this.#synced < this.#written)) await this.#sync()
        else break
      }
    } finally {
      this.#cycling = false
    }
    if (this.#buffer.length > 0 && this.#down === undefined) this.#schedule()
  }

  async #write(): Promise<void> {
    const bytes = this.#buffer.take()
    try {
      await this.#o.fs.write(this.#fd, bytes, this.#written - this.#segmentStart + this.#headerBytes)
    } catch (err) {
      return this.#fail(err, 'write')
    }
    this.#written += bytes.length
    this.#settle()
  }

  async #sync(): Promise<void> {
    const target = this.#written
    try {
      await this.#o.fs.fdatasync(this.#fd)
    } catch (err) {
      return this.#fail(err, 'sync')
    }
    this.#synced = target
    this.#flushDue = false
    this.#settle()
  }

  async #rotate(): Promise<void> {
    await this.#sync()
    if (this.#down !== undefined) return
    const validBytes = this.#validBytes()
    await this.#o.fs.close(this.#fd).catch(() => {})
    this.#fd = -1
    try {
      await this.#openSegment(this.#seq + 1, validBytes)
    } catch (err) {
      return this.#fail(err, 'rotate')
    }
    for (const resolve of this.#rotation.splice(0)) resolve(this.#seq)
  }

  /** Bytes of the current segment up to the last synced change. */
  #validBytes(): number {
    return this.#synced - this.#segmentStart + this.#headerBytes
  }

  async #openSegment(seq: number, previousValidBytes: number): Promise<void> {
    const { fs, dir } = this.#o
    const file = segmentFile(dir, seq)
    const fd = await fs.open(file, 'wx')
    try {
      const header = new EntryWriter(64)
      header.marker(ENTRY.SEGMENT, seq, previousValidBytes)
      const bytes = header.take()
      await fs.write(fd, bytes, 0)
      await fs.fdatasync(fd)
      await fs.syncDirectory(dir)
      this.#fd = fd
      this.#seq = seq
      this.#headerBytes = bytes.length
      this.#segmentStart = this.#written
    } catch (err) {
      await fs.close(fd).catch(() => {})
      await fs.unlink(file).catch(() => {})
      throw err
    }
  }

  // Acknowledged changes leave the undo list; satisfied waiters are released, in order.
  #settle(): void {
    let drop = 0
    while (drop < this.#pending.length && this.#acknowledged(this.#pending[drop]!)) drop++
    if (drop > 0) this.#pending.splice(0, drop)
    let done = 0
    for (const waiter of this.#waiters) {
      if (waiter.written > this.#written || waiter.synced > this.#synced) break
      waiter.resolve()
      done++
    }
    if (done > 0) this.#waiters.splice(0, done)
  }

  #acknowledged(change: Pending): boolean {
    return change.sync ? change.lsn <= this.#synced : change.lsn <= this.#written
  }

  #error(err: unknown, phase: string): TallyError {
    const code = (err as NodeJS.ErrnoException)?.code ?? 'EIO'
    const status = isOutOfSpace(err) ? STATUS.OUT_OF_SPACE : STATUS.SERVER_ERROR
    return new TallyError(status, `storage ${phase} failed (${code}): ${(err as Error)?.message ?? String(err)}`, { cause: err })
  }

  // Refuse writes at once; undo what is not acknowledged; cut the segment back to its last synced byte; go on in
  // a new segment, or, if none can be opened, stay down and try again every second.
  async #fail(cause: unknown, phase: string): Promise<void> {
    const err = this.#error(cause, phase)
    this.#down = err
    this.#o.onStateChange(err)
    this.#o.log.error(`log segment ${this.#seq}: ${err.message}; undoing unacknowledged changes`)
    this.#buffer.take()
    for (let i = this.#pending.length - 1; i >= 0; i--) {
      const change = this.#pending[i]!
      if (!this.#acknowledged(change)) this.#o.undo(change.ns, change.digest, change.previous)
    }
    this.#pending = []
    this.#written = this.#appended = this.#needSync = this.#synced
    for (const waiter of this.#waiters.splice(0)) {
      if (waiter.written > this.#synced || waiter.synced > this.#synced) waiter.reject(err)
      else waiter.resolve()
    }
    const validBytes = this.#validBytes()
    if (this.#fd >= 0) {
      await this.#o.fs.ftruncate(this.#fd, validBytes).catch(() => {})
      await this.#o.fs.close(this.#fd).catch(() => {})
      this.#fd = -1
    }
    this.#reopen(validBytes, 0)
  }

  #reopen(previousValidBytes: number, delayMs: number): void {
    this.#retryTimer = setTimeout(() => {
      this.#openSegment(this.#seq + 1, previousValidBytes).then(
        () => {
          this.#down = undefined
          this.#o.log.warn(`the log goes on in segment ${this.#seq}; writes are accepted again`)
          this.#o.onStateChange(undefined)
          for (const resolve of this.#rotation.splice(0)) resolve(this.#seq)
          this.#schedule()
        },
        (err) => {
          if (delayMs === 0) this.#o.log.error(`the log is down, writes are refused: ${this.#error(err, 'open').message}`)
          this.#reopen(previousValidBytes, RETRY_MS)
        },
      )
    }, delayMs)
    if (delayMs > 0) this.#retryTimer.unref()
  }
}
