// Tally's listener against the Aerospike listener, in one run, interleaved: the protocol table of
// docs/PERFORMANCE.md. One server with both listeners (memory storage); `tally bench --workload incr` drives the
// Tally client, then `tally bench --protocol aerospike` the official Aerospike client, at the same settings.
//   npm run bench:protocols -- [--reps 3] [--seconds 6] [--keys 100000]
// Figures (medians over reps), each through both protocols, with the ratio aerospike/tally:
//   cpu     server CPU µs per increment (fields 14 and 15 of /proc/PID/stat, before and after the run)
//   sys     the kernel's share of it, in percent (field 15: system calls, socket reads and writes)
//   ops     increments per second the Node app gets
// Two loads: 16 connections x 16 in flight (each client as it runs best: Tally's pipelines 16 requests on a
// connection, Aerospike's opens a connection per request in flight), and 64 connections x 1 in flight (one request
// per connection on both: what the listener itself costs per request, with no batching to tell them apart).
import { median, option } from './ab.js'
import { cpuSplit, startTally, stop, tallyBench } from './processes.js'

const REPS = Number(option('reps', '3'))
const SECONDS = Number(option('seconds', '6'))
const KEYS = Number(option('keys', '100000'))
const LOADS = [
  { name: '16x16', connections: 16, depth: 16 },
  { name: '64x1', connections: 64, depth: 1 },
] as const
const PROTOCOLS = ['tally', 'aerospike'] as const

const log = (line: string): void => void process.stderr.write(`[protocols] ${line}\n`)

type Figures = Record<string, { cpu: number[]; sys: number[]; ops: number[] }>

async function main(): Promise<void> {
  const server = await startTally(undefined, ['--storage', 'memory', '--aerospike-port', '0'])
  const figures: Figures = {}
  try {
    const common = ['--workload', 'incr', '--keys', String(KEYS)]
    for (const protocol of PROTOCOLS) tallyBench(portOf(server, protocol), ['--protocol', protocol, ...common, '--duration', '1']) // warm both up
    for (let rep = 1; rep <= REPS; rep++) {
      for (const load of LOADS) {
        // The order alternates between reps, so that neither protocol always runs on a warmer server.
        for (const protocol of rep % 2 === 1 ? PROTOCOLS : [...PROTOCOLS].reverse()) {
          const before = cpuSplit(server.pid)
          const flags = ['--protocol', protocol, ...common, '--connections', String(load.connections), '--depth', String(load.depth), '--duration', String(SECONDS)]
          const result = tallyBench(portOf(server, protocol), flags)
          const after = cpuSplit(server.pid)
          const [user, system] = [after.user - before.user, after.system - before.system]
          const cpuUs = ((user + system) / result.totalOps) * 1e6
          const sysPct = (system * 100) / (user + system)
          const figure = (figures[`${load.name} ${protocol}`] ??= { cpu: [], sys: [], ops: [] })
          figure.cpu.push(cpuUs)
          figure.sys.push(sysPct)
          figure.ops.push(result.opsPerSec)
          log(`rep ${rep}/${REPS} ${load.name} ${protocol}: ${cpuUs.toFixed(2)} µs/op (${sysPct.toFixed(0)}% system), ${result.opsPerSec} ops/s`)
        }
      }
    }
  } finally {
    await stop(server)
  }
  const out: Record<string, number> = {}
  for (const load of LOADS) {
    const [tally, aerospike] = PROTOCOLS.map((p) => figures[`${load.name} ${p}`]!)
    for (const what of ['cpu', 'sys', 'ops'] as const) {
      const [t, a] = [median(tally![what]), median(aerospike![what])]
      out[`${load.name} ${what} tally`] = Number(t.toFixed(2))
      out[`${load.name} ${what} aerospike`] = Number(a.toFixed(2))
      out[`${load.name} ${what} ratio`] = Number((a / t).toFixed(2))
      log(`${load.name} ${what}: tally ${t.toFixed(2)}, aerospike ${a.toFixed(2)}, ratio ${(a / t).toFixed(2)} (${{ cpu: 'server µs per increment', sys: '% of it in the kernel', ops: 'ops/s' }[what]})`)
    }
  }
  console.log(JSON.stringify(out))
}

function portOf(server: { port: number; aerospikePort?: number }, protocol: (typeof PROTOCOLS)[number]): number {
  if (protocol === 'tally') return server.port
  if (server.aerospikePort === undefined) throw new Error('the server opened no Aerospike listener')
  return server.aerospikePort
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack ?? err.message}\n`)
  process.exit(1)
})
