// Crash tests: a real server process, killed with SIGKILL at random moments (and once in the middle of a
// snapshot), restarted on the same directory. Under commit-to-device every acknowledged write must be there, and
// every counter must hold its acknowledged increments, plus at most those whose answer was lost with the crash.
import fs from 'node:fs'
import t from 'tap'
import { connect, Key, type Client } from '../../client/index.js'
import { runCli, startCliServer, type RunningCli } from '../helpers/cli.js'
import { tempDataDir } from '../helpers/data-dir.js'
import type { Teardown } from '../helpers/server.js'

const COUNTERS = 16
const ROUNDS = 6

function serverArgs(dir: string): string[] {
  return ['--storage', 'disk', '--data-dir', dir, '--segment-bytes', '65536', '--snapshot-log-bytes', '262144', '--log-level', 'warn']
}

async function kill(server: RunningCli): Promise<void> {
  server.child.kill('SIGKILL')
  await server.exited
}

const counter = (c: number): Key => new Key('test', 'crash', `counter-${c}`)

/**
 * Rounds of: start the server on `dir`, `verify` what it restored, then let 8 `worker`s write until a SIGKILL at a
 * random moment. The last round only verifies, then stops the server cleanly: resolves to its exit code.
 */
async function crashRounds(
  t: Teardown,
  dir: string,
  rounds: number,
  verify: (client: Client, round: number) => Promise<void>,
  worker: (client: Client, round: number, w: number, running: () => boolean) => Promise<void>,
): Promise<number | null> {
  const restart = async (round: number) => {
    const server = await startCliServer(t, serverArgs(dir))
    const client = await connect({ hosts: `127.0.0.1:${server.port}`, policy: { maxRetries: 0, totalTimeoutMs: 2000 } })
    await verify(client, round)
    return { server, client }
  }
  for (let round = 0; round < rounds; round++) {
    const { server, client } = await restart(round)
    let running = true
    const workers = Array.from({ length: 8 }, (_, w) => worker(client, round, w, () => running))
    await new Promise((r) => setTimeout(r, 150 + Math.random() * 600))
    running = false // the workers stop after the requests in flight, which the kill cuts short
    await kill(server)
    await Promise.all(workers)
    await client.close()
  }
  const { server, client } = await restart(rounds)
  await client.close()
  server.child.kill('SIGTERM')
  return server.exited
}

t.test('SIGKILL at random moments loses no acknowledged write and applies none twice', async (t) => {
  const dir = tempDataDir(t)
  const acked = new Array<number>(COUNTERS).fill(0)
  const doubtful = new Array<number>(COUNTERS).fill(0)
  const puts = new Map<string, number>() // acknowledged puts: key -> value
  let checkedPuts = 0
  let checkedCounters = 0
  let wrong = 0

  const verify = async (client: Client, round: number): Promise<void> => {
    const values = await client.batchGet(Array.from({ length: COUNTERS }, (_, c) => counter(c)))
    values.forEach((record, c) => {
      const value = Number(record?.bins.n ?? 0)
      checkedCounters++
      if (value < acked[c]! || value > acked[c]! + doubtful[c]!) {
        wrong++
        t.fail(`round ${round}: counter ${c} = ${value}, acknowledged ${acked[c]}, in doubt ${doubtful[c]}`)
      }
      // Whatever the doubtful ones did, the value is now known: it is the new baseline.
      acked[c] = value
      doubtful[c] = 0
    })
    const keys = [...puts.keys()]
    for (let i = 0; i < keys.length; i += 1000) {
      const chunk = keys.slice(i, i + 1000)
      const records = await client.batchGet(chunk.map((key) => new Key('test', 'crash', key)))
      records.forEach((record, j) => {
        if (record?.bins.v === puts.get(chunk[j]!)) return
        wrong++
        t.fail(`round ${round}: acknowledged put ${chunk[j]} is ${JSON.stringify(record?.bins)}`)
      })
    }
    checkedPuts += keys.length
  }

  const exit = crashRounds(t, dir, ROUNDS, verify, async (client, round, w, running) => {
    for (let i = 0; running(); i++) {
      const c = (w * 7 + i) % COUNTERS
      const key = `r${round}-w${w}-${i}`
      const [inc, put] = await Promise.allSettled([client.increment(counter(c), 'n', 1), client.put(new Key('test', 'crash', key), { v: i })])
      if (inc.status === 'fulfilled') acked[c]!++
      else doubtful[c]!++
      if (put.status === 'fulfilled') puts.set(key, i)
    }
  })
  t.equal(await exit, 0, 'the last start stops cleanly')
  const increments = acked.reduce((a, b) => a + b, 0)
  t.equal(checkedCounters, COUNTERS * (ROUNDS + 1), 'every counter checked after every restart')
  t.ok(increments >= ROUNDS * 20, `${increments} acknowledged increments across ${ROUNDS} crashes`)
  t.ok(checkedPuts >= ROUNDS * 20, `${checkedPuts} checks of acknowledged puts`)
  t.equal(wrong, 0, 'no acknowledged write lost, none applied twice')
})

