// `tally repair`: keeps every entry that verifies and nothing else. It replays every snapshot record and log entry
// that passes its checksum, in log order, into one new snapshot (with an empty segment after it), moves the old
// files aside untouched, copies the damaged byte ranges into one file, and says exactly what was dropped. It runs
// only when asked, on a directory no server holds.
import fs from 'node:fs'
import path from 'node:path'
import { walkDataDir, type FileSummary } from './data-dir-reader.js'
import { decodeEntry, ENTRY, ENTRY_HEADER_BYTES, EntryWriter, type Entry } from './entries.js'
import { firstEntry, scanEntryFile } from './entry-file.js'
import { listDataFiles, segmentFile, snapshotFile } from './files.js'
import { lockDataDir } from './lock.js'
import type { RecordState } from '../store/namespace.js'

/** A byte range that was dropped. */
export interface DroppedRange {
  file: string
  from: number
  to: number
  problem: string
  /** Where its bytes are in the damaged-bytes file. */
  savedAt: number
}

export interface RepairReport {
  /** False when there was nothing to repair (then nothing was changed). */
  repaired: boolean
  problems: string[]
  /** Directory holding the original files, the damaged bytes and the report. */
  asideDir: string | undefined
  damagedBytesFile: string | undefined
  reportFile: string | undefined
  entriesKept: number
  recordsKept: number
  dropped: DroppedRange[]
  /** Entries that could be made out in the dropped ranges (their checksums fail, so their contents are a guess). */
  entriesDropped: number
  /** Records (`ns:digest`) that the dropped entries seem to have changed; their latest change may be lost. */
  recordsAffected: string[]
  /** Segment numbers that are missing from the sequence: whatever they held is lost. */
  missingSegments: number[]
  /** Files left out whole: other versions (copies, older copies) of a segment that is read from another file. */
  copiesDropped: string[]
  snapshotSeq: number | undefined
}

interface Source {
  file: string
  seq: number // the sequence number the file's header states, or its name's
  limit: number
}

/** Repairs `dir` if anything in it stops startup; `nowMs` names the directory the old files are moved to. */
export function repairDataDir(dir: string, nowMs: number = Date.now()): RepairReport {
  const lock = lockDataDir(dir)
  try {
    const walk = walkDataDir(dir)
    const report: RepairReport = {
      repaired: false,
      problems: walk.problems,
      asideDir: undefined,
      damagedBytesFile: undefined,
      reportFile: undefined,
      entriesKept: 0,
      recordsKept: 0,
      dropped: [],
      entriesDropped: 0,
      recordsAffected: [],
      missingSegments: [],
      copiesDropped: [],
      snapshotSeq: undefined,
    }
    if (walk.problems.length === 0) return report
    const records = new Map<string, { ns: string; digest: Uint8Array; state: RecordState | null }>()
    // Answers to write tokens are left out: retries after a repair are told their outcome is unknown.
    const apply = (entry: Entry): void => {
      if (entry.type === ENTRY.WRITE) records.set(keyOf(entry.ns, entry.digest), { ns: entry.ns, digest: Buffer.from(entry.digest), state: entry })
      else if (entry.type === ENTRY.DELETE) records.set(keyOf(entry.ns, entry.digest), { ns: entry.ns, digest: Buffer.from(entry.digest), state: null })
      else if (entry.type === ENTRY.BATCH) entry.entries.forEach(apply)
      else if (entry.type === ENTRY.TOKEN) apply(entry.change)
      else if (entry.type === ENTRY.TRUNCATE)
        for (const record of records.values())
          if (record.ns === entry.ns && record.state !== null && (entry.set === null || record.state.set === entry.set)) record.state = null
    }
    const summaries: FileSummary[] = []
    const { snapshots } = listDataFiles(dir)
    const snapshotSeq = snapshots.at(-1)
    if (snapshotSeq !== undefined) summaries.push(readSource(snapshotFile(dir, snapshotSeq), (entry) => entry.type === ENTRY.WRITE && apply(entry), report))
    let continuedIn: number | undefined
    for (const source of segmentSources(dir, snapshotSeq, report)) {
      continuedIn = undefined
      summaries.push(readSource(source.file, (entry) => (entry.type === ENTRY.SEGMENT_END ? (continuedIn = entry.nextSeq) : apply(entry)), report, source.limit))
    }
    if (continuedIn !== undefined) report.missingSegments.push(continuedIn) // the last segment says the log went on

    const stamp = new Date(nowMs).toISOString().replace(/[-:]/g, '').replace(/\..*/, '')
    const aside = path.join(dir, `repair-${stamp}`)
    fs.mkdirSync(path.join(aside, 'original'), { recursive: true })
    saveDamage(aside, summaries, report)
    const seq = newSeq(dir)
    writeRepaired(dir, seq, records, report)
    for (const name of fs.readdirSync(dir)) {
      const from = path.join(dir, name)
      if (from === snapshotFile(dir, seq) || from === segmentFile(dir, seq)) continue
      if (/^(log|snapshot)-\d{10}\.tally(\.tmp)?$/.test(name)) fs.renameSync(from, path.join(aside, 'original', name))
    }
    syncDirectory(dir)
    report.repaired = true
    report.asideDir = aside
    report.snapshotSeq = seq
    report.reportFile = path.join(aside, 'report.txt')
    fs.writeFileSync(report.reportFile, describeRepair(dir, report))
    return report
  } finally {
    lock.release()
  }
}

