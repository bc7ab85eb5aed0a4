// Spawning the real `tally` command in tests: wait for its readiness line, stop it by its own pid.
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { Teardown } from './server.js'

/** The compiled CLI entry point. */
export const CLI = fileURLToPath(new URL('../../server/cli.js', import.meta.url))

export interface RunningCli {
  child: ChildProcess
  port: number
  /** The Aerospike listener's port; undefined when it is off. */
  aerospikePort: number | undefined
  output: () => string
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>
}

/**
 * Starts `tally server ...args` (in memory unless `args` name a storage; the Aerospike listener on a free port
 * unless they name one) and resolves once it is listening, within `readyMs`.
 */
export async function startCliServer(t: Teardown, args: string[] = [], readyMs = 30_000): Promise<RunningCli> {
  const storage = args.includes('--storage') ? [] : ['--storage', 'memory']
  const aerospike = args.includes('--aerospike-port') ? [] : ['--aerospike-port', '0']
  const child = spawn(process.execPath, [CLI, 'server', '--host', '127.0.0.1', '--port', '0', ...storage, ...aerospike, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  const port = await new Promise<number>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString()
      const match = /^listening on [^\s:]+:(\d+)/m.exec(output)
      if (match) resolve(Number(match[1]))
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    void exited.then((code) => reject(new Error(`tally server exited (${code}) before listening:\n${output}`)))
    setTimeout(() => reject(new Error(`no readiness line within ${readyMs / 1000} s:\n${output}`)), readyMs).unref()
  })
  // Both readiness lines come in one write.
  const aerospikePort = /aerospike protocol listening on [^\s:]+:(\d+)/.exec(output)?.[1]
  return { child, port, aerospikePort: aerospikePort === undefined ? undefined : Number(aerospikePort), output: () => output, exited }
}

/**
 * Runs `tally ...args` (a tool: info, get/put/incr/touch/remove, bench; never `server` or `stop`) to completion in
 * a worker thread: the same entry point, output and exit code as the command, without a new process's start-up
 * cost (each costs most of a second of CPU under the test runner). Ended after 60 s.
 */
export async function runTool(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const worker = new Worker(CLI, { argv: args, stdout: true, stderr: true, execArgv: [] })
  let stdout = ''
  let stderr = ''
  worker.stdout.on('data', (d: Buffer) => (stdout += d))
  worker.stderr.on('data', (d: Buffer) => (stderr += d))
  const timer = setTimeout(() => void worker.terminate(), 60_000)
  const code = await new Promise<number>((resolve) => worker.once('exit', resolve))
  clearTimeout(timer)
  // The streams may hold a last chunk after 'exit'.
  await Promise.all([worker.stdout, worker.stderr].map((s) => (s.readableEnded ? undefined : new Promise((r) => s.once('end', r)))))
  return { code, stdout, stderr }
}

/** How to run a command: as another user (tests of permissions), and how long to wait before killing it. */
export interface RunOptions {
  uid?: number
  gid?: number
  env?: NodeJS.ProcessEnv
  timeoutMs?: number
}

/** Runs `tally ...args` to completion; one that runs past `timeoutMs` is killed and reported with code null. */
export async function runCli(args: string[], options: RunOptions = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { timeoutMs = 30_000, ...user } = options
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...user })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d))
  child.stderr.on('data', (d: Buffer) => (stderr += d))
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  clearTimeout(timer)
  return { code, stdout, stderr }
}

/**
 * Options that run a command as a user who cannot write where the test user can: `nobody` when the tests run as
 * root (root writes anywhere), else the test user itself (a directory made read-only then keeps it out).
 */
export function unprivileged(): RunOptions {
  if (process.getuid?.() !== 0) return {}
  // tap records every child process under ./.tap, where nobody may not write: give it a place of its own.
  if (scratch === undefined) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-unprivileged-'))
    fs.chmodSync(dir, 0o777)
    process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }))
    scratch = dir
  }
  return { uid: 65534, gid: 65534, env: { ...process.env, _TAPJS_PROCESSINFO_CWD_: scratch } }
}

let scratch: string | undefined
