// `tally get|put|incr|remove|touch NS SET KEY [bin=value ...]`: read or fix a record by hand, with readable output
// (or --json). Values are written as JSON where they parse as JSON (`n=5`, `s="x"`, `l=[1,2]`), `hex:0a0b` for
// bytes, a decimal point for a double (`d=2.0`), and anything else as a string; `bin=null` deletes a bin.
import type { Command } from 'commander'
import { connect, Double, Key, type Bins, type Client, type Policy, type TallyRecord, type UserKey, type Value, type WriteMeta } from '../../client/index.js'
import { port } from './args.js'

interface DataFlags {
  host: string
  port: number
  json: boolean
  ttl?: number
  keyType: 'auto' | 'string' | 'int'
  sendKey: boolean
  initial?: string
}

/** The user key from the command line: an integer when it looks like one (unless --key-type says otherwise). */
export function parseKey(text: string, type: DataFlags['keyType']): UserKey {
  if (type === 'string') return text
  const integer = /^-?(0|[1-9]\d*)$/.test(text)
  if (type === 'int' && !integer) throw new Error(`key '${text}' is not an integer`)
  if (!integer) return text
  const big = BigInt(text)
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(text) : big
}

/** A bin value from the command line. */
export function parseValue(text: string): Value {
  if (text.startsWith('hex:')) {
    if (!/^([0-9a-f]{2})*$/i.test(text.slice(4))) throw new Error(`'${text}' is not hex bytes`)
    return Buffer.from(text.slice(4), 'hex')
  }
  if (/^-?\d+$/.test(text)) {
    const big = BigInt(text)
    return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(text) : big
  }
  if (/^-?\d+\.\d+(e[+-]?\d+)?$/i.test(text)) return new Double(Number(text))
  try {
    return JSON.parse(text) as Value
  } catch {
    return text
  }
}

function parseBins(assignments: string[]): Bins {
  const bins: Bins = {}
  for (const assignment of assignments) {
    const at = assignment.indexOf('=')
    if (at <= 0) throw new Error(`'${assignment}' is not bin=value`)
    bins[assignment.slice(0, at)] = parseValue(assignment.slice(at + 1))
  }
  return bins
}

/** A value as a person reads it: strings quoted, bytes as hex, lists and maps as JSON. */
export function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'bigint') return value.toString()
  if (value instanceof Uint8Array) return `hex:${Buffer.from(value).toString('hex')}`
  if (value instanceof Double) return String(value.value)
  if (typeof value === 'object' && value !== null) return JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? v.toString() : v))
  return String(value)
}

/** JSON with bigints as plain numbers, bytes as `hex:...` strings. */
export function toJson(value: unknown): string {
  const marker = '__tally_bigint__'
  const text = JSON.stringify(value, (_, v) => {
    if (typeof v === 'bigint') return `${marker}${v}`
    if (v?.type === 'Buffer' && Array.isArray(v.data)) return `hex:${Buffer.from(v.data).toString('hex')}`
    return v
  })
  return text.replace(new RegExp(`"${marker}(-?\\d+)"`, 'g'), '$1')
}

function describeRecord(record: TallyRecord): string {
  const { key } = record
  const lines = [`${key.ns}/${key.set ?? ''}/${String(key.key)}  gen ${record.gen}  ttl ${record.ttl === -1 ? 'never' : `${record.ttl}s`}`]
  const width = Math.max(0, ...Object.keys(record.bins).map((n) => n.length))
  for (const [name, value] of Object.entries(record.bins)) lines.push(`  ${name.padEnd(width)}  ${formatValue(value)}`)
  return lines.join('\n')
}

type Run = (client: Client, key: Key, rest: string[], flags: DataFlags, meta: WriteMeta | undefined, policy: Policy) => Promise<unknown>

const COMMANDS: Record<string, { args: string; description: string; run: Run; print: (result: unknown, flags: DataFlags) => string }> = {
  get: {
    args: '[bins...]',
    description: 'print a record (all bins, or the named ones)',
    run: (c, key, bins, _f, _m, policy) => (bins.length === 0 ? c.get(key, policy) : c.select(key, bins, policy)),
    print: (r, f) => (f.json ? toJson({ ...(r as TallyRecord), key: undefined }) : describeRecord(r as TallyRecord)),
  },
  put: {
    args: '<bins...>',
    description: 'write bins: bin=value ... (bin=null deletes a bin)',
    run: (c, key, bins, _f, meta, policy) => c.put(key, parseBins(bins), meta, policy),
    print: (r, f) => (f.json ? toJson(r) : `ok  gen ${(r as { gen: number }).gen}`),
  },
  incr: {
    args: '<bin=delta>',
    description: 'add to a numeric bin and print its new value (--initial for a missing bin)',
    run: (c, key, [assignment], f, meta, policy) => {
      const [[bin, delta]] = Object.entries(parseBins([assignment!])) as [[string, number | bigint]]
      const initial = f.initial === undefined ? undefined : (parseValue(f.initial) as number | bigint)
      return c.increment(key, bin, delta, initial, meta, policy)
    },
    print: (r, f) => (f.json ? toJson({ value: r }) : formatValue(r)),
  },
  remove: {
    args: '',
    description: 'delete a record',
    run: (c, key, _b, _f, meta, policy) => c.remove(key, meta, policy),
    print: (_r, f) => (f.json ? '{"removed":true}' : 'removed'),
  },
  touch: {
    args: '',
    description: 'renew a record\'s TTL (--ttl, else the namespace default)',
    run: (c, key, _b, _f, meta, policy) => c.touch(key, meta, policy),
    print: (r, f) => (f.json ? toJson(r) : `ok  gen ${(r as { gen: number }).gen}  ttl ${(r as { ttl: number }).ttl}`),
  },
}

export function addDataCommands(program: Command): void {
  for (const [name, spec] of Object.entries(COMMANDS)) {
    const command = program
      .command(`${name} <namespace> <set> <key> ${spec.args}`.trim())
      .description(spec.description)
      .option('--host <host>', 'server address', '127.0.0.1')
      .option('--port <port>', 'server port', port, 3100)
      .option('--json', 'print JSON', false)
      .option('--key-type <type>', 'auto (integer if it looks like one), string or int', 'auto')
      .option('--send-key', 'send the key, so the server stores and checks it', false)
    if (name !== 'get' && name !== 'remove') command.option('--ttl <seconds>', 'TTL to write (0: namespace default, -1: never, -2: keep)', Number)
    if (name === 'incr') command.option('--initial <value>', 'value of a missing bin (the delta is then not added)')
    command.action(async (...args: unknown[]) => {
      const flags = (args.at(-1) as Command).opts<DataFlags>()
      const [ns, set, keyText] = args as [string, string, string]
      const extra = spec.args === '' ? [] : args[3]
      const rest = Array.isArray(extra) ? (extra as string[]) : [extra as string]
      const key = new Key(ns, set === '' || set === '-' ? null : set, parseKey(keyText, flags.keyType))
      const meta = flags.ttl === undefined ? undefined : { ttl: flags.ttl }
      const policy: Policy = flags.sendKey ? { key: 'send' } : {}
      const client = await connect({ hosts: `${flags.host}:${flags.port}`, poolSize: 1 })
      try {
        const result = await spec.run(client, key, rest, flags, meta, policy)
        process.stdout.write(spec.print(result, flags) + '\n')
      } catch (err) {
        const e = err as { code?: number; status?: string; message: string }
        throw new Error(e.code === undefined ? e.message : `${e.status} (${e.code}): ${e.message}`)
      } finally {
        await client.close()
      }
    })
  }
}
