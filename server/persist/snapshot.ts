// A snapshot: every live record of the persistent namespaces, written while the server goes on serving.
// It is taken just after the log moves to a new segment N, and named for N: replaying segments N onward over it
// gives the current state, whatever changed while it was being written, because log entries hold whole records.
// It is written to a temporary file, synced, and only then renamed into place; a crash at any point leaves either
// the old snapshot and its segments, or the new one. The write window's answers follow the records (WINDOW
// entries): replaying the log over them gives the window as it is, as for records.
import type { Namespace } from '../store/namespace.js'
import { ENTRY, EntryWriter } from './entries.js'
import { snapshotFile, type FileSystem } from './files.js'
import type { PersistedWindow } from './persistence.js'

/** Records per step; between steps the event loop serves requests. */
const STEP_RECORDS = 4096
const WRITE_BYTES = 1024 * 1024

/**
 * Writes snapshot `seq` of `namespaces`, and of `window`; returns its size. `nowMs` leaves out records that have
 * expired. `beforeRename` runs once everything is written and synced, before the snapshot takes the log's place; if
 * it throws, the snapshot is dropped (the log must be durable up to the end of the scan, or the snapshot could hold
 * a change that is then undone, or half of a batch).
 */
export async function writeSnapshot(
  dir: string,
  fs: FileSystem,
  seq: number,
  namespaces: Namespace[],
  nowMs: () => number,
  beforeRename: () => Promise<void>,
  window?: PersistedWindow,
): Promise<{ bytes: number; records: number }> {
  const final = snapshotFile(dir, seq)
  const temporary = `${final}.tmp`
  const fd = await fs.open(temporary, 'w')
  const w = new EntryWriter(WRITE_BYTES + 64 * 1024)
  let position = 0
  let records = 0
  const flush = async (): Promise<void> => {
    const bytes = w.take()
    await fs.write(fd, bytes, position)
    position += bytes.length
  }
  try {
    w.snapshotHeader(seq, nowMs(), namespaces.map((ns) => [ns.name, ns.objects]))
    for (const ns of namespaces) {
      for (let id = 0; id >= 0; ) {
        const now = nowMs()
        id = ns.scan(id, STEP_RECORDS, (digest, state) => {
          if (state.voidMs !== 0 && state.voidMs <= now) return
          w.begin()
          w.recordBody(ns.name, digest, state)
          w.end()
          records++
        })
        if (w.length >= WRITE_BYTES) await flush()
        await new Promise((resolve) => setImmediate(resolve))
      }
    }
    for (const chunk of window?.chunks(STEP_RECORDS) ?? []) {
      w.window(chunk)
      if (w.length >= WRITE_BYTES) await flush()
      await new Promise((resolve) => setImmediate(resolve))
    }
    w.marker(ENTRY.SNAPSHOT_END, records)
    await flush()
    await fs.fdatasync(fd)
    await beforeRename()
  } catch (err) {
    await fs.close(fd).catch(() => {})
    await fs.unlink(temporary).catch(() => {})
    throw err
  }
  await fs.close(fd)
  await fs.rename(temporary, final)
  await fs.syncDirectory(dir)
  return { bytes: position, records }
}
