// Backup and restore of 100k records into a fresh server: bins (doubles stay doubles), generations, TTLs and
// stored keys come back equal.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { Double, Key, ops, type BatchOperation, type Client } from '../../client/index.js'
import { backup, restore } from '../../server/backup/run.js'
import { serverAndClient, type Teardown } from '../helpers/server.js'

const RECORDS = 100_000

function tempFile(t: Teardown, name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-backup-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  return path.join(dir, name)
}

async function objects(client: Client): Promise<number> {
  return Number(/(?:^|;)objects=(\d+)/.exec((await client.info('namespace/test'))['namespace/test']!)![1])
}

// Sets, key types, TTLs and key policies all vary with the record's number.
const key = (i: number): Key => new Key('test', i % 3 === 0 ? '' : `s${i % 3}`, i % 2 === 0 ? i : `k${i}`)

function write(n: number): BatchOperation {
  return {
    key: key(n),
    ops: [ops.write('n', n), ops.write('d', n + 0.5), ops.write('s', `v${n}`), ops.write('two', new Double(2))],
    meta: { ttl: n % 4 === 0 ? -1 : 10_000 + (n % 1000) },
    policy: { key: n % 5 === 0 ? 'digest' : 'send' },
  }
}

t.test(`a round trip of ${RECORDS} records keeps bins, generations, TTLs and stored keys`, async (t) => {
  const source = await serverAndClient(t)
  for (let i = 0; i < RECORDS; i += 2000) await source.client.batchOperate(Array.from({ length: 2000 }, (_, j) => write(i + j)))
  t.equal(await objects(source.client), RECORDS)
  await Promise.all(Array.from({ length: 500 }, (_, n) => source.client.increment(key(n), 'n', 1)))
  const file = tempFile(t, 'all.bak')
  const backedUp = await backup(source.client, 'test', null, file)
  t.equal(backedUp.records, RECORDS)

  const target = await serverAndClient(t)
  const restored = await restore(target.client, file, 'newer')
  t.same({ written: restored.written, kept: restored.kept, expired: restored.expired }, { written: RECORDS, kept: 0, expired: 0 })
  t.equal(await objects(target.client), RECORDS)
  let checked = 0
  for (let i = 0; i < RECORDS; i += 997) {
    const [a, b] = await Promise.all([source.client.get(key(i)), target.client.get(key(i))])
    t.same(b.bins, a.bins, `record ${i}: bins`)
    t.equal(b.gen, a.gen, `record ${i}: generation`)
    t.ok(Math.abs(b.ttl - a.ttl) <= 2, `record ${i}: ttl ${a.ttl} -> ${b.ttl}`)
    checked++
  }
  t.equal(checked, Math.ceil(RECORDS / 997))
  // A stored key comes back: a request with a different key for the same digest is refused (KEY_MISMATCH).
  const digestOf2 = key(2).digest
  await t.rejects(target.client.get(new Key('test', '', 'other', digestOf2), { key: 'send' }), { code: 19 })
  // Doubles stay doubles, even integral ones; keys stored only where they were sent.
  const stored = target.server.core.store.namespace('test').current(key(10).digest)!
  t.type(stored.bins[stored.bins.indexOf('two') + 1], Double)
  t.equal(stored.userKey, undefined, 'record 10 was written without its key')
  t.equal(target.server.core.store.namespace('test').current(key(11).digest)!.userKey, 'k11')
})

