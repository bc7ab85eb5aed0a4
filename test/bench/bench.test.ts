// `tally bench`: argument handling, the histogram, and a short real run whose JSON and progress are checked.
import { Command } from 'commander'
import t from 'tap'
import { addBenchCommand } from '../../bench/command.js'
import { Histogram } from '../../bench/histogram.js'
import { parseBins, parseWorkload } from '../../bench/options.js'
import { connect, Key } from '../../client/index.js'
import { runCli, runTool, startCliServer } from '../helpers/cli.js'
import { testClient, testServer } from '../helpers/server.js'

t.test('workload and bin specs', async (t) => {
  t.same(parseWorkload('incr'), { kind: 'incr' })
  t.same(parseWorkload('insert'), { kind: 'insert' })
  t.same(parseWorkload('ru,80'), { kind: 'ru', readPct: 80 })
  t.same(parseWorkload('counters'), { kind: 'counters', records: 3, counters: 2 })
  t.same(parseWorkload('counters,5,1'), { kind: 'counters', records: 5, counters: 1 })
  for (const bad of ['ru', 'ru,101', 'ru,x', 'read', '', 'counters,0', 'counters,2,0', 'counters,x']) t.throws(() => parseWorkload(bad), /unknown workload/, bad)
  t.same(parseBins('I,S10,B4,D'), [
    { name: 'b', type: 'I', size: 8 },
    { name: 'b2', type: 'S', size: 10 },
    { name: 'b3', type: 'B', size: 4 },
    { name: 'b4', type: 'D', size: 8 },
  ])
  for (const bad of ['X', 'I5', 'S0', 'S', 'B-1']) {
    if (bad === 'S') continue // a bare S is a 16-character string
    t.throws(() => parseBins(bad), /bin spec/, bad)
  }
})

t.test('the histogram reports percentiles within its bucket error', async (t) => {
  const h = new Histogram()
  for (let us = 1; us <= 100_000; us++) h.record(us)
  t.equal(h.count, 100_000)
  for (const [p, expected] of [[50, 50_000], [90, 90_000], [99, 99_000], [99.9, 99_900]] as const) {
    const got = h.percentile(p)
    t.ok(got >= expected && got <= expected * 1.04, `p${p} = ${got}, expected ~${expected}`)
  }
  t.equal(h.max, 100_000)
  t.equal(h.percentile(100), 100_000)
  const small = new Histogram()
  small.record(3)
  t.equal(small.percentile(50), 3, 'values below 64 us are exact')
  const merged = new Histogram()
  merged.merge(h)
  merged.merge(small)
  t.equal(merged.count, 100_001)
})

/** The message `tally bench ARGS` refuses its flags with, from the same command definition, in this process. */
function flagError(args: string[]): string {
  const program = new Command().exitOverride()
  addBenchCommand(program)
  const bench = program.commands[0]!.exitOverride().configureOutput({ writeErr: () => {} })
  bench.action(() => {
    throw new Error('the flags were accepted')
  })
  try {
    program.parse(['bench', ...args], { from: 'user' })
  } catch (err) {
    return (err as Error).message
  }
  return ''
}

t.test('bad flags are refused with a message', async (t) => {
  const cases = [
    [['--workload', 'nope'], /unknown workload 'nope'/],
    [['--connections', '0'], /--connections.*integer from 1/],
    [['--bins', 'Q'], /cannot read bin spec 'Q'/],
    [['--port', '70000'], /--port.*integer from 1 to 65535/],
    [['--duration', '-1'], /--duration.*seconds >= 0/],
    [['--protocol', 'redis'], /unknown protocol 'redis': use tally or aerospike/],
  ] as const
  for (const [args, pattern] of cases) t.match(flagError([...args]), pattern, args.join(' '))
  // One through the real command: a non-zero exit and the message on stderr.
  const { code, stderr } = await runCli(['bench', ...cases[0][0]])
  t.not(code, 0)
  t.match(stderr, cases[0][1])
})

/** Runs whose every request must succeed wait as long as a loaded machine needs. */
const PATIENT = ['--timeout-ms', '30000']

