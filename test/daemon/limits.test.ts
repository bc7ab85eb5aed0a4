// Memory budgets and housekeeping, through the real CLI: stop-writes at its threshold (reads and removes go on),
// eviction of the records closest to expiry (never ones without a TTL), expiry sweeping, connection limits.
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import t from 'tap'
import { connect, Key, STATUS, type Client } from '../../client/index.js'
import { parsePairs } from '../../server/commands/info.js'
import { runTool, startCliServer } from '../helpers/cli.js'
import { FrameReader } from '../helpers/frames.js'
import { tempDataDir } from '../helpers/data-dir.js'
import type { Teardown } from '../helpers/server.js'

async function serverWith(t: Teardown, config: string, flags: string[] = []) {
  const dir = tempDataDir(t)
  const file = path.join(dir, 'tally.conf')
  fs.writeFileSync(file, config)
  const server = await startCliServer(t, ['--storage', 'memory', '--config', file, ...flags])
  const client = await connect({ hosts: `127.0.0.1:${server.port}` })
  t.teardown(() => client.close())
  return { server, client }
}

/** An info command's answer as `tally info --json` shows it (asked through the client: polling spawns nothing). */
async function info(client: Client, command: string): Promise<Record<string, number | boolean | string>> {
  return parsePairs((await client.info(command))[command]!)
}

/** Polls `check` every 200 ms until it holds, for at most `ms` (generous: the machine may be loaded). */
async function until(check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  for (const deadline = Date.now() + ms; Date.now() < deadline && !(await check()); ) await new Promise((r) => setTimeout(r, 200))
}

t.test('stop-writes: over the threshold writes fail with status 8; reads and removes go on', async (t) => {
  const { client } = await serverWith(t, 'namespace test {\n storage-engine memory {\n  data-size 64K\n  stop-writes-used-pct 50\n }\n}\n')
  let written = 0
  let refused: unknown
  for (let i = 0; i < 1000 && refused === undefined; i++) {
    try {
      await client.put(new Key('test', 's', i), { blob: 'x'.repeat(500) })
      written++
    } catch (err) {
      refused = err
    }
  }
  t.match(refused, { code: STATUS.OUT_OF_SPACE, message: /over its stop-writes threshold/ })
  t.ok(written > 30 && written < 70, `${written} records of ~564 bytes fit under 50% of 64K`)
  const stats = await info(client, 'namespace/test')
  t.equal(stats.stop_writes, true)
  t.ok((stats.data_used_pct as number) > 50)
  t.equal((await client.get(new Key('test', 's', 0))).bins.blob, 'x'.repeat(500), 'reads work')
  await t.rejects(client.increment(new Key('test', 's', 0), 'n', 1), { code: STATUS.OUT_OF_SPACE }, 'every write is refused')
  for (let i = 0; i < 10; i++) await client.remove(new Key('test', 's', i))
  t.equal((await info(client, 'namespace/test')).stop_writes, false, 'removes freed room')
  await client.put(new Key('test', 's', 'again'), { n: 1 })
})

t.test('eviction: the records closest to expiry go first, records without a TTL never', async (t) => {
  const { client } = await serverWith(
    t,
    'namespace test {\n nsup-period 1\n storage-engine memory {\n  data-size 200K\n  evict-used-pct 50\n  stop-writes-used-pct 95\n }\n}\n',
  )
  const blob = 'y'.repeat(1000)
  for (let i = 0; i < 40; i++) await client.put(new Key('test', 'forever', i), { blob })
  for (let i = 0; i < 120; i++) await client.put(new Key('test', 'ttl', i), { blob }, { ttl: 1000 + i * 10 })
  // Eviction may start while the records are still being written: wait until it has brought usage under 50%.
  await until(async () => {
    const stats = await info(client, 'namespace/test')
    return (stats.evicted_objects as number) > 0 && (stats.data_used_pct as number) <= 50
  })
  const stats = await info(client, 'namespace/test')
  t.ok((stats.evicted_objects as number) > 0, `${stats.evicted_objects} evicted`)
  t.ok((stats.data_used_pct as number) <= 50, `used ${stats.data_used_pct}% after eviction`)
  const forever = await client.batchGet(Array.from({ length: 40 }, (_, i) => new Key('test', 'forever', i)))
  t.equal(forever.filter((r) => r !== null).length, 40, 'no record without a TTL was evicted')
  const withTtl = await client.batchGet(Array.from({ length: 120 }, (_, i) => new Key('test', 'ttl', i)))
  const kept = withTtl.map((r, i) => (r === null ? -1 : i)).filter((i) => i >= 0)
  t.ok(kept.length > 0 && kept.every((i) => i >= 120 - kept.length), 'the records that stay are the ones expiring last')
})

