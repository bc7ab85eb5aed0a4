// What the figure scripts do with processes: start a Tally server or Redis on a free loopback port, stop it by its
// own pid, read its CPU time and resident memory from /proc, and run `tally bench` against it for a JSON result.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import { fileURLToPath } from 'node:url'

/** This checkout's `tally` entry point. */
export const CLI = fileURLToPath(new URL('../server/cli.js', import.meta.url))

export interface Running {
  child: ChildProcess
  pid: number
  port: number
  /** The Aerospike listener's port, when the server opened one. */
  aerospikePort?: number
  /** Everything the process has written to stdout and stderr so far (its log lines, for the figures they hold). */
  output(): string
}

/** CPU seconds (user + system) the process has used so far. */
export function cpuSeconds(pid: number): number {
  const { user, system } = cpuSplit(pid)
  return user + system
}

/** CPU seconds the process has used so far in its own code (user) and in the kernel's (system: syscalls). */
export function cpuSplit(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 }
}

export function rssBytes(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) * 1024
}

/** True if `command` is on the PATH. */
export function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`]).status === 0
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/**
 * `tally server` from `cli` (this checkout's by default) on a free port, records in memory. This checkout's has no
 * Aerospike listener unless `flags` ask for one (checkouts from before it know no such flag).
 */
export function startTally(cli = CLI, flags = ['--storage', 'memory']): Promise<Running> {
  const aerospike = cli === CLI && !flags.includes('--aerospike-port') ? ['--aerospike-port', 'off'] : []
  return startListening([cli, 'server', '--host', '127.0.0.1', '--port', '0', '--log-level', 'warn', ...aerospike, ...flags])
}

/** `node ...args`, once it has printed `listening on HOST:PORT`; its output is kept (benches run it at few lines). */
export async function startListening(args: string[]): Promise<Running> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let seen = ''
  const port = await new Promise<number>((resolve, reject) => {
    const onData = (d: Buffer): void => {
      seen += d
      const m = /^listening on [^\s:]+:(\d+)/m.exec(seen)
      if (m) resolve(Number(m[1]))
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited (${code}) before listening:\n${seen}`)))
    setTimeout(() => reject(new Error(`${args.join(' ')} did not listen within 30 s:\n${seen}`)), 30_000).unref()
  })
  // Both readiness lines come in one write.
  const aerospike = /aerospike protocol listening on [^\s:]+:(\d+)/.exec(seen)?.[1]
  return { child, pid: child.pid!, port, output: () => seen, ...(aerospike === undefined ? {} : { aerospikePort: Number(aerospike) }) }
}

/** redis-server on a free port, persistence off. */
export async function startRedis(): Promise<Running> {
  const port = await freePort()
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', os.tmpdir()], { stdio: 'ignore' })
  for (let i = 0; i < 200; i++) {
    if (spawnSync('redis-cli', ['-p', String(port), 'ping']).stdout?.toString().includes('PONG')) return { child, pid: child.pid!, port, output: () => '' }
    await sleep(50)
  }
  child.kill('SIGKILL')
  throw new Error('redis-server did not start within 10 s')
}

/** SIGTERM, then SIGKILL after 5 s; resolves once the process has exited. */
export async function stop(running: Running): Promise<void> {
  const { child } = running
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((r) => child.once('exit', r))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(timer)
}

/** Runs a command to completion; its stdout, or an error with its output. */
export function run(command: string, args: string[]): string {
  const r = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 << 20 })
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${r.status}):\n${r.stderr}\n${r.stdout}`)
  return r.stdout
}

/** What `tally bench --json` prints last. */
export interface BenchResult {
  ops: number
  totalOps: number
  opsPerSec: number
  latencyUs: { p50: number; p99: number }
}

/** `tally bench --json` (from `cli`) against `port`; flags as the command takes them. */
export function tallyBench(port: number, flags: string[], cli = CLI): BenchResult {
  const out = run(process.execPath, [cli, 'bench', '--host', '127.0.0.1', '--port', String(port), '--json', ...flags])
  return JSON.parse(out.trim().split('\n').pop()!) as BenchResult
}

/** `tally bench --json` with `flags` as a child process, leaving this one free to work meanwhile; its result. */
export function tallyBenchInBackground(port: number, flags: string[]): Promise<BenchResult> {
  const child = spawn(process.execPath, [CLI, 'bench', '--host', '127.0.0.1', '--port', String(port), '--json', ...flags], { stdio: ['ignore', 'pipe', 'ignore'] })
  let out = ''
  child.stdout.on('data', (d: Buffer) => (out += d))
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!) as BenchResult) : reject(new Error(`tally bench exited ${code}`))))
  })
}