t.test('a short run against a real server', async (t) => {
  const server = await testServer(t)
  const port = String(server.address.port)

  t.test('incr prints progress, a summary, and a JSON last line', async (t) => {
    const { code, stdout, stderr } = await runTool(['bench', '--port', port, '--keys', '50', '--workload', 'incr', '--connections', '2', '--depth', '4', '--duration', '1.2', '--json', ...PATIENT])
    t.equal(code, 0, stderr)
    const result = JSON.parse(stdout.trim().split('\n').pop()!)
    t.match(result, { workload: 'incr', connections: 2, depth: 4, keys: 50, errors: {} })
    for (const field of ['ops', 'totalOps', 'seconds', 'opsPerSec']) t.type(result[field], 'number', field)
    t.ok(result.ops > 0 && result.totalOps >= result.ops)
    t.ok(result.seconds >= 1.2 && result.seconds < 15, `ran ${result.seconds} s of 1.2`) // stops near its duration, with room for a loaded machine
    for (const field of ['p50', 'p90', 'p99', 'p999', 'max']) t.type(result.latencyUs[field], 'number', field)
    t.ok(result.latencyUs.p50 <= result.latencyUs.p99 && result.latencyUs.p99 <= result.latencyUs.max)
    t.match(stderr, /\[ +1s\] incr [\d,]+\/s {2}errors: none {2}p50 \S+ p99 \S+/, 'a progress line per second (on stderr with --json)')
    t.match(stderr, /latency p50 .* p99\.9 .* max/)
    const client = await testClient(t, server)
    let sum = 0
    for (let i = 0; i < 50; i++) sum += Number((await client.get(new Key('test', 'bench', i)).catch(() => ({ bins: { b: 0 } }))).bins.b)
    t.equal(sum, result.totalOps, 'every increment the bench counted reached the server exactly once')
  })

  t.test('insert writes keys 0..N-1 once and stops; ru mixes reads and updates', async (t) => {
    const insert = await runTool(['bench', '--port', port, '--set', 'ins', '--keys', '300', '--workload', 'insert', '--bins', 'I,S8', '--json', ...PATIENT])
    t.equal(insert.code, 0, insert.stderr)
    t.match(JSON.parse(insert.stdout.trim().split('\n').pop()!), { workload: 'insert', ops: 300, totalOps: 300, errors: {} })
    const client = await testClient(t, server)
    const records = await client.batchGet(Array.from({ length: 300 }, (_, i) => new Key('test', 'ins', i)))
    t.ok(records.every((r) => r !== null && typeof r.bins.b === 'number' && r.bins.b2 === String(r.bins.b2)[0]!.repeat(8)))
    const ru = await runTool(['bench', '--port', port, '--set', 'ins', '--keys', '300', '--workload', 'ru,50', '--ops', '400', '--json', ...PATIENT])
    t.equal(ru.code, 0, ru.stderr)
    const result = JSON.parse(ru.stdout.trim().split('\n').pop()!)
    t.equal(result.byType.read.ops + result.byType.update.ops, 400)
    t.ok(result.byType.read.ops > 100 && result.byType.update.ops > 100)
  })

  t.test('counters: a session per op, each saving its counters on several records at once', async (t) => {
    const { code, stdout, stderr } = await runTool(['bench', '--port', port, '--set', 'ctr', '--keys', '20', '--workload', 'counters,3,2', '--ops', '300', '--json', ...PATIENT])
    t.equal(code, 0, stderr)
    const result = JSON.parse(stdout.trim().split('\n').pop()!)
    t.match(result, { workload: 'counters,3,2', errors: {} })
    t.equal(result.byType.save.ops, 300)
    const client = await testClient(t, server)
    const records = (await client.batchGet(Array.from({ length: 20 }, (_, i) => new Key('test', 'ctr', i)))).filter((r) => r !== null)
    const total = (bin: string) => records.reduce((sum, r) => sum + Number(r!.bins[bin] ?? 0), 0)
    t.equal(total('c1'), 900, 'three records per save, each counter once')
    t.equal(total('c2'), 900)
  })

  t.test('without --json the summary goes to stdout; errors are counted by status', async (t) => {
    // Reads of keys no update has written yet fail with NOT_FOUND.
    const { code, stdout } = await runTool(['bench', '--port', port, '--set', 'errs', '--keys', '100000', '--workload', 'ru,50', '--ops', '200', '--connections', '1', '--depth', '2', ...PATIENT])
    t.equal(code, 0)
    t.match(stdout, /ops \d+ in/)
    t.match(stdout, /errors: NOT_FOUND\(2\) \d+/)
  })

  t.test('a server that refuses every request alike ends the run at once, saying why', async (t) => {
    // Sixty seconds asked for: a run that went on would be cut by runTool, without this exit code.
    const { code, stderr } = await runTool(['bench', '--port', port, '--namespace', 'nope', '--duration', '60', ...PATIENT])
    t.equal(code, 1)
    t.match(stderr, /tally: all \d+ requests failed with NAMESPACE \(20\), none succeeded: namespace 'nope' does not exist/)
  })

  t.test('--throughput holds the rate down', async (t) => {
    const { stdout } = await runTool(['bench', '--port', port, '--throughput', '200', '--duration', '1', '--connections', '1', '--depth', '4', '--json'])
    const result = JSON.parse(stdout.trim().split('\n').pop()!)
    t.ok(result.opsPerSec <= 260, `${result.opsPerSec} ops/s`)
  })
})

t.test('--protocol aerospike drives the official client against the Aerospike listener', async (t) => {
  // Its own process, as the official client blocks its thread while connecting; the server in another.
  const server = await startCliServer(t)
  const run = await runCli(['bench', '--protocol', 'aerospike', '--port', String(server.aerospikePort), '--keys', '50', '--ops', '400', '--connections', '2', '--depth', '4', '--json', ...PATIENT])
  t.equal(run.code, 0, run.stderr)
  const result = JSON.parse(run.stdout.trim().split('\n').pop()!)
  t.match(result, { workload: 'incr', ops: 400, totalOps: 400, errors: {} })
  const client = await connect({ hosts: `127.0.0.1:${server.port}` })
  t.teardown(() => client.close())
  let sum = 0
  for (let i = 0; i < 50; i++) sum += Number((await client.get(new Key('test', 'bench', i)).catch(() => ({ bins: { b: 0 } }))).bins.b)
  t.equal(sum, 400, 'every increment reached the server exactly once')
  const counters = await runCli(['bench', '--protocol', 'aerospike', '--port', String(server.aerospikePort), '--workload', 'counters', '--ops', '1'])
  t.equal(counters.code, 1)
  t.match(counters.stderr, /the counters workload needs --protocol tally/)
})

t.test('no server: bench fails at once with a connection error', async (t) => {
  // With 30 s to connect, a client would keep trying for 30 s: the run must not wait for that.
  const started = Date.now()
  const { code, stderr } = await runTool(['bench', '--port', '1', '--duration', '1', '--timeout-ms', '30000'])
  t.equal(code, 1)
  t.match(stderr, /cannot connect to 127\.0\.0\.1:1: connection refused/)
  t.ok(Date.now() - started < 20_000, `failed after ${Date.now() - started} ms`)
})
