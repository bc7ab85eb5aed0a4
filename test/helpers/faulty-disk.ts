// A disk for tests: the real one, with failures (ENOSPC, EIO) switched on and off, free space reported as the test
// says, and log writes that can be held back like a slow device's.
import { nodeFileSystem, type FileSystem } from '../../server/persist/files.js'

/** The real disk, with failures switched on and off by the test. */
export class FaultyDisk implements FileSystem {
  failWrite: string | undefined
  failSync: string | undefined
  failOpen: string | undefined
  /** Fail writes past a file's start: appends fail, while new segments (written at 0) can be started. */
  failAppend: string | undefined
  #fail(code: string | undefined): void {
    if (code !== undefined) throw Object.assign(new Error(`${code}: injected`), { code })
  }
  /** Fail writes to log segments only (not to a snapshot being written). */
  failLogWrite: string | undefined
  /** While set, writes to log segments wait for it (a slow device). */
  gate: Promise<void> | undefined
  /** While set, writes to a snapshot being written wait for it. */
  snapshotGate: Promise<void> | undefined
  /** Called with each file opened. */
  onOpen: ((file: string) => void) | undefined
  /** Paths of the files opened, by descriptor. */
  readonly files = new Map<number, string>()
  open = async (file: string, flags: string) => {
    this.#fail(this.failOpen)
    const fd = await nodeFileSystem.open(file, flags)
    this.files.set(fd, file)
    this.onOpen?.(file)
    return fd
  }
  write = async (fd: number, bytes: Uint8Array, position: number) => {
    const snapshot = this.files.get(fd)?.endsWith('.tmp') === true
    const gate = snapshot ? this.snapshotGate : this.gate
    if (gate !== undefined) await gate
    this.#fail(this.failWrite)
    this.#fail(position > 0 ? this.failAppend : undefined)
    this.#fail(snapshot ? undefined : this.failLogWrite)
    return nodeFileSystem.write(fd, bytes, position)
  }
  fdatasync = async (fd: number) => (this.#fail(this.failSync), nodeFileSystem.fdatasync(fd))
  ftruncate = nodeFileSystem.ftruncate
  close = nodeFileSystem.close
  rename = nodeFileSystem.rename
  unlink = nodeFileSystem.unlink
  syncDirectory = nodeFileSystem.syncDirectory
  /** Free bytes to report instead of the real figure. */
  freeBytes: number | undefined
  space = async (dir: string) => {
    const real = await nodeFileSystem.space(dir)
    return this.freeBytes === undefined ? real : { ...real, freeBytes: this.freeBytes }
  }
}