t.test('the expiry sweep removes expired records on its own', async (t) => {
  const { client } = await serverWith(t, 'namespace test {\n nsup-period 1\n}\n')
  // 3 s: time enough to write them all and count them first, even on a loaded machine.
  for (let i = 0; i < 50; i++) await client.put(new Key('test', 'e', i), { n: i }, { ttl: 3 })
  t.equal((await info(client, 'namespace/test')).objects, 50)
  await until(async () => (await info(client, 'namespace/test')).objects === 0)
  const stats = await info(client, 'namespace/test')
  t.equal(stats.objects, 0)
  t.equal(stats.expired_objects, 50)
})

t.test('connections over proto-fd-max are answered with status 8 and logged; idle ones are closed', async (t) => {
  // Far apart on purpose: a refused connection closes at once, the idle ones not before IDLE_MS, and a loaded
  // machine can delay the first by seconds without the two being confused.
  const IDLE_MS = 3000
  const config = `service {\n proto-fd-max 3\n proto-fd-idle-ms ${IDLE_MS}\n answer-buffer-max 2M\n answer-buffer-total-max 64M\n frame-timeout-ms 5000\n}\n`
  const { server } = await serverWith(t, config, ['--log-level', 'debug', '--frame-buffer-total-bytes', String(32 * 1024 * 1024)])
  // The fixture's client holds one or two connections (its pool): of three more, at least one is refused.
  const started = Date.now()
  const sockets = Array.from({ length: 3 }, () => {
    const s = net.connect({ host: '127.0.0.1', port: server.port })
    s.on('error', () => {})
    t.teardown(() => s.destroy())
    return s
  })
  const closedAfterMs = sockets.map((s) => new Promise<number>((resolve) => s.on('close', () => resolve(Date.now() - started))))
  const first = await Promise.all(sockets.map((s) => new FrameReader(s).next(20_000)))
  const refusals = first.filter((m) => Array.isArray(m) && m[1] === STATUS.OUT_OF_SPACE)
  t.ok(refusals.length >= 1, `${refusals.length} connections over the limit`)
  t.ok(refusals.every((m) => m![2] === 'connection refused: 3 connections already (proto-fd-max)'), 'each is told why')
  const closed = (await Promise.all(closedAfterMs)).sort((a, b) => a - b)
  t.match(server.output(), /WARN refused a connection from 127\.0\.0\.1: 3 connections already \(proto-fd-max\)/)
  // 100 ms of slack for the two processes' clocks; the server's idle timers start after `started`.
  t.equal(closed.filter((ms) => ms < IDLE_MS - 100).length, refusals.length, `the refused ones closed at once, the idle ones after proto-fd-idle-ms (${closed.join(', ')} ms)`)
  t.match(server.output(), new RegExp(`idle for ${IDLE_MS} ms`))
  const values = JSON.parse((await runTool(['info', '--port', String(server.port), '--json', 'statistics', 'get-config'])).stdout)
  t.ok(values.statistics.client_connections_refused >= 1)
  t.match(values['get-config'], { 'answer-buffer-max': 2 * 1024 ** 2, 'answer-buffer-total-max': 64 * 1024 ** 2, 'frame-buffer-total-max': 32 * 1024 ** 2, 'frame-timeout-ms': 5000 })
})
