// Finds a record id from its 20-byte digest without building a string per lookup. The index is split into 4096
// partitions (by the digest's first 12 bits, like Aerospike's partitions); each is an open-addressing table of
// record ids with linear probing, so growing one partition rehashes only its 1/4096th of the records.
import { DIGEST_BYTES } from '../../protocol/digest.js'
import { partitionOf, PARTITIONS } from '../../protocol/partitions.js'
import type { RecordTable } from './record-table.js'

const INITIAL_SLOTS = 8
/** A partition grows when it would be more than 3/4 full. */
const MAX_LOAD_NUM = 3
const MAX_LOAD_DEN = 4

/**
 * Slot hash of a digest: all 20 bytes mixed with a per-process random seed, so that digests chosen by a client
 * cannot be made to pile up in one slot run.
 */
function slotHash(seed: number, d: Uint8Array, o: number): number {
  let h = seed
  for (let i = 0; i < DIGEST_BYTES; i += 4) {
    const word = d[o + i]! | (d[o + i + 1]! << 8) | (d[o + i + 2]! << 16) | (d[o + i + 3]! << 24)
    h = Math.imul(h ^ word, 0x9e3779b1)
    h ^= h >>> 15
  }
  return h >>> 0
}

/**
 * Maps digests to record ids. Each slot is two words: `id + 1` (0 marks an empty slot) and the digest's full slot
 * hash, so a probe compares hashes before touching a record, and growing or shifting never rehashes a digest.
 */
export class DigestIndex {
  readonly #records: RecordTable
  readonly #seed = (Math.random() * 0x1_0000_0000) >>> 0
  readonly #slots: Int32Array[] = []
  readonly #counts = new Uint32Array(PARTITIONS)

  constructor(records: RecordTable) {
    this.#records = records
    for (let p = 0; p < PARTITIONS; p++) this.#slots.push(new Int32Array(INITIAL_SLOTS * 2))
  }

  /** The id of the record with this digest, or -1. */
  find(digest: Uint8Array): number {
    const slots = this.#slots[partitionOf(digest)]!
    const mask = (slots.length >> 1) - 1
    const hash = slotHash(this.#seed, digest, 0) | 0
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const entry = slots[2 * i]!
      if (entry === 0) return -1
      if (slots[2 * i + 1] === hash && this.#records.digestEquals(entry - 1, digest)) return entry - 1
    }
  }

  /**
   * The id of the record with this digest if there is one; if not, a new record is allocated in the table with this
   * digest and indexed, and `-1 - id` is returned. One hash and one probe where `find` then `insert` take two.
   */
  findOrAdd(digest: Uint8Array): number {
    const partition = partitionOf(digest)
    if ((this.#counts[partition]! + 1) * MAX_LOAD_DEN > (this.#slots[partition]!.length >> 1) * MAX_LOAD_NUM) this.#grow(partition)
    const slots = this.#slots[partition]!
    const mask = (slots.length >> 1) - 1
    const hash = slotHash(this.#seed, digest, 0) | 0
    let i = hash & mask
    for (; slots[2 * i] !== 0; i = (i + 1) & mask) {
      const entry = slots[2 * i]!
      if (slots[2 * i + 1] === hash && this.#records.digestEquals(entry - 1, digest)) return entry - 1
    }
    const id = this.#records.allocate()
    this.#records.setDigest(id, digest)
    slots[2 * i] = id + 1
    slots[2 * i + 1] = hash
    this.#counts[partition]!++
    return -1 - id
  }

  /** Records indexed in `partition`. */
  count(partition: number): number {
    return this.#counts[partition]!
  }

  /**
   * The ids of the records in `partition`, copied: the caller may walk them while records come and go (entries
   * move as the table grows or shifts). Costs one pass over the partition's table, 1/4096th of the index.
   */
  partitionIds(partition: number): Int32Array {
    const slots = this.#slots[partition]!
    const ids = new Int32Array(this.#counts[partition]!)
    let n = 0
    for (let i = 0; i < slots.length && n < ids.length; i += 2) if (slots[i] !== 0) ids[n++] = slots[i]! - 1
    return ids
  }

  /** Makes room for about `records` records in all, so that loading them grows nothing. */
  reserve(records: number): void {
    const perPartition = Math.ceil((records / PARTITIONS) * 1.2)
    let slots = INITIAL_SLOTS
    while (perPartition * MAX_LOAD_DEN > slots * MAX_LOAD_NUM) slots *= 2
    for (let p = 0; p < PARTITIONS; p++) {
      if (this.#counts[p] === 0 && this.#slots[p]!.length < slots * 2) this.#slots[p] = new Int32Array(slots * 2)
      else while ((this.#slots[p]!.length >> 1) < slots) this.#grow(p)
    }
  }

  /** Adds record `id`, whose digest is already stored in the record table and not yet indexed. */
  insert(id: number): void {
    const bytes = this.#records.digestBytes(id)
    const offset = this.#records.digestOffset(id)
    const partition = partitionOf(bytes, offset)
    if ((this.#counts[partition]! + 1) * MAX_LOAD_DEN > (this.#slots[partition]!.length >> 1) * MAX_LOAD_NUM) this.#grow(partition)
    place(this.#slots[partition]!, id + 1, slotHash(this.#seed, bytes, offset) | 0)
    this.#counts[partition]!++
  }

  /** Removes record `id`, shifting later entries of its probe run back so no tombstones are needed. */
  remove(id: number): void {
    const bytes = this.#records.digestBytes(id)
    const offset = this.#records.digestOffset(id)
    const partition = partitionOf(bytes, offset)
    const slots = this.#slots[partition]!
    const mask = (slots.length >> 1) - 1
    let hole = slotHash(this.#seed, bytes, offset) & mask
    while (slots[2 * hole] !== id + 1) {
      if (slots[2 * hole] === 0) return
      hole = (hole + 1) & mask
    }
    for (let next = (hole + 1) & mask; slots[2 * next] !== 0; next = (next + 1) & mask) {
      const home = slots[2 * next + 1]! & mask
      // The entry at `next` may move into the hole only if its home slot is not cyclically in (hole, next].
      const between = hole <= next ? home > hole && home <= next : home > hole || home <= next
      if (!between) {
        slots[2 * hole] = slots[2 * next]!
        slots[2 * hole + 1] = slots[2 * next + 1]!
        hole = next
      }
    }
    slots[2 * hole] = 0
    slots[2 * hole + 1] = 0
    this.#counts[partition]!--
  }

  #grow(partition: number): void {
    const old = this.#slots[partition]!
    const slots = new Int32Array(old.length * 2)
    for (let i = 0; i < old.length; i += 2) if (old[i] !== 0) place(slots, old[i]!, old[i + 1]!)
    this.#slots[partition] = slots
  }
}

function place(slots: Int32Array, entry: number, hash: number): void {
  const mask = (slots.length >> 1) - 1
  let i = hash & mask
  while (slots[2 * i] !== 0) i = (i + 1) & mask
  slots[2 * i] = entry
  slots[2 * i + 1] = hash
}