// The segments to read, in the order their headers give: renamed segments are read in their true place, a file
// identical to another is a copy and left out, and gaps are noted as missing.
function segmentSources(dir: string, snapshotSeq: number | undefined, report: RepairReport): Source[] {
  const sources: Source[] = []
  for (const named of listDataFiles(dir).segments) {
    const file = segmentFile(dir, named)
    const header = firstEntry(file)
    const seq = header?.type === ENTRY.SEGMENT ? header.seq : named
    if (snapshotSeq !== undefined && seq < snapshotSeq) continue
    sources.push({ file, seq, limit: fs.statSync(file).size })
  }
  sources.sort((a, b) => a.seq - b.seq || Number(a.file !== segmentFile(dir, a.seq)) - Number(b.file !== segmentFile(dir, b.seq)))
  const kept: Source[] = []
  for (const source of sources) {
    const twin = kept.find((k) => k.seq === source.seq)
    if (twin === undefined) kept.push(source)
    else if (preferred(dir, source, twin)) {
      kept[kept.indexOf(twin)] = source
      report.copiesDropped.push(twin.file)
    } else report.copiesDropped.push(source.file)
  }
  for (let i = 0; i < kept.length; i++) {
    const next = kept[i + 1]
    const expected = i === 0 ? (snapshotSeq ?? 1) : kept[i - 1]!.seq + 1
    for (let missing = expected; missing < kept[i]!.seq; missing++) report.missingSegments.push(missing)
    const said = next !== undefined && next.seq === kept[i]!.seq + 1 ? firstEntry(next.file) : undefined
    if (said?.type === ENTRY.SEGMENT && said.previousValidBytes <= kept[i]!.limit) kept[i]!.limit = said.previousValidBytes
  }
  return kept
}

// Of two files that both hold segment `seq`, only one is read: the longer if one is the start of the other (an
// older copy), else the one named for it; the other is left out and reported, never replayed too.
function preferred(dir: string, candidate: Source, current: Source): boolean {
  const a = fs.readFileSync(candidate.file)
  const b = fs.readFileSync(current.file)
  if (a.length > b.length && a.subarray(0, b.length).equals(b)) return true
  if (b.length >= a.length && b.subarray(0, a.length).equals(a)) return false
  return candidate.file === segmentFile(dir, candidate.seq) && current.file !== segmentFile(dir, current.seq)
}

// Every entry of `file` that verifies goes to `apply`, before and after damage alike.
function readSource(file: string, apply: (entry: Entry) => void, report: RepairReport, limit = fs.statSync(file).size): FileSummary {
  const summary: FileSummary = { file, kind: 'segment', seq: 0, size: fs.statSync(file).size, limit, uncounted: 0, entries: 0, changes: 0, damages: [] }
  const result = scanEntryFile(file, limit, (entry) => {
    summary.entries++
    report.entriesKept++
    apply(entry)
  })
  summary.damages = result.damages
  return summary
}

