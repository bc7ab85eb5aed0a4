// `tally info [command ...]`: asks a running server for facts, as asinfo does. One value per command;
// -l puts each `key=value` on its own line, --json prints one object. The slow log is shown one request a line.
import type { Command } from 'commander'
import { connect } from '../../client/index.js'
import { port } from './args.js'

const DEFAULT_COMMANDS = ['status', 'version', 'build', 'namespaces', 'statistics']

/** `a=1;b=x` as an object, numbers as numbers. */
export function parsePairs(value: string): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {}
  for (const pair of value.split(';')) {
    if (pair === '') continue
    const at = pair.indexOf('=')
    const key = at < 0 ? pair : pair.slice(0, at)
    const text = at < 0 ? '' : pair.slice(at + 1)
    out[key] = text === 'true' ? true : text === 'false' ? false : text !== '' && Number.isFinite(Number(text)) ? Number(text) : text
  }
  return out
}

/** The entries of a `slowlog` value as objects: time as ISO text, the set decoded, the latency a number. */
export function parseSlowLog(value: string): Record<string, string | number>[] {
  return value
    .split(';')
    .filter((entry) => entry !== '')
    .map((entry) => {
      const fields = Object.fromEntries(entry.split(':').map((field) => [field.slice(0, field.indexOf('=')), field.slice(field.indexOf('=') + 1)]))
      return { ...fields, time: new Date(Number(fields.time)).toISOString(), set: decodeURIComponent(fields.set ?? ''), latency_us: Number(fields.latency_us) }
    })
}

// `2026-11-22T17:02:13.975Z  increment  test/cats  <digest>  12.3 ms`, newest first.
function slowLogLines(value: string): string {
  const entries = parseSlowLog(value)
  if (entries.length === 0) return '(no slow requests kept)'
  return entries.map((e) => `${e.time}  ${e.op}  ${e.ns}/${e.set}  ${e.digest}  ${(Number(e.latency_us) / 1000).toFixed(1)} ms`).join('\n')
}

export function addInfoCommand(program: Command): void {
  program
    .command('info')
    .description(`ask a server for facts: ${['status', 'version', 'build', 'namespaces', 'namespace/<ns>', 'sets/<ns>', 'bins/<ns>', 'statistics', 'latencies', 'slowlog', 'get-config'].join(', ')}`)
    .argument('[commands...]', 'info commands', DEFAULT_COMMANDS)
    .option('--host <host>', 'server address', '127.0.0.1')
    .option('--port <port>', 'server port', port, 3100)
    .option('-l, --lines', 'one key=value per line', false)
    .option('--json', 'print one JSON object', false)
    .action(async (commands: string[], flags: { host: string; port: number; lines: boolean; json: boolean }) => {
      const client = await connect({ hosts: `${flags.host}:${flags.port}`, poolSize: 1 })
      try {
        const values = await client.info(...commands)
        if (commands.some((c) => values[c]!.startsWith('ERROR:'))) process.exitCode = 1
        if (flags.json) {
          const parse = (c: string, v: string): unknown => (c === 'slowlog' ? parseSlowLog(v) : v.includes('=') ? parsePairs(v) : v)
          const out = Object.fromEntries(commands.map((c) => [c, parse(c, values[c]!)]))
          process.stdout.write(JSON.stringify(out) + '\n')
          return
        }
        for (const command of commands) {
          const value = values[command]!
          const shown =
            command === 'slowlog' && !value.startsWith('ERROR:') ? slowLogLines(value) : flags.lines ? value.split(';').filter((v) => v !== '').join('\n') : value
          process.stdout.write(commands.length === 1 ? `${shown}\n` : `${command}:${flags.lines || command === 'slowlog' ? '\n' : ' '}${shown}\n`)
        }
      } finally {
        await client.close()
      }
    })
}
