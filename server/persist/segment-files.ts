// Starting a log segment: its header and the records it restates, synced before it is used; and the mark the
// segment before it gets once it exists, so that recovery notices a segment that later vanishes.
import type { RecordState } from '../store/namespace.js'
import { ENTRY, EntryWriter } from './entries.js'
import { segmentFile, type FileSystem } from './files.js'

/** What a new segment restates: a record's current state (null if it is gone), or a truncation of a set or namespace. */
export type Restated = { ns: string; digest: Uint8Array; state: RecordState | null } | { ns: string; truncate: string | null }

/**
 * Creates segment `seq`: its header (saying how many bytes of the segment before count), then `restate`, synced
 * with its directory entry. A segment that cannot be finished is removed, so that no half-made segment is ever
 * followed by another. Resolves with its descriptor, the header's size and the restated entries' size.
 */
export async function createSegment(fs: FileSystem, dir: string, seq: number, previousValidBytes: number, restate: Restated[]): Promise<{ fd: number; headerBytes: number; relogged: number }> {
  const file = segmentFile(dir, seq)
  const fd = await fs.open(file, 'wx')
  try {
    const w = new EntryWriter(256)
    w.marker(ENTRY.SEGMENT, seq, previousValidBytes)
    const headerBytes = w.length
    for (const r of restate) {
      w.begin()
      if ('truncate' in r) w.truncateBody(r.ns, r.truncate)
      else if (r.state === null) w.deleteBody(r.ns, r.digest)
      else w.recordBody(r.ns, r.digest, r.state)
      w.end()
    }
    const bytes = w.take()
    await fs.write(fd, bytes, 0)
    await fs.fdatasync(fd)
    await fs.syncDirectory(dir)
    return { fd, headerBytes, relogged: bytes.length - headerBytes }
  } catch (err) {
    await fs.close(fd).catch(() => {})
    await fs.unlink(file).catch(() => {})
    throw err
  }
}

/**
 * Once segment `seq` is durable, segment `seq - 1` says so after its last valid byte. Not having this mark loses
 * nothing, so a failure is returned, not thrown (undefined: marked, or there is no segment before).
 */
export async function markContinued(fs: FileSystem, dir: string, seq: number, previousValidBytes: number): Promise<Error | undefined> {
  let fd: number
  try {
    fd = await fs.open(segmentFile(dir, seq - 1), 'r+')
  } catch {
    return undefined // no segment before this one
  }
  try {
    const w = new EntryWriter(32)
    w.marker(ENTRY.SEGMENT_END, seq)
    await fs.write(fd, w.take(), previousValidBytes)
    await fs.fdatasync(fd)
    return undefined
  } catch (err) {
    return err as Error
  } finally {
    await fs.close(fd).catch(() => {})
  }
}
