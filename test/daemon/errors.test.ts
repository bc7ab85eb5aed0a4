// Start-up failures of `tally server` end with a message that names the path or port and says what to do, never a
// raw Node error: a used port, a data directory that is a file, cannot be created or written, a log file that
// takes no writes, a missing config file.
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { runCli, startCliServer, unprivileged } from '../helpers/cli.js'
import { tempDataDir } from '../helpers/data-dir.js'

t.test('a port in use is reported, with the flag to change it', async (t) => {
  const first = await startCliServer(t)
  const second = await runCli(['server', '--host', '127.0.0.1', '--port', String(first.port), '--aerospike-port', '0', '--storage', 'memory'])
  t.equal(second.code, 1)
  t.match(second.stderr, new RegExp(`port ${first.port} on 127\\.0\\.0\\.1 is in use .*choose another port with --port`))
  const third = await runCli(['server', '--host', '127.0.0.1', '--port', '0', '--aerospike-port', String(first.aerospikePort), '--storage', 'memory'])
  t.equal(third.code, 1)
  t.match(third.stderr, new RegExp(`port ${first.aerospikePort} \\(the Aerospike protocol's\\) on 127\\.0\\.0\\.1 is in use .*choose another port with --aerospike-port`))
  t.notMatch(third.stdout, /listening on/, 'and nothing listens')
  first.child.kill('SIGTERM')
  await first.exited
})

t.test('start-up failures say what is wrong, not a raw Node error', async (t) => {
  const dir = tempDataDir(t)
  const file = path.join(dir, 'a-file')
  fs.writeFileSync(file, 'x')
  const cases: [string[], RegExp][] = [
    [['--storage', 'disk', '--data-dir', file], /the data directory .*a-file exists but is not a directory/],
    [['--storage', 'disk', '--data-dir', path.join(file, 'data')], /cannot create the data directory .*a-file\/data: .*a-file is not a directory/],
    [['--storage', 'disk', '--data-dir', '/proc/tally-data'], /cannot create the data directory \/proc\/tally-data: \/proc does not allow it/],
    [['--storage', 'memory', '--log-file', '/proc/version'], /cannot write the log file \/proc\/version/],
    [['--storage', 'memory', '--log-file', dir], /cannot open the log file .*: it is a directory/],
    [['--storage', 'memory', '--log-file', path.join(file, 'tally.log')], /the directory .*a-file of the log file .*a-file\/tally\.log exists but is not a directory; choose another --log-file/],
    [['--config', path.join(dir, 'nope.conf')], /the config file .*nope\.conf does not exist/],
    [['--config', dir], /the config file .* is a directory/],
  ]
  for (const [flags, pattern] of cases) {
    const result = await runCli(['server', '--port', '0', '--aerospike-port', '0', ...flags], { timeoutMs: 20_000 })
    t.equal(result.code, 1, `exit code for ${flags.join(' ')}`)
    t.match(result.stderr, pattern)
    t.notMatch(result.stdout, /listening on/)
    t.notMatch(result.stderr, /\b(EEXIST|ENOENT|ENOTDIR|EIO|EISDIR|EACCES)\b/, 'no raw error code')
  }
})

t.test('a data directory the server may not write in is named, with what to do', async (t) => {
  const dir = tempDataDir(t)
  const data = path.join(dir, 'data')
  fs.mkdirSync(data)
  fs.chmodSync(dir, 0o755)
  fs.chmodSync(data, 0o555)
  const result = await runCli(['server', '--port', '0', '--aerospike-port', '0', '--storage', 'disk', '--data-dir', data], unprivileged())
  t.equal(result.code, 1)
  t.match(result.stderr, /cannot write in the data directory .*data: permission denied; give the server's user write access to it, or choose another --data-dir/)
  t.notMatch(result.stderr, /EACCES/)
})

t.test('a lock file the server may not replace is named, with what to do', async (t) => {
  const dir = tempDataDir(t)
  const data = path.join(dir, 'data')
  fs.mkdirSync(data)
  fs.chmodSync(dir, 0o755)
  fs.chmodSync(data, 0o777)
  fs.writeFileSync(path.join(data, 'LOCK'), '999999999\n', { mode: 0o444 }) // left by a server that is gone
  const result = await runCli(['server', '--port', '0', '--aerospike-port', '0', '--storage', 'disk', '--data-dir', data], unprivileged())
  t.equal(result.code, 1)
  t.match(result.stderr, /cannot open .*data\/LOCK: permission denied; give the server's user write access to the data directory and the files in it/)
  t.notMatch(result.stderr, /EACCES/)
})
