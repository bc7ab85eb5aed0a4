// A pidfile is trusted only when it names a Tally server, told apart by its command line: another program's pid
// neither blocks a start nor gets signalled by `tally stop`.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { identifyProcess, processAlive } from '../../server/pidfile.js'
import { runCli, startCliServer } from '../helpers/cli.js'
import { tempDataDir } from '../helpers/data-dir.js'

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

t.test('a Tally server is told apart by its command line, as run from a checkout or installed', async (t) => {
  const dir = tempDataDir(t)
  const installed = path.join(dir, 'bin', 'tally')
  fs.mkdirSync(path.dirname(installed))
  fs.writeFileSync(installed, 'setInterval(() => {}, 1000)\n')
  const commands = [[installed, 'server', '--port', '0'], [installed, 'stop'], [path.join(dir, 'bin', 'cli.js'), 'server'], ['-e', 'setInterval(() => {}, 1000)', 'server']]
  fs.writeFileSync(path.join(dir, 'bin', 'cli.js'), 'setInterval(() => {}, 1000)\n')
  const seen: (boolean | undefined)[] = []
  for (const args of commands) {
    const child = spawn(process.execPath, args, { stdio: 'ignore' })
    await new Promise((resolve) => child.once('spawn', resolve))
    seen.push(identifyProcess(child.pid!).tally)
    child.kill('SIGKILL')
    await new Promise((resolve) => child.once('exit', resolve))
  }
  t.same(seen, [true, false, false, false], 'only `tally server` and `.../server/cli.js server` count')
  const server = await startCliServer(t)
  t.match(identifyProcess(server.child.pid!), { tally: true, command: /server\/cli\.js server/ })
  t.match(identifyProcess(process.pid), { tally: false })
  server.child.kill('SIGTERM')
  await server.exited
})
