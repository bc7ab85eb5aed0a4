// Reading a whole data directory, for recovery and for `tally check`: the newest snapshot, then the log segments
// after it, in order, with every rule about what may be there. It changes nothing on disk: it reports the torn
// tail and the unstarted segment that recovery may remove, and every problem that must stop startup, each with
// the file, the byte offset, what is wrong and how many entries follow.
import fs from 'node:fs'
import { ENTRY, type Entry } from './entries.js'
import { firstEntry, READ_CHUNK_BYTES, scanEntryFile, type Damage } from './entry-file.js'
import { listDataFiles, segmentFile, snapshotFile } from './files.js'

/** What was found in one snapshot or segment. */
export interface FileSummary {
  file: string
  kind: 'snapshot' | 'segment'
  seq: number
  size: number
  /** Bytes that count: for a segment with a successor, what the successor's header says. */
  limit: number
  /** Bytes past the limit other than the mark that the log goes on: the unacknowledged rest of a failed append. */
  uncounted: number
  /** Valid entries, and the record changes (writes and deletes, batches counted by their parts) in them. */
  entries: number
  changes: number
  damages: Damage[]
}

export interface DataDirWalk {
  snapshotSeq: number | undefined
  snapshotBytes: number
  /** Segments replayed, in order. */
  replay: number[]
  /** Valid bytes of the segments replayed, and of the last one. */
  logBytes: number
  lastValidBytes: number
  files: FileSummary[]
  /** Each of these stops startup. */
  problems: string[]
  /** The last segment ends in an incomplete entry with nothing after it: recovery cuts it off. */
  tornTail: { file: string; offset: number; size: number; problem: string } | undefined
  /** The last segment has no whole header and nothing valid in it: it was being started. Recovery removes it. */
  unstarted: { file: string; size: number } | undefined
  /** Temporary files of an unfinished snapshot. */
  temporary: string[]
}

export interface WalkOptions {
  /** Called with each change to apply (writes, deletes, batches, tokens, window answers), in order, before any problem is found. */
  onChange?: (entry: Entry) => void
  /** Called with how many records of each namespace a snapshot is about to load. */
  onSnapshotStart?: (expected: [string, number][]) => void
  /** Throw at the first problem (recovery) instead of going on to find them all (check). */
  throwAt?: (message: string) => never
  readChunkBytes?: number
}

/** The message for damage in `file`, with the number of valid entries behind it. */
export function damageMessage(what: string, file: string, size: number, damage: Damage, after: number): string {
  const behind = after === 1 ? '1 valid entry follows it' : `${after} valid entries follow it`
  return `${what} ${file} is damaged at byte ${damage.offset} of ${size}: ${damage.problem}; ${behind}`
}

/** Reads `dir` as recovery would, without changing anything. */
export function walkDataDir(dir: string, options: WalkOptions = {}): DataDirWalk {
  return new Walker(dir, options).walk()
}

class Walker {
  readonly #dir: string
  readonly #o: WalkOptions
  readonly #chunk: number
  #healthy = true // no problem so far: changes still go to onChange
  readonly #w: DataDirWalk

  constructor(dir: string, options: WalkOptions) {
    this.#dir = dir
    this.#o = options
    this.#chunk = options.readChunkBytes ?? READ_CHUNK_BYTES
    const { temporary } = listDataFiles(dir)
    this.#w = { snapshotSeq: undefined, snapshotBytes: 0, replay: [], logBytes: 0, lastValidBytes: 0, files: [], problems: [], tornTail: undefined, unstarted: undefined, temporary }
  }

