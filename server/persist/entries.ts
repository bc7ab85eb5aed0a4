// Log and snapshot entries on disk: `u32 length | u32 crc32c | payload`, big-endian, the payload one msgpack
// array. A record is logged whole (its state after the write), so replaying an entry twice changes nothing.
import { DIGEST_BYTES } from '../../protocol/digest.js'
import { MsgpackReader } from '../../protocol/msgpack-reader.js'
import { MsgpackWriter } from '../../protocol/msgpack-writer.js'
import type { UserKey } from '../../protocol/types.js'
import type { BinList } from '../store/bins.js'
import type { RecordState } from '../store/namespace.js'
import { crc32c } from './crc32c.js'

/** Entry types: the first element of every payload. */
export const ENTRY = {
  /** `[1, ns, digest, set, userKey|nil, gen, voidMs, bins]`: the record's whole state after a write. */
  WRITE: 1,
  /** `[2, ns, digest]`: the record is gone. */
  DELETE: 2,
  /** `[3, seq, previousValidBytes]`: first entry of a log segment; how much of the segment before it counts. */
  SEGMENT: 3,
  /** `[4, [entry...]]`: several changes applied together; replayed whole or not at all. */
  BATCH: 4,
  /**
   * `[5, seq, createdMs, [ns, records, ...]?]`: first entry of a snapshot, which holds everything logged before
   * segment `seq`; with about how many records of each namespace follow, so that loading can make room at once.
   */
  SNAPSHOT: 5,
  /** `[6, records]`: last entry of a complete snapshot. */
  SNAPSHOT_END: 6,
  /** `[7, nextSeq]`: written after a segment's last change once segment `nextSeq` exists, so none can vanish unseen. */
  SEGMENT_END: 7,
  /**
   * `[8, client, seq, answer, change]`: a change made by a write with a token (PROTOCOL.md §3.1), a WRITE, DELETE or
   * BATCH body, with the token (`client` 8 bytes, `seq`) and the answer it got (without its id): one entry, so that
   * the change and its answer are durable together.
   */
  TOKEN: 8,
  /**
   * `[9, client, lost, [seq, answer, ...]]`: in a snapshot, answers the write window holds for one client, and the
   * highest write number of that client whose answer may have been forgotten (0: none).
   */
  WINDOW: 9,
  /**
   * `[10, ns, set|nil]`: every record of the set (nil: of the namespace) logged or loaded before this entry is gone;
   * records written after it stay.
   */
  TRUNCATE: 10,
} as const

export const ENTRY_HEADER_BYTES = 8

export type Entry =
  | ({ type: typeof ENTRY.WRITE; ns: string; digest: Uint8Array } & RecordState)
  | { type: typeof ENTRY.DELETE; ns: string; digest: Uint8Array }
  | { type: typeof ENTRY.SEGMENT; seq: number; previousValidBytes: number }
  | { type: typeof ENTRY.BATCH; entries: Entry[] }
  | { type: typeof ENTRY.SNAPSHOT; seq: number; createdMs: number; expected: [string, number][] }
  | { type: typeof ENTRY.SNAPSHOT_END; records: number }
  | { type: typeof ENTRY.SEGMENT_END; nextSeq: number }
  | { type: typeof ENTRY.TRUNCATE; ns: string; set: string | null }
  | ({ type: typeof ENTRY.TOKEN; answer: Buffer; change: Entry } & TokenId)
  | ({ type: typeof ENTRY.WINDOW; lost: number; answers: { seq: number; answer: Buffer }[] } & ClientId)

/** A client of the write window: its 8-byte id as two big-endian halves, read as signed 32-bit integers. */
export interface ClientId {
  clientHi: number
  clientLo: number
}

/** A write token: the client and the write's number. */
export interface TokenId extends ClientId {
  seq: number
}

/** Some of the answers the write window holds for one client, as a snapshot keeps them (ENTRY.WINDOW). */
export interface WindowChunk extends ClientId {
  lost: number
  /** Write numbers whose answers the chunk holds. */
  seqs: number[]
  /** Writes the answer to write `seq`, without its id, as a msgpack array. */
  writeAnswer(w: MsgpackWriter, seq: number): void
}

/** Writes entries, each framed with its length and checksum. */
export class EntryWriter extends MsgpackWriter {
  #start = -1

  /** Starts an entry. */
  begin(): void {
    this.ensure(ENTRY_HEADER_BYTES)
    this.#start = this.pos
    this.pos += ENTRY_HEADER_BYTES
  }