// Copies each damaged range into damaged.bin and makes out what it can of the entries in it.
function saveDamage(aside: string, summaries: FileSummary[], report: RepairReport): void {
  const out = path.join(aside, 'damaged.bin')
  const fd = fs.openSync(out, 'w')
  const affected = new Set<string>()
  let savedAt = 0
  try {
    for (const { file, damages } of summaries) {
      for (const damage of damages) {
        const bytes = Buffer.alloc(damage.resumeAt - damage.offset)
        const source = fs.openSync(file, 'r')
        fs.readSync(source, bytes, 0, bytes.length, damage.offset)
        fs.closeSync(source)
        fs.writeSync(fd, bytes)
        report.dropped.push({ file, from: damage.offset, to: damage.resumeAt, problem: damage.problem, savedAt })
        savedAt += bytes.length
        report.entriesDropped += guessEntries(bytes, affected)
      }
    }
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
  report.damagedBytesFile = out
  report.recordsAffected = [...affected]
}

// Follows the length fields through damaged bytes and reads what entries it can, checksums aside.
function guessEntries(bytes: Buffer, affected: Set<string>): number {
  let entries = 0
  const note = (entry: Entry): void => {
    if (entry.type === ENTRY.WRITE || entry.type === ENTRY.DELETE) affected.add(keyOf(entry.ns, entry.digest))
    else if (entry.type === ENTRY.BATCH) entry.entries.forEach(note)
    else if (entry.type === ENTRY.TOKEN) note(entry.change)
  }
  for (let at = 0; at + ENTRY_HEADER_BYTES <= bytes.length; ) {
    const end = at + ENTRY_HEADER_BYTES + bytes.readUInt32BE(at)
    if (end > bytes.length) break
    try {
      note(decodeEntry(bytes, at + ENTRY_HEADER_BYTES, end))
      entries++
    } catch {
      // not readable: counted among the dropped bytes only
    }
    at = end
  }
  return entries
}

function newSeq(dir: string): number {
  const { segments, snapshots } = listDataFiles(dir)
  let max = Math.max(0, ...segments, ...snapshots)
  for (const seq of segments) {
    const header = firstEntry(segmentFile(dir, seq))
    if (header?.type === ENTRY.SEGMENT) max = Math.max(max, header.seq)
  }
  return max + 1
}

// The repaired state: snapshot `seq` with every live record, and segment `seq` holding only its header.
function writeRepaired(dir: string, seq: number, records: Map<string, { ns: string; digest: Uint8Array; state: RecordState | null }>, report: RepairReport): void {
  const w = new EntryWriter(1024 * 1024)
  w.snapshotHeader(seq, Date.now(), [])
  let kept = 0
  for (const { ns, digest, state } of records.values()) {
    if (state === null) continue
    w.begin()
    w.recordBody(ns, digest, state)
    w.end()
    kept++
  }
  w.marker(ENTRY.SNAPSHOT_END, kept)
  // The snapshot takes its place first: until its segment exists too, recovery refuses the directory (and repair,
  // run again, starts from the snapshot), so a repair cut short never passes for a whole one.
  const temporary = `${snapshotFile(dir, seq)}.tmp`
  writeSynced(temporary, w.take())
  fs.renameSync(temporary, snapshotFile(dir, seq))
  syncDirectory(dir)
  const segment = new EntryWriter(64)
  segment.marker(ENTRY.SEGMENT, seq, 0)
  writeSynced(`${segmentFile(dir, seq)}.tmp`, segment.take())
  fs.renameSync(`${segmentFile(dir, seq)}.tmp`, segmentFile(dir, seq))
  report.recordsKept = kept
}

function writeSynced(file: string, bytes: Uint8Array): void {
  const fd = fs.openSync(file, 'wx')
  try {
    fs.writeSync(fd, bytes)
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
}

function syncDirectory(dir: string): void {
  const fd = fs.openSync(dir, 'r')
  try {
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
}

const keyOf = (ns: string, digest: Uint8Array): string => `${ns}:${Buffer.from(digest).toString('hex')}`

/** The report written beside the moved files, and printed by `tally repair`. */
export function describeRepair(dir: string, r: RepairReport): string {
  const lines = [`repair of ${dir}`, '', 'what stopped startup:', ...r.problems.map((p) => `  ${p}`), '']
  lines.push(`kept: ${r.entriesKept} entries that verify; the repaired directory holds ${r.recordsKept} records (snapshot ${r.snapshotSeq})`)
  if (r.dropped.length === 0) lines.push('dropped bytes: none')
  for (const d of r.dropped) lines.push(`dropped: ${d.file} bytes ${d.from}-${d.to} (${d.to - d.from} bytes): ${d.problem}; saved at ${d.savedAt} in ${r.damagedBytesFile}`)
  if (r.dropped.length > 0) lines.push(`entries made out in the dropped bytes: ${r.entriesDropped}; records they changed, whose latest change may be lost: ${r.recordsAffected.length}`)
  for (const seq of r.missingSegments) lines.push(`missing: log segment ${seq}; every change it held is lost (records written only there are gone, records deleted there may be back)`)
  for (const file of r.copiesDropped) lines.push(`left out: ${file}, another version of a segment read from another file (it is kept aside)`)
  lines.push(`the original files are in ${r.asideDir}/original`)
  if (r.recordsAffected.length > 0) lines.push('', 'records affected:', ...r.recordsAffected.map((k) => `  ${k}`))
  return `${lines.join('\n')}\n`
}