  walk(): DataDirWalk {
    const w = this.#w
    const { segments, snapshots } = listDataFiles(this.#dir)
    w.snapshotSeq = snapshots.at(-1)
    if (w.snapshotSeq !== undefined) this.#snapshot(w.snapshotSeq)
    w.replay = segments.filter((seq) => w.snapshotSeq === undefined || seq >= w.snapshotSeq)
    this.#unstarted()
    this.#sequence()
    w.replay.forEach((seq, i) => this.#segment(seq, i + 1 === w.replay.length, w.replay[i + 1] === seq + 1))
    return w
  }

  #problem(message: string): void {
    this.#healthy = false
    if (this.#w.problems.includes(message)) return
    this.#w.problems.push(message)
    this.#o.throwAt?.(message)
  }

  #apply(entry: Entry): void {
    if (this.#healthy) this.#o.onChange?.(entry)
  }

  #snapshot(seq: number): void {
    const file = snapshotFile(this.#dir, seq)
    const summary = this.#summary(file, 'snapshot', seq)
    let header: Entry | undefined
    let end: Entry | undefined
    let records = 0
    const result = scanEntryFile(
      file,
      summary.size,
      (entry, offset, _end, afterDamage) => {
        count(summary, entry)
        if (afterDamage) return
        if (header === undefined) {
          header = entry
          if (entry.type !== ENTRY.SNAPSHOT || entry.seq !== seq) this.#problem(`snapshot ${file} does not start with its own header`)
          else this.#o.onSnapshotStart?.(entry.expected)
        } else if (end !== undefined) this.#problem(`snapshot ${file} has entries after its end, at byte ${offset}`)
        else if (entry.type === ENTRY.SNAPSHOT_END) end = entry
        else if (entry.type === ENTRY.WINDOW) this.#apply(entry)
        else if (entry.type !== ENTRY.WRITE) this.#problem(`snapshot ${file} holds an entry of type ${entry.type} at byte ${offset}`)
        else {
          records++
          this.#apply(entry)
        }
      },
      this.#chunk,
    )
    summary.damages = result.damages
    const damage = result.damages[0]
    if (damage !== undefined) this.#problem(damageMessage('snapshot', file, summary.size, damage, result.entriesAfterDamage))
    else if (end?.type !== ENTRY.SNAPSHOT_END) this.#problem(`snapshot ${file} has no end entry: it is incomplete`)
    else if (end.records !== records) this.#problem(`snapshot ${file} holds ${records} records, but its end says ${end.records}`)
    this.#w.snapshotBytes = summary.size
  }

  // A crash while a segment was being started can leave the last one without a whole header and nothing valid
  // after it: it never held a change. Anything else wrong with its header is damage, found when it is read.
  #unstarted(): void {
    const last = this.#w.replay.at(-1)
    if (last === undefined) return
    const file = segmentFile(this.#dir, last)
    if (firstEntry(file) !== undefined) return
    const size = fs.statSync(file).size
    const result = scanEntryFile(file, size, () => {}, this.#chunk)
    if (size > 0 && (result.entries > 0 || result.damages[0]?.torn !== true)) return
    this.#w.unstarted = { file, size }
    this.#w.replay.pop()
  }

  #sequence(): void {
    const { replay, snapshotSeq } = this.#w
    if (snapshotSeq === undefined && replay.length > 0 && replay[0] !== 1)
      this.#problem(`log segments 1 to ${replay[0]! - 1} are missing, and there is no snapshot to stand for them`)
    if (snapshotSeq !== undefined && replay[0] !== snapshotSeq) this.#problem(`log segment ${snapshotSeq}, the first after snapshot ${snapshotSeq}, is missing`)
    replay.forEach((seq, i) => {
      if (i > 0 && seq !== replay[i - 1]! + 1) this.#problem(`log segment ${replay[i - 1]! + 1} is missing (found ${replay.join(', ')})`)
    })
  }

  #segment(seq: number, last: boolean, nextFollows: boolean): void {
    const file = segmentFile(this.#dir, seq)
    const summary = this.#summary(file, 'segment', seq)
    if (nextFollows) {
      summary.limit = this.#limitSaidByNext(seq, summary.size)
      const mark = summary.limit < summary.size ? firstEntry(file, summary.limit) : undefined
      summary.uncounted = summary.size - summary.limit - (mark?.type === ENTRY.SEGMENT_END ? markBytes(file, summary.limit) : 0)
    }
    let first = true
    let continuedIn: number | undefined
    const result = scanEntryFile(
      file,
      summary.limit,
      (entry, offset, _end, afterDamage) => {
        count(summary, entry)
        if (afterDamage) return
        if (first) {
          first = false
          if (entry.type !== ENTRY.SEGMENT) this.#problem(`log segment ${file} does not start with a segment header`)
          else if (entry.seq !== seq) this.#problem(`log segment file ${file} holds segment ${entry.seq} (its header says so): segments were renamed, copied or reordered`)
          return
        }
        if (entry.type === ENTRY.SEGMENT_END) continuedIn = entry.nextSeq
        else if (entry.type === ENTRY.WRITE || entry.type === ENTRY.DELETE || entry.type === ENTRY.BATCH || entry.type === ENTRY.TOKEN || entry.type === ENTRY.TRUNCATE) this.#apply(entry)
        else this.#problem(`log segment ${file} holds a misplaced entry of type ${entry.type} at byte ${offset}`)
      },
      this.#chunk,
    )
    summary.damages = result.damages
    const damage = result.damages[0]
    if (damage !== undefined && last && damage.torn) this.#w.tornTail = { file, offset: damage.offset, size: summary.size, problem: damage.problem }
    else if (damage !== undefined) this.#problem(damageMessage('log segment', file, summary.size, damage, result.entriesAfterDamage))
    if (last && continuedIn !== undefined) this.#problem(`log segment ${file} says the log goes on in segment ${continuedIn}, which is missing`)
    this.#w.logBytes += result.validBytes
    this.#w.lastValidBytes = result.validBytes
  }

  /** How many bytes of segment `seq` count, as the next segment's header says. */
  #limitSaidByNext(seq: number, size: number): number {
    const next = segmentFile(this.#dir, seq + 1)
    const header = firstEntry(next)
    if (header?.type !== ENTRY.SEGMENT) this.#problem(`log segment ${next} has no valid header`)
    else if (header.seq !== seq + 1) this.#problem(`log segment file ${next} holds segment ${header.seq} (its header says so): segments were renamed, copied or reordered`)
    else if (size < header.previousValidBytes) this.#problem(`log segment ${segmentFile(this.#dir, seq)} holds ${size} bytes, but the next segment says ${header.previousValidBytes} of them count`)
    else if (header.previousValidBytes < headerBytes(segmentFile(this.#dir, seq)))
      this.#problem(`log segment ${next} says only ${header.previousValidBytes} bytes of segment ${seq} count, less than its header: it does not belong after it`)
    else return header.previousValidBytes
    return size
  }

  #summary(file: string, kind: FileSummary['kind'], seq: number): FileSummary {
    const size = fs.statSync(file).size
    const summary: FileSummary = { file, kind, seq, size, limit: size, uncounted: 0, entries: 0, changes: 0, damages: [] }
    this.#w.files.push(summary)
    return summary
  }
}

/** The size of the first entry of `file` (its header), or 0 if it has none. */
function headerBytes(file: string): number {
  return firstEntry(file) === undefined ? 0 : markBytes(file, 0)
}

/** The length of the entry at `offset` of `file`, header included. */
function markBytes(file: string, offset: number): number {
  const fd = fs.openSync(file, 'r')
  try {
    const header = Buffer.alloc(4)
    fs.readSync(fd, header, 0, 4, offset)
    return 8 + header.readUInt32BE(0)
  } finally {
    fs.closeSync(fd)
  }
}

function count(summary: FileSummary, entry: Entry): void {
  summary.entries++
  if (entry.type === ENTRY.TOKEN) entry = entry.change
  if (entry.type === ENTRY.WRITE || entry.type === ENTRY.DELETE || entry.type === ENTRY.TRUNCATE) summary.changes++
  else if (entry.type === ENTRY.BATCH) summary.changes += entry.entries.length
}