  /** Frames the entry begun last. */
  end(): void {
    const start = this.#start
    const bodyStart = start + ENTRY_HEADER_BYTES
    this.buf.writeUInt32BE(this.pos - bodyStart, start)
    this.buf.writeUInt32BE(crc32c(this.buf, bodyStart, this.pos), start + 4)
    this.#start = -1
  }

  /** Drops the entry begun last. */
  rollback(): void {
    if (this.#start >= 0) this.pos = this.#start
    this.#start = -1
  }

  /** The body of a WRITE (without its framing), for a BATCH or a whole entry. */
  recordBody(ns: string, digest: Uint8Array, state: RecordState): void {
    this.array(8)
    this.number(ENTRY.WRITE)
    this.str(ns)
    this.bin(digest.subarray(0, DIGEST_BYTES))
    this.str(state.set)
    this.value(state.userKey ?? null)
    this.number(state.gen)
    this.number(state.voidMs)
    this.value(state.bins)
  }

  /** The start of a TOKEN entry; the answer, then the change's body, follow. */
  tokenHead(token: TokenId): void {
    this.array(5)
    this.number(ENTRY.TOKEN)
    this.#client(token)
    this.number(token.seq)
  }

  /** A whole WINDOW entry. */
  window(chunk: WindowChunk): void {
    this.begin()
    this.array(4)
    this.number(ENTRY.WINDOW)
    this.#client(chunk)
    this.number(chunk.lost)
    this.array(chunk.seqs.length * 2)
    for (const seq of chunk.seqs) {
      this.number(seq)
      chunk.writeAnswer(this, seq)
    }
    this.end()
  }

  #client({ clientHi, clientLo }: ClientId): void {
    clientBytes.writeInt32BE(clientHi, 0)
    clientBytes.writeInt32BE(clientLo, 4)
    this.bin(clientBytes)
  }

  deleteBody(ns: string, digest: Uint8Array): void {
    this.array(3)
    this.number(ENTRY.DELETE)
    this.str(ns)
    this.bin(digest.subarray(0, DIGEST_BYTES))
  }

  /** The body of a TRUNCATE (without its framing): `set` null truncates the namespace. */
  truncateBody(ns: string, set: string | null): void {
    this.array(3)
    this.number(ENTRY.TRUNCATE)
    this.str(ns)
    if (set === null) this.nil()
    else this.str(set)
  }

  /** A snapshot's first entry: its number, when it was begun, and about how many records of each namespace. */
  snapshotHeader(seq: number, createdMs: number, expected: [string, number][]): void {
    this.begin()
    this.array(4)
    this.number(ENTRY.SNAPSHOT)
    this.number(seq)
    this.number(createdMs)
    this.array(expected.length * 2)
    for (const [ns, records] of expected) {
      this.str(ns)
      this.number(records)
    }
    this.end()
  }

  /** A whole entry of a type and numbers: SEGMENT, SNAPSHOT_END or SEGMENT_END. */
  marker(type: number, ...numbers: number[]): void {
    this.begin()
    this.array(1 + numbers.length)
    this.number(type)
    for (const n of numbers) this.number(n)
    this.end()
  }
}

const reader = new MsgpackReader({ mapsAsObjects: false })
const clientBytes = Buffer.alloc(8)

/** Smallest payload of any entry: a two-element array of small integers. */
export const MIN_ENTRY_BYTES = 3

/**
 * True if `bytes[at]` may start an entry's payload: an array of 2 to 8 elements whose first element is a known
 * entry type. A cheap filter used before a checksum when looking for entries past damaged bytes.
 */
export function looksLikePayload(bytes: Uint8Array, at: number): boolean {
  const head = bytes[at]!
  const type = bytes[at + 1]!
  return head >= 0x92 && head <= 0x98 && type >= ENTRY.WRITE && type <= ENTRY.TRUNCATE
}

/**
 * Decodes the payload in `bytes[start, end)`; throws if it is not one whole, known entry. Digests are views of
 * `bytes`: copy one to keep it past the next read.
 */
export function decodeEntry(bytes: Buffer, start: number, end: number): Entry {
  reader.reset(bytes, start, end)
  const entry = readEntryBody(reader)
  reader.finish()
  return entry
}

