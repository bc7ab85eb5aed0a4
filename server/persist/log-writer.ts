// The write-ahead log: every change to a persistent namespace is appended here before its answer is sent.
// Appends go to memory; one cycle at a time writes what has gathered and, when any of it needs it, fsyncs:
// concurrent writes share one fsync (group commit). A batch's answers wait on `barrier()`.
//
// If a write or fsync fails: every change not yet acknowledged is undone in memory (newest first); the segment is
// cut back to its last synced byte; a new segment begins with the current state of every record whose entries
// were cut, so that disk and memory agree again (and a snapshot taken meanwhile is corrected). While no segment can
// be opened, the log is down and writes are refused; it tries again every second.
import { TallyError } from '../../protocol/errors.js'
import { writeAnswerWithoutId } from '../../protocol/response-codec.js'
import { STATUS } from '../../protocol/status.js'
import type { Logger } from '../log.js'
import { LatencyHistogram } from '../metrics/latency-histogram.js'
import type { DeleteMutation, Mutation, RecordState, WriteMutation } from '../store/namespace.js'
import { ENTRY, EntryWriter } from './entries.js'
import { isOutOfSpace, type FileSystem } from './files.js'
import { createSegment, markContinued, type Restated } from './segment-files.js'

export interface LogWriterOptions {
  dir: string
  fs: FileSystem
  /** A segment is closed and a new one started once it holds this many bytes. */
  segmentBytes: number
  /** Changes that do not need an fsync before their answer get one at most this many ms later. */
  flushMs: number
  log: Logger
  /**
   * Undoes one change that could not be made durable: puts the record back as it was. `lsn`: the log position at
   * the end of its entry (the changes of one batch share it).
   */
  undo(ns: string, digest: Uint8Array, previous: RecordState | null, lsn: number): void
  /** The record's state now, or null if there is none: for re-logging records whose entries were cut. */
  current(ns: string, digest: Uint8Array): RecordState | null
  /** The log is down (error) or up again (undefined). */
  onStateChange(down: TallyError | undefined): void
  /** After a full disk, a new segment is tried only once the file system has this much free. */
  minFreeBytes: number
  /** Why this server no longer owns the data directory, if it does not: checked before every write. */
  lostOwnership(): string | undefined
}

/** What a failed write or fsync took back: the error, and the log positions of the entries undone. */
export interface LogFailure {
  error: TallyError
  /** End positions of the undone entries, ascending: a request whose entries include one was not applied. */
  undone: number[]
}

/**
 * A change not yet synced, with what it replaced. `lsn` is the log position at the end of its entry; `logged` is
 * false for a memory-namespace change made in a batch with logged ones. A truncation (`truncate`: its set, null
 * for the namespace) cannot be undone: a failure restates it instead.
 */
interface Pending {
  lsn: number
  sync: boolean
  logged: boolean
  ns: string
  digest: Uint8Array
  previous: RecordState | null
  truncate?: string | null
}

/** What a new segment restates after a failure: a record's current state, or a truncation. */
type Relog = { ns: string; digest: Uint8Array } | { ns: string; truncate: string | null }

interface Waiter {
  written: number
  synced: number
  resolve(failure: LogFailure | undefined): void
}

interface Rotation {
  resolve(seq: number): void
  reject(err: Error): void
}

const RETRY_MS = 1000
const NO_DIGEST = new Uint8Array(0)
/**
 * A failure this soon after the previous one waits RETRY_MS before a new segment is tried, so that a failing disk
 * gets at most one new segment a second, never one per failed write.
 */
const QUIET_MS = 10_000

