// Record storage by record id. Each record's fixed part (digest, generation, set, size, expiry) sits in one 48-byte
// slot of a typed-array chunk, so a lookup touches one cache line, and the garbage collector sees no object per
// record. A record whose only bin is an integer (the common counter) is stored entirely in its slot; other records
// keep their bins in a JS array beside it. Chunks have a fixed size: growing never copies what is stored.
import { DIGEST_BYTES } from '../../protocol/digest.js'
import type { UserKey } from '../../protocol/types.js'
import type { BinList } from './bins.js'

const CHUNK_BITS = 16
const CHUNK_RECORDS = 1 << CHUNK_BITS
const CHUNK_MASK = CHUNK_RECORDS - 1

// Slot layout, in bytes: digest 0-19 | gen 20-21 | set id 22-23 | size 24-27 | bin name id 28-29 | kind 30 |
// (free) 31 | expiry (float64 ms) 32-39 | integer value (float64, exact below 2^53) 40-47.
const SLOT_BYTES = 48
const GEN = 10 // in 16-bit units
const SET = 11
const NAME = 14
const SIZE = 6 // in 32-bit units
const KIND = 30 // in bytes
const VOID = 4 // in 64-bit units
const VALUE = 5

/** What a slot holds. */
const FREE = 0
const BINS = 1 // bins in the chunk's `bins` array
const ONE_INT = 2 // one integer bin: name id and value in the slot

class Chunk {
  readonly u8: Uint8Array
  readonly u16: Uint16Array
  readonly u32: Uint32Array
  readonly f64: Float64Array
  readonly bins: (BinList | undefined)[] = new Array(CHUNK_RECORDS)
  keys: (UserKey | undefined)[] | null = null // created when the first key is stored

  constructor() {
    const buffer = new ArrayBuffer(CHUNK_RECORDS * SLOT_BYTES)
    this.u8 = new Uint8Array(buffer)
    this.u16 = new Uint16Array(buffer)
    this.u32 = new Uint32Array(buffer)
    this.f64 = new Float64Array(buffer)
  }
}

// Bin names of one-integer records, by id; shared by every table. Bounded: past it, records keep a bin array.
const MAX_NAMES = 0xffff
const nameIds = new Map<string, number>()
const names: string[] = []

function nameId(name: string): number {
  let id = nameIds.get(name)
  if (id === undefined) {
    if (names.length >= MAX_NAMES) return -1
    id = names.push(name) - 1
    nameIds.set(name, id)
  }
  return id
}

/**
 * A table of records addressed by a small integer id. Ids of removed records are reused. A live record always has
 * at least one bin.
 */
export class RecordTable {
  #chunks: Chunk[] = []
  #free: number[] = []
  #next = 0
  #live = 0

  /** Number of live records. */
  get size(): number {
    return this.#live
  }

  /** One past the highest id ever allocated: ids of live records are below it. */
  get capacity(): number {
    return this.#next
  }

