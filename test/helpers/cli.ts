// Spawning the real `tally` command in tests: wait for its readiness line, stop it by its own pid.
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { Teardown } from './server.js'

/** The compiled CLI entry point. */
export const CLI = fileURLToPath(new URL('../../server/cli.js', import.meta.url))

export interface RunningCli {
  child: ChildProcess
  port: number
  output: () => string
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>
}

/** Starts `tally server ...args` (in memory unless `args` name a storage) and resolves once it is listening. */
export async function startCliServer(t: Teardown, args: string[] = []): Promise<RunningCli> {
  const storage = args.includes('--storage') ? [] : ['--storage', 'memory']
  const child = spawn(process.execPath, [CLI, 'server', '--host', '127.0.0.1', '--port', '0', ...storage, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  const port = await new Promise<number>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString()
      const match = /listening on [^\s:]+:(\d+)/.exec(output)
      if (match) resolve(Number(match[1]))
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    void exited.then((code) => reject(new Error(`tally server exited (${code}) before listening:\n${output}`)))
    setTimeout(() => reject(new Error(`no readiness line within 30 s:\n${output}`)), 30_000).unref()
  })
  return { child, port, output: () => output, exited }
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

/** Runs `tally ...args` to completion, as a process of its own. */
export async function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d))
  child.stderr.on('data', (d: Buffer) => (stderr += d))
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  return { code, stdout, stderr }
}
