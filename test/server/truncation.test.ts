// Truncation in the store, step by step: records hidden at once from reads, writes and scans (a snapshot's source),
// removed a slice of ids at a time; records written while it runs stay, even in slots freed by it.
import t from 'tap'
import type { RecordAddress, RecordPolicy } from '../../protocol/messages.js'
import { computeDigest } from '../../protocol/digest.js'
import { TXN, type Mutation } from '../../server/store/namespace.js'
import { Store } from '../../server/store/store.js'

const policy: RecordPolicy = { ttl: null, gen: 0, exists: 0, genPolicy: 0, commitMaster: false, deleteMissingOk: false }
const address = (set: string, key: number): RecordAddress => ({ ns: 'test', set, digest: computeDigest(set, key), userKey: null })

function put(store: Store, set: string, key: number, n: number): void {
  const ns = store.namespace('test')
  const txn = ns.begin(address(set, key), policy, TXN.WRITE)
  txn.write('n', n)
  ns.commit(txn)
}

function read(store: Store, set: string, key: number): number | undefined {
  try {
    const txn = store.namespace('test').begin(address(set, key), policy, TXN.READ)
    return txn.bins[1] as number
  } catch {
    return undefined
  }
}

function scanned(store: Store): Map<string, number> {
  const sets = new Map<string, number>()
  const ns = store.namespace('test')
  for (let id = 0; id >= 0; ) id = ns.scan(id, 1000, (_, state) => sets.set(state.set, (sets.get(state.set) ?? 0) + 1))
  return sets
}

t.test('a truncated set is hidden at once, removed in steps, and what is written meanwhile stays', async (t) => {
  const store = new Store({ namespaces: [{ nsupPeriodMs: 0 }], sweepBatchRecords: 100 })
  t.teardown(() => store.close())
  const mutations: Mutation[] = []
  store.onMutation((m) => mutations.push(m))
  for (let i = 0; i < 1000; i++) put(store, i % 2 === 0 ? 'a' : 'b', i, i)
  const ns = store.namespace('test')
  ns.truncate('a')
  t.same(mutations.at(-1), { type: 'truncate', ns: 'test', set: 'a' }, 'reported (logged) first')
  t.equal(ns.truncating, true)
  t.equal(ns.objects, 1000, 'nothing removed yet')
  t.same([...scanned(store)], [['b', 500]], 'a scan (a snapshot) sees none of set a')
  t.equal(read(store, 'a', 0), undefined, 'a read does not find one')
  t.equal(read(store, 'b', 1), 1)

  t.equal(ns.truncateStep(100), true, 'one slice of 100 ids')
  t.equal(ns.objects, 950, 'only the truncated records of that slice went')
  put(store, 'a', 0, -1) // its slot was freed in that slice: written again, it may reuse one
  put(store, 'a', 998, -2) // not reached yet: truncated when written, then created anew
  put(store, 'a', 5000, -3) // a new record: its slot may be one freed in the first slice, or past the end
  while (ns.truncateStep(100));
  t.equal(ns.truncating, false)
  t.same([...scanned(store)].sort(), [['a', 3], ['b', 500]])
  t.same([read(store, 'a', 0), read(store, 'a', 998), read(store, 'a', 5000), read(store, 'a', 2)], [-1, -2, -3, undefined])
  t.equal(ns.truncatedObjects, 500)
  t.equal(ns.objects, 503)
})

t.test('a truncate through the store frees records in the background, between turns of the event loop', async (t) => {
  const store = new Store({ namespaces: [{ nsupPeriodMs: 0 }] })
  t.teardown(() => store.close())
  for (let i = 0; i < 10_000; i++) put(store, 'a', i, i)
  store.truncate('test', null)
  const ns = store.namespace('test')
  t.equal(ns.objects, 10_000, 'the caller is answered before any record is removed')
  let turns = 0
  while (ns.truncating && turns < 1000) {
    await new Promise((resolve) => setImmediate(resolve))
    turns++
  }
  t.equal(ns.objects, 0)
  t.ok(turns >= 4, `removed over ${turns} turns of the event loop, 2048 ids a turn`)
  t.throws(() => store.truncate('nope', null), { code: 20 })
})
