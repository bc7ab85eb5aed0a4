// What truncating costs a serving store: a set of half of N records (default 1M) truncated in steps, its total time,
// and the longest the event loop waited between turns meanwhile. `node dist/bench/truncate.js [records]`
import { computeDigest } from '../protocol/digest.js'
import type { RecordPolicy } from '../protocol/messages.js'
import { TXN } from '../server/store/namespace.js'
import { Store } from '../server/store/store.js'

const records = Number(process.argv[2] ?? 1_000_000)
const policy: RecordPolicy = { ttl: null, gen: 0, exists: 0, genPolicy: 0, commitMaster: false, deleteMissingOk: false }
const store = new Store({ namespaces: [{ nsupPeriodMs: 0 }] })
const ns = store.namespace('test')
for (let i = 0; i < records; i++) {
  const set = i % 2 === 0 ? 'a' : 'b'
  const txn = ns.begin({ ns: 'test', set, digest: computeDigest(set, i), userKey: null }, policy, TXN.WRITE)
  txn.write('n', i)
  ns.commit(txn)
}

// The step the store runs between turns, timed: what a request may wait behind.
const steps: number[] = []
const step = ns.truncateStep.bind(ns)
ns.truncateStep = (limit: number): boolean => {
  const at = performance.now()
  const more = step(limit)
  steps.push(performance.now() - at)
  return more
}

const started = performance.now()
let last = started
let longestGapMs = 0
const lag = setInterval(() => {
  const now = performance.now()
  longestGapMs = Math.max(longestGapMs, now - last)
  last = now
}, 1)
store.truncate('test', 'a')
const hiddenMs = performance.now() - started
while (ns.truncating) await new Promise((resolve) => setImmediate(resolve))
clearInterval(lag)
const totalMs = performance.now() - started
steps.sort((x, y) => x - y)
const at = (q: number): string => steps[Math.min(steps.length - 1, Math.floor(q * steps.length))]!.toFixed(2)
const longestStepMs = `p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms over ${steps.length} steps`
console.log(`${records} records, set a (${records / 2}) truncated: hidden in ${hiddenMs.toFixed(2)} ms, removed in ${totalMs.toFixed(0)} ms; steps ${longestStepMs}, longest event-loop gap meanwhile ${longestGapMs.toFixed(1)} ms; ${ns.objects} records left`)
store.close()
