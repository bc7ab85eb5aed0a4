// How long a scan holds the event loop at a time, apart from any client or socket: a store of RECORDS records (1M
// by default) scanned whole by the server's ScanJob into a sink that takes every frame at once, with a ticker that
// notes the gap between its turns (the longest slice the scan took), monitorEventLoopDelay beside it, and the
// garbage collector's pauses meanwhile (a full collection of a heap this size pauses the server, scan or not).
//   node dist/bench/scan-slices.js [--records 1000000] [--records-per-frame 500]
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks'
import v8 from 'node:v8'
import vm from 'node:vm'
import { computeDigest } from '../protocol/digest.js'
import { ScanJob, type StreamSink } from '../server/scans/scan-job.js'
import { Store } from '../server/store/store.js'
import { option } from './ab.js'

const RECORDS = Number(option('records', '1000000'))
const PER_FRAME = Number(option('records-per-frame', '500'))

const store = new Store({ namespaces: [{ name: 'test' }] })
const ns = store.namespace('test')
for (let i = 0; i < RECORDS; i++) ns.restore(computeDigest('scan', i), { set: 'scan', userKey: undefined, gen: 1, voidMs: 0, bins: ['n', i, 's', `value ${i}`] })

// The load's garbage is collected first, so that what is measured is the scan's own (a server that has been serving
// for a while has no load-sized collection pending either).
v8.setFlagsFromString('--expose-gc')
;(vm.runInNewContext('gc') as () => void)()

let frames = 0
let bytes = 0
let job: ScanJob | undefined
const sink: StreamSink = {
  writable: true,
  send(frame: Buffer): void {
    frames++
    bytes += frame.length
    queueMicrotask(() => job!.more(1)) // the client's part: a frame read, a frame granted
  },
}
// Gaps by the clock, and by this process's CPU time: on a loaded machine the clock also counts the time slices
// other processes took, which the CPU time leaves out (it counts the collector's helper threads, though).
const gaps: number[] = []
const cpuGaps: number[] = []
let last = performance.now()
let lastCpu = process.cpuUsage()
let ticking = true
const tick = (): void => {
  const now = performance.now()
  const cpu = process.cpuUsage()
  gaps.push(now - last)
  cpuGaps.push((cpu.user - lastCpu.user + cpu.system - lastCpu.system) / 1000)
  last = now
  lastCpu = cpu
  if (ticking) setImmediate(tick)
}
const gcPauses: number[] = []
const observer = new PerformanceObserver((list) => list.getEntries().forEach((entry) => gcPauses.push(entry.duration)))
observer.observe({ entryTypes: ['gc'] })
const delay = monitorEventLoopDelay({ resolution: 1 })
delay.enable()
const started = performance.now()
setImmediate(tick)
await new Promise<void>((resolve) => {
  const spec = { ns: 'test', set: 'scan', binNames: null, partitions: null, recordsPerSecond: 0, framesAhead: 4, recordsPerFrame: PER_FRAME }
  job = new ScanJob(1, spec, ns, sink, store.clock, () => resolve())
})
ticking = false
delay.disable()
observer.disconnect()
const seconds = (performance.now() - started) / 1000
gaps.sort((a, b) => a - b)
cpuGaps.sort((a, b) => a - b)
const p = (q: number, xs = gaps): string => xs[Math.min(xs.length - 1, Math.floor(q * xs.length))]!.toFixed(2)
console.log(`${RECORDS} records scanned in ${seconds.toFixed(2)} s (${Math.round(RECORDS / seconds).toLocaleString('en-US')} records/s), ${frames} frames, ${(bytes / 1e6).toFixed(1)} MB`)
console.log(`event-loop turns: ${gaps.length}; gap between turns p50 ${p(0.5)} ms, p99 ${p(0.99)} ms, max ${p(1)} ms`)
console.log(`the same in CPU time: p50 ${p(0.5, cpuGaps)} ms, p99 ${p(0.99, cpuGaps)} ms, max ${p(1, cpuGaps)} ms`)
console.log(`monitorEventLoopDelay: max ${(delay.max / 1e6).toFixed(2)} ms, p99 ${(delay.percentile(99) / 1e6).toFixed(2)} ms`)
console.log(`garbage collections during the scan: ${gcPauses.length}, longest ${Math.max(0, ...gcPauses).toFixed(2)} ms`)
process.exit(0)
