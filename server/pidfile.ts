// The pidfile of a daemon: written once it listens, removed when it stops. A pid is trusted only when it is a
// running Tally server: another program that got the pid of a server gone since neither keeps a new server out
// nor gets signalled by `tally stop`.
import { execFileSync } from 'node:child_process'
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

/** What a running process is: its command line, and whether that is a Tally server (undefined: cannot tell). */
export interface ProcessIdentity {
  command: string | undefined
  tally: boolean | undefined
}

// The command line of `pid`: from /proc on Linux (exact arguments), else from ps (arguments split on spaces).
function commandLine(pid: number): string[] | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || fs.existsSync('/proc/self/cmdline')) return undefined
  }
  try {
    const line = execFileSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 })
    return line.trim() === '' ? undefined : line.trim().split(/\s+/)
  } catch {
    return undefined
  }
}

// `node .../dist/server/cli.js server ...` or, installed, `node /usr/bin/tally server ...`.
function isTallyServerCommand(args: string[]): boolean {
  return args.some((arg, i) => {
    const script = arg.replaceAll('\\', '/')
    return (script.endsWith('/server/cli.js') || script === 'tally' || script.endsWith('/tally')) && args[i + 1] === 'server'
  })
}

/** Whether the running process `pid` is a Tally server, and its command line where it can be read. */
export function identifyProcess(pid: number): ProcessIdentity {
  const args = commandLine(pid)
  if (args === undefined) return { command: undefined, tally: undefined }
  // An empty command line is a kernel thread's.
  return { command: args.length === 0 ? '(a kernel thread)' : args.join(' ').slice(0, 200), tally: isTallyServerCommand(args) }
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

/**
 * Throws if `file` names a running Tally server other than this process (or a running process that cannot be told
 * apart from one). Returns a warning to log when it names another program, whose pid the file will no longer hold.
 */
export function checkPidfile(file: string): string | undefined {
  const pid = readPidfile(file)
  if (pid === undefined || pid === process.pid || !processAlive(pid)) return undefined
  const { command, tally } = identifyProcess(pid)
  if (tally === true) throw new Error(`already running as process ${pid} (pidfile ${file})`)
  if (tally === undefined) throw new Error(`already running as process ${pid} (pidfile ${file}); if that is not a Tally server, remove ${file}`)
  return `pidfile ${file} named process ${pid}, which is not a Tally server: replacing it (that process runs: ${command})`
}

export function writePidfile(file: string): void {
  fs.writeFileSync(file, `${process.pid}\n`)
}

/** Removes `file` if it still names this process. */
export function removePidfile(file: string): void {
  if (readPidfile(file) === process.pid) fs.rmSync(file, { force: true })
}
