// `tally stop --pidfile F`: sends SIGTERM to the server named in the pidfile and waits until it has exited. A pid
// that is not a Tally server's is not signalled.
import type { Command } from 'commander'
import fs from 'node:fs'
import { identifyProcess, processAlive, readPidfile } from '../pidfile.js'
import { milliseconds } from './args.js'

export function addStopCommand(program: Command): void {
  program
    .command('stop')
    .description('stop a server started with --pidfile, and wait until it has exited')
    .requiredOption('--pidfile <file>', 'the pidfile the server was started with')
    .option('--timeout-ms <ms>', 'give up waiting after this long', milliseconds, 60_000)
    .action(async (flags: { pidfile: string; timeoutMs: number }) => {
      const pid = readPidfile(flags.pidfile)
      if (pid === undefined) throw new Error(`no pid in ${flags.pidfile}: is the server running?`)
      if (!processAlive(pid)) {
        fs.rmSync(flags.pidfile, { force: true })
        process.stdout.write(`process ${pid} is not running; removed the stale pidfile ${flags.pidfile}\n`)
        return
      }
      // Where the command line cannot be read, the pidfile is all there is to go by.
      const { command, tally } = identifyProcess(pid)
      if (tally === false)
        throw new Error(`process ${pid} (named in ${flags.pidfile}) is not a Tally server: not signalled. It runs: ${command}. If the server is gone, remove ${flags.pidfile}`)
      process.kill(pid, 'SIGTERM')
      const deadline = Date.now() + flags.timeoutMs
      while (processAlive(pid)) {
        if (Date.now() > deadline) throw new Error(`process ${pid} is still running after ${flags.timeoutMs} ms`)
        await new Promise((r) => setTimeout(r, 50))
      }
      process.stdout.write(`stopped process ${pid}\n`)
    })
}
