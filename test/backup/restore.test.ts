// Restore: each policy for records already there; a damaged file is refused with where and what, and nothing
// written; the CLI's backup and restore.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { Key, ops, type Client } from '../../client/index.js'
import { BackupFileError } from '../../server/backup/format.js'
import { backup, restore } from '../../server/backup/run.js'
import { runTool } from '../helpers/cli.js'
import { serverAndClient, type Teardown } from '../helpers/server.js'

function tempFile(t: Teardown, name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-backup-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  return path.join(dir, name)
}

async function objects(client: Client): Promise<number> {
  return Number(/(?:^|;)objects=(\d+)/.exec((await client.info('namespace/test'))['namespace/test']!)![1])
}

t.test('restore policies: skip, replace, newer', async (t) => {
  const { server, client } = await serverAndClient(t)
  const k = (i: number): Key => new Key('test', 'p', i)
  for (let i = 0; i < 3; i++) await client.put(k(i), { v: 'old' })
  for (let i = 0; i < 3; i++) for (let g = 0; g < 4; g++) await client.put(k(i), { v: 'backed-up' }) // generation 5
  const file = tempFile(t, 'p.bak')
  await backup(client, 'test', 'p', file)
  await client.put(k(0), { v: 'newer' }) // generation 6: newer than the backup
  await client.remove(k(1))
  await client.truncate('test', 'p')
  await client.put(k(0), { v: 'now' }) // generation 1: older than the backup
  await client.put(k(2), { v: 'now' })

  let done = await restore(client, file, 'skip')
  t.same([done.written, done.kept], [1, 2], 'skip writes only what is missing')
  t.equal((await client.get(k(0))).bins.v, 'now')
  t.equal((await client.get(k(1))).bins.v, 'backed-up')

  for (let g = 0; g < 6; g++) await client.put(k(2), { v: 'now' }) // generation 7: newer than the backup
  done = await restore(client, file, 'newer')
  t.same([done.written, done.kept], [1, 2], 'newer replaces only older generations')
  t.equal((await client.get(k(0))).bins.v, 'backed-up')
  t.equal((await client.get(k(0))).gen, 5)
  t.equal((await client.get(k(2))).bins.v, 'now')

  const cli = await runTool(['restore', '--input', file, '--policy', 'replace', '--port', String(server.address.port)])
  t.equal(cli.code, 0, cli.stderr)
  t.match(cli.stdout, '3 written, 0 kept')
  t.equal((await client.get(k(2))).bins.v, 'backed-up')
  t.equal((await client.get(k(2))).gen, 5)
  const bad = await runTool(['restore', '--input', file, '--policy', 'merge', '--port', String(server.address.port)])
  t.equal(bad.code, 1)
  t.match(bad.stderr, '--policy must be one of skip, replace, newer')
})

t.test('a damaged backup is refused with the file, the offset and the problem; nothing is written', async (t) => {
  const source = await serverAndClient(t)
  // About 1 MiB: several blocks.
  for (let i = 0; i < 5000; i += 1000)
    await source.client.batchOperate(Array.from({ length: 1000 }, (_, j) => ({ key: new Key('test', 'c', i + j), ops: [ops.write('s', 'x'.repeat(200)), ops.write('i', i + j)] })))
  const file = tempFile(t, 'c.bak')
  const cli = await runTool(['backup', '--namespace', 'test', '--set', 'c', '--output', file, '--port', String(source.server.address.port)])
  t.equal(cli.code, 0, cli.stderr)
  t.match(cli.stderr, 'backup: 100.0% (5000/5000 records)', 'progress as plain lines when stderr is not a terminal')
  const good = fs.readFileSync(file)
  const target = await serverAndClient(t)

  const flipped = Buffer.from(good)
  const at = Math.floor(good.length * 0.7)
  flipped[at] = flipped[at]! ^ 0x40
  const cases: [string, Buffer, RegExp][] = [
    ['a flipped byte', flipped, /byte \d+: checksum mismatch: the section is damaged/],
    ['a cut-short file', good.subarray(0, good.length - 100), /cut short/],
    ['a file without its trailer', good.subarray(0, good.length - 30), /cut short|ends without its trailer/],
    ['another format', Buffer.concat([Buffer.from('NOTABACK'), good.subarray(8)]), /byte 0: not a Tally backup/],
    ['bytes after the trailer', Buffer.concat([good, Buffer.from([0])]), /1 bytes follow the trailer/],
  ]
  for (const [what, bytes, problem] of cases) {
    const damaged = tempFile(t, 'damaged.bak')
    fs.writeFileSync(damaged, bytes)
    const err = await restore(target.client, damaged, 'replace').catch((e: unknown) => e)
    t.type(err, BackupFileError, what)
    t.match((err as Error).message, problem, what)
    t.match((err as Error).message, `${damaged}: byte `, `${what}: the file and the offset`)
    t.equal(await objects(target.client), 0, `${what}: nothing written`)
  }
  const viaCli = tempFile(t, 'flipped.bak')
  fs.writeFileSync(viaCli, flipped)
  const refused = await runTool(['restore', '--input', viaCli, '--port', String(target.server.address.port)])
  t.equal(refused.code, 1)
  t.match(refused.stderr, /checksum mismatch.*nothing was restored/)
  t.equal(await objects(target.client), 0)
  t.equal((await restore(target.client, file, 'newer')).written, 5000, 'the undamaged file restores')
})

t.test('a backup that fails leaves an earlier file of the same name as it was, and nothing else', async (t) => {
  const { client } = await serverAndClient(t)
  const file = tempFile(t, 'kept.bak')
  fs.writeFileSync(file, 'an earlier backup')
  await t.rejects(backup(client, 'nope', null, file), { code: 20 })
  t.equal(fs.readFileSync(file, 'utf8'), 'an earlier backup')
  t.same(fs.readdirSync(path.dirname(file)), ['kept.bak'])
})
