// Restart: load the newest snapshot, then replay the log segments after it, in order. A torn or corrupt tail of
// the last segment is reported and cut off; anything wrong before it stops startup with a message, since
// skipping it could bring back deleted records or lose acknowledged ones.
import fs from 'node:fs'
import type { Logger } from '../log.js'
import type { RecordState } from '../store/namespace.js'
import type { Store } from '../store/store.js'
import { normalizeInt } from '../store/values.js'
import { ENTRY, readEntries, type Entry } from './entries.js'
import { listDataFiles, segmentFile, snapshotFile } from './files.js'

/** Where logging goes on after recovery, and what was found. */
export interface Recovered {
  /** Sequence number of the next segment to write. */
  nextSeq: number
  /** Valid bytes of the last segment read (the next segment's header says so). */
  previousValidBytes: number
  snapshotSeq: number | undefined
  /** Bytes of log after the snapshot: when this grows large, a new snapshot is due. */
  logBytes: number
  snapshotBytes: number
  entries: number
}

/** A problem that must stop startup: the data directory cannot be read safely. */
export class RecoveryError extends Error {
  override readonly name = 'RecoveryError'
}

const READ_CHUNK = 8 * 1024 * 1024

/** Calls `onEntry` for the entries of `file` up to `limit` bytes; returns how far they were valid, and why not. */
function readEntryFile(file: string, limit: number, onEntry: (entry: Entry) => void): { validBytes: number; problem: string | undefined } {
  const fd = fs.openSync(file, 'r')
  try {
    let carry = Buffer.alloc(0)
    let offset = 0 // file offset of carry[0]
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(READ_CHUNK, Math.max(0, limit - offset - carry.length)))
      const read = chunk.length === 0 ? 0 : fs.readSync(fd, chunk, 0, chunk.length, offset + carry.length)
      const bytes = carry.length === 0 ? chunk.subarray(0, read) : Buffer.concat([carry, chunk.subarray(0, read)])
      const atEnd = read === 0 || offset + bytes.length >= limit
      const result = readEntries(bytes, bytes.length, onEntry)
      if (result.problem === undefined || atEnd) return { validBytes: offset + result.validBytes, problem: result.problem }
      // The last entry of this chunk goes on in the next: keep it.
      carry = Buffer.from(bytes.subarray(result.validBytes))
      offset += result.validBytes
    }
  } finally {
    fs.closeSync(fd)
  }
}

