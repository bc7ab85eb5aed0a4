// At most one server per data directory, always: processes racing for the same directories, fresh and over locks
// left by killed owners, never both win; real servers started at the same moment never both run; a server whose
// lock is removed or replaced stops accepting writes and says so.
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import { connect, Key, STATUS } from '../../client/index.js'
import { startServer } from '../../server/index.js'
import { CLI } from '../helpers/cli.js'
import { recordingLogger, tempDataDir } from '../helpers/data-dir.js'
import type { Teardown } from '../helpers/server.js'

const CONTENDER = fileURLToPath(new URL('../helpers/lock-contender.js', import.meta.url))
t.setTimeout(240_000)

const TRIALS = 100 // per kind: fresh directories, and directories whose lock holder was killed
const CONTENDERS = 2
const GAP_MS = 50

interface Outcome {
  won: boolean
  atMs: number
  error?: string
}

function contend(t: Teardown, dirs: string[], startAt: number): { child: ChildProcess; outcomes: Promise<Outcome[]> } {
  const child = spawn(process.execPath, [CONTENDER, JSON.stringify({ dirs, startAt, gapMs: GAP_MS })], { stdio: ['pipe', 'pipe', 'inherit'] })
  t.teardown(() => void (child.exitCode === null && child.kill('SIGKILL')))
  let out = ''
  child.stdout!.on('data', (d: Buffer) => (out += d))
  const outcomes = new Promise<Outcome[]>((resolve, reject) => {
    child.stdout!.on('data', () => out.includes('\n') && resolve(JSON.parse(out) as Outcome[]))
    child.once('exit', (code) => reject(new Error(`a contender exited (${code}) before reporting`)))
  })
  return { child, outcomes }
}

t.test(`${TRIALS} fresh and ${TRIALS} stale locks raced for by ${CONTENDERS} processes: exactly one winner each time`, async (t) => {
  const root = tempDataDir(t)
  const dirs = Array.from({ length: 2 * TRIALS }, (_, i) => fs.mkdirSync(path.join(root, `d${i}`), { recursive: true })!)
  // The stale half: locked by a process that is then killed, leaving LOCK files naming a dead pid.
  const owner = contend(t, dirs.slice(TRIALS), Date.now())
  t.ok((await owner.outcomes).every((o) => o.won), 'the first owner locked every stale directory')
  owner.child.kill('SIGKILL')
  await new Promise((r) => owner.child.once('exit', r))
  t.ok(dirs.slice(TRIALS).every((d) => /^\d+\n$/.test(fs.readFileSync(path.join(d, 'LOCK'), 'utf8'))), 'its LOCK files still name it')

  const startAt = Date.now() + 1500
  const racers = Array.from({ length: CONTENDERS }, () => contend(t, dirs, startAt))
  const results = await Promise.all(racers.map((r) => r.outcomes))
  let exactlyOne = 0
  let together = 0
  for (let i = 0; i < dirs.length; i++) {
    const outcomes = results.map((r) => r[i]!)
    const winners = outcomes.filter((o) => o.won).length
    if (winners === 1) exactlyOne++
    else t.fail(`trial ${i} (${i < TRIALS ? 'fresh' : 'stale'}): ${winners} winners ${JSON.stringify(outcomes)}`)
    for (const o of outcomes) if (o.error !== undefined) t.fail(`trial ${i}: ${o.error}`)
    const times = outcomes.map((o) => o.atMs)
    if (Math.max(...times) - Math.min(...times) <= 5) together++
  }
  for (const r of racers) r.child.stdin!.end()
  t.equal(exactlyOne, 2 * TRIALS, 'one winner in every trial')
  // A contender on a busy machine falls behind its schedule (each attempt starts flock(1)), so how many trials
  // were true races is reported, not asserted: the assertion is that no trial ever had two winners.
  t.comment(`${together} of ${dirs.length} trials had every contender try within 5 ms of the others`)
})

t.test('real servers started at the same moment on one directory: one runs, the others say why they stopped', async (t) => {
  const runs: string[] = []
  for (const stale of [false, false, true, true]) {
    const dir = tempDataDir(t)
    if (stale) {
      const first = spawn(process.execPath, [CLI, 'server', '--port', '0', '--aerospike-port', '0', '--data-dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] })
      await new Promise<void>((resolve) => first.stdout!.on('data', (d: Buffer) => /listening on/.test(String(d)) && resolve()))
      first.kill('SIGKILL')
      await new Promise((r) => first.once('exit', r))
    }
    const servers = Array.from({ length: 2 }, () => spawn(process.execPath, [CLI, 'server', '--port', '0', '--aerospike-port', '0', '--data-dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] }))
    const outcomes = await Promise.all(
      servers.map(
        (child) =>
          new Promise<string>((resolve) => {
            let output = ''
            const onData = (d: Buffer): void => {
              output += d
              if (/listening on/.test(output)) resolve('listening')
            }
            child.stdout!.on('data', onData)
            child.stderr!.on('data', onData)
            child.once('exit', (code) => resolve(`exited ${code}: ${/is in use by process \d+/.exec(output)?.[0] ?? output}`))
          }),
      ),
    )
    for (const child of servers) if (child.exitCode === null) child.kill('SIGKILL')
    runs.push(outcomes.sort().join(' | ').replace(/process \d+/, 'process N'))
  }
  t.same(runs, Array(4).fill(runs[0]), 'the same outcome every time')
  t.equal(runs[0], 'exited 1: is in use by process N | listening')
})

async function lockLost(t: Test, damage: (lockFile: string) => void): Promise<void> {
  const dir = tempDataDir(t)
  const { lines, log } = recordingLogger()
  const server = await startServer({ host: '127.0.0.1', port: 0, storage: 'disk', dataDir: dir, nsupPeriodMs: 0, log })
  const client = await connect({ hosts: `127.0.0.1:${server.address.port}` })
  t.teardown(async () => {
    await client.close()
    await server.close()
  })
  const key = new Key('test', 'lock', 'k')
  await client.put(key, { n: 1 })
  damage(path.join(dir, 'LOCK'))
  let refused: { code?: number; message?: string } | undefined
  for (const started = Date.now(); refused === undefined && Date.now() - started < 10_000; await new Promise((r) => setTimeout(r, 50)))
    refused = await client.put(key, { n: 2 }).then(() => undefined, (err: { code: number; message: string }) => err)
  t.match(refused, { code: STATUS.FORBIDDEN, message: /writes refused: this server no longer owns its data directory/ })
  t.match(lines.join('\n'), /ERROR .*writes refused: this server no longer owns its data directory/)
  t.match((await client.info('namespace/test'))['namespace/test'], /stop_writes=true;stop_writes_reason=data-dir-lock-lost/)
  t.ok((await client.get(key)).bins.n !== undefined, 'reads go on')
}

t.test('a server whose LOCK is removed stops accepting writes and says so', (t) => lockLost(t, (file) => fs.rmSync(file)))
t.test('a server whose LOCK is replaced stops accepting writes and says so', (t) =>
  lockLost(t, (file) => {
    fs.writeFileSync(`${file}.new`, '1\n')
    fs.renameSync(`${file}.new`, file)
  }),
)
