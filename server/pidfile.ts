// The pidfile of a daemon: written once it listens, removed when it stops; a live owner keeps others out.
import fs from 'node:fs'

/** True if `pid` is a running process (a zombie nobody reaped does not count). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return true
  }
}

/** The pid in `file`, or undefined if there is no such file or it holds no pid. */
export function readPidfile(file: string): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(file, 'utf8'), 10)
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

/** Throws if `file` names a live process other than this one. */
export function checkPidfile(file: string): void {
  const pid = readPidfile(file)
  if (pid !== undefined && pid !== process.pid && processAlive(pid)) throw new Error(`already running as process ${pid} (pidfile ${file})`)
}

export function writePidfile(file: string): void {
  fs.writeFileSync(file, `${process.pid}\n`)
}

/** Removes `file` if it still names this process. */
export function removePidfile(file: string): void {
  if (readPidfile(file) === process.pid) fs.rmSync(file, { force: true })
}
