// The window of write tokens (PROTOCOL.md §3.1): for each client, the answers to its recent writes, so that a retry
// gets the first answer instead of a second application. Clients are kept in an LRU cache bounded by the slots their
// rings take (the count bound) and by idle time (the age bound); each ring keeps its answers at least that long
// while room allows. A client dropped for room leaves a tombstone saying which of its writes may have been
// answered, so that its later retries are told the outcome is unknown rather than applied again.
import { LRUCache } from 'lru-cache'
import { TallyError } from '../../protocol/errors.js'
import type { RecordResult, Request, WriteToken } from '../../protocol/messages.js'
import type { FrameWriter } from '../../protocol/msgpack-writer.js'
import { answerWithoutId } from '../../protocol/response-codec.js'
import { STATUS, TALLY_STATUS } from '../../protocol/status.js'
import type { WindowChunk } from '../persist/entries.js'
import type { PersistedWindow } from '../persist/persistence.js'
import type { Clock } from '../store/clock.js'
import { ANSWER, ClientRing, FORGOTTEN, NEW, SLOT_BYTES, type RingCounts } from './client-ring.js'
import { kindOf, parseKept, writeKept, writeReplay } from './kept-answers.js'
import { PendingAnswers, type Durability } from './pending.js'

/** Settings of the window. */
export interface WriteWindowOptions {
  /** Most answers remembered over all clients (the slots of their rings); 0: no window, tokens are ignored. */
  maxEntries: number
  /** Answers are kept at least this long while `maxEntries` allows; a client silent this long (and up to 1 s more) is forgotten. */
  maxAgeMs: number
}

/** Room for 60 s of retries at 200k writes/s (12M answers) in one client's ring, the largest power of two. */
export const DEFAULT_WRITE_WINDOW: WriteWindowOptions = { maxEntries: 16 * 1024 * 1024, maxAgeMs: 60_000 }

/** Failures a retry would get again: remembered like successes. Others (1, 8, 14, 22) changed nothing and may pass. */
const REMEMBERED_FAILURES = new Set<number>([
  STATUS.NOT_FOUND,
  STATUS.GENERATION,
  STATUS.PARAMETER,
  STATUS.RECORD_EXISTS,
  STATUS.INCOMPATIBLE_TYPE,
  STATUS.RECORD_TOO_BIG,
  STATUS.KEY_MISMATCH,
  STATUS.NAMESPACE,
  STATUS.BIN_NAME,
  STATUS.OP_NOT_APPLICABLE,
])

/** What `info` reports of the window. */
export interface WindowStats {
  entries: number
  clients: number
  bytes: number
  hits: number
  unknown: number
  busy: number
  evicted: number
  expired: number
}

interface Tombstone {
  hi: number
  lo: number
  lost: number
  /** The client's settledBelow when its ring was dropped. */
  settledBelow: number
  atMs: number
}

/** The write token a request carries, if any. */
export function tokenOf(request: Request): WriteToken | undefined {
  return 'token' in request ? request.token : undefined
}

// 53 bits of the client id: a Map key that costs nothing to make; the ring checks the other 11.
const keyOf = (hi: number, lo: number): number => (hi & 0x1f_ffff) * 0x1_0000_0000 + (lo >>> 0)

/**
 * The rings of clients that wrote lately are used without asking the cache, which is told of a ring's use at most
 * this often (so a ring is kept up to this much longer than the age after its last write).
 */
const RECENT_RING_REFRESH_MS = 1000
/** Rings found without the cache: by the low bits of the client id, one each. */
const RECENT_RINGS = 64

export class WriteWindow implements PersistedWindow {
  readonly maxAgeMs: number
  readonly #maxEntries: number
  readonly #clock: Clock
  readonly #rings: LRUCache<number, ClientRing>
  readonly #tombstones = new Map<number, Tombstone>() // oldest first
  readonly #counts: RingCounts = { entries: 0, keptBytes: 0, evicted: 0, expired: 0 }
  #hits = 0
  #unknown = 0
  #busy = 0
  #durability: Durability | undefined
  #pending: PendingAnswers | undefined
  // What `replay` found, for the `remember` of the same request: the ring, and the log position before the write.
  #ring: ClientRing | undefined
  #position: number | undefined
  #moving = false // a ring is taken out of the cache to be set again
  readonly #recent = new Array<ClientRing | undefined>(RECENT_RINGS).fill(undefined)

