// Reading a log segment or snapshot: every entry up to a limit, in chunks of any size, and an exact account of
// damage. Past a damaged entry the reader looks for the next entry that verifies, so that it can tell a torn tail
// (an incomplete final entry, or zeros, with nothing valid after it: what a crash during an append leaves) from
// damage with acknowledged entries behind it, and say how many there are.
import fs from 'node:fs'
import { crc32c } from './crc32c.js'
import { decodeEntry, ENTRY_HEADER_BYTES, looksLikePayload, MIN_ENTRY_BYTES, type Entry } from './entries.js'

/** Bytes read from the file at a time (more for an entry that is larger). */
export const READ_CHUNK_BYTES = 8 * 1024 * 1024

/** A stretch of a file that holds no valid entry. */
export interface Damage {
  /** File offset where the bytes stop being valid entries. */
  offset: number
  /** Where valid entries begin again, or the limit if none do. */
  resumeAt: number
  /** What is wrong at `offset`. */
  problem: string
  /** An incomplete final entry, or zeros, with nothing valid after it: what an interrupted append leaves. */
  torn: boolean
}

export interface ScanResult {
  /** Valid entries in the file, before and after damage. */
  entries: number
  /** Bytes of valid entries from the start, up to the first damage. */
  validBytes: number
  damages: Damage[]
  /** Valid entries after the first damage. */
  entriesAfterDamage: number
}

/** Called for each valid entry with its position; `afterDamage` is true for entries found past damaged bytes. */
export type OnEntry = (entry: Entry, offset: number, end: number, afterDamage: boolean) => void

type Check = { entry: Entry; end: number } | { problem: string; incomplete: boolean }

/** A window of a file's bytes, refilled as the reader moves on. */
class Window {
  buf: Buffer
  base = 0 // file offset of buf[0]
  have = 0 // valid bytes in buf
  readonly #fd: number
  readonly #limit: number
  readonly #chunkBytes: number

  constructor(fd: number, limit: number, chunkBytes: number) {
    this.#fd = fd
    this.#limit = limit
    this.#chunkBytes = chunkBytes
    this.buf = Buffer.allocUnsafe(Math.min(chunkBytes, Math.max(limit, 1)))
  }