/** Loads `dir` into `store`. Records whose TTL ran out while the server was down are left out. */
export function recover(dir: string, store: Store, log: Logger): Recovered {
  const { segments, snapshots, temporary } = listDataFiles(dir)
  for (const file of temporary) fs.rmSync(file, { force: true }) // an unfinished snapshot
  const now = store.clock.nowMs()
  let entries = 0
  const apply = (entry: Entry): void => {
    entries++
    applyEntry(store, entry, now)
  }

  const snapshotSeq = snapshots.at(-1)
  let snapshotBytes = 0
  if (snapshotSeq !== undefined) {
    const file = snapshotFile(dir, snapshotSeq)
    let header: Entry | undefined
    let last: Entry | undefined
    let records = 0
    const result = readEntryFile(file, fs.statSync(file).size, (entry) => {
      if (header === undefined) header = entry
      else if (entry.type === ENTRY.WRITE) {
        records++
        apply(entry)
      }
      last = entry
    })
    if (result.problem !== undefined || header?.type !== ENTRY.SNAPSHOT || last?.type !== ENTRY.SNAPSHOT_END || last.records !== records)
      throw new RecoveryError(`snapshot ${file} is incomplete or corrupt (${result.problem ?? 'no proper start and end'}); restore it from a backup`)
    snapshotBytes = result.validBytes
    log.info(`loaded snapshot ${snapshotSeq}: ${records} records`)
  }

  const replay = segments.filter((seq) => snapshotSeq === undefined || seq >= snapshotSeq)
  // A crash while a segment was being started can leave it without a whole header: it never held a change.
  const last = replay.at(-1)
  if (last !== undefined && nextSegmentSays(dir, last, last) === undefined) {
    log.warn(`log segment ${last} has no whole header; it is removed (it was being started when the server stopped)`)
    fs.rmSync(segmentFile(dir, last))
    replay.pop()
  }
  if (snapshotSeq === undefined && replay.length > 0 && replay[0] !== 1)
    throw new RecoveryError(`log segments 1 to ${replay[0]! - 1} are missing, and there is no snapshot to stand for them`)
  replay.forEach((seq, i) => {
    if (i > 0 && seq !== replay[i - 1]! + 1) throw new RecoveryError(`log segment ${replay[i - 1]! + 1} is missing (found ${replay.join(', ')})`)
  })
  if (snapshotSeq !== undefined && replay.length > 0 && replay[0] !== snapshotSeq)
    throw new RecoveryError(`log segment ${snapshotSeq}, the first after snapshot ${snapshotSeq}, is missing`)

  let previousValidBytes = 0
  let logBytes = 0
  for (let i = 0; i < replay.length; i++) {
    const seq = replay[i]!
    const file = segmentFile(dir, seq)
    const size = fs.statSync(file).size
    let limit = size
    if (i + 1 < replay.length) {
      const said = nextSegmentSays(dir, replay[i + 1]!, replay[i + 1]!)
      if (said === undefined) throw new RecoveryError(`log segment ${segmentFile(dir, replay[i + 1]!)} has no valid header`)
      if (size < said) throw new RecoveryError(`log segment ${file} holds ${size} bytes, but the next segment says ${said} of them count`)
      limit = said
    }
    let first = true
    const result = readEntryFile(file, limit, (entry) => {
      if (first && (entry.type !== ENTRY.SEGMENT || entry.seq !== seq)) throw new RecoveryError(`log segment ${file} does not start with its own header`)
      first = false
      if (entry.type !== ENTRY.SEGMENT) apply(entry)
    })
    if (result.problem !== undefined) {
      if (i + 1 < replay.length) throw new RecoveryError(`log segment ${file} is corrupt at byte ${result.validBytes} (${result.problem}), before the end of the log`)
      log.warn(`log segment ${seq}: cut off ${size - result.validBytes} bytes at byte ${result.validBytes}: ${result.problem}`)
      fs.truncateSync(file, result.validBytes)
    }
    previousValidBytes = result.validBytes
    logBytes += result.validBytes
  }
  // Segments and snapshots older than the snapshot in use are no longer needed.
  for (const seq of segments) if (snapshotSeq !== undefined && seq < snapshotSeq) fs.rmSync(segmentFile(dir, seq), { force: true })
  for (const seq of snapshots) if (seq !== snapshotSeq) fs.rmSync(snapshotFile(dir, seq), { force: true })
  const nextSeq = (replay.at(-1) ?? (snapshotSeq !== undefined ? snapshotSeq - 1 : 0)) + 1
  return { nextSeq, previousValidBytes: replay.length > 0 ? previousValidBytes : 0, snapshotSeq, logBytes, snapshotBytes, entries }
}

/** How many bytes of the segment before it segment `seq`'s header says count; undefined without a whole header. */
function nextSegmentSays(dir: string, seq: number, expectSeq: number): number | undefined {
  let said: number | undefined
  let first = true
  readEntryFile(segmentFile(dir, seq), Math.min(64, fs.statSync(segmentFile(dir, seq)).size), (entry) => {
    if (first && entry.type === ENTRY.SEGMENT && entry.seq === expectSeq) said = entry.previousValidBytes
    first = false
  })
  return said
}

function applyEntry(store: Store, entry: Entry, now: number): void {
  switch (entry.type) {
    case ENTRY.WRITE: {
      const expired = entry.voidMs !== 0 && entry.voidMs <= now
      namespaceOf(store, entry.ns).restore(entry.digest, expired ? null : normalized(entry))
      return
    }
    case ENTRY.DELETE:
      namespaceOf(store, entry.ns).restore(entry.digest, null)
      return
    case ENTRY.BATCH:
      for (const inner of entry.entries) applyEntry(store, inner, now)
      return
    default:
      return
  }
}

function namespaceOf(store: Store, name: string): ReturnType<Store['namespace']> {
  try {
    return store.namespace(name)
  } catch {
    throw new RecoveryError(`the data holds records of namespace '${name}', which is not configured; configure it to start`)
  }
}

// Integers read back from disk as bigint are kept as numbers when safe, as the store keeps them.
function normalized(entry: RecordState): RecordState {
  const bins = entry.bins
  for (let i = 1; i < bins.length; i += 2) if (typeof bins[i] === 'bigint') bins[i] = normalizeInt(bins[i] as bigint)
  return { set: entry.set, userKey: entry.userKey, gen: entry.gen, voidMs: entry.voidMs, bins }
}
