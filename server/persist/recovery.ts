// Restart: load the newest snapshot, then replay the log segments after it, in order. Recovery never guesses: a
// torn tail of the last segment (an incomplete final entry with nothing after it, what a crash in the middle of an
// append leaves) is the only damage it repairs by itself, and it says so. Anything else stops startup with the
// file, the byte offset, what is wrong, how many entries follow, and what to do.
import fs from 'node:fs'
import type { Logger } from '../log.js'
import type { RecordState } from '../store/namespace.js'
import type { Store } from '../store/store.js'
import { normalizeInt } from '../store/values.js'
import { walkDataDir } from './data-dir-reader.js'
import { ENTRY, type Entry } from './entries.js'
import { listDataFiles, segmentFile, snapshotFile } from './files.js'
import type { PersistedWindow } from './persistence.js'

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

/** What to do about damage recovery will not repair by itself. */
function whatToDo(dir: string): string {
  return (
    `Nothing was changed. Run 'tally check --data-dir ${dir}' for a full report; 'tally repair --data-dir ${dir}' keeps ` +
    `every entry that verifies, moves the damaged bytes aside and lists what is dropped; or restore the directory from a backup.`
  )
}

/**
 * Loads `dir` into `store`, and the answers to write tokens into `window`. Records whose TTL ran out while the server
 * was down are left out.
 */
export function recover(dir: string, store: Store, log: Logger, window?: PersistedWindow): Recovered {
  const now = store.clock.nowMs()
  let entries = 0
  // One time for the whole replay, as for a batch of requests: the window's answers are all restored "now".
  store.clock.hold()
  let walk: ReturnType<typeof walkDataDir>
  try {
    walk = walkDataDir(dir, {
      onSnapshotStart: (expected) => {
        for (const [ns, records] of expected) store.findNamespace(ns)?.reserve(records)
      },
      onChange: (entry) => {
        entries++
        applyEntry(store, entry, now, window)
      },
      throwAt: (message) => {
        throw new RecoveryError(`${message}. ${whatToDo(dir)}`)
      },
    })
  } finally {
    store.clock.release()
  }
  for (const file of walk.temporary) fs.rmSync(file, { force: true }) // an unfinished snapshot
  if (walk.snapshotSeq !== undefined) log.info(`loaded snapshot ${walk.snapshotSeq} (${walk.snapshotBytes} bytes)`)
  if (walk.unstarted !== undefined) {
    log.warn(`log segment ${walk.unstarted.file} has no whole header (${walk.unstarted.size} bytes) and nothing after it; removed: it was being started when the server stopped`)
    fs.rmSync(walk.unstarted.file)
  }
  const torn = walk.tornTail
  if (torn !== undefined) {
    log.warn(`log segment ${torn.file}: a torn tail at byte ${torn.offset} of ${torn.size} (${torn.problem}); cut off ${torn.size - torn.offset} bytes, the rest of an append the server did not finish`)
    fs.truncateSync(torn.file, torn.offset)
  }
  // Segments and snapshots older than the snapshot in use are no longer needed.
  const { segments, snapshots } = listDataFiles(dir)
  const snapshotSeq = walk.snapshotSeq
  for (const seq of segments) if (snapshotSeq !== undefined && seq < snapshotSeq) fs.rmSync(segmentFile(dir, seq), { force: true })
  for (const seq of snapshots) if (seq !== snapshotSeq) fs.rmSync(snapshotFile(dir, seq), { force: true })
  const lastSeq = walk.replay.at(-1)
  return {
    nextSeq: (lastSeq ?? (snapshotSeq !== undefined ? snapshotSeq - 1 : 0)) + 1,
    previousValidBytes: lastSeq !== undefined ? walk.lastValidBytes : 0,
    snapshotSeq,
    logBytes: walk.logBytes,
    snapshotBytes: walk.snapshotBytes,
    entries,
  }
}

function applyEntry(store: Store, entry: Entry, now: number, window: PersistedWindow | undefined): void {
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
      for (const inner of entry.entries) applyEntry(store, inner, now, window)
      return
    case ENTRY.TOKEN:
      applyEntry(store, entry.change, now, window)
      window?.restore(entry.clientHi, entry.clientLo, entry.seq, entry.answer)
      return
    case ENTRY.WINDOW:
      window?.restoreLost(entry.clientHi, entry.clientLo, entry.lost)
      for (const { seq, answer } of entry.answers) window?.restore(entry.clientHi, entry.clientLo, seq, answer)
      return
    case ENTRY.TRUNCATE:
      // Replay is in log order: this removes what the snapshot and earlier entries loaded, not what comes after.
      store.truncateNow(namespaceOf(store, entry.ns), entry.set)
      return
    default:
      return
  }
}

function namespaceOf(store: Store, name: string): ReturnType<Store['namespace']> {
  const ns = store.findNamespace(name)
  if (ns === undefined) throw new RecoveryError(`the data holds records of namespace '${name}', which is not configured; configure it to start`)
  return ns
}

// Integers read back from disk as bigint are kept as numbers when safe, as the store keeps them.
function normalized(entry: RecordState): RecordState {
  const bins = entry.bins
  for (let i = 1; i < bins.length; i += 2) if (typeof bins[i] === 'bigint') bins[i] = normalizeInt(bins[i] as bigint)
  return entry
}
