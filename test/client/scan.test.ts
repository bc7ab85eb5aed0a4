// client.scan() against a real server: every record of a set or a namespace exactly once, bins selected, a subset
// of partitions and a resume from the partitions left, writes during a scan, the rate limit, and bad input.
import t, { type Test } from 'tap'
import { CLIENT_STATUS, Double, Key, STATUS, type Client, type ScanOptions, type ScanRecord, type Value } from '../../client/index.js'
import { partitionOf } from '../../protocol/digest.js'
import { serverAndClient } from '../helpers/server.js'

const SETS = { a: 3000, b: 2000 }

/** Writes `count` records to `set`, keys `${set}-${i}` stored with them, in waves of 500. */
async function load(client: Client, set: string, count: number): Promise<void> {
  for (let from = 0; from < count; from += 500) {
    const wave: Promise<unknown>[] = []
    for (let i = from; i < Math.min(count, from + 500); i++) wave.push(client.put(new Key('test', set, `${set}-${i}`), { n: i, s: `v${i}` }, undefined, { key: 'send' }))
    await Promise.all(wave)
  }
}

async function collect(client: Client, set: string | null, options: ScanOptions = {}, ns = 'test'): Promise<ScanRecord[]> {
  const records: ScanRecord[] = []
  for await (const record of client.scan(ns, set, options)) records.push(record)
  return records
}

async function loaded(t: Test): Promise<Client> {
  const { client } = await serverAndClient(t)
  for (const [set, count] of Object.entries(SETS)) await load(client, set, count)
  return client
}

t.test('a scan of a set, and of the namespace, returns every record exactly once', async (t) => {
  const client = await loaded(t)
  const a = await collect(client, 'a', { recordsPerFrame: 37, framesAhead: 2 })
  t.equal(a.length, SETS.a, 'as many records as set a holds')
  t.equal(new Set(a.map((r) => r.key.key)).size, SETS.a, 'each once')
  t.ok(a.every((r) => r.key.set === 'a' && r.key.ns === 'test'), 'all of set a')
  const first = a.find((r) => r.key.key === 'a-7')!
  t.same(first.bins, { n: 7, s: 'v7' })
  t.equal(first.gen, 1)
  t.equal(first.ttl, -1)
  t.same(first.key.digest, new Key('test', 'a', 'a-7').digest, 'the digest is the key\'s')
  const all = await collect(client, null)
  t.equal(all.length, SETS.a + SETS.b)
  t.equal(new Set(all.map((r) => r.key.digest.toString('hex'))).size, SETS.a + SETS.b, 'each digest once')
  t.equal((await collect(client, 'none')).length, 0, 'a set with no records: none, and the scan ends')
})

t.test('bins: only those asked for; none at all gives the records\' metadata', async (t) => {
  const client = await loaded(t)
  const some = await collect(client, 'b', { bins: ['s', 'missing'] })
  t.equal(some.length, SETS.b)
  t.ok(some.every((r) => Object.keys(r.bins).join() === 's'), 'bin s only')
  const none = await collect(client, 'b', { bins: [] })
  t.equal(none.length, SETS.b)
  t.ok(none.every((r) => Object.keys(r.bins).length === 0 && r.gen === 1), 'no bins, metadata kept')
})

t.test('exactValues: doubles stay doubles and maps stay maps, nested too; otherwise values come as get returns them', async (t) => {
  const { client } = await serverAndClient(t)
  const bins = { d: new Double(2), l: [new Double(3), 1], m: new Map<Value, Value>([[1, new Double(4)]]) }
  await client.put(new Key('test', 'exact', 1), bins)
  const [exact] = await collect(client, 'exact', { exactValues: true })
  t.same(exact!.bins, bins, 'as stored')
  t.ok(exact!.bins.d instanceof Double && (exact!.bins.l as Value[])[0] instanceof Double && exact!.bins.m instanceof Map)
  const [plain] = await collect(client, 'exact')
  t.same(plain!.bins, (await client.get(new Key('test', 'exact', 1))).bins, 'without it, as get returns them')
})

