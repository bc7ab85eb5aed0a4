// The store on its own: expiry with an injected clock, the sweep, and the ordered mutation stream.
import t from 'tap'
import type { RecordAddress, RecordPolicy } from '../../protocol/messages.js'
import { computeDigest } from '../../protocol/digest.js'
import { ManualClock } from '../../server/store/clock.js'
import { TXN, type Mutation } from '../../server/store/namespace.js'
import { Store } from '../../server/store/store.js'

const policy = (ttl: number | null = null): RecordPolicy => ({ ttl, gen: 0, exists: 0, genPolicy: 0, commitMaster: false, deleteMissingOk: false })
const address = (key: string | number): RecordAddress => ({ ns: 'test', set: 's', digest: computeDigest('s', key), userKey: null })

function put(store: Store, key: string | number, bins: Record<string, unknown>, ttl: number | null = null): void {
  const ns = store.namespace('test')
  const txn = ns.begin(address(key), policy(ttl), TXN.WRITE)
  for (const [name, value] of Object.entries(bins)) txn.write(name, value)
  ns.commit(txn)
}

function exists(store: Store, key: string | number): boolean {
  try {
    store.namespace('test').begin(address(key), policy(), TXN.READ)
    return true
  } catch {
    return false
  }
}

t.test('an expired record is invisible at once and reclaimed by the sweep', async (t) => {
  const clock = new ManualClock()
  const store = new Store({ clock, namespaces: [{ nsupPeriodMs: 0 }] })
  t.teardown(() => store.close())
  put(store, 'a', { n: 1 }, 10)
  put(store, 'b', { n: 1 }, 20)
  put(store, 'c', { n: 1 }, -1)
  clock.advance(10_000)
  t.notOk(exists(store, 'a'), 'gone exactly at its void time')
  t.ok(exists(store, 'b'))
  clock.advance(10_000)
  t.equal(store.namespace('test').objects, 2, 'b is still held until swept')
  t.equal(store.sweepExpired(), 1)
  t.equal(store.namespace('test').objects, 1)
  t.ok(exists(store, 'c'), 'a record that never expires stays')
  t.equal(store.namespace('test').expiredObjects, 2)
})

t.test('the sweep only looks at expiring records, and skips ones whose TTL moved', async (t) => {
  const clock = new ManualClock()
  const store = new Store({ clock, namespaces: [{ nsupPeriodMs: 0 }], sweepBatchRecords: 1000 })
  t.teardown(() => store.close())
  for (let i = 0; i < 50_000; i++) put(store, i, { n: i })
  for (let i = 0; i < 3000; i++) put(store, `x${i}`, { n: i }, 5)
  put(store, 'x0', { n: 0 }, 100) // renewed: must survive the first sweep
  for (let i = 0; i < 100; i++) put(store, 'x1', { n: i }, 5 + i) // a later expiry at every write adds no entries
  const ns = store.namespace('test')
  t.equal(ns.expiryEntries, 3000, 'one entry per expiring record, however often it is written')
  clock.advance(6000)
  t.equal(store.sweepExpired(), 2998)
  t.equal(ns.expiryEntries, 2, 'the renewed records moved to their new expiry')
  t.ok(exists(store, 'x0'))
  t.equal(ns.objects, 50_002)
})

t.test('mutations stream in order and replay to the same state', async (t) => {
  const clock = new ManualClock()
  const store = new Store({ clock, namespaces: [{ nsupPeriodMs: 0 }] })
  t.teardown(() => store.close())
  const log: Mutation[] = []
  const stop = store.onMutation((m) => log.push(m))
  put(store, 'a', { n: 1 }, 5)
  put(store, 'a', { n: 2, s: 'x' })
  put(store, 'b', { n: 1 })
  put(store, 'b', { n: null })
  clock.advance(6000)
  store.sweepExpired()
  stop()
  put(store, 'c', { n: 1 })
  t.same(
    log.map((m) => (m.type === 'write' ? [m.type, m.state.gen, m.state.bins] : m.type === 'delete' ? [m.type, m.reason] : [m.type])),
    [
      ['write', 1, ['n', 1]],
      ['write', 2, ['n', 2, 's', 'x']],
      ['write', 1, ['n', 1]],
      ['delete', 'remove'],
      ['delete', 'expire'],
    ],
  )
  const first = log[0]!
  t.match(first, { ns: 'test', state: { set: 's', voidMs: clock.nowMs() - 1000 }, previous: null })
  t.match(log[1], { previous: { gen: 1, bins: ['n', 1] } }, 'each change carries the state it replaced')
})

t.test('a failed transaction leaves nothing behind', async (t) => {
  const store = new Store({ namespaces: [{ nsupPeriodMs: 0 }] })
  t.teardown(() => store.close())
  put(store, 'a', { n: 1, s: 'x' })
  const ns = store.namespace('test')
  const txn = ns.begin(address('a'), policy(), TXN.WRITE)
  txn.write('n', 5)
  t.throws(() => txn.increment('s', 1, undefined), { code: 12 })
  const after = ns.begin(address('a'), policy(), TXN.READ)
  t.same(after.bins, ['n', 1, 's', 'x'], 'the uncommitted write is not visible')
})
