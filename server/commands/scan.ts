// `tally scan NS [SET]`: every record of a namespace or a set, one per line: readable, or with --json one JSON object
// a line for jq, in a form that keeps every value's type (see scanJson). Output waits for the terminal or the pipe,
// so the scan goes no faster than what reads it; a reader that goes away (`| head`) ends the scan.
import { Command, InvalidArgumentError } from 'commander'
import { connect, type ScanOptions, type ScanRecord } from '../../client/index.js'
import { parsePartitions } from '../../protocol/partitions.js'
import { integer } from '../config/values.js'
import { flag, port } from './args.js'
import { formatValue } from './data.js'

interface ScanFlags {
  host: string
  port: number
  json: boolean
  bins?: string[]
  partitions?: number[]
  recordsPerSecond?: number
}

/** `0-1023`, `5,17,4095` or `1,5,7-9`: partition ids and ranges (both ends included). */
function partitionsFlag(text: string): number[] {
  try {
    return parsePartitions(text, '')
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message)
  }
}

const TAGS = new Set(['$bytes', '$int', '$map'])

/**
 * A value as JSON that keeps its type: integers beyond ±(2^53-1) are `{"$int": "digits"}`, bytes `{"$bytes":
 * "hex"}`, a map whose keys are not all strings (or that looks like one of these) `{"$map": [[key, value], ...]}`.
 * Everything else is plain JSON; a double with an integral value prints as an integer, as the client returns it.
 */
export function scanJsonValue(value: unknown): unknown {
  if (typeof value === 'bigint') return { $int: value.toString() }
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString('hex') }
  if (Array.isArray(value)) return value.map(scanJsonValue)
  if (value instanceof Map) return { $map: [...value].map(([k, v]) => [scanJsonValue(k), scanJsonValue(v)]) }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
    if (entries.length === 1 && TAGS.has(entries[0]![0])) return { $map: entries.map(([k, v]) => [k, scanJsonValue(v)]) }
    return Object.fromEntries(entries.map(([k, v]) => [k, scanJsonValue(v)]))
  }
  return value
}

/** One record as a line of JSON: digest (hex), set (null for none), key (null unless stored), gen, ttl, bins. */
export function scanJson(record: ScanRecord): string {
  const { key } = record
  return JSON.stringify({
    digest: key.digest.toString('hex'),
    set: key.set,
    key: scanJsonValue(key.key),
    gen: record.gen,
    ttl: record.ttl,
    bins: scanJsonValue(record.bins),
  })
}

/** One record as a line for people: `set key  gen N  ttl T  bin=value ...` (the digest when no key is stored). */
export function scanLine(record: ScanRecord): string {
  const { key } = record
  const name = key.key === null ? `digest:${key.digest.toString('hex')}` : formatValue(key.key)
  const bins = Object.entries(record.bins).map(([bin, value]) => `${bin}=${formatValue(value)}`)
  return [`${key.set ?? '-'} ${name}`, `gen ${record.gen}`, `ttl ${record.ttl === -1 ? 'never' : `${record.ttl}s`}`, ...bins].join('  ')
}

async function run(ns: string, set: string | undefined, flags: ScanFlags): Promise<void> {
  const options: ScanOptions = {}
  if (flags.bins !== undefined) options.bins = flags.bins
  if (flags.partitions !== undefined) options.partitions = flags.partitions
  if (flags.recordsPerSecond !== undefined) options.recordsPerSecond = flags.recordsPerSecond
  const client = await connect({ hosts: `${flags.host}:${flags.port}`, poolSize: 1 })
  let gone = false
  const onError = (): void => void (gone = true) // the reader went away (EPIPE): stop scanning
  process.stdout.on('error', onError)
  try {
    const format = flags.json ? scanJson : scanLine
    for await (const record of client.scan(ns, set === undefined || set === '-' ? null : set, options)) {
      if (gone) break
      if (!process.stdout.write(format(record) + '\n')) await new Promise((resolve) => process.stdout.once('drain', resolve))
    }
  } catch (err) {
    const e = err as { code?: number; status?: string; message: string }
    throw new Error(e.code === undefined ? e.message : `${e.status} (${e.code}): ${e.message}`)
  } finally {
    process.stdout.off('error', onError)
    await client.close()
  }
}

export function addScanCommand(program: Command): void {
  program
    .command('scan <namespace> [set]')
    .description('print every record of a namespace, or of a set ("-": the whole namespace), one per line')
    .option('--host <host>', 'server address', '127.0.0.1')
    .option('--port <port>', 'server port', port, 3100)
    .option('--json', 'one JSON object per line: digest, set, key, gen, ttl, bins', false)
    .option('--bins <names>', 'only these bins, comma-separated (empty: none)', (text: string) => (text === '' ? [] : text.split(',')))
    .option('--partitions <list>', 'only these partitions: ids and FIRST-LAST ranges, such as 0-1023 or 1,5,7-9', partitionsFlag)
    .option('--records-per-second <n>', 'most records per second the server sends (0: no limit)', flag(integer(0, 1_000_000_000)))
    .action((ns: string, set: string | undefined, _opts: unknown, command: Command) => run(ns, set, command.opts<ScanFlags>()))
}