  /** A free record id, with zeroed metadata and no bins yet. */
  allocate(): number {
    this.#live++
    const id = this.#free.pop()
    if (id !== undefined) return id
    if ((this.#next & CHUNK_MASK) === 0) this.#chunks.push(new Chunk())
    return this.#next++
  }

  /** Frees a record id: its bins and key are dropped at once so their memory can be reclaimed. */
  release(id: number): void {
    const chunk = this.#chunk(id)
    const at = id & CHUNK_MASK
    chunk.bins[at] = undefined
    if (chunk.keys !== null) chunk.keys[at] = undefined
    chunk.u8.fill(0, at * SLOT_BYTES + DIGEST_BYTES, (at + 1) * SLOT_BYTES)
    this.#live--
    this.#free.push(id)
  }

  /** True if `id` holds a live record. */
  isLive(id: number): boolean {
    return id >= 0 && id < this.#next && this.#chunk(id).u8[(id & CHUNK_MASK) * SLOT_BYTES + KIND] !== FREE
  }

  digestEquals(id: number, digest: Uint8Array): boolean {
    const u8 = this.#chunk(id).u8
    const base = (id & CHUNK_MASK) * SLOT_BYTES
    for (let i = 0; i < DIGEST_BYTES; i++) if (u8[base + i] !== digest[i]) return false
    return true
  }

  /** The bytes holding record `id`'s digest, and its offset in them, for hashing without a copy. */
  digestBytes(id: number): Uint8Array {
    return this.#chunk(id).u8
  }

  /** Offset of record `id`'s digest within `digestBytes(id)`. */
  digestOffset(id: number): number {
    return (id & CHUNK_MASK) * SLOT_BYTES
  }

  /** A copy of record `id`'s digest. */
  digest(id: number): Buffer {
    const base = (id & CHUNK_MASK) * SLOT_BYTES
    return Buffer.from(this.#chunk(id).u8.subarray(base, base + DIGEST_BYTES))
  }

  setDigest(id: number, digest: Uint8Array): void {
    const u8 = this.#chunk(id).u8
    const base = (id & CHUNK_MASK) * SLOT_BYTES
    for (let i = 0; i < DIGEST_BYTES; i++) u8[base + i] = digest[i]!
  }

  gen(id: number): number {
    return this.#chunk(id).u16[(id & CHUNK_MASK) * (SLOT_BYTES / 2) + GEN]!
  }

  /** Expiry time in ms since the Unix epoch; 0 = never. */
  voidMs(id: number): number {
    return this.#chunk(id).f64[(id & CHUNK_MASK) * (SLOT_BYTES / 8) + VOID]!
  }

  setId(id: number): number {
    return this.#chunk(id).u16[(id & CHUNK_MASK) * (SLOT_BYTES / 2) + SET]!
  }

  setSetId(id: number, setId: number): void {
    this.#chunk(id).u16[(id & CHUNK_MASK) * (SLOT_BYTES / 2) + SET] = setId
  }

  /** Approximate size of the record's bins, for the record size limit. */
  bytes(id: number): number {
    return this.#chunk(id).u32[(id & CHUNK_MASK) * (SLOT_BYTES / 4) + SIZE]!
  }

  /**
   * The record's bins. For a record stored in its slot this is a new array, which the caller may keep and change;
   * `ownsBins` says which kind the caller got.
   */
  bins(id: number): BinList | undefined {
    const chunk = this.#chunk(id)
    const at = id & CHUNK_MASK
    const kind = chunk.u8[at * SLOT_BYTES + KIND]
    if (kind === ONE_INT) return [names[chunk.u16[at * (SLOT_BYTES / 2) + NAME]!], chunk.f64[at * (SLOT_BYTES / 8) + VALUE]]
    return kind === BINS ? chunk.bins[at] : undefined
  }

  /** True when `bins(id)` returns a fresh array rather than the stored one. */
  ownsBins(id: number): boolean {
    return this.#chunk(id).u8[(id & CHUNK_MASK) * SLOT_BYTES + KIND] === ONE_INT
  }

  userKey(id: number): UserKey | undefined {
    return this.#chunk(id).keys?.[id & CHUNK_MASK]
  }

  setUserKey(id: number, key: UserKey | undefined): void {
    const chunk = this.#chunk(id)
    if (key === undefined && chunk.keys === null) return
    chunk.keys ??= new Array(CHUNK_RECORDS)
    chunk.keys[id & CHUNK_MASK] = key
  }

  /** Stores a record's state after a write. `bins` must not be changed afterwards. */
  write(id: number, gen: number, voidMs: number, bins: BinList, bytes: number): void {
    const chunk = this.#chunk(id)
    const at = id & CHUNK_MASK
    chunk.u16[at * (SLOT_BYTES / 2) + GEN] = gen
    chunk.u32[at * (SLOT_BYTES / 4) + SIZE] = bytes
    chunk.f64[at * (SLOT_BYTES / 8) + VOID] = voidMs
    const name = bins.length === 2 && typeof bins[1] === 'number' ? nameId(bins[0] as string) : -1
    if (name >= 0) {
      chunk.u8[at * SLOT_BYTES + KIND] = ONE_INT
      chunk.u16[at * (SLOT_BYTES / 2) + NAME] = name
      chunk.f64[at * (SLOT_BYTES / 8) + VALUE] = bins[1] as number
      chunk.bins[at] = undefined
    } else {
      chunk.u8[at * SLOT_BYTES + KIND] = BINS
      chunk.bins[at] = bins
    }
  }

  #chunk(id: number): Chunk {
    return this.#chunks[id >>> CHUNK_BITS]!
  }
}
