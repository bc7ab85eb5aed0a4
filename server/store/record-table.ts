// Record storage by record id, in columns: digests, generations and expiry in typed arrays, bins and user keys in
// plain arrays. Columns come in fixed-size chunks, so growing the table never copies what is already stored
// (no pause at 10M records) and the garbage collector has far fewer objects to trace than one object per record.
import { DIGEST_BYTES } from '../../protocol/digest.js'
import type { UserKey } from '../../protocol/types.js'
import type { BinList } from './bins.js'

const CHUNK_BITS = 16
const CHUNK_RECORDS = 1 << CHUNK_BITS
const CHUNK_MASK = CHUNK_RECORDS - 1

class Chunk {
  readonly digests = new Uint8Array(CHUNK_RECORDS * DIGEST_BYTES)
  readonly gens = new Uint16Array(CHUNK_RECORDS)
  readonly voidMs = new Float64Array(CHUNK_RECORDS)
  readonly setIds = new Uint16Array(CHUNK_RECORDS)
  readonly bytes = new Uint32Array(CHUNK_RECORDS)
  readonly bins: (BinList | undefined)[] = new Array(CHUNK_RECORDS)
  keys: (UserKey | undefined)[] | null = null // created when the first key is stored
}

/**
 * A table of records addressed by a small integer id. Ids of removed records are reused. A live record always has
 * a non-empty bin list; `bins(id)` is undefined for a free id.
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
    chunk.gens[at] = 0
    chunk.voidMs[at] = 0
    chunk.setIds[at] = 0
    chunk.bytes[at] = 0
    this.#live--
    this.#free.push(id)
  }

  /** True if `id` holds a live record. */
  isLive(id: number): boolean {
    return id >= 0 && id < this.#next && this.#chunk(id).bins[id & CHUNK_MASK] !== undefined
  }

  digestEquals(id: number, digest: Uint8Array): boolean {
    const digests = this.#chunk(id).digests
    const base = (id & CHUNK_MASK) * DIGEST_BYTES
    for (let i = 0; i < DIGEST_BYTES; i++) if (digests[base + i] !== digest[i]) return false
    return true
  }

  /** The digest column and the offset of record `id` in it, for hashing without a copy. */
  digestBytes(id: number): [Uint8Array, number] {
    return [this.#chunk(id).digests, (id & CHUNK_MASK) * DIGEST_BYTES]
  }

  /** A copy of record `id`'s digest. */
  digest(id: number): Buffer {
    const base = (id & CHUNK_MASK) * DIGEST_BYTES
    return Buffer.from(this.#chunk(id).digests.subarray(base, base + DIGEST_BYTES))
  }

  setDigest(id: number, digest: Uint8Array): void {
    this.#chunk(id).digests.set(digest.subarray(0, DIGEST_BYTES), (id & CHUNK_MASK) * DIGEST_BYTES)
  }

  gen(id: number): number {
    return this.#chunk(id).gens[id & CHUNK_MASK]!
  }

  /** Expiry time in ms since the Unix epoch; 0 = never. */
  voidMs(id: number): number {
    return this.#chunk(id).voidMs[id & CHUNK_MASK]!
  }

  setId(id: number): number {
    return this.#chunk(id).setIds[id & CHUNK_MASK]!
  }

  /** Approximate size of the record's bins, for the record size limit. */
  bytes(id: number): number {
    return this.#chunk(id).bytes[id & CHUNK_MASK]!
  }

  bins(id: number): BinList | undefined {
    return this.#chunk(id).bins[id & CHUNK_MASK]
  }

  userKey(id: number): UserKey | undefined {
    return this.#chunk(id).keys?.[id & CHUNK_MASK]
  }

  /** Stores a record's state after a write. */
  write(id: number, gen: number, voidMs: number, bins: BinList, bytes: number): void {
    const chunk = this.#chunk(id)
    const at = id & CHUNK_MASK
    chunk.gens[at] = gen
    chunk.voidMs[at] = voidMs
    chunk.bins[at] = bins
    chunk.bytes[at] = bytes
  }

  setSetId(id: number, setId: number): void {
    this.#chunk(id).setIds[id & CHUNK_MASK] = setId
  }

  setUserKey(id: number, key: UserKey): void {
    const chunk = this.#chunk(id)
    chunk.keys ??= new Array(CHUNK_RECORDS)
    chunk.keys[id & CHUNK_MASK] = key
  }

  #chunk(id: number): Chunk {
    return this.#chunks[id >>> CHUNK_BITS]!
  }
}
