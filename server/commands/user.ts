// `tally user add|passwd|grant|revoke|drop|list`: operators manage the users of a running server with security
// enabled, logged in as a user-admin (--user, password in TALLY_PASSWORD). A new password is read from
// TALLY_NEW_PASSWORD or from the first line of standard input, never from the command line (which `ps` shows).
import fs from 'node:fs'
import type { Command } from 'commander'
import { connect, type Client } from '../../client/index.js'
import { port } from './args.js'

/** Environment variables of the acting user's password, and of the password being set. */
export const PASSWORD_ENV = 'TALLY_PASSWORD'
export const NEW_PASSWORD_ENV = 'TALLY_NEW_PASSWORD'

interface UserFlags {
  host: string
  port: number
  user: string
  tlsCa?: string
  tlsServername?: string
}

export function addUserCommands(program: Command): void {
  const user = program.command('user').description(`manage the users of a server with security enabled (as --user, password in ${PASSWORD_ENV})`)
  const command = (name: string, description: string): Command =>
    user
      .command(name)
      .description(description)
      .option('--host <host>', 'server address', '127.0.0.1')
      .option('--port <port>', 'server port', port, 3100)
      .option('--user <name>', 'log in as this user-admin', 'admin')
      .option('--tls-ca <file>', 'connect with TLS, trusting the CA certificates in this PEM file')
      .option('--tls-servername <name>', "the name the server's certificate carries (default: the host)")
  command('add', `create a user; the password from ${NEW_PASSWORD_ENV} or the first line of stdin`)
    .argument('<name>')
    .option('--role <role...>', 'roles: read, read-write (either optionally :NAMESPACE[:SET]), sys-admin, user-admin', [])
    .action((name: string, flags: UserFlags & { role: string[] }) => withClient(flags, async (c) => c.users.create(name, newPassword(), flags.role)))
  command('passwd', `set a user's password, from ${NEW_PASSWORD_ENV} or the first line of stdin`)
    .argument('<name>')
    .action((name: string, flags: UserFlags) => withClient(flags, async (c) => c.users.setPassword(name, newPassword())))
  command('grant', 'give a user roles')
    .argument('<name>')
    .argument('<roles...>')
    .action((name: string, roles: string[], flags: UserFlags) => withClient(flags, async (c) => c.users.grant(name, roles)))
  command('revoke', 'take roles from a user')
    .argument('<name>')
    .argument('<roles...>')
    .action((name: string, roles: string[], flags: UserFlags) => withClient(flags, async (c) => c.users.revoke(name, roles)))
  command('drop', 'remove a user; their connections are logged out')
    .argument('<name>')
    .action((name: string, flags: UserFlags) => withClient(flags, async (c) => c.users.drop(name)))
  command('list', 'users and their roles, one a line')
    .argument('[name]')
    .action((name: string | undefined, flags: UserFlags) =>
      withClient(flags, async (c) => {
        const users = await c.users.list(name)
        for (const [who, roles] of Object.entries(users)) process.stdout.write(`${who}\t${roles.join(',') || '-'}\n`)
      }),
    )
}

async function withClient(flags: UserFlags, work: (client: Client) => Promise<void>): Promise<void> {
  const password = process.env[PASSWORD_ENV]
  if (password === undefined || password === '') throw new Error(`give the password of ${flags.user} in ${PASSWORD_ENV}`)
  const tls = flags.tlsCa === undefined ? undefined : { ca: fs.readFileSync(flags.tlsCa), ...(flags.tlsServername === undefined ? {} : { servername: flags.tlsServername }) }
  const client = await connect({ hosts: `${flags.host}:${flags.port}`, poolSize: 1, user: flags.user, password, ...(tls === undefined ? {} : { tls }) })
  try {
    await work(client)
  } finally {
    await client.close()
  }
}

function newPassword(): string {
  const fromEnv = process.env[NEW_PASSWORD_ENV]
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv
  let text = ''
  try {
    text = fs.readFileSync(0, 'utf8')
  } catch {
    // no standard input
  }
  const line = text.split('\n')[0]!.replace(/\r$/, '')
  if (line === '') throw new Error(`give the new password in ${NEW_PASSWORD_ENV} or on the first line of standard input`)
  return line
}
