// The file operations persistence needs, behind one small interface so tests can make a disk fail on demand
// (ENOSPC, EIO) and check that nothing breaks; and the names of the files in a data directory.
import fs from 'node:fs'
import path from 'node:path'

/** Asynchronous file operations, as in node:fs. */
export interface FileSystem {
  open(file: string, flags: string): Promise<number>
  /** Writes all of `bytes` at `position`. */
  write(fd: number, bytes: Uint8Array, position: number): Promise<void>
  fdatasync(fd: number): Promise<void>
  ftruncate(fd: number, length: number): Promise<void>
  close(fd: number): Promise<void>
  rename(from: string, to: string): Promise<void>
  unlink(file: string): Promise<void>
  /** Makes the directory's entries (new, renamed, removed files) durable. */
  syncDirectory(dir: string): Promise<void>
  /** Space on the file system holding `dir`: bytes available to this process, and its size. */
  space(dir: string): Promise<{ freeBytes: number; totalBytes: number }>
}

function callback<T>(run: (done: (err: NodeJS.ErrnoException | null, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => run((err, value) => (err ? reject(err) : resolve(value as T))))
}

/** The real disk. */
export const nodeFileSystem: FileSystem = {
  open: (file, flags) => callback((done) => fs.open(file, flags, 0o644, done)),
  async write(fd, bytes, position) {
    for (let done = 0; done < bytes.length; ) {
      done += await callback<number>((cb) => fs.write(fd, bytes, done, bytes.length - done, position + done, cb))
    }
  },
  fdatasync: (fd) => callback((done) => fs.fdatasync(fd, done)),
  ftruncate: (fd, length) => callback((done) => fs.ftruncate(fd, length, done)),
  close: (fd) => callback((done) => fs.close(fd, done)),
  rename: (from, to) => callback((done) => fs.rename(from, to, done)),
  unlink: (file) => callback((done) => fs.unlink(file, done)),
  async space(dir) {
    const stats = await fs.promises.statfs(dir)
    return { freeBytes: stats.bavail * stats.bsize, totalBytes: stats.blocks * stats.bsize }
  },
  async syncDirectory(dir) {
    const fd = await callback<number>((done) => fs.open(dir, 'r', done))
    try {
      await callback((done) => fs.fsync(fd, done))
    } finally {
      await callback((done) => fs.close(fd, done))
    }
  },
}

const SEGMENT = /^log-(\d{10})\.tally$/
const SNAPSHOT = /^snapshot-(\d{10})\.tally$/

/** `log-0000000042.tally`: a log segment. */
export function segmentFile(dir: string, seq: number): string {
  return path.join(dir, `log-${String(seq).padStart(10, '0')}.tally`)
}

/** `snapshot-0000000042.tally`: everything logged before segment 42. */
export function snapshotFile(dir: string, seq: number): string {
  return path.join(dir, `snapshot-${String(seq).padStart(10, '0')}.tally`)
}

/** Segment and snapshot sequence numbers present in `dir`, ascending; leftover temporary files. */
export function listDataFiles(dir: string): { segments: number[]; snapshots: number[]; temporary: string[] } {
  const segments: number[] = []
  const snapshots: number[] = []
  const temporary: string[] = []
  for (const name of fs.readdirSync(dir)) {
    const segment = SEGMENT.exec(name)
    const snapshot = SNAPSHOT.exec(name)
    if (segment) segments.push(Number(segment[1]))
    else if (snapshot) snapshots.push(Number(snapshot[1]))
    else if (name.endsWith('.tmp')) temporary.push(path.join(dir, name))
  }
  return { segments: segments.sort((a, b) => a - b), snapshots: snapshots.sort((a, b) => a - b), temporary }
}

/** The status a storage failure answers writes with: 8 (out of space) for a full disk or quota, else 1. */
export function isOutOfSpace(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException)?.code
  return code === 'ENOSPC' || code === 'EDQUOT'
}