t.test('SIGKILL during counters sessions: every batch is there whole or not at all', async (t) => {
  const dir = tempDataDir(t)
  const GROUPS = 8
  const RECORDS = 4
  const member = (g: number, r: number): Key => new Key('test', 'batches', `g${g}-r${r}`)
  const acked = new Array<number>(GROUPS).fill(0)
  const doubtful = new Array<number>(GROUPS).fill(0)
  let wrong = 0
  let saves = 0
  const verify = async (client: Client, round: number): Promise<void> => {
    for (let g = 0; g < GROUPS; g++) {
      const values = (await client.batchGet(Array.from({ length: RECORDS }, (_, r) => member(g, r)))).map((rec) => Number(rec?.bins.n ?? 0))
      if (new Set(values).size !== 1) {
        wrong++
        t.fail(`round ${round}: group ${g} is torn: ${values.join(', ')}`)
      }
      if (values[0]! < acked[g]! || values[0]! > acked[g]! + doubtful[g]!) {
        wrong++
        t.fail(`round ${round}: group ${g} = ${values[0]}, acknowledged ${acked[g]}, in doubt ${doubtful[g]}`)
      }
      acked[g] = values[0]!
      doubtful[g] = 0
    }
  }
  const exit = crashRounds(t, dir, 3, verify, async (client, _round, w, running) => {
    for (let i = 0; running(); i++) {
      const g = (w + i) % GROUPS
      const session = client.openSession()
      for (let r = 0; r < RECORDS; r++) session.countersFor(member(g, r)).increment('n')
      try {
        await session.saveChanges()
        acked[g]!++
        saves++
      } catch {
        doubtful[g]!++
      }
    }
  })
  t.equal(await exit, 0, 'the last start stops cleanly')
  t.ok(saves >= 3 * 10, `${saves} acknowledged saves of ${RECORDS} records across 3 crashes`)
  t.equal(wrong, 0, 'every batch whole, none lost')
})

t.test('a crash in the middle of a snapshot loses nothing', async (t) => {
  const dir = tempDataDir(t)
  let server = await startCliServer(t, ['--storage', 'disk', '--data-dir', dir, '--log-level', 'warn'])
  const insert = await runCli(['bench', '--port', String(server.port), '--set', 'snap', '--workload', 'insert', '--keys', '100000', '--json'])
  t.equal(insert.code, 0, insert.stderr)
  server.child.kill('SIGTERM')
  await server.exited
  // Restarted with a small threshold, the server finds the log over it and snapshots within a second.
  server = await startCliServer(t, ['--storage', 'disk', '--data-dir', dir, '--snapshot-log-bytes', '1048576', '--log-level', 'warn'])
  let sawSnapshot = false
  for (let waited = 0; waited < 5000 && !sawSnapshot; waited += 2) {
    sawSnapshot = fs.readdirSync(dir).some((f) => f.endsWith('.tmp'))
    if (!sawSnapshot) await new Promise((r) => setTimeout(r, 2))
  }
  t.ok(sawSnapshot, 'caught a snapshot being written')
  await kill(server)
  t.ok(fs.readdirSync(dir).some((f) => f.endsWith('.tmp')), 'the kill landed inside the snapshot: it was left unfinished')
  server = await startCliServer(t, ['--storage', 'disk', '--data-dir', dir, '--log-level', 'warn'])
  const client = await connect({ hosts: `127.0.0.1:${server.port}` })
  let present = 0
  for (let i = 0; i < 100_000; i += 5000) {
    const records = await client.batchGet(Array.from({ length: 5000 }, (_, j) => new Key('test', 'snap', i + j)))
    present += records.filter((r) => r !== null && typeof r.bins.b === 'number').length
  }
  t.equal(present, 100_000, 'every inserted record is there')
  t.notOk(fs.readdirSync(dir).some((f) => f.endsWith('.tmp')), 'the unfinished snapshot was cleared away')
  await client.close()
  server.child.kill('SIGTERM')
  t.equal(await server.exited, 0)
})
