// The backup file (docs/backup.md): `TALLYBAK`, a version, then sections `u32 length | u32 crc32c | payload`, each
// payload one msgpack array: a header (namespace, set, when), blocks of records, and a trailer (records, blocks,
// and a checksum over every section's checksum, so that a lost or reordered block is found too).
import fs from 'node:fs'
import { FLOATS } from '../../protocol/msgpack-format.js'
import { MsgpackReader } from '../../protocol/msgpack-reader.js'
import { MsgpackWriter } from '../../protocol/msgpack-writer.js'
import type { StoredRecord } from '../../client/records.js'
import type { UserKey } from '../../protocol/types.js'
import { crc32c } from '../persist/crc32c.js'

export const BACKUP_MAGIC = 'TALLYBAK'
export const BACKUP_VERSION = 1
/** Magic and version. */
export const PREAMBLE_BYTES = 12
const SECTION_HEADER_BYTES = 8
/** A section larger than this is damage, not data: the reader refuses it before reading it. */
export const MAX_SECTION_BYTES = 64 * 1024 * 1024
/** A block is closed once its records take this many bytes. */
const BLOCK_BYTES = 256 * 1024

/** Section types: the first element of every payload. */
export const SECTION = { HEADER: 1, BLOCK: 2, TRAILER: 3 } as const

/** What a backup holds, from its header. */
export interface BackupHeader {
  namespace: string
  /** The set backed up; null: the whole namespace. */
  set: string | null
  createdMs: number
}

/** A problem with a backup file: which file, at which byte, what is wrong. */
export class BackupFileError extends Error {
  override readonly name = 'BackupFileError'
  constructor(file: string, offset: number, problem: string) {
    super(`${file}: byte ${offset}: ${problem}; nothing was restored`)
  }
}

/** Writes a backup file: `begin`, `add` each record, `finish`. Records are written in blocks, each checksummed. */
export class BackupWriter {
  readonly #fd: number
  readonly #w = new MsgpackWriter(BLOCK_BYTES + 64 * 1024)
  readonly #checksums: number[] = []
  #blockRecords = 0
  #records = 0