  /** Makes file bytes [at, at + n) available in `buf`; false if they run past the limit (or the file ends first). */
  ensure(at: number, n: number): boolean {
    if (at + n > this.#limit) return false
    if (at >= this.base && at + n <= this.base + this.have) return true
    const keep = at >= this.base && at < this.base + this.have ? this.base + this.have - at : 0
    const size = Math.max(n, Math.min(this.#chunkBytes, this.#limit - at))
    const next = size > this.buf.length ? Buffer.allocUnsafe(size) : this.buf
    if (keep > 0) this.buf.copy(next, 0, at - this.base, at - this.base + keep)
    this.buf = next
    this.base = at
    this.have = keep
    while (this.have < n) {
      const want = Math.min(this.buf.length - this.have, this.#limit - (this.base + this.have))
      const read = fs.readSync(this.#fd, this.buf, this.have, want, this.base + this.have)
      if (read === 0) return false
      this.have += read
    }
    return true
  }
}

/**
 * Reads every entry of `file` in `[0, limit)`, calling `onEntry` for each valid one, and returns what it found.
 * Damage never stops the reader: it resumes at the next entry that verifies, so that the caller learns how much
 * lies behind the damage.
 */
export function scanEntryFile(file: string, limit: number, onEntry: OnEntry, chunkBytes = READ_CHUNK_BYTES): ScanResult {
  const fd = fs.openSync(file, 'r')
  try {
    const w = new Window(fd, limit, chunkBytes)
    const result: ScanResult = { entries: 0, validBytes: 0, damages: [], entriesAfterDamage: 0 }
    let at = 0
    while (at < limit) {
      const check = checkEntry(w, at, limit)
      if ('entry' in check) {
        const afterDamage = result.damages.length > 0
        onEntry(check.entry, at, check.end, afterDamage)
        result.entries++
        if (afterDamage) result.entriesAfterDamage++
        at = check.end
        if (!afterDamage) result.validBytes = at
        continue
      }
      const resumeAt = findEntry(w, at + 1, limit)
      result.damages.push({ offset: at, resumeAt, problem: describe(w, at, resumeAt, limit, check), torn: resumeAt === limit && isTorn(w, at, limit, check) })
      at = resumeAt
    }
    return result
  } finally {
    fs.closeSync(fd)
  }
}

function checkEntry(w: Window, at: number, limit: number): Check {
  if (!w.ensure(at, ENTRY_HEADER_BYTES)) return { problem: `a torn entry header (${limit - at} bytes)`, incomplete: true }
  const length = w.buf.readUInt32BE(at - w.base)
  const bodyStart = at + ENTRY_HEADER_BYTES
  if (length > limit - bodyStart) return { problem: `an entry of ${length} bytes with only ${limit - bodyStart} left`, incomplete: true }
  if (!w.ensure(at, ENTRY_HEADER_BYTES + length)) return { problem: `an entry of ${length} bytes cut short`, incomplete: true }
  const start = bodyStart - w.base
  if (crc32c(w.buf, start, start + length) !== w.buf.readUInt32BE(at + 4 - w.base)) return { problem: 'an entry whose checksum does not match', incomplete: false }
  try {
    return { entry: decodeEntry(w.buf, start, start + length), end: bodyStart + length }
  } catch (err) {
    return { problem: `an entry that cannot be read (${(err as Error).message})`, incomplete: false }
  }
}

/** The offset of the first valid entry at or after `from`, or `limit` if there is none. */
function findEntry(w: Window, from: number, limit: number): number {
  for (let at = from; at + ENTRY_HEADER_BYTES + MIN_ENTRY_BYTES <= limit; at++) {
    if (!w.ensure(at, ENTRY_HEADER_BYTES + 2)) break
    const i = at - w.base
    const length = w.buf.readUInt32BE(i)
    if (length < MIN_ENTRY_BYTES || length > limit - at - ENTRY_HEADER_BYTES || !looksLikePayload(w.buf, i + ENTRY_HEADER_BYTES)) continue
    if ('entry' in checkEntry(w, at, limit)) return at
  }
  return limit
}

/**
 * A torn tail: the final entry is incomplete, or everything from `at` on is zeros (a write that never reached the
 * disk). A complete entry that fails its checksum is damage, not a tear, unless the bytes to the end make the
 * entry whole: then its length field was damaged, and it is damage too.
 */
function isTorn(w: Window, at: number, limit: number, check: { incomplete: boolean }): boolean {
  if (allZero(w, at, limit)) return true
  if (!check.incomplete) return false
  return !wholeToTheEnd(w, at, limit)
}

// The bytes from `at` to the limit form one entry whose checksum matches: only the length field is wrong.
function wholeToTheEnd(w: Window, at: number, limit: number): boolean {
  const length = limit - at - ENTRY_HEADER_BYTES
  if (length < MIN_ENTRY_BYTES || !w.ensure(at, ENTRY_HEADER_BYTES + length)) return false
  const start = at + ENTRY_HEADER_BYTES - w.base
  return crc32c(w.buf, start, start + length) === w.buf.readUInt32BE(at + 4 - w.base)
}

function allZero(w: Window, at: number, limit: number): boolean {
  for (let from = at; from < limit; ) {
    const n = Math.min(64 * 1024, limit - from)
    if (!w.ensure(from, n)) return false
    const start = from - w.base
    for (let i = 0; i < n; i++) if (w.buf[start + i] !== 0) return false
    from += n
  }
  return true
}

function describe(w: Window, at: number, resumeAt: number, limit: number, check: { problem: string; incomplete: boolean }): string {
  if (allZero(w, at, resumeAt)) return `${resumeAt - at} zero bytes`
  if (check.incomplete && wholeToTheEnd(w, at, limit)) return 'an entry whose length field is damaged'
  return check.problem
}

/** The entry at `offset` of `file` (by default its first: a header) if it is whole and valid, else undefined. */
export function firstEntry(file: string, offset = 0): Entry | undefined {
  const fd = fs.openSync(file, 'r')
  try {
    const limit = fs.fstatSync(fd).size
    const check = checkEntry(new Window(fd, limit, 4096), offset, limit)
    return 'entry' in check ? check.entry : undefined
  } finally {
    fs.closeSync(fd)
  }
}
