// A record's size is what its bins and key take in memory, whatever their shape: the record limit (status 13) and
// the namespace's memory budget (status 8) hold against values that are small on the wire and large in memory.
import t from 'tap'
import { Key, STATUS } from '../../client/index.js'
import { computeDigest } from '../../protocol/digest.js'
import type { RecordAddress, RecordPolicy } from '../../protocol/messages.js'
import { Double } from '../../protocol/types.js'
import { TXN } from '../../server/store/namespace.js'
import { Store } from '../../server/store/store.js'
import { valueBytes } from '../../server/store/values.js'
import { serverAndClient } from '../helpers/server.js'

const policy: RecordPolicy = { ttl: null, gen: 0, exists: 0, genPolicy: 0, commitMaster: false, deleteMissingOk: false }
let keys = 0
const address = (userKey: string | null = null): RecordAddress => ({ ns: 'test', set: 's', digest: computeDigest('s', `k${++keys}`), userKey })

/** Writes `bins` as a new record; the status it fails with, or 0. */
function write(store: Store, bins: Record<string, unknown>, userKey: string | null = null): number {
  const ns = store.namespace('test')
  try {
    const txn = ns.begin(address(userKey), policy, TXN.WRITE)
    for (const [name, value] of Object.entries(bins)) txn.write(name, value)
    ns.commit(txn)
    return 0
  } catch (err) {
    return (err as { code: number }).code
  }
}

const repeat = <T>(n: number, make: () => T): T[] => Array.from({ length: n }, make)

t.test('shapes small on the wire and large in memory are over the record limit (1 MiB)', async (t) => {
  const store = new Store({ namespaces: [{ name: 'test', nsupPeriodMs: 0 }] })
  const shapes: [string, unknown][] = [
    ['200k empty strings', repeat(200_000, () => '')],
    ['200k nils', repeat(200_000, () => null)],
    ['200k small integers', repeat(200_000, () => 1)],
    ['20k empty maps', repeat(20_000, () => new Map())],
    ['40k empty lists', repeat(40_000, () => [])],
    ['5k empty byte strings', repeat(5_000, () => Buffer.alloc(0))],
    ['a map of 30k small entries', new Map(repeat(30_000, () => keys++).map((k) => [k, true]))],
    ['80k one-character strings', repeat(80_000, () => 'x')],
    ['40k doubles', repeat(40_000, () => new Double(1.5))],
  ]
  for (const [what, value] of shapes) {
    t.ok(valueBytes(value) > 1024 * 1024, `${what}: ${valueBytes(value)} bytes in memory`)
    t.equal(write(store, { v: value }), STATUS.RECORD_TOO_BIG, what)
  }
  t.equal(write(store, { a: 'x' }, 'k'.repeat(1024 * 1024)), STATUS.RECORD_TOO_BIG, 'a stored key counts too')
  t.equal(store.namespace('test').objects, 0, 'nothing was stored')
})

t.test('records of real sizes still pass', async (t) => {
  const store = new Store({ namespaces: [{ name: 'test', nsupPeriodMs: 0 }] })
  const shapes: [string, Record<string, unknown>][] = [
    ['one integer', { n: 1 }],
    ['a few small bins', { n: 1, name: 'Ada', score: 2.5, tags: ['a', 'b'], seen: true }],
    ['900 KB string', { s: 'x'.repeat(900_000) }],
    ['900 KB of bytes', { b: Buffer.alloc(900_000) }],
    ['a list of 10k integers', { l: repeat(10_000, () => 123_456) }],
    ['a map of 1k strings', { m: new Map(repeat(1000, () => keys++).map((k) => [`key ${k}`, `value ${k}`])) }],
    ['100 bins', Object.fromEntries(repeat(100, () => keys++).map((k, i) => [`bin${i}`, k]))],
  ]
  for (const [what, bins] of shapes) t.equal(write(store, bins), 0, what)
  t.equal(store.namespace('test').objects, shapes.length)
})

t.test('a namespace budget holds against lists of empty strings', async (t) => {
  const budget = 16 * 1024 * 1024
  const { server, client } = await serverAndClient(t, { namespaces: [{ name: 'test', dataSizeBytes: budget, stopWritesUsedPct: 90 }] })
  const ns = server.core.store.namespace('test')
  const list = repeat(100_000, () => '') // 100 KB on the wire, 800 KB in memory
  let stored = 0
  let refused: unknown
  for (let i = 0; i < 100 && refused === undefined; i++) {
    try {
      await client.put(new Key('test', 'budget', i), { l: list })
      stored++
    } catch (err) {
      refused = err
    }
  }
  t.match(refused, { code: STATUS.OUT_OF_SPACE })
  t.ok(stored >= 15 && stored <= 20, `${stored} records of 800 KB fit a ${budget}-byte budget at 90%`)
  t.ok(ns.usedBytes >= stored * 100_000 * 8, `${ns.usedBytes} bytes used for ${stored * 100_000} list elements`)
})
