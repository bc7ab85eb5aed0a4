// A daemon that cannot start says why, on the terminal and in its log file; a pidfile is trusted only when it
// names a Tally server, so another program's pid neither blocks a start nor gets signalled by `tally stop`.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { processAlive } from '../../server/pidfile.js'
import { runCli, startCliServer, unprivileged, type RunOptions } from '../helpers/cli.js'
import { tempDataDir } from '../helpers/data-dir.js'

/** Runs `tally server --daemon ...flags` logging to `logFile`; returns what it printed and the log file. */
async function daemon(logFile: string, flags: string[], options: RunOptions = {}) {
  const result = await runCli(['server', '--daemon', '--host', '127.0.0.1', '--port', '0', '--log-file', logFile, ...flags], options)
  return { ...result, log: fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '' }
}

t.test('a daemon that cannot start says why, on the terminal and in its log file', async (t) => {
  const dir = tempDataDir(t)
  fs.chmodSync(dir, 0o755)
  fs.mkdirSync(path.join(dir, 'logs'), { mode: 0o777 })
  fs.chmodSync(path.join(dir, 'logs'), 0o777)
  const pidfile = path.join(dir, 'logs', 'tally.pid')
  const data = path.join(dir, 'data')
  const running = await startCliServer(t, ['--storage', 'disk', '--data-dir', data, '--pidfile', pidfile])
  const pid = running.child.pid!

  const cases: [string, string[], RegExp, RunOptions?][] = [
    ['a held pidfile', ['--storage', 'memory', '--pidfile', pidfile], new RegExp(`already running as process ${pid} \\(pidfile ${pidfile}\\)`)],
    ['a locked data dir', ['--storage', 'disk', '--data-dir', data], new RegExp(`data directory ${data} is in use by process ${pid}`)],
    ['a used port', ['--storage', 'memory', '--port', String(running.port)], new RegExp(`port ${running.port} on 127\\.0\\.0\\.1 is in use`)],
    ['a read-only data dir', ['--storage', 'disk', '--data-dir', path.join(dir, 'read-only')], /cannot write in the data directory .*read-only: permission denied/, unprivileged()],
  ]
  fs.mkdirSync(path.join(dir, 'read-only'), { mode: 0o555 })
  const logFile = path.join(dir, 'logs', 'tally.log')
  for (const [what, flags, reason, options] of cases) {
    fs.rmSync(logFile, { force: true })
    const { code, stdout, stderr, log } = await daemon(logFile, flags, options)
    t.equal(code, 1, `${what}: exit code`)
    t.notMatch(stdout, /listening on/)
    t.match(stderr, reason, `${what}: the terminal says why`)
    t.match(stderr, /see .*logs\/tally\.log/, `${what}: the terminal names the log file`)
    t.match(log, new RegExp(`ERROR cannot start: ${reason.source}`), `${what}: the log file says why`)
  }
  running.child.kill('SIGTERM')
  t.equal(await running.exited, 0)
})

t.test('a daemon whose log file cannot be written says so on the terminal', async (t) => {
  const result = await daemon('/proc/version', ['--storage', 'memory'])
  t.equal(result.code, 1)
  t.match(result.stderr, /cannot write the log file \/proc\/version/)
  t.notMatch(result.stderr, /see \/proc\/version/, 'no pointer to a log file that has nothing')
})

t.test('a pidfile naming another program: the server starts anyway, tally stop does not signal it', async (t) => {
  const dir = tempDataDir(t)
  const pidfile = path.join(dir, 'tally.pid')
  const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' })
  t.teardown(() => {
    if (other.exitCode === null && other.signalCode === null) other.kill('SIGKILL')
  })
  await new Promise((resolve) => other.once('spawn', resolve))
  fs.writeFileSync(pidfile, `${other.pid}\n`)

  const stop = await runCli(['stop', '--pidfile', pidfile])
  t.equal(stop.code, 1)
  t.match(stop.stderr, new RegExp(`process ${other.pid} \\(named in ${pidfile}\\) is not a Tally server: not signalled`))
  t.ok(processAlive(other.pid!), 'the other program still runs')

  const server = await startCliServer(t, ['--pidfile', pidfile])
  t.match(server.output(), new RegExp(`WARN pidfile ${pidfile} named process ${other.pid}, which is not a Tally server: replacing it`))
  t.equal(Number(fs.readFileSync(pidfile, 'utf8')), server.child.pid)
  const stopped = await runCli(['stop', '--pidfile', pidfile])
  t.equal(stopped.code, 0, stopped.stderr)
  t.equal(await server.exited, 0)
  t.ok(processAlive(other.pid!), 'the other program still runs')
})

t.test('a log file that cannot be reopened on SIGHUP is reported, and the server goes on', async (t) => {
  const dir = tempDataDir(t)
  const logs = path.join(dir, 'logs')
  const server = await startCliServer(t, ['--log-file', path.join(logs, 'tally.log')])
  fs.rmSync(logs, { recursive: true })
  fs.writeFileSync(logs, 'not a directory')
  server.child.kill('SIGHUP')
  for (let waited = 0; waited < 10_000 && !/SIGHUP: cannot open the log file/.test(server.output()); waited += 100) await new Promise((r) => setTimeout(r, 100))
  t.match(server.output(), /ERROR SIGHUP: cannot open the log file .*logs\/tally\.log: a part of the path is not a directory; lines still go to the file opened before/)
  const info = await runCli(['info', '--port', String(server.port), 'status'])
  t.equal(info.stdout, 'ok\n', 'still serving')
  server.child.kill('SIGTERM')
  t.equal(await server.exited, 0)
})