/** Elements of each entry type's array. */
const FIELDS: Record<number, number> = {
  [ENTRY.WRITE]: 8,
  [ENTRY.DELETE]: 3,
  [ENTRY.SEGMENT]: 3,
  [ENTRY.BATCH]: 2,
  [ENTRY.SNAPSHOT]: 3,
  [ENTRY.SNAPSHOT_END]: 2,
  [ENTRY.SEGMENT_END]: 2,
  [ENTRY.TOKEN]: 5,
  [ENTRY.WINDOW]: 4,
  [ENTRY.TRUNCATE]: 3,
}

function readEntryBody(r: MsgpackReader): Entry {
  const fields = r.array()
  const type = Number(r.int())
  if (FIELDS[type] !== fields && !(type === ENTRY.SNAPSHOT && fields === 4)) throw new Error(`entry type ${type} with ${fields} fields`)
  switch (type) {
    case ENTRY.WRITE: {
      const ns = r.str()
      const digest = readDigest(r)
      const set = r.str()
      const key = r.value()
      const gen = Number(r.int())
      const voidMs = Number(r.value())
      const bins = r.value()
      if (!Array.isArray(bins) || bins.length % 2 !== 0) throw new Error('bins are not a list of names and values')
      return { type, ns, digest, set, userKey: key === null ? undefined : (key as UserKey), gen, voidMs, bins: bins as BinList }
    }
    case ENTRY.DELETE:
      return { type, ns: r.str(), digest: readDigest(r) }
    case ENTRY.SEGMENT:
      return { type, seq: Number(r.int()), previousValidBytes: Number(r.value()) }
    case ENTRY.BATCH: {
      const count = r.array()
      const entries: Entry[] = []
      for (let i = 0; i < count; i++) {
        const inner = readEntryBody(r)
        if (inner.type !== ENTRY.WRITE && inner.type !== ENTRY.DELETE) throw new Error(`a batch holds an entry of type ${inner.type}`)
        entries.push(inner)
      }
      return { type, entries }
    }
    case ENTRY.SNAPSHOT: {
      const seq = Number(r.int())
      const createdMs = Number(r.value())
      const expected: [string, number][] = []
      const counts = fields === 4 ? r.array() : 0
      for (let i = 0; i + 1 < counts; i += 2) expected.push([r.str(), Number(r.int())])
      return { type, seq, createdMs, expected }
    }
    case ENTRY.SNAPSHOT_END:
      return { type, records: Number(r.value()) }
    case ENTRY.SEGMENT_END:
      return { type, nextSeq: Number(r.int()) }
    case ENTRY.TOKEN: {
      const { clientHi, clientLo } = readClient(r)
      const seq = readSeq(r)
      const answer = r.raw()
      const change = readEntryBody(r)
      if (change.type !== ENTRY.WRITE && change.type !== ENTRY.DELETE && change.type !== ENTRY.BATCH) throw new Error(`a token entry holds an entry of type ${change.type}`)
      return { type, clientHi, clientLo, seq, answer, change }
    }
    case ENTRY.WINDOW: {
      const { clientHi, clientLo } = readClient(r)
      const lost = Number(r.int())
      const count = r.array()
      if (count % 2 !== 0) throw new Error('window answers are not a list of write numbers and answers')
      const answers: { seq: number; answer: Buffer }[] = []
      for (let i = 0; i < count; i += 2) answers.push({ seq: readSeq(r), answer: r.raw() })
      return { type, clientHi, clientLo, lost, answers }
    }
    case ENTRY.TRUNCATE: {
      const ns = r.str()
      const set = r.value()
      if (set !== null && typeof set !== 'string') throw new Error('a truncated set name is not a string')
      return { type, ns, set }
    }
    default:
      throw new Error(`unknown entry type ${type}`)
  }
}

function readClient(r: MsgpackReader): ClientId {
  const client = r.bin(false)
  if (client.length !== 8) throw new Error(`a client id of ${client.length} bytes`)
  return { clientHi: client.readInt32BE(0), clientLo: client.readInt32BE(4) }
}

function readSeq(r: MsgpackReader): number {
  const seq = r.int()
  if (typeof seq !== 'number' || seq < 1) throw new Error(`a write number of ${seq}`)
  return seq
}

// A view of the entry's bytes, valid only until the reader moves on: whoever keeps a digest copies it.
function readDigest(r: MsgpackReader): Buffer {
  const digest = r.bin(false)
  if (digest.length !== DIGEST_BYTES) throw new Error(`a digest of ${digest.length} bytes`)
  return digest
}
