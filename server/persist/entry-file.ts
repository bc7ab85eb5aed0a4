// Reading a log segment or snapshot: every entry up to a limit, in chunks of any size, and an exact account of
// damage. Past a damaged entry the reader looks for the next entry that verifies, so that it can tell a torn tail
// (an incomplete final entry, or zeros, with nothing valid after it: what a crash during an append leaves) from
// damage with acknowledged entries behind it, and say how many there are.
import fs from 'node:fs'
import { crc32c } from './crc32c.js'
import { NOT_MSGPACK, TRUNCATED, valueEnd } from '../../protocol/msgpack-format.js'
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

/** A valid entry, or what is wrong (with the length its header states, when it has a whole header). */
type Check = { entry: Entry; end: number } | Problem
type Problem = { problem: string; incomplete: boolean; length: number | undefined }

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
      const { resumeAt, torn } = resumeAfter(w, at, limit, check)
      result.damages.push({ offset: at, resumeAt, problem: describe(w, at, resumeAt, limit, check, torn), torn })
      at = resumeAt
    }
    return result
  } finally {
    fs.closeSync(fd)
  }
}

function checkEntry(w: Window, at: number, limit: number): Check {
  if (!w.ensure(at, ENTRY_HEADER_BYTES)) return { problem: `a torn entry header (${limit - at} bytes)`, incomplete: true, length: undefined }
  const length = w.buf.readUInt32BE(at - w.base)
  const bodyStart = at + ENTRY_HEADER_BYTES
  if (length > limit - bodyStart) return { problem: `an entry of ${length} bytes with only ${limit - bodyStart} left`, incomplete: true, length }
  if (!w.ensure(at, ENTRY_HEADER_BYTES + length)) return { problem: `an entry of ${length} bytes cut short`, incomplete: true, length }
  const start = bodyStart - w.base
  if (crc32c(w.buf, start, start + length) !== w.buf.readUInt32BE(at + 4 - w.base)) return { problem: 'an entry whose checksum does not match', incomplete: false, length }
  try {
    return { entry: decodeEntry(w.buf, start, start + length), end: bodyStart + length }
  } catch (err) {
    return { problem: `an entry that cannot be read (${(err as Error).message})`, incomplete: false, length }
  }
}

/**
 * Where valid entries begin again after the bad entry at `at`, and whether the bad bytes are a torn tail. The
 * entry's own length is tried first (damage inside it), then the end of its msgpack payload (a damaged length
 * field), then every byte after it. A final entry whose payload stops unfinished at the limit is torn, and whatever
 * looks like an entry inside it is part of its value (a client's bytes), not a sign of more entries.
 */
function resumeAfter(w: Window, at: number, limit: number, check: Problem): { resumeAt: number; torn: boolean } {
  if (allZero(w, at, limit)) return { resumeAt: limit, torn: true }
  if (check.length === undefined) return { resumeAt: limit, torn: true } // fewer than a header's bytes left
  const byLength = at + ENTRY_HEADER_BYTES + check.length
  if (byLength === limit || (byLength < limit && verifiesAt(w, byLength, limit))) return { resumeAt: byLength, torn: false }
  const byPayload = payloadEnd(w, at + ENTRY_HEADER_BYTES, limit)
  if (byPayload === TRUNCATED && check.incomplete) return { resumeAt: limit, torn: true }
  if (byPayload > 0 && (byPayload === limit || verifiesAt(w, byPayload, limit))) return { resumeAt: byPayload, torn: false }
  return { resumeAt: findEntry(w, at + 1, limit), torn: false }
}

/** Payload bytes examined at most for where a damaged entry's value ends. */
const MAX_PAYLOAD_SCAN_BYTES = 64 * 1024 * 1024

// Where the msgpack value at `from` ends; TRUNCATED only if it truly runs to the limit.
function payloadEnd(w: Window, from: number, limit: number): number {
  if (from >= limit) return TRUNCATED // not a byte of it
  const stop = Math.min(limit, from + MAX_PAYLOAD_SCAN_BYTES)
  if (!w.ensure(from, stop - from)) return NOT_MSGPACK
  const end = valueEnd(w.buf, from - w.base, stop - w.base)
  if (end === TRUNCATED) return stop === limit ? TRUNCATED : NOT_MSGPACK
  return end < 0 ? end : end + w.base
}

const verifiesAt = (w: Window, at: number, limit: number): boolean => 'entry' in checkEntry(w, at, limit)

/** The offset of the first valid entry at or after `from`, or `limit` if there is none. */
function findEntry(w: Window, from: number, limit: number): number {
  for (let at = from; at + ENTRY_HEADER_BYTES + MIN_ENTRY_BYTES <= limit; at++) {
    if (!w.ensure(at, ENTRY_HEADER_BYTES + 2)) break
    const i = at - w.base
    const length = w.buf.readUInt32BE(i)
    if (length < MIN_ENTRY_BYTES || length > limit - at - ENTRY_HEADER_BYTES || !looksLikePayload(w.buf, i + ENTRY_HEADER_BYTES)) continue
    if (verifiesAt(w, at, limit)) return at
  }
  return limit
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

function describe(w: Window, at: number, resumeAt: number, limit: number, check: Problem, torn: boolean): string {
  if (allZero(w, at, resumeAt)) return `${resumeAt - at} zero bytes`
  if (check.incomplete && !torn && check.length !== undefined) return `an entry whose length field is damaged (it claims ${check.length} bytes, ${limit - at - ENTRY_HEADER_BYTES} remain)`
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