t.test('partitions: a range or a list scans only those; a scan left early resumes from the partitions left', async (t) => {
  const client = await loaded(t)
  const range = { begin: 100, count: 1000 }
  const inRange = (r: ScanRecord): boolean => partitionOf(r.key.digest) >= 100 && partitionOf(r.key.digest) < 1100
  const all = await collect(client, 'a')
  const expected = all.filter(inRange).length
  t.ok(expected > 400, `${expected} records in the range`)
  const whole = await collect(client, 'a', { partitions: range })
  t.equal(whole.length, expected, 'the range holds what the full scan found in it')
  t.ok(whole.every(inRange))
  const listed = await collect(client, 'a', { partitions: [4095, 0, 17] })
  t.equal(listed.length, all.filter((r) => [4095, 0, 17].includes(partitionOf(r.key.digest))).length, 'a list of partitions')

  const scan = client.scan('test', 'a', { partitions: range, recordsPerFrame: 20, framesAhead: 1 })
  const firstPass: ScanRecord[] = []
  for await (const record of scan) if (firstPass.push(record) >= expected / 2) break
  const done = new Set(scan.partitionsDone)
  t.ok(done.size > 0 && done.size < 1000, `${done.size} partitions done before leaving`)
  t.equal(scan.partitionsLeft.length, 1000 - done.size)
  const resumed = await collect(client, 'a', { partitions: scan.partitionsLeft })
  t.ok(resumed.every((r) => !done.has(partitionOf(r.key.digest))), 'partitions done are not scanned again')
  const seen = new Set([...firstPass, ...resumed].map((r) => r.key.key))
  t.equal(seen.size, expected, 'both passes together return every record of the range')
  const fromDone = firstPass.filter((r) => done.has(partitionOf(r.key.digest))).length
  t.equal(fromDone + resumed.length, expected, 'records of finished partitions came once, the others in the second pass')
  t.throws(() => scan[Symbol.asyncIterator](), { code: CLIENT_STATUS.CLIENT_ERROR }, 'a scan is iterated once')
})

t.test('writes during a scan: records there before it are each returned once, as they stand', async (t) => {
  const client = await loaded(t)
  let writing = true
  let writes = 0
  const writer = (async () => {
    for (let round = 0; writing && round < 200; round++) {
      const wave: Promise<unknown>[] = []
      for (let i = 0; i < 50; i++) {
        wave.push(client.increment(new Key('test', 'a', `a-${(round * 50 + i) % SETS.a}`), 'n', 1))
        wave.push(client.put(new Key('test', 'a', `new-${round}-${i}`), { n: 0 }))
      }
      await Promise.all(wave)
      writes += wave.length
    }
  })()
  const records: ScanRecord[] = []
  for await (const record of client.scan('test', 'a', { recordsPerFrame: 50, framesAhead: 1 })) {
    records.push(record)
    if (records.length % 200 === 0) await new Promise((resolve) => setImmediate(resolve)) // let writes land meanwhile
  }
  writing = false
  await writer
  t.ok(writes > 0, `${writes} writes during the scan`)
  const old = records.filter((r) => typeof r.key.key === 'string' && r.key.key.startsWith('a-'))
  t.equal(old.length, SETS.a, 'every record there before the scan')
  t.equal(new Set(old.map((r) => r.key.key)).size, SETS.a, 'each once')
  t.equal(new Set(records.map((r) => r.key.digest.toString('hex'))).size, records.length, 'no record twice')
})

t.test('recordsPerSecond: the server sends no faster', async (t) => {
  const client = await loaded(t)
  const started = performance.now()
  const records = await collect(client, 'b', { partitions: { begin: 0, count: 2048 }, recordsPerSecond: 500 })
  const seconds = (performance.now() - started) / 1000
  t.ok(records.length > 700, `${records.length} records`)
  // A second's worth at once, then 500 a second: never faster, however fast the machine.
  t.ok(seconds >= (records.length - 500) / 500 - 0.05, `${records.length} records in ${seconds.toFixed(2)} s at 500/s`)
})

t.test('bad input: bad options are PARAMETER (-2) at once; the server answers 20, 21 and 4', async (t) => {
  const client = await loaded(t)
  for (const options of [{ partitions: [4096] }, { partitions: [1, 1] }, { partitions: { begin: 4000, count: 100 } }, { recordsPerFrame: 0 }, { framesAhead: 17 }, { recordsPerSecond: -1 }, { bins: 'n' }] as ScanOptions[])
    t.throws(() => client.scan('test', 'a', options), { code: CLIENT_STATUS.PARAMETER }, JSON.stringify(options))
  t.throws(() => client.scan('', 'a'), { code: CLIENT_STATUS.PARAMETER })
  await t.rejects(collect(client, null, {}, 'nope'), { code: STATUS.NAMESPACE })
  await t.rejects(collect(client, 'a', { bins: ['a-name-too-long-for-a-bin'] }), { code: STATUS.BIN_NAME })
  await t.rejects(collect(client, 'x'.repeat(64)), { code: STATUS.PARAMETER })
  t.equal((await collect(client, 'a', { recordsPerFrame: 1000 })).length, SETS.a, 'the connection still serves scans')
})