export class LogWriter {
  /** The fsyncs of group commits and their latencies, for the metrics. */
  readonly fsyncs = new LatencyHistogram()
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
  #running: Promise<void> | undefined
  #scheduled = false
  #flushDue = false
  #rotation: Rotation[] = []
  #down: TallyError | undefined
  #closing = false
  #lastFailureMs = -Infinity
  /** After a failure, what the next segment must restate, until it exists. */
  #restate: { previousValidBytes: number; relog: Relog[]; acknowledged: number } | undefined
  /** The directory is no longer ours: nothing more is written, ever. */
  #abandoned = false
  readonly #flushTimer: NodeJS.Timeout
  #retryTimer: NodeJS.Timeout | undefined
  #reopening: Promise<void> | undefined // a retry under way, which close() waits for rather than racing it

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
    await writer.#startSegment(seq, previousValidBytes, [])
    return writer
  }

  /** The current segment's sequence number. */
  get seq(): number {
    return this.#seq
  }

  /** Bytes of changes logged since the log was opened: the position after the last append. */
  get position(): number {
    return this.#appended
  }

  /**
   * Appends a change: one entry, or for a batch one BATCH entry, replayed whole or not at all; inside a TOKEN entry
   * with the token and answer of the request that made it, when it had a token. `sync`: its answer must wait for an
   * fsync (commit-to-device). `unlogged`: changes made with it in namespaces that are not logged (memory); if the
   * entry fails, they are undone with it. Throws, having appended nothing, if it cannot.
   */
  append(mutation: Mutation, sync: boolean, unlogged: (WriteMutation | DeleteMutation)[] = []): void {
    if (this.#down !== undefined) throw this.#down
    const b = this.#buffer
    const before = b.length
    b.begin()
    if (mutation.type === 'truncate') {
      b.truncateBody(mutation.ns, mutation.set)
      b.end()
      this.#appended += b.length - before
      this.#pending.push({ lsn: this.#appended, sync, logged: true, ns: mutation.ns, digest: NO_DIGEST, previous: null, truncate: mutation.set })
      if (sync) this.#needSync = this.#appended
      return this.#schedule()
    }
    const logged = mutation.type === 'batch' ? mutation.mutations : [mutation]
    try {
      if (mutation.by !== undefined) {
        b.tokenHead(mutation.by.token)
        writeAnswerWithoutId(b, mutation.by.answer)
      }
      if (mutation.type === 'batch') {
        b.array(2)
        b.number(ENTRY.BATCH)
        b.array(logged.length)
      }
      for (const m of logged) {
        if (m.type === 'write') b.recordBody(m.ns, m.digest, m.state)
        else b.deleteBody(m.ns, m.digest)
      }
    } catch (err) {
      b.rollback() // nothing half-written stays behind; the change is refused before it is made
      throw new TallyError(STATUS.PARAMETER, `cannot log this record: ${(err as Error).message}`)
    }
    b.end()
    this.#appended += b.length - before
    const lsn = this.#appended
    for (const m of logged) this.#pending.push({ lsn, sync, logged: true, ns: m.ns, digest: Buffer.from(m.digest), previous: m.previous })
    for (const m of unlogged) this.#pending.push({ lsn, sync, logged: false, ns: m.ns, digest: Buffer.from(m.digest), previous: m.previous })
    if (sync) this.#needSync = this.#appended
    this.#schedule()
  }

  /**
   * Resolves once everything appended so far is as durable as it needs to be, with undefined, or, if the log
   * failed first, with what the failure undid. Returns undefined if everything already is.
   */
  barrier(): Promise<LogFailure | undefined> | undefined {
    if (this.#written >= this.#appended && this.#synced >= this.#needSync) return undefined
    return new Promise((resolve) => this.#waiters.push({ written: this.#appended, synced: this.#needSync, resolve }))
  }

  /**
   * Resolves once everything appended so far is fsynced, whatever the commit mode (a snapshot about to replace the
   * log needs it), with undefined, or with what a failure undid.
   */
  syncAll(): Promise<LogFailure | undefined> {
    if (this.#down !== undefined) return Promise.resolve({ error: this.#down, undone: [] })
    this.#needSync = this.#appended
    this.#schedule()
    return this.barrier() ?? Promise.resolve(undefined)
  }

  /** Starts a new segment once what is written is synced; resolves with its number. Rejects if the log is down. */
  rotate(): Promise<number> {
    if (this.#down !== undefined) return Promise.reject(this.#down)
    if (this.#closing) return Promise.reject(new Error('the log is closing'))
    return new Promise((resolve, reject) => {
      this.#rotation.push({ resolve, reject })
      this.#schedule()
    })
  }

  /** Writes and syncs everything appended, then closes the segment. */
  async close(): Promise<void> {
    this.#closing = true
    clearInterval(this.#flushTimer)
    clearTimeout(this.#retryTimer)
    for (const rotation of this.#rotation.splice(0)) rotation.reject(new Error('the log is closing'))
    await this.#running
    await this.#reopening
    if (this.#restate !== undefined && !this.#abandoned) await this.#restateBeforeClosing()
    this.#flushDue = true
    await this.#cycle()
    if (this.#fd >= 0) await this.#o.fs.close(this.#fd).catch(() => {})
    this.#fd = -1
  }

  // Stopping while the log is down: one last try at logging what a failure left only in memory, and a plain word
  // about acknowledged changes that are lost if it fails.
  async #restateBeforeClosing(): Promise<void> {
    try {
      await this.#restart()
      this.#down = undefined
    } catch (err) {
      const lost = this.#restate!.acknowledged
      if (lost > 0) this.#o.log.error(`${lost} acknowledged changes could not be logged before stopping (${this.#error(err, 'open').message}); they are lost`)
    }
  }

  #schedule(): void {
    if (this.#scheduled || this.#running !== undefined || this.#closing) return
    this.#scheduled = true
    setImmediate(() => {
      this.#scheduled = false
      void this.#cycle()
    })
  }

  #cycle(): Promise<void> {
    if (this.#running !== undefined) return this.#running
    this.#running = this.#loop().finally(() => {
      this.#running = undefined
      if (this.#buffer.length > 0 && this.#down === undefined) this.#schedule()
    })
    return this.#running
  }

  async #loop(): Promise<void> {
    while (this.#down === undefined && this.#fd >= 0) {
      // A rotation goes first, so that a steady stream of writes cannot hold it (and a snapshot) back.
      if (this.#rotation.length > 0 || this.#written - this.#segmentStart >= this.#o.segmentBytes) await this.#rotate()
      else if (this.#buffer.length > 0) await this.#write()
      else if (this.#synced < this.#needSync || (this.#flushDue && this.#synced < this.#written)) await this.#sync()
      else break
    }
  }

  async #write(): Promise<void> {
    const lost = this.#o.lostOwnership()
    if (lost !== undefined) return this.#abandon(lost)
    const bytes = this.#buffer.take()
    try {
      await this.#o.fs.write(this.#fd, bytes, this.#written - this.#segmentStart + this.#headerBytes)
    } catch (err) {
      // What earlier writes put in the file is there: make it durable, so that only this write's changes are lost
      // (under flush-ms those earlier ones were acknowledged).
      if (this.#written > this.#synced) {
        try {
          await this.#o.fs.fdatasync(this.#fd)
          this.#synced = this.#written
          this.#settle()
        } catch {
          // then nothing past the last sync stands; #fail handles it
        }
      }
      return this.#fail(err, 'write')
    }
    this.#written += bytes.length
    this.#settle()
  }

  async #sync(): Promise<void> {
    const target = this.#written
    const started = performance.now()
    try {
      await this.#o.fs.fdatasync(this.#fd)
    } catch (err) {
      return this.#fail(err, 'sync')
    }
    this.fsyncs.add((performance.now() - started) * 1000, 1)
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
      await this.#startSegment(this.#seq + 1, validBytes, [])
    } catch (err) {
      return this.#fail(err, 'rotate')
    }
    for (const rotation of this.#rotation.splice(0)) rotation.resolve(this.#seq)
  }

  /** Bytes of the current segment up to the last synced change. */
  #validBytes(): number {
    return this.#synced - this.#segmentStart + this.#headerBytes
  }

  // A new segment (segment-files.ts), from here on the one appended to.
  async #startSegment(seq: number, previousValidBytes: number, relog: Relog[]): Promise<void> {
    const restate = relog.map((r): Restated => ('truncate' in r ? r : { ns: r.ns, digest: r.digest, state: this.#o.current(r.ns, r.digest) }))
    const { fd, headerBytes, relogged } = await createSegment(this.#o.fs, this.#o.dir, seq, previousValidBytes, restate)
    this.#fd = fd
    this.#seq = seq
    this.#headerBytes = headerBytes
    this.#segmentStart = this.#written
    this.#appended += relogged // restated changes count in log positions too
    this.#written += relogged
    this.#synced += relogged
    if (seq > 1) {
      const marked = await markContinued(this.#o.fs, this.#o.dir, seq, previousValidBytes)
      if (marked !== undefined) this.#o.log.warn(`log segment ${seq - 1}: could not mark it as continued in segment ${seq}: ${marked.message}`)
    }
  }

  // Synced changes leave the undo list; satisfied waiters are released, in order.
  #settle(): void {
    let drop = 0
    while (drop < this.#pending.length && this.#pending[drop]!.lsn <= this.#synced) drop++
    if (drop > 0) this.#pending.splice(0, drop)
    let done = 0
    for (const waiter of this.#waiters) {
      if (waiter.written > this.#written || waiter.synced > this.#synced) break
      waiter.resolve(undefined)
      done++
    }
    if (done > 0) this.#waiters.splice(0, done)
  }

  #error(err: unknown, phase: string): TallyError {
    const code = (err as NodeJS.ErrnoException)?.code ?? 'EIO'
    const status = isOutOfSpace(err) ? STATUS.OUT_OF_SPACE : STATUS.SERVER_ERROR
    return new TallyError(status, `storage ${phase} failed (${code}): ${(err as Error)?.message ?? String(err)}`, { cause: err })
  }

  // Refuse writes at once; undo what is not acknowledged; cut the segment back to its last synced byte before any
  // request hears that its change was not applied; go on in a new segment that starts with the current state of
  // every record whose entries were cut.
  async #fail(cause: unknown, phase: string): Promise<void> {
    const error = this.#error(cause, phase)
    this.#down = error
    this.#o.onStateChange(error)
    this.#o.log.error(`log segment ${this.#seq}: ${error.message}; undoing unacknowledged changes`)
    const { undone, relog, acknowledged } = this.#undoPending()
    const written = this.#written
    const validBytes = this.#validBytes()
    this.#written = this.#appended = this.#needSync = this.#synced
    if (this.#fd >= 0) {
      await this.#o.fs.ftruncate(this.#fd, validBytes).catch(() => {})
      await this.#o.fs.close(this.#fd).catch(() => {})
      this.#fd = -1
    }
    this.#answerFailed(error, undone, written)
    const outOfSpace = isOutOfSpace(cause)
    if (outOfSpace) this.#o.log.error(`the disk holding ${this.#o.dir} is full: writes are refused until ${this.#o.minFreeBytes} bytes are free there`)
    const now = Date.now()
    const soon = !outOfSpace && now - this.#lastFailureMs >= QUIET_MS
    this.#lastFailureMs = now
    this.#restate = { previousValidBytes: validBytes, relog, acknowledged: acknowledged + (this.#restate?.acknowledged ?? 0) }
    this.#reopen(soon ? 0 : RETRY_MS, outOfSpace)
  }

  // Undoes every pending change that was not acknowledged (newest first). Acknowledged ones (flush-ms changes once
  // written) stay, to be logged again; so are the records of every entry that is cut. Truncations cannot be undone:
  // they are logged again, before the records restated (which are restated as they stand now, after them).
  #undoPending(): { undone: number[]; relog: Relog[]; acknowledged: number } {
    this.#buffer.take()
    const written = this.#written
    const undone: number[] = []
    const relog = new Map<string, { ns: string; digest: Uint8Array }>()
    const truncations: Relog[] = []
    let acknowledged = 0
    for (let i = this.#pending.length - 1; i >= 0; i--) {
      const change = this.#pending[i]!
      if (change.truncate !== undefined) {
        truncations.unshift({ ns: change.ns, truncate: change.truncate })
        continue
      }
      if (change.logged) relog.set(`${change.ns}\u0000${Buffer.from(change.digest).toString('hex')}`, change)
      if (!change.sync && change.lsn <= written) {
        acknowledged++
        continue
      }
      this.#o.undo(change.ns, change.digest, change.previous, change.lsn)
      undone.push(change.lsn)
    }
    undone.reverse()
    this.#pending = []
    return { undone, relog: [...truncations, ...relog.values()], acknowledged }
  }

  // Rotations fail; each waiting batch hears either that it is durable or what was undone.
  #answerFailed(error: TallyError, undone: number[], written: number): void {
    for (const rotation of this.#rotation.splice(0)) rotation.reject(error)
    for (const waiter of this.#waiters.splice(0)) {
      const satisfied = waiter.written <= written && waiter.synced <= this.#synced
      waiter.resolve(satisfied ? undefined : { error, undone })
    }
  }

  // The data directory is no longer this server's: undo what is not acknowledged and never write again, not even to
  // cut or restate: the files may already be another server's.
  #abandon(reason: string): void {
    const error = new TallyError(STATUS.FORBIDDEN, `writes refused: this server no longer owns its data directory (${reason})`)
    this.#o.log.error(`log segment ${this.#seq}: ${error.message}; nothing more is written`)
    this.#abandoned = true
    this.#down = error
    this.#o.onStateChange(error)
    const { undone } = this.#undoPending()
    this.#answerFailed(error, undone, this.#written)
    this.#written = this.#appended = this.#needSync = this.#synced
    if (this.#fd >= 0) void this.#o.fs.close(this.#fd).catch(() => {})
    this.#fd = -1
  }

  // Starts a new segment after a failure: at once after a first failure, then once a second; after a full disk,
  // only once there is room again.
  #reopen(delayMs: number, waitForSpace: boolean): void {
    if (this.#closing) return
    this.#retryTimer = setTimeout(() => {
      this.#reopening = this.#tryReopen(delayMs, waitForSpace).finally(() => (this.#reopening = undefined))
    }, delayMs)
    if (delayMs > 0) this.#retryTimer.unref()
  }

  async #tryReopen(delayMs: number, waitForSpace: boolean): Promise<void> {
    if (waitForSpace && !(await this.#hasRoom())) return this.#reopen(RETRY_MS, true)
    try {
      await this.#restart()
    } catch (err) {
      if (delayMs === 0) this.#o.log.error(`the log is down, writes are refused: ${this.#error(err, 'open').message}`)
      return this.#reopen(RETRY_MS, isOutOfSpace(err))
    }
    this.#down = undefined
    this.#o.log.warn(`the log goes on in segment ${this.#seq}; writes are accepted again`)
    this.#o.onStateChange(undefined)
    this.#schedule()
  }

  /** The segment after a failure, restating what the failure cut. */
  async #restart(): Promise<void> {
    const restate = this.#restate!
    await this.#startSegment(this.#seq + 1, restate.previousValidBytes, restate.relog)
    this.#restate = undefined
  }

  async #hasRoom(): Promise<boolean> {
    try {
      return (await this.#o.fs.space(this.#o.dir)).freeBytes >= this.#o.minFreeBytes
    } catch {
      return true // cannot tell: try, and fail again if there is no room
    }
  }
}
