// Running as a daemon: --daemon detaches and the parent returns once the server listens; the pidfile lives as long
// as the server; `tally stop` stops it and waits; SIGHUP reopens the log file (or says why it cannot, and goes
// on); SIGTERM with requests in flight loses no acknowledged write.
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { connect, Key } from '../../client/index.js'
import { processAlive } from '../../server/pidfile.js'
import { runCli, startCliServer } from '../helpers/cli.js'
import { tempDataDir } from '../helpers/data-dir.js'

async function until(check: () => boolean, ms = 20_000): Promise<boolean> {
  for (const start = Date.now(); Date.now() - start < ms; await new Promise((r) => setTimeout(r, 50))) if (check()) return true
  return check()
}

t.test('--daemon, the pidfile, SIGHUP and tally stop', async (t) => {
  const dir = tempDataDir(t)
  const pidfile = path.join(dir, 'tally.pid')
  const logFile = path.join(dir, 'tally.log')
  const started = await runCli(['server', '--daemon', '--port', '0', '--aerospike-port', '0', '--storage', 'memory', '--pidfile', pidfile, '--log-file', logFile])
  t.equal(started.code, 0, started.stderr)
  const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(started.stdout)?.[1])
  t.ok(port > 0, started.stdout)
  const pid = Number(fs.readFileSync(pidfile, 'utf8'))
  t.teardown(() => {
    if (processAlive(pid)) process.kill(pid, 'SIGKILL')
  })
  t.ok(processAlive(pid), 'the daemon runs on after its parent returned')
  t.match(started.stdout, new RegExp(`running as process ${pid}, logging to ${logFile}`))

  const client = await connect({ hosts: `127.0.0.1:${port}` })
  t.equal(await client.increment(new Key('test', 'd', 1), 'n', 1), 1)
  await client.close()

  const second = await runCli(['server', '--port', '0', '--aerospike-port', '0', '--storage', 'memory', '--pidfile', pidfile])
  t.equal(second.code, 1)
  t.match(second.stderr, new RegExp(`already running as process ${pid}`))

  fs.renameSync(logFile, `${logFile}.1`)
  process.kill(pid, 'SIGHUP')
  t.ok(await until(() => fs.existsSync(logFile) && fs.readFileSync(logFile, 'utf8').includes('SIGHUP: log file reopened')), 'new lines go to a new file')
  t.match(fs.readFileSync(`${logFile}.1`, 'utf8'), /INFO tally .* serving namespaces test/)

  const stopped = await runCli(['stop', '--pidfile', pidfile])
  t.equal(stopped.code, 0, stopped.stderr)
  t.equal(stopped.stdout.trim(), `stopped process ${pid}`)
  t.notOk(processAlive(pid))
  t.notOk(fs.existsSync(pidfile), 'the pidfile is gone')
  const log = fs.readFileSync(logFile, 'utf8')
  t.match(log, /INFO SIGTERM: shutting down[\s\S]*INFO shutdown complete/)

  const again = await runCli(['stop', '--pidfile', pidfile])
  t.equal(again.code, 1)
  t.match(again.stderr, /no pid in .*tally\.pid: is the server running\?/)
  fs.writeFileSync(pidfile, '999999999\n')
  const stale = await runCli(['stop', '--pidfile', pidfile])
  t.equal(stale.code, 0)
  t.match(stale.stdout, /not running; removed the stale pidfile/)
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

t.test('SIGTERM with requests in flight: everything acknowledged is there after a restart', async (t) => {
  const dir = tempDataDir(t)
  const args = ['--storage', 'disk', '--data-dir', path.join(dir, 'data')]
  let server = await startCliServer(t, args)
  const client = await connect({ hosts: `127.0.0.1:${server.port}`, policy: { maxRetries: 0, totalTimeoutMs: 3000 } })
  let acknowledged = 0
  let failed = 0
  const acknowledgedPuts: number[] = []
  let running = true
  const workers = Array.from({ length: 8 }, async (_, w) => {
    for (let i = 0; running; i++) {
      const [inc, put] = await Promise.allSettled([client.increment(new Key('test', 'sig', 'counter'), 'n', 1), client.put(new Key('test', 'sig', `w${w}-${i}`), { i })])
      if (inc.status === 'fulfilled') acknowledged++
      else failed++
      if (put.status === 'fulfilled') acknowledgedPuts.push(w * 1_000_000 + i)
    }
  })
  await new Promise((r) => setTimeout(r, 500))
  server.child.kill('SIGTERM')
  t.equal(await server.exited, 0, 'a clean exit')
  running = false
  await Promise.all(workers)
  await client.close()
  t.match(server.output(), /SIGTERM: shutting down[\s\S]*shutdown complete/)
  server = await startCliServer(t, args)
  const check = await connect({ hosts: `127.0.0.1:${server.port}` })
  const value = Number((await check.get(new Key('test', 'sig', 'counter'))).bins.n)
  t.ok(value >= acknowledged && value <= acknowledged + failed, `counter ${value}: ${acknowledged} acknowledged, ${failed} cut off`)
  const records = await check.batchGet(acknowledgedPuts.map((n) => new Key('test', 'sig', `w${Math.floor(n / 1_000_000)}-${n % 1_000_000}`)))
  t.equal(records.filter((r) => r === null).length, 0, `all ${acknowledgedPuts.length} acknowledged puts are there`)
  await check.close()
  server.child.kill('SIGTERM')
  await server.exited
})
