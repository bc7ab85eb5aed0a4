// `tally bench`: flags (long names as documented, short ones as in asbench), progress, summary, JSON, and the HTML
// report.
import fs from 'node:fs'
import path from 'node:path'
import { Command, InvalidArgumentError } from 'commander'
import { describeSystemError } from '../server/system-errors.js'
import { DEFAULT_BENCH_OPTIONS, parseBins, parseWorkload, type BenchOptions } from './options.js'
import { reportData, secondPoint, type SecondPoint } from './report/data.js'
import { writeReport } from './report/page.js'
import { progressLine, resultJson, summary } from './report.js'
import { runBench } from './runner.js'
import { AEROSPIKE_SERVICE_PORT } from '../server/server.js'

function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value)
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`)
    return n
  }
}

function seconds(value: string): number {
  const n = Number(value)
  if (!(n >= 0) || !Number.isFinite(n)) throw new InvalidArgumentError('must be a number of seconds >= 0')
  return n
}

function protocol(text: string): BenchOptions['protocol'] {
  if (text !== 'tally' && text !== 'aerospike') throw new Error(`unknown protocol '${text}': use tally or aerospike`)
  return text
}

function parsed<T>(parse: (text: string) => T) {
  return (value: string): T => {
    try {
      return parse(value)
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message)
    }
  }
}

// A report that could not be written at the end of a long run would be a pity: the directory is checked first.
function checkWritable(file: string): void {
  const dir = path.dirname(path.resolve(file))
  try {
    fs.accessSync(dir, fs.constants.W_OK)
  } catch (err) {
    throw new Error(`cannot write the report ${file}: ${dir}: ${describeSystemError(err)}`)
  }
}

/** Adds the `bench` command to the `tally` program. */
export function addBenchCommand(program: Command): void {
  const d = DEFAULT_BENCH_OPTIONS
  program
    .command('bench')
    .description('load a Tally server and report throughput and latency')
    .helpOption('--help', 'display help for command')
    .option('--protocol <name>', 'tally (the Tally client) or aerospike (the official Aerospike client, against the Aerospike listener)', parsed(protocol), d.protocol)
    .option('-h, --host <host>', 'server address', d.host)
    .option('-p, --port <port>', `server port (default: ${d.port}, ${AEROSPIKE_SERVICE_PORT} with --protocol aerospike)`, integer(1, 65535))
    .option('-n, --namespace <ns>', 'namespace', d.namespace)
    .option('-s, --set <set>', 'set name', d.set)
    .option('-k, --keys <n>', 'key space: integer keys 0..n-1', integer(1), d.keys)
    .option('-w, --workload <spec>', 'incr | ru,READPCT | insert | counters,RECORDS,COUNTERS (a counters session per op)', parsed(parseWorkload), d.workload)
    .option('-o, --bins <spec>', 'bins of put workloads: I, D, S<n>, B<n>, comma-separated', parsed(parseBins), d.bins)
    .option('--ttl <seconds>', 'TTL given with every write', integer(-2))
    .option('-c, --connections <n>', 'client connections', integer(1, 10_000), d.connections)
    .option('-d, --depth <n>', 'requests in flight per connection', integer(1, 100_000), d.depth)
    .option('-t, --duration <seconds>', 'seconds to run (after warm-up)', seconds, d.durationSec)
    .option('--ops <n>', 'stop after n operations instead', integer(1))
    .option('-g, --throughput <ops/s>', 'at most this many ops per second (0 = no limit)', integer(0), d.throughput)
    .option('--warmup <seconds>', 'seconds of load before measuring', seconds, d.warmupSec)
    .option('--timeout-ms <ms>', 'per-request timeout', integer(1), d.timeoutMs)
    .option('--user <name>', 'log in as this user (Tally protocol; the password in TALLY_PASSWORD)')
    .option('--tls-ca <file>', 'connect with TLS, trusting the CA certificates in this PEM file (Tally protocol)')
    .option('--tls-servername <name>', "the name the server's certificate carries (default: the host)")
    .option('--json', 'print the result as one JSON object on the last line of stdout', false)
    .option('--report <file>', 'write an HTML report of the run (charts per second, histograms per op type) to this file')
    .action(async (o: Record<string, unknown>) => {
      const protocol = o.protocol as BenchOptions['protocol']
      const workload = o.workload as BenchOptions['workload']
      if (protocol === 'aerospike' && workload.kind === 'counters') throw new InvalidArgumentError('the counters workload needs --protocol tally: sessions are a Tally client feature')
      const options: BenchOptions = {
        ...d,
        protocol,
        host: o.host as string,
        port: (o.port as number | undefined) ?? (protocol === 'aerospike' ? AEROSPIKE_SERVICE_PORT : d.port),
        namespace: o.namespace as string,
        set: o.set as string,
        keys: o.keys as number,
        workload,
        bins: o.bins as BenchOptions['bins'],
        ttlSec: o.ttl as number | undefined,
        connections: o.connections as number,
        depth: o.depth as number,
        durationSec: o.duration as number,
        ops: o.ops as number | undefined,
        throughput: o.throughput as number,
        warmupSec: o.warmup as number,
        timeoutMs: o.timeoutMs as number,
        json: o.json as boolean,
        report: o.report as string | undefined,
        ...(o.user === undefined ? {} : { user: o.user as string, password: process.env.TALLY_PASSWORD ?? '' }),
        ...(o.tlsCa === undefined ? {} : { tls: { ca: fs.readFileSync(o.tlsCa as string), ...(o.tlsServername === undefined ? {} : { servername: o.tlsServername as string }) } }),
      }
      if (options.report !== undefined) checkWritable(options.report)
      // With --json, stdout carries only the result; progress goes to stderr.
      const progress = options.json ? process.stderr : process.stdout
      const timeline: SecondPoint[] = []
      const result = await runBench(options, (elapsed, second) => {
        progress.write(progressLine(elapsed, second) + '\n')
        timeline.push(secondPoint(elapsed, second))
      })
      const json = resultJson(options, result)
      progress.write(summary(json) + '\n')
      if (options.report !== undefined) {
        writeReport(options.report, reportData(options, result.measured, json, timeline))
        progress.write(`report: ${options.report}\n`)
      }
      if (options.json) process.stdout.write(JSON.stringify(json) + '\n')
    })
}
