// `tally truncate NS [SET]`, `tally backup --namespace NS [--set S] --output FILE` and `tally restore --input FILE
// [--policy skip|replace|newer]`: empty a set, and move records out of a server and back (docs/backup.md).
import type { Command } from 'commander'
import { connect, type Client } from '../../client/index.js'
import type { RestorePolicyName } from '../../protocol/messages.js'
import { backup, restore } from '../backup/run.js'
import { port } from './args.js'

interface ServerFlags {
  host: string
  port: number
}

const POLICIES = ['skip', 'replace', 'newer']

async function withClient<T>(flags: ServerFlags, work: (client: Client) => Promise<T>): Promise<T> {
  // Long enough for a page of records or a truncation's log sync on a busy server.
  const client = await connect({ hosts: `${flags.host}:${flags.port}`, poolSize: 1, policy: { totalTimeoutMs: 30_000 } })
  try {
    return await work(client)
  } finally {
    await client.close()
  }
}

export function addBackupCommands(program: Command): void {
  const server = (command: Command): Command => command.option('--host <host>', 'server address', '127.0.0.1').option('--port <port>', 'server port', port, 3100)

  server(program.command('truncate').description('remove every record of a set, or of a namespace when no set is given'))
    .argument('<namespace>')
    .argument('[set]')
    .action(async (ns: string, set: string | undefined, flags: ServerFlags) => {
      await withClient(flags, (client) => client.truncate(ns, set))
      process.stdout.write(`truncated ${set === undefined ? `namespace ${ns}` : `set ${ns}/${set}`}\n`)
    })

  server(program.command('backup').description('write the records of a namespace or set to a backup file (docs/backup.md)'))
    .requiredOption('--namespace <ns>', 'namespace to back up')
    .option('--set <set>', 'only this set')
    .requiredOption('--output <file>', 'backup file to write (replaced once the backup is complete)')
    .action(async (flags: ServerFlags & { namespace: string; set?: string; output: string }) => {
      const done = await withClient(flags, (client) => backup(client, flags.namespace, flags.set ?? null, flags.output))
      process.stdout.write(`backed up ${done.records} records to ${flags.output} (${done.bytes} bytes) in ${done.seconds.toFixed(1)} s\n`)
    })

  server(program.command('restore').description('write the records of a backup file back, after checking all of it'))
    .requiredOption('--input <file>', 'backup file to read')
    .option('--policy <policy>', 'for a record already there: skip it, replace it, or replace it if the backup has a newer generation', 'newer')
    .action(async (flags: ServerFlags & { input: string; policy: string }) => {
      if (!POLICIES.includes(flags.policy)) throw new Error(`--policy must be one of ${POLICIES.join(', ')}, not '${flags.policy}'`)
      const done = await withClient(flags, (client) => restore(client, flags.input, flags.policy as RestorePolicyName))
      const { written, kept, expired, file } = done
      process.stdout.write(`restored ${file.records} records of ${file.namespace} from ${flags.input} in ${done.seconds.toFixed(1)} s: ${written} written, ${kept} kept (already there), ${expired} expired\n`)
    })
}
