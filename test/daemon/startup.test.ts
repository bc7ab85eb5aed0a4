// A daemon that cannot start says why, on the terminal and in its log file.
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { runCli, startCliServer, unprivileged, type RunOptions } from '../helpers/cli.js'
import { tempDataDir } from '../helpers/data-dir.js'

/** Runs `tally server --daemon ...flags` logging to `logFile`; returns what it printed and the log file. */
async function daemon(logFile: string, flags: string[], options: RunOptions = {}) {
  const result = await runCli(['server', '--daemon', '--host', '127.0.0.1', '--port', '0', '--aerospike-port', '0', '--log-file', logFile, ...flags], options)
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
  const results = await Promise.all(cases.map(([, flags, , options], i) => daemon(path.join(dir, 'logs', `tally-${i}.log`), flags, options)))
  for (const [i, [what, , reason]] of cases.entries()) {
    const { code, stdout, stderr, log } = results[i]!
    t.equal(code, 1, `${what}: exit code`)
    t.notMatch(stdout, /listening on/)
    t.match(stderr, reason, `${what}: the terminal says why`)
    t.match(stderr, new RegExp(`see .*logs/tally-${i}\\.log`), `${what}: the terminal names the log file`)
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
