// `tally scan` against a real server: one line per record for people, one JSON object per line with --json that
// parses back to every record with its type kept (bigints, bytes); a set, the namespace, bins and partitions; errors.
import t from 'tap'
import { Key } from '../../client/index.js'
import { partitionOf } from '../../protocol/digest.js'
import { runCli } from '../helpers/cli.js'
import { serverAndClient } from '../helpers/server.js'

interface Line {
  digest: string
  set: string | null
  key: unknown
  gen: number
  ttl: number
  bins: Record<string, unknown>
}

t.test('tally scan prints every record, for people and as JSON lines that parse', async (t) => {
  const { server, client } = await serverAndClient(t)
  const port = String(server.address.port)
  const COUNT = 300
  await Promise.all(Array.from({ length: COUNT }, (_, i) => client.put(new Key('test', 'cli', `k${i}`), { n: i, s: `v${i}` }, undefined, { key: 'send' })))
  await client.put(new Key('test', 'cli', 'typed'), { big: 2n ** 60n, bytes: Buffer.from([0, 255]), list: [1, 'a'], tagged: { $int: 'x' } }, { ttl: 3600 }, { key: 'send' })
  await client.put(new Key('test', null, 42), { n: -1 })

  const json = await runCli(['scan', 'test', 'cli', '--json', '--port', port])
  t.equal(json.code, 0, json.stderr)
  const lines = json.stdout.trim().split('\n').map((line) => JSON.parse(line) as Line)
  t.equal(lines.length, COUNT + 1, 'one line per record of the set')
  t.equal(new Set(lines.map((l) => l.key)).size, COUNT + 1, 'each record once')
  const k7 = lines.find((l) => l.key === 'k7')!
  t.same(k7, { digest: new Key('test', 'cli', 'k7').digest.toString('hex'), set: 'cli', key: 'k7', gen: 1, ttl: -1, bins: { n: 7, s: 'v7' } })
  const typed = lines.find((l) => l.key === 'typed')!
  t.same(typed.bins, { big: { $int: String(2n ** 60n) }, bytes: { $bytes: '00ff' }, list: [1, 'a'], tagged: { $map: [['$int', 'x']] } })
  t.ok(typed.ttl > 3500 && typed.ttl <= 3600, 'the remaining TTL')

  const people = await runCli(['scan', 'test', 'cli', '--port', port])
  t.equal(people.code, 0, people.stderr)
  const text = people.stdout.trim().split('\n')
  t.equal(text.length, COUNT + 1)
  t.ok(text.includes('cli "k7"  gen 1  ttl never  n=7  s="v7"'), 'a readable line')

  const whole = await runCli(['scan', 'test', '--json', '--bins', 'n', '--port', port])
  const all = whole.stdout.trim().split('\n').map((line) => JSON.parse(line) as Line)
  t.equal(all.length, COUNT + 2, 'the whole namespace')
  const noKey = all.find((l) => l.set === null)!
  t.same([noKey.key, noKey.bins], [null, { n: -1 }], 'a record without a set or a stored key')
  t.ok(all.every((l) => Object.keys(l.bins).every((b) => b === 'n')), '--bins n')

  const part = await runCli(['scan', 'test', 'cli', '--json', '--partitions', '0-2047', '--port', port])
  const firstHalf = part.stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Line)
  t.equal(firstHalf.length, lines.filter((l) => partitionOf(Buffer.from(l.digest, 'hex')) < 2048).length, '--partitions 0-2047')

  const partitions = [...new Set(lines.map((l) => partitionOf(Buffer.from(l.digest, 'hex'))))].sort((a, b) => a - b)
  const [one, from, to] = [partitions[0]!, partitions[2]!, partitions[4]!]
  const mixed = await runCli(['scan', 'test', 'cli', '--json', '--partitions', `${one},${from}-${to}`, '--port', port])
  const inMixed = mixed.stdout.trim().split('\n').filter(Boolean).length
  const wanted = lines.filter((l) => {
    const p = partitionOf(Buffer.from(l.digest, 'hex'))
    return p === one || (p >= from && p <= to)
  })
  t.equal(inMixed, wanted.length, `--partitions ${one},${from}-${to}: ids and ranges together`)
  t.ok(inMixed >= 4, `${inMixed} records`)

  const missing = await runCli(['scan', 'nope', '--port', port])
  t.equal(missing.code, 1)
  t.match(missing.stderr, /NAMESPACE \(20\)/)
  const badFlag = await runCli(['scan', 'test', '--partitions', '5-4096', '--port', port])
  t.not(badFlag.code, 0)
  t.match(badFlag.stderr, /5-4096 goes past partition 4095/)
})
