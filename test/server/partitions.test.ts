// The store's partitions: records counted per partition, and a partition's records walked from a list of its ids
// taken earlier, skipping what went meanwhile (removed, expired, its id reused by another partition's record).
import t from 'tap'
import { computeDigest, PARTITIONS, partitionOf } from '../../protocol/digest.js'
import { ManualClock } from '../../server/store/clock.js'
import type { RecordState } from '../../server/store/namespace.js'
import { Store } from '../../server/store/store.js'

const state = (set: string, n: number, voidMs = 0): RecordState => ({ set, userKey: undefined, gen: 1, voidMs, bins: ['n', n] })

t.test('records per partition add up, each in the partition of its digest', async (t) => {
  const store = new Store({ namespaces: [{ nsupPeriodMs: 0 }] })
  t.teardown(() => store.close())
  const ns = store.namespace('test')
  const expected = new Uint32Array(PARTITIONS)
  for (let i = 0; i < 20_000; i++) {
    const digest = computeDigest('s', i)
    ns.restore(digest, state('s', i))
    expected[partitionOf(digest)]!++
  }
  const counts = ns.partitionCounts()
  t.same([...counts], [...expected], 'each partition counts the records whose digest falls in it')
  t.equal(counts.reduce((a, b) => a + b, 0), 20_000)
  let walked = 0
  let wrongLengths = 0
  for (let p = 0; p < PARTITIONS; p++) {
    const ids = ns.partitionIds(p)
    if (ids.length !== expected[p]) wrongLengths++
    ns.visitIds(ids, 0, ids.length, p, null, (digest) => {
      if (partitionOf(digest) === p) walked++
      return true
    })
  }
  t.equal(wrongLengths, 0, 'each partition has as many ids as records')
  t.equal(walked, 20_000, 'walking every partition visits every record once')
})

t.test('a walk skips records removed, expired, of another set, or put in another partition since its ids were taken', async (t) => {
  const clock = new ManualClock()
  const store = new Store({ clock, namespaces: [{ nsupPeriodMs: 0 }] })
  t.teardown(() => store.close())
  const ns = store.namespace('test')
  // Keys of one partition, and one key of another.
  const inP: Uint8Array[] = []
  const target = partitionOf(computeDigest('s', 0))
  for (let i = 0; inP.length < 6; i++) if (partitionOf(computeDigest('s', i)) === target) inP.push(computeDigest('s', i))
  let other = computeDigest('s', -1)
  for (let i = -2; partitionOf(other) === target; i--) other = computeDigest('s', i)
  ns.restore(inP[0]!, state('s', 0))
  ns.restore(inP[1]!, state('s', 1))
  ns.restore(inP[2]!, state('s', 2, clock.nowMs() + 1000))
  ns.restore(inP[3]!, state('t', 3))
  ns.restore(inP[4]!, state('s', 4))
  const ids = ns.partitionIds(target)
  t.equal(ids.length, 5)
  ns.restore(inP[1]!, null) // removed
  ns.restore(inP[4]!, null) // removed, and its id reused by a record of another partition
  ns.restore(other, state('s', 9))
  ns.restore(inP[5]!, state('s', 5)) // written since, in the id inP[1] freed: seen, as a record written during a scan may be
  clock.advance(1000) // inP[2] expires
  const seen: number[] = []
  const visit = (_digest: Uint8Array, s: RecordState): boolean => seen.push(s.bins[1] as number) > 0
  t.equal(ns.visitIds(ids, 0, ids.length, target, 's', visit), ids.length)
  t.same(seen.sort(), [0, 5], 'only records live, in the set and in the partition')
  seen.length = 0
  ns.visitIds(ids, 0, ids.length, target, null, visit)
  t.same(seen.sort(), [0, 3, 5], 'every set')
  seen.length = 0
  t.equal(ns.visitIds(ids, 0, ids.length, target, 'never', visit), ids.length, 'a set never seen: nothing, at once')
  t.equal(seen.length, 0)
  const stopAt = ns.visitIds(ids, 0, ids.length, target, null, () => false)
  t.ok(stopAt >= 1 && stopAt <= ids.length, 'a visitor that says stop ends the walk after its record')
})
