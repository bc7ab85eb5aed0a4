// One server per data directory. The LOCK file is held with an exclusive flock(2), which the kernel releases when
// its holder exits however it exits: a lock is never stale, and taking it is one atomic step. Node has no flock
// call, so util-linux's flock(1) takes it on our open file description, which outlives that short child process.
// The file also names the owner's pid, for people and error messages. While the server runs, the lock is checked
// every second: if LOCK (or the directory) is removed or replaced, this server no longer owns what it writes to,
// and says so. The log asks too, before each write.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

const heldHere = new Set<string>() // directories locked by this process
const WATCH_MS = 1000
const HOLDER_PID_WAIT_MS = 1000

/** A data directory lock held by this process. */
export interface DataDirLock {
  /** Releases the lock (the file stays, emptied; removing it would race with a server opening it). */
  release(): void
  /** Calls `onLost` once if the lock stops protecting the directory (LOCK removed or replaced). */
  watch(onLost: (reason: string) => void): void
  /** Why the lock no longer protects the directory, or undefined while it does (two stat calls). */
  check(): string | undefined
}

/** A lock could not be taken: another server holds it, or the file cannot be used. */
export class LockError extends Error {
  override readonly name = 'LockError'
}

/** Locks `dir` for this process. Throws LockError if another process holds it. */
export function lockDataDir(dir: string): DataDirLock {
  const real = fs.realpathSync(dir)
  const file = path.join(real, 'LOCK')
  if (heldHere.has(real)) throw new LockError(`data directory ${dir} is already in use by a server in this process`)
  const fd = openLocked(dir, file)
  fs.ftruncateSync(fd, 0)
  fs.writeSync(fd, `${process.pid}\n`, 0)
  fs.fsyncSync(fd)
  heldHere.add(real)
  const dirIdentity = identity(fs.statSync(real))
  const fileIdentity = identity(fs.fstatSync(fd))
  let timer: NodeJS.Timeout | undefined
  return {
    release() {
      clearInterval(timer)
      heldHere.delete(real)
      try {
        fs.ftruncateSync(fd, 0)
      } catch {
        // the file may be gone; the lock ends with the descriptor either way
      }
      fs.closeSync(fd)
    },
    check: () => lostBecause(real, file, dirIdentity, fileIdentity),
    watch(onLost) {
      timer = setInterval(() => {
        const reason = lostBecause(real, file, dirIdentity, fileIdentity)
        if (reason === undefined) return
        clearInterval(timer)
        onLost(reason)
      }, WATCH_MS)
      timer.unref()
    },
  }
}

// Opens LOCK and takes the flock on it. The file that was locked must still be the one at the path: another
// server may have removed and re-created it in between.
function openLocked(dir: string, file: string): number {
  for (let attempt = 0; attempt < 10; attempt++) {
    const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644)
    const taken = flock(fd)
    if (taken !== true) {
      fs.closeSync(fd)
      throw new LockError(taken === false ? heldMessage(dir, file) : taken)
    }
    const now = statOrUndefined(file)
    if (now !== undefined && identity(now) === identity(fs.fstatSync(fd))) return fd
    fs.closeSync(fd) // locked a file that was replaced meanwhile: try the one there now
  }
  throw new LockError(`cannot lock ${file}: it keeps being replaced by another process`)
}

/** true: taken; false: another process holds it; a string: why it could not be tried. */
function flock(fd: number): boolean | string {
  const result = spawnSync('flock', ['-x', '-n', '3'], { stdio: ['ignore', 'ignore', 'pipe', fd], timeout: 10_000 })
  if (result.error !== undefined) {
    const code = (result.error as NodeJS.ErrnoException).code
    return code === 'ENOENT'
      ? `cannot lock the data directory: the flock command (util-linux) is not installed; install util-linux`
      : `cannot lock the data directory: ${result.error.message}`
  }
  if (result.status === 0) return true
  if (result.status === 1) return false
  return `cannot lock the data directory: flock exited with ${result.status ?? result.signal}: ${result.stderr.toString().trim()}`
}

// The holder writes its pid just after taking the lock, so a contender that lost by a hair may find the file
// empty: wait a little for the pid, to name the process to stop.
function heldMessage(dir: string, file: string): string {
  let pid = Number.NaN
  for (let waitedMs = 0; waitedMs <= HOLDER_PID_WAIT_MS; waitedMs += 20) {
    pid = Number.parseInt(readOrEmpty(file), 10)
    if (Number.isInteger(pid) && pid > 0) break
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20)
  }
  const owner = Number.isInteger(pid) && pid > 0 ? `process ${pid}` : 'another process'
  return `data directory ${dir} is in use by ${owner} (it holds ${file}); stop that server first, or give this one another --data-dir`
}

function lostBecause(dir: string, file: string, dirIdentity: string, fileIdentity: string): string | undefined {
  const dirNow = statOrUndefined(dir)
  if (dirNow === undefined || identity(dirNow) !== dirIdentity) return `the data directory ${dir} was removed or replaced`
  const fileNow = statOrUndefined(file)
  if (fileNow === undefined) return `its lock file ${file} was removed`
  if (identity(fileNow) !== fileIdentity) return `its lock file ${file} was replaced`
  return undefined
}

const identity = (stat: fs.Stats): string => `${stat.dev}:${stat.ino}`

function statOrUndefined(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file)
  } catch {
    return undefined
  }
}

function readOrEmpty(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8')
  } catch {
    return ''
  }
}