  constructor(file: string, header: BackupHeader) {
    this.#fd = fs.openSync(file, 'w')
    const preamble = Buffer.alloc(PREAMBLE_BYTES)
    preamble.write(BACKUP_MAGIC, 0, 'latin1')
    preamble.writeUInt32BE(BACKUP_VERSION, 8)
    fs.writeSync(this.#fd, preamble)
    const w = this.#w
    w.array(4)
    w.number(SECTION.HEADER)
    w.str(header.namespace)
    if (header.set === null) w.nil()
    else w.str(header.set)
    w.number(header.createdMs)
    this.#section(w.take())
  }

  /** Records written so far. */
  get records(): number {
    return this.#records
  }

  add(record: StoredRecord): void {
    const w = this.#w
    w.array(6)
    w.bin(record.digest)
    w.str(record.set)
    w.value(record.key)
    w.number(record.gen)
    w.number(record.voidMs)
    w.value(record.bins)
    this.#blockRecords++
    this.#records++
    if (w.length >= BLOCK_BYTES) this.#flushBlock()
  }

  /** Writes the last block and the trailer, syncs and closes the file. */
  finish(): void {
    this.#flushBlock()
    const w = this.#w
    const sum = Buffer.alloc(this.#checksums.length * 4)
    this.#checksums.forEach((c, i) => sum.writeUInt32BE(c, i * 4))
    w.array(4)
    w.number(SECTION.TRAILER)
    w.number(this.#records)
    w.number(this.#checksums.length - 1)
    w.number(crc32c(sum))
    this.#section(w.take())
    fs.fsyncSync(this.#fd)
    fs.closeSync(this.#fd)
  }

  /** Closes the file without finishing it (after a failure). */
  abandon(): void {
    fs.closeSync(this.#fd)
  }

  #flushBlock(): void {
    if (this.#blockRecords === 0) return
    const records = this.#w.take()
    const w = this.#w
    w.array(2)
    w.number(SECTION.BLOCK)
    w.array(this.#blockRecords)
    this.#section(Buffer.concat([w.take(), records]))
    this.#blockRecords = 0
  }

  #section(payload: Buffer): void {
    const head = Buffer.alloc(SECTION_HEADER_BYTES)
    const checksum = crc32c(payload)
    head.writeUInt32BE(payload.length, 0)
    head.writeUInt32BE(checksum, 4)
    this.#checksums.push(checksum)
    fs.writeSync(this.#fd, head)
    fs.writeSync(this.#fd, payload)
  }
}

/** What reading a whole backup found. */
export interface BackupSummary extends BackupHeader {
  records: number
  blocks: number
  bytes: number
}

/**
 * Reads backup `file` from start to end, checking everything: magic, version, every section's length and checksum,
 * every record's shape, the trailer's counts and checksum, and that nothing follows it. Yields each block's records;
 * returns what the file holds. Throws BackupFileError at the first problem.
 */
export function* backupBlocks(file: string): Generator<StoredRecord[], BackupSummary> {
  const fd = fs.openSync(file, 'r')
  try {
    return yield* new BackupReader(file, fd).read()
  } finally {
    fs.closeSync(fd)
  }
}

/** Checks all of backup `file` (see backupBlocks) and returns what it holds. */
export function checkBackup(file: string): BackupSummary {
  const blocks = backupBlocks(file)
  for (let next = blocks.next(); ; next = blocks.next()) if (next.done === true) return next.value
}

class BackupReader {
  readonly #file: string
  readonly #fd: number
  readonly #size: number
  readonly #r = new MsgpackReader({ mapsAsObjects: false, floats: FLOATS.DOUBLES })
  #offset = 0

  constructor(file: string, fd: number) {
    this.#file = file
    this.#fd = fd
    this.#size = fs.fstatSync(fd).size
  }

  *read(): Generator<StoredRecord[], BackupSummary> {
    const preamble = this.#bytes(PREAMBLE_BYTES, 'the file is shorter than its preamble: not a Tally backup')
    if (preamble.toString('latin1', 0, 8) !== BACKUP_MAGIC) this.#fail(0, `not a Tally backup (it does not start with ${BACKUP_MAGIC})`)
    const version = preamble.readUInt32BE(8)
    if (version !== BACKUP_VERSION) this.#fail(8, `backup format version ${version}; this tally reads version ${BACKUP_VERSION}`)
    const checksums: number[] = []
    let header: BackupHeader | undefined
    let records = 0
    let blocks = 0
    for (;;) {
      const start = this.#offset
      if (start === this.#size) this.#fail(start, 'the file ends without its trailer: it is cut short')
      const { payload, checksum } = this.#section()
      const r = this.#r.reset(payload)
      const type = this.#decode(start, () => {
        r.array()
        return Number(r.int())
      })
      if (header === undefined && type !== SECTION.HEADER) this.#fail(start, 'the first section is not the header')
      if (type === SECTION.HEADER) {
        if (header !== undefined) this.#fail(start, 'a second header')
        header = this.#decode(start, () => {
          const namespace = r.str()
          const set = r.value()
          if (set !== null && typeof set !== 'string') throw new Error('the set is not a string')
          return { namespace, set, createdMs: Number(r.int()) }
        })
      } else if (type === SECTION.BLOCK) {
        const block = this.#decode(start, () => readRecords(r))
        records += block.length
        blocks++
        yield block
      } else if (type === SECTION.TRAILER) {
        const [count, blockCount, sum] = this.#decode(start, () => [Number(r.int()), Number(r.int()), Number(r.int())])
        if (count !== records) this.#fail(start, `the trailer counts ${count} records, the blocks hold ${records}`)
        if (blockCount !== blocks) this.#fail(start, `the trailer counts ${blockCount} blocks, the file holds ${blocks}`)
        const all = Buffer.alloc(checksums.length * 4)
        checksums.forEach((c, i) => all.writeUInt32BE(c, i * 4))
        if (crc32c(all) !== sum) this.#fail(start, 'the trailer checksum does not match the sections before it')
        if (this.#offset !== this.#size) this.#fail(this.#offset, `${this.#size - this.#offset} bytes follow the trailer`)
        return { ...header!, records, blocks, bytes: this.#size }
      } else this.#fail(start, `unknown section type ${type}`)
      checksums.push(checksum)
    }
  }

  #section(): { payload: Buffer; checksum: number } {
    const start = this.#offset
    const head = this.#bytes(SECTION_HEADER_BYTES, 'the file ends inside a section header: it is cut short')
    const length = head.readUInt32BE(0)
    const checksum = head.readUInt32BE(4)
    if (length > MAX_SECTION_BYTES) this.#fail(start, `a section of ${length} bytes, more than any backup writes: the length is damaged`)
    const payload = this.#bytes(length, `a section of ${length} bytes runs past the end of the file: it is cut short`)
    if (crc32c(payload) !== checksum) this.#fail(start, 'checksum mismatch: the section is damaged')
    return { payload, checksum }
  }

  #bytes(length: number, short: string): Buffer {
    const start = this.#offset
    if (start + length > this.#size) this.#fail(start, short)
    const buf = Buffer.allocUnsafe(length)
    if (length > 0) fs.readSync(this.#fd, buf, 0, length, start)
    this.#offset += length
    return buf
  }

  #decode<T>(start: number, read: () => T): T {
    try {
      return read()
    } catch (err) {
      return this.#fail(start, `a section that does not decode (${(err as Error).message})`)
    }
  }

  #fail(offset: number, problem: string): never {
    throw new BackupFileError(this.#file, offset, problem)
  }
}

function readRecords(r: MsgpackReader): StoredRecord[] {
  const count = r.array()
  const records: StoredRecord[] = []
  for (let i = 0; i < count; i++) {
    if (r.array() !== 6) throw new Error(`record ${i} is not [digest, set, key, gen, voidMs, bins]`)
    const digest = Buffer.from(r.bin(false))
    if (digest.length !== 20) throw new Error(`record ${i} has a digest of ${digest.length} bytes`)
    const set = r.str()
    const key = r.value() as UserKey | null
    const gen = Number(r.int())
    const voidMs = Number(r.int())
    const bins = r.value()
    if (!Array.isArray(bins) || bins.length % 2 !== 0) throw new Error(`record ${i}: bins are not names and values`)
    records.push({ digest, set, key, gen, voidMs, bins })
  }
  r.finish()
  return records
}
