// One client's remembered answers (PROTOCOL.md §3.1): a ring of slots indexed by write number, so that a write's
// slot is found in one step and the number itself is never stored. Answers of the usual shapes (gen and ttl, with
// an integer or double value, or no reads) take 15 bytes of typed arrays; any other is kept as its bytes.

/** How a slot holds its answer: in its typed-array fields, or as bytes (BYTES). */
export const ANSWER = { EMPTY: 0, META: 1, INT: 2, DOUBLE: 3, NO_READS: 4, BYTES: 5 } as const
export type AnswerKind = (typeof ANSWER)[keyof typeof ANSWER]

/** Set on a slot whose write is applied but not yet durable. */
const PENDING = 0x80
/** Bytes of one slot: kind 1, gen 2, ttl 4, value 8. */
export const SLOT_BYTES = 15
/** Slots of a new ring. */
export const MIN_CAPACITY = 64
/**
 * A ring is cut into blocks, each with the time of the newest answer put in it: 4 for the smallest rings, one per 256
 * slots up to 64 for larger ones. A slot is reused once its block's newest answer is older than the age.
 */
const blocksOf = (capacity: number): number => Math.max(4, Math.min(64, capacity >>> 8))

/** `find`: the write is not remembered and was never answered (as far as this ring knows). */
export const NEW = -1
/** `find`: the write may have been answered, and its answer is forgotten. */
export const FORGOTTEN = -2

/** Counts shared by the rings of a window. */
export interface RingCounts {
  /** Answers held. */
  entries: number
  /** Bytes of answers kept as bytes. */
  keptBytes: number
  /** Answers dropped younger than the window's age, for want of room. */
  evicted: number
  /** Answers dropped after the window's age, or once their client settled their writes. */
  expired: number
}

export class ClientRing {
  readonly clientHi: number
  readonly clientLo: number
  /** The highest write number whose answer was put here; 0 before the first. */
  high = 0
  /** Answers of writes numbered up to this may have been forgotten: a retry of one not found gets OUTCOME_UNKNOWN. */
  lost: number
  /** The client settled every write numbered below this (its tokens say so): their slots may be reused at once. */
  settledBelow = 0
  /** When the window's cache was last told this ring was used. */
  toldMs = 0
  /** Answers held, and bytes of those kept as bytes (also counted in the window's counts). */
  held = 0
  keptBytes = 0
  readonly #counts: RingCounts
  #mask = 0
  #shift = 0 // slot index >> shift: its block
  #blockMask = 0 // slot index & blockMask: its place in its block
  #kinds!: Uint8Array
  #gens!: Uint16Array
  #ttls!: Int32Array
  #values!: Float64Array
  #kept: Map<number, Uint8Array> | undefined // BYTES answers, by slot
  #newestMs = new Float64Array(0)

  constructor(clientHi: number, clientLo: number, lost: number, counts: RingCounts) {
    this.clientHi = clientHi
    this.clientLo = clientLo
    this.lost = lost
    this.#counts = counts
    this.#allocate(MIN_CAPACITY)
  }

  get capacity(): number {
    return this.#mask + 1
  }