  constructor(options: WriteWindowOptions, clock: Clock) {
    this.#maxEntries = options.maxEntries
    this.maxAgeMs = options.maxAgeMs
    this.#clock = clock
    this.#rings = new LRUCache<number, ClientRing>({
      maxSize: Math.max(1, options.maxEntries),
      sizeCalculation: (ring) => ring.capacity,
      ttl: options.maxAgeMs + RECENT_RING_REFRESH_MS,
      updateAgeOnGet: true,
      perf: { now: () => clock.nowMs() },
      dispose: (ring, key, reason) => this.#dropped(ring, key, reason),
    })
  }

  /** False when the window is off (`maxEntries` 0): tokens are then ignored. */
  get enabled(): boolean {
    return this.#maxEntries > 0
  }

  /** From now on, answers to logged writes are pending until the log says they are durable. */
  attach(durability: Durability): void {
    this.#durability = durability
    this.#pending = new PendingAnswers(durability)
  }

  /** The log undid the change whose entry ends at `position`. */
  undone(position: number): void {
    this.#pending?.undone(position)
  }

  /**
   * Before a write with `token` runs: true if it was answered before, and that answer is now written into `w` as
   * the answer to `id`. Throws OUTCOME_UNKNOWN (240) when it may have been answered but the answer is forgotten, and
   * KEY_BUSY (14) when it was applied but is not yet durable.
   */
  replay(token: WriteToken, id: number, w: FrameWriter): boolean {
    this.#position = this.#durability?.position
    const ring = this.#ringOf(token.clientHi, token.clientLo)
    this.#ring = ring
    // A write its client has settled is never sent again: one that comes now is a first attempt that was held up
    // on its way while a retry was answered (or the write was given up), and must not be applied a second time.
    if (ring === undefined) {
      const tombstone = this.#tombstoneOf(keyOf(token.clientHi, token.clientLo), token)
      if (token.resent && (tombstone === undefined || token.seq <= tombstone.lost)) throw this.#unknown_(token)
      if (tombstone !== undefined && token.seq < tombstone.settledBelow) throw this.#unknown_(token)
      return false
    }
    const slot = ring.find(token.seq)
    if (slot < 0 && token.seq < ring.settledBelow) throw this.#unknown_(token)
    if (slot === NEW || (slot === FORGOTTEN && !token.resent)) return false
    if (slot === FORGOTTEN) throw this.#unknown_(token)
    if (ring.isPending(slot)) {
      this.#busy++
      throw new TallyError(STATUS.KEY_BUSY, 'the first attempt of this write is applied but not yet durable; try again')
    }
    w.begin()
    writeReplay(w, id, ring, slot)
    w.end()
    this.#hits++
    return true
  }

  /** After the write with `token` succeeded: remembers its answer, the frame `w` ended last. */
  remember(token: WriteToken, result: RecordResult | RecordResult[], w: FrameWriter): void {
    const kind = kindOf(result)
    if (kind === ANSWER.BYTES) return this.#keep(token, kind, 0, 0, 0, answerWithoutId(w.lastBody()))
    const single = result as RecordResult
    const payload = single.payload
    const value = kind === ANSWER.INT ? (payload as number) : kind === ANSWER.DOUBLE ? (payload as { value: number }).value : 0
    this.#keep(token, kind, single.gen, single.ttl, value, undefined)
  }

  /** After the write with `token` failed with `status`: remembers the failure, the frame `w` ended last, if a retry would get it again. */
  rememberFailure(token: WriteToken, status: number, w: FrameWriter): void {
    if (REMEMBERED_FAILURES.has(status)) this.#keep(token, ANSWER.BYTES, 0, 0, 0, answerWithoutId(w.lastBody()))
  }

  /** An answer found in the log or a snapshot: `client`'s write `seq` was answered `answer` (kept without its id). */
  restore(clientHi: number, clientLo: number, seq: number, answer: Uint8Array): void {
    const { kind, gen, ttl, value, kept } = parseKept(answer)
    this.#ring = this.#ringOf(clientHi, clientLo)
    this.#position = undefined
    this.#keep({ clientHi, clientLo, seq, resent: false, settledBelow: 0 }, kind, gen, ttl, value, kept)
  }

  /** From a snapshot: the answers of `client`'s writes numbered up to `lost` may have been forgotten. */
  restoreLost(clientHi: number, clientLo: number, lost: number): void {
    const key = keyOf(clientHi, clientLo)
    const ring = this.#rings.get(key)
    if (ring !== undefined) ring.lost = Math.max(ring.lost, lost)
    else this.#bury(key, clientHi, clientLo, lost, 0)
  }

  /**
   * The window for a snapshot, in chunks of at most `max` answers: each client's, then the tombstones (no answers).
   * A chunk is read as it stands when it is asked for; the window may change between chunks.
   */
  *chunks(max: number): Generator<WindowChunk> {
    for (const key of [...this.#rings.keys()]) {
      for (let from = 0; ; ) {
        const ring = this.#rings.peek(key)
        if (ring === undefined) break
        const seqs = ring.seqs(from, max)
        yield { clientHi: ring.clientHi, clientLo: ring.clientLo, lost: ring.lost, seqs, writeAnswer: (w, seq) => writeKept(w, ring, ring.find(seq)) }
        if (seqs.length < max) break
        from = seqs.at(-1)! + 1
      }
    }
    const cutoff = this.#clock.nowMs() - this.maxAgeMs
    for (const { hi, lo, lost, atMs } of [...this.#tombstones.values()])
      if (atMs > cutoff) yield { clientHi: hi, clientLo: lo, lost, seqs: [], writeAnswer: () => {} }
  }

  stats(): WindowStats {
    const { entries, keptBytes, evicted, expired } = this.#counts
    const slots = this.#rings.calculatedSize
    return { entries, clients: this.#rings.size, bytes: slots * SLOT_BYTES + keptBytes, hits: this.#hits, unknown: this.#unknown, busy: this.#busy, evicted, expired }
  }

  // The client's ring: a recent one, or the cache's (which then counts it as used now).
  #ringOf(clientHi: number, clientLo: number): ClientRing | undefined {
    const now = this.#clock.nowMs()
    const at = clientLo & (RECENT_RINGS - 1)
    let ring = this.#recent[at]
    if (ring !== undefined && ring.clientLo === clientLo && ring.clientHi === clientHi && now - ring.toldMs < RECENT_RING_REFRESH_MS) return ring
    ring = this.#rings.get(keyOf(clientHi, clientLo))
    if (ring === undefined || ring.clientHi !== clientHi || ring.clientLo !== clientLo) return undefined
    ring.toldMs = now
    this.#recent[at] = ring
    return ring
  }

  #keep(token: WriteToken, kind: (typeof ANSWER)[keyof typeof ANSWER], gen: number, ttl: number, value: number, kept: Uint8Array | undefined): void {
    if (!this.enabled) return
    const key = keyOf(token.clientHi, token.clientLo)
    let ring = this.#ring
    this.#ring = undefined
    if (ring === undefined) {
      if (this.#rings.has(key)) return // another client's ring under the same key: nothing is kept for this one
      ring = new ClientRing(token.clientHi, token.clientLo, this.#tombstoneOf(key, token)?.lost ?? 0, this.#counts)
      this.#tombstones.delete(key)
      this.#rings.set(key, ring)
    }
    if (token.settledBelow > ring.settledBelow) ring.settledBelow = token.settledBelow
    const now = this.#clock.nowMs()
    const capacity = ring.capacity
    const slot = ring.slotFor(token.seq, now, this.maxAgeMs, this.#maxEntries)
    if (ring.capacity !== capacity) this.#resized(key, ring)
    if (slot < 0) return
    // The write logged a change (the log moved on): its answer waits for the change to be durable.
    const position = this.#position === undefined ? undefined : this.#durability!.position
    const pending = position !== undefined && position !== this.#position
    ring.set(slot, kind, gen, ttl, value, kept, pending, now)
    if (pending) this.#pending!.add(ring, token.seq, position)
  }

  // The cache works out a value's size only when a new value is set under its key (setting the same one again keeps
  // the old size): a grown ring is taken out, unseen by `#dropped`, and set again, pushing others out for room.
  #resized(key: number, ring: ClientRing): void {
    this.#moving = true
    this.#rings.delete(key)
    this.#moving = false
    this.#rings.set(key, ring)
  }

  #unknown_(token: WriteToken): TallyError {
    this.#unknown++
    return new TallyError(TALLY_STATUS.OUTCOME_UNKNOWN, `write ${token.seq} of this client is older than the server's window of write tokens: it was not applied now, and whether it was before is unknown`)
  }

  // A tombstone older than the age stands for nothing: every retry it could stop is past its client's window.
  #tombstoneOf(key: number, token: WriteToken): Tombstone | undefined {
    const tombstone = this.#tombstones.get(key)
    if (tombstone === undefined || tombstone.hi !== token.clientHi || tombstone.lo !== token.clientLo) return undefined
    return tombstone.atMs > this.#clock.nowMs() - this.maxAgeMs ? tombstone : undefined
  }

  // A ring leaves the cache. For room, it leaves a tombstone; after its age (or replaced once past it), nothing: a
  // retry that late is past its client's window too (PROTOCOL.md §3.1).
  #dropped(ring: ClientRing, key: number, reason: LRUCache.DisposeReason): void {
    if (this.#moving) return
    const at = ring.clientLo & (RECENT_RINGS - 1)
    if (this.#recent[at] === ring) this.#recent[at] = undefined
    this.#counts.entries -= ring.held
    this.#counts.keptBytes -= ring.keptBytes
    if (reason !== 'evict') {
      this.#counts.expired += ring.held
      return
    }
    this.#counts.evicted += ring.held
    this.#bury(key, ring.clientHi, ring.clientLo, Math.max(ring.lost, ring.high), ring.settledBelow)
  }

  #bury(key: number, hi: number, lo: number, lost: number, settledBelow: number): void {
    const now = this.#clock.nowMs()
    this.#tombstones.delete(key)
    this.#tombstones.set(key, { hi, lo, lost, settledBelow, atMs: now })
    for (const [old, tombstone] of this.#tombstones) {
      if (tombstone.atMs > now - this.maxAgeMs) break
      this.#tombstones.delete(old)
    }
  }
}
