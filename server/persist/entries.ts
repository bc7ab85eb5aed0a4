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
  /** `[5, seq, createdMs]`: first entry of a snapshot, which holds everything logged before segment `seq`. */
  SNAPSHOT: 5,
  /** `[6, records]`: last entry of a complete snapshot. */
  SNAPSHOT_END: 6,
} as const

export const ENTRY_HEADER_BYTES = 8

export type Entry =
  | ({ type: typeof ENTRY.WRITE; ns: string; digest: Uint8Array } & RecordState)
  | { type: typeof ENTRY.DELETE; ns: string; digest: Uint8Array }
  | { type: typeof ENTRY.SEGMENT; seq: number; previousValidBytes: number }
  | { type: typeof ENTRY.BATCH; entries: Entry[] }
  | { type: typeof ENTRY.SNAPSHOT; seq: number; createdMs: number }
  | { type: typeof ENTRY.SNAPSHOT_END; records: number }

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

  deleteBody(ns: string, digest: Uint8Array): void {
    this.array(3)
    this.number(ENTRY.DELETE)
    this.str(ns)
    this.bin(digest.subarray(0, DIGEST_BYTES))
  }

  /** A whole entry of three numbers: SEGMENT, SNAPSHOT or SNAPSHOT_END. */
  marker(type: number, ...numbers: number[]): void {
    this.begin()
    this.array(1 + numbers.length)
    this.number(type)
    for (const n of numbers) this.number(n)
    this.end()
  }
}

/** Where reading entries stopped, and why, when it stopped early. */
export interface ReadResult {
  /** Bytes of whole, valid entries from the start. */
  validBytes: number
  /** Why the bytes after `validBytes` were not read: a torn or corrupt entry. */
  problem: string | undefined
}

const reader = new MsgpackReader({ mapsAsObjects: false })

/**
 * Calls `onEntry` for each valid entry in `bytes[0, end)`; stops at the first entry that is cut short or fails
 * its checksum. An entry whose checksum holds but whose payload cannot be read is also a problem (a bug, not a
 * crash), reported the same way.
 */
export function readEntries(bytes: Buffer, end: number, onEntry: (entry: Entry) => void): ReadResult {
  let at = 0
  while (at < end) {
    if (end - at < ENTRY_HEADER_BYTES) return { validBytes: at, problem: `a torn entry header (${end - at} bytes)` }
    const length = bytes.readUInt32BE(at)
    const bodyStart = at + ENTRY_HEADER_BYTES
    if (length > end - bodyStart) return { validBytes: at, problem: `an entry of ${length} bytes cut short at ${end - bodyStart}` }
    if (crc32c(bytes, bodyStart, bodyStart + length) !== bytes.readUInt32BE(at + 4)) return { validBytes: at, problem: 'an entry whose checksum does not match' }
    let entry: Entry
    try {
      reader.reset(bytes, bodyStart, bodyStart + length)
      entry = readEntryBody(reader)
      reader.finish()
    } catch (err) {
      return { validBytes: at, problem: `an entry that cannot be read (${(err as Error).message})` }
    }
    onEntry(entry)
    at = bodyStart + length
  }
  return { validBytes: at, problem: undefined }
}

function readEntryBody(r: MsgpackReader): Entry {
  const fields = r.array()
  const type = Number(r.int())
  switch (type) {
    case ENTRY.WRITE: {
      const ns = r.str()
      const digest = r.bin(true)
      const set = r.str()
      const key = r.value()
      const gen = Number(r.int())
      const voidMs = Number(r.value())
      const bins = r.value() as BinList
      return { type, ns, digest, set, userKey: key === null ? undefined : (key as UserKey), gen, voidMs, bins }
    }
    case ENTRY.DELETE:
      return { type, ns: r.str(), digest: r.bin(true) }
    case ENTRY.SEGMENT:
      return { type, seq: Number(r.int()), previousValidBytes: Number(r.value()) }
    case ENTRY.BATCH: {
      const count = r.array()
      const entries: Entry[] = []
      for (let i = 0; i < count; i++) entries.push(readEntryBody(r))
      return { type, entries }
    }
    case ENTRY.SNAPSHOT:
      return { type, seq: Number(r.int()), createdMs: Number(r.value()) }
    case ENTRY.SNAPSHOT_END:
      return { type, records: Number(r.value()) }
    default:
      throw new Error(`unknown entry type ${type} with ${fields} fields`)
  }
}