  /** The slot holding write `seq`'s answer, or NEW, or FORGOTTEN. */
  find(seq: number): number {
    if (seq <= this.high && seq > this.high - this.capacity) {
      const slot = seq & this.#mask
      if (this.#kinds[slot] !== ANSWER.EMPTY) return slot
    }
    return seq <= this.lost ? FORGOTTEN : NEW
  }

  isPending(slot: number): boolean {
    return (this.#kinds[slot]! & PENDING) !== 0
  }

  kind(slot: number): AnswerKind {
    return (this.#kinds[slot]! & ~PENDING) as AnswerKind
  }

  gen(slot: number): number {
    return this.#gens[slot]!
  }

  ttl(slot: number): number {
    return this.#ttls[slot]!
  }

  value(slot: number): number {
    return this.#values[slot]!
  }

  kept(slot: number): Uint8Array {
    return this.#kept!.get(slot)!
  }

  /**
   * A slot for the answer of write `seq`, which `find` says is NEW or FORGOTTEN; -1 if it cannot be kept (then a
   * retry of it will be told its outcome is unknown). Moving on to a higher number frees the slots of the oldest
   * answers; while those are younger than `maxAgeMs` and not settled by the client, the ring doubles instead, up to
   * `maxCapacity` slots.
   */
  slotFor(seq: number, nowMs: number, maxAgeMs: number, maxCapacity: number): number {
    const slot = seq & this.#mask
    if (seq === this.high + 1 && (slot & this.#blockMask) !== 0) {
      // The usual case, the next write within the block the writes are in (looked at when they entered it).
      if (this.#kinds[slot] !== ANSWER.EMPTY) this.#drop(slot, false)
      this.high = seq
      return slot
    }
    if (seq > this.high) {
      let young = this.#leavingYoung(seq, nowMs - maxAgeMs)
      while (young && this.capacity * 2 <= maxCapacity) {
        this.#resize(this.capacity * 2)
        young = this.#leavingYoung(seq, nowMs - maxAgeMs)
      }
      this.#advance(seq, young)
    } else if (seq <= this.high - this.capacity && seq > this.high - this.capacity * 2 && seq >= this.settledBelow && this.capacity * 2 <= maxCapacity) {
      this.#resize(this.capacity * 2) // a write that came late, behind many after it: room for it if the ring may grow
    }
    if (seq > this.high - this.capacity) return seq & this.#mask
    if (seq > this.lost) this.lost = seq
    return -1
  }

  /** Puts an answer in `slot` (from `slotFor`): its kind and fields, or its bytes for BYTES. */
  set(slot: number, kind: AnswerKind, gen: number, ttl: number, value: number, kept: Uint8Array | undefined, pending: boolean, nowMs: number): void {
    if (this.#kinds[slot] === ANSWER.EMPTY) this.#count(1)
    else this.#dropKept(slot)
    this.#kinds[slot] = pending ? kind | PENDING : kind
    this.#gens[slot] = gen
    this.#ttls[slot] = ttl
    this.#values[slot] = value
    if (kept !== undefined) {
      ;(this.#kept ??= new Map()).set(slot, kept)
      this.keptBytes += kept.length
      this.#counts.keptBytes += kept.length
    }
    const block = slot >>> this.#shift
    if (this.#newestMs[block]! < nowMs) this.#newestMs[block] = nowMs
  }

  /** Write `seq` is durable now. */
  clearPending(seq: number): void {
    const slot = this.find(seq)
    if (slot >= 0) this.#kinds[slot]! &= ~PENDING
  }

  /** Write `seq` was undone: it was never applied, as far as anyone will know. */
  forget(seq: number): void {
    const slot = this.find(seq)
    if (slot < 0) return
    this.#dropKept(slot)
    this.#kinds[slot] = ANSWER.EMPTY
    this.#count(-1)
  }

  /** The numbers of the writes whose answers are held, from `from` (a write number) up, at most `max` of them. */
  seqs(from: number, max: number): number[] {
    const seqs: number[] = []
    for (let seq = Math.max(from, this.high - this.capacity + 1); seq <= this.high && seqs.length < max; seq++)
      if (this.#kinds[seq & this.#mask] !== ANSWER.EMPTY) seqs.push(seq)
    return seqs
  }

  // True if moving up to `seq` would reuse a block holding an answer younger than the cut-off that the client has not
  // settled. A block is looked at as the writes enter it: until then it holds only answers older than those, and the
  // block the writes are in now was looked at when they entered it (a jump of a whole lap looks at every block).
  // Entering a block at write s reuses the slots of writes s - capacity to s - capacity + blockSize - 1.
  #leavingYoung(seq: number, cutoffMs: number): boolean {
    const newest = this.#newestMs
    const capacity = this.capacity
    if (seq - this.high >= capacity) return this.high >= this.settledBelow && newest.some((ms) => ms > cutoffMs)
    const unsettledFrom = this.settledBelow + capacity - (1 << this.#shift) + 1 // entering a block here or later reuses an unsettled slot
    let block = (this.high & this.#mask) >>> this.#shift
    for (let s = this.high + 1; s <= seq; s++) {
      const next = (s & this.#mask) >>> this.#shift
      if (next === block) continue
      block = next
      if (newest[block]! > cutoffMs && s >= unsettledFrom) return true
    }
    return false
  }

  // The writes above `high`, up to `seq`, take the slots of the oldest answers: those are dropped (`young`: some
  // before their age, for want of room).
  #advance(seq: number, young: boolean): void {
    const mask = this.#mask
    for (let s = Math.max(this.high + 1, seq - this.capacity + 1); s <= seq; s++) {
      const slot = s & mask
      if (this.#kinds[slot] !== ANSWER.EMPTY) this.#drop(slot, young)
    }
    this.high = seq
  }

  // The answer in `slot` is dropped for a write above `high` (`young`: maybe before its age, for want of room).
  #drop(slot: number, young: boolean): void {
    const held = this.high - ((this.high - slot) & this.#mask) // the write whose answer the slot holds
    if (held > this.lost) this.lost = held
    if (young && held >= this.settledBelow) this.#counts.evicted++
    else this.#counts.expired++
    this.#dropKept(slot)
    this.#kinds[slot] = ANSWER.EMPTY
    this.#count(-1)
  }

  // A ring of `capacity` slots holding the same answers. The writes it holds, high - capacity + 1 to high, are
  // copied in runs that are contiguous in both rings (at most three); each new block takes the newest time of the
  // old blocks copied into it.
  #resize(capacity: number): void {
    const { high } = this
    const oldCapacity = this.capacity
    const shift = this.#shift
    const [values, ttls, gens, kinds, kept, newest] = [this.#values, this.#ttls, this.#gens, this.#kinds, this.#kept, this.#newestMs]
    this.#allocate(capacity)
    const mask = this.#mask
    for (let seq = Math.max(1, high - oldCapacity + 1); seq <= high; ) {
      const from = seq & (oldCapacity - 1)
      const to = seq & mask
      const n = Math.min(high - seq + 1, oldCapacity - from, capacity - to)
      this.#values.set(values.subarray(from, from + n), to)
      this.#ttls.set(ttls.subarray(from, from + n), to)
      this.#gens.set(gens.subarray(from, from + n), to)
      this.#kinds.set(kinds.subarray(from, from + n), to)
      for (let block = from >>> shift; block <= (from + n - 1) >>> shift; block++) {
        const first = Math.max(to, to + (block << shift) - from) >>> this.#shift
        const last = Math.min(to + n - 1, to + ((block + 1) << shift) - 1 - from) >>> this.#shift
        for (let b = first; b <= last; b++) this.#newestMs[b] = Math.max(this.#newestMs[b]!, newest[block]!)
      }
      seq += n
    }
    if (kept !== undefined) for (const [slot, bytes] of kept) (this.#kept ??= new Map()).set((high - ((high - slot) & (oldCapacity - 1))) & mask, bytes)
  }

  // One buffer for the four arrays, the widest first so that each is aligned.
  #allocate(capacity: number): void {
    const buffer = new ArrayBuffer(capacity * SLOT_BYTES)
    this.#values = new Float64Array(buffer, 0, capacity)
    this.#ttls = new Int32Array(buffer, capacity * 8, capacity)
    this.#gens = new Uint16Array(buffer, capacity * 12, capacity)
    this.#kinds = new Uint8Array(buffer, capacity * 14, capacity)
    this.#mask = capacity - 1
    this.#shift = Math.log2(capacity / blocksOf(capacity))
    this.#blockMask = (1 << this.#shift) - 1
    this.#kept = undefined
    this.#newestMs = new Float64Array(blocksOf(capacity)).fill(-Infinity)
  }

  #count(n: number): void {
    this.held += n
    this.#counts.entries += n
  }

  #dropKept(slot: number): void {
    const bytes = this.#kept?.get(slot)
    if (bytes === undefined) return
    this.#kept!.delete(slot)
    this.keptBytes -= bytes.length
    this.#counts.keptBytes -= bytes.length
  }
}
