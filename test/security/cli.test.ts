// `tally user ...` against a running server with security, and the start-up rules: a config file holding a secret
// that anyone can read is refused, and listening beyond loopback without security is warned about.
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { Key } from '../../client/index.js'
import { STATUS } from '../../protocol/status.js'
import { runCli, startCliServer } from '../helpers/cli.js'
import { tempDataDir } from '../helpers/data-dir.js'
import { testClient, testServer } from '../helpers/server.js'

const ADMIN_PASSWORD = 'cli admin pw'

t.test('tally user add, grant, revoke, passwd, list, drop', async (t) => {
  const server = await testServer(t, { dataDir: tempDataDir(t), security: { enabled: true, adminPassword: ADMIN_PASSWORD } })
  const at = ['--port', String(server.address.port)]
  const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({ ...process.env, TALLY_PASSWORD: ADMIN_PASSWORD, ...extra })
  const run = (args: string[], extra?: Record<string, string>) => runCli(['user', ...args, ...at], { env: env(extra) })

  const added = await run(['add', 'erin', '--role', 'read:test'], { TALLY_NEW_PASSWORD: 'erin pw' })
  t.equal(added.code, 0, added.stderr)
  t.equal((await run(['grant', 'erin', 'read-write:test:s'])).code, 0)
  t.equal((await run(['list'])).stdout, 'admin\tread,read-write,sys-admin,user-admin\nerin\tread:test,read-write:test:s\n')
  t.equal((await run(['revoke', 'erin', 'read:test'])).code, 0)
  t.equal((await run(['list', 'erin'])).stdout, 'erin\tread-write:test:s\n')
  t.equal((await run(['passwd', 'erin'], { TALLY_NEW_PASSWORD: 'new erin pw' })).code, 0)
  const erin = await testClient(t, server, { poolSize: 1, user: 'erin', password: 'new erin pw' })
  await erin.put(new Key('test', 's', 'e'), { n: 1 })

  const wrong = await runCli(['user', 'list', ...at], { env: { ...process.env, TALLY_PASSWORD: 'wrong' } })
  t.equal(wrong.code, 1)
  t.match(wrong.stderr, /wrong user or password/)
  t.notMatch(wrong.stderr, /wrong\b.*wrong\b.*wrong/, 'the password is not echoed')
  const badRole = await run(['grant', 'erin', 'owner'])
  t.equal(badRole.code, 1)
  t.match(badRole.stderr, /unknown role 'owner'/)
  const noPassword = await runCli(['user', 'list', ...at], { env: { ...process.env, TALLY_PASSWORD: '' } })
  t.match(noPassword.stderr, /give the password of admin in TALLY_PASSWORD/)
  t.equal((await run(['drop', 'erin'])).code, 0)
  t.equal(await erin.get(new Key('test', 's', 'e')).then(() => 0, (e: { code: number }) => e.code), STATUS.NOT_AUTHENTICATED)
})

t.test('a config file with admin-password that anyone can read is refused', async (t) => {
  const dir = tempDataDir(t)
  const file = path.join(dir, 'tally.conf')
  fs.writeFileSync(file, 'security {\n  enable-security true\n  admin-password s3cret-in-file\n}\n')
  fs.chmodSync(file, 0o644)
  const refused = await runCli(['server', '--config', file, '--port', '0', '--aerospike-port', 'off', '--storage', 'memory', '--data-dir', dir])
  t.equal(refused.code, 1)
  t.match(refused.stderr, /holds admin-password and anyone can read it \(mode 644\): chmod o-r/)
  t.notMatch(refused.stderr, /s3cret-in-file/)
  fs.chmodSync(file, 0o600)
  const server = await startCliServer(t, ['--config', file, '--data-dir', dir])
  server.child.kill('SIGTERM')
  t.equal(await server.exited, 0, 'a private file is read')
})

t.test('listening beyond loopback without security is warned about', async (t) => {
  const server = await startCliServer(t, ['--host', '0.0.0.0', '--aerospike-port', 'off'])
  // The warning is logged before the readiness lines.
  t.match(server.output(), /listening on 0\.0\.0\.0 without security: anyone who can reach the ports can read and change every record/)
  server.child.kill('SIGTERM')
  t.equal(await server.exited, 0)
  const quiet = await startCliServer(t, ['--aerospike-port', 'off'])
  t.notMatch(quiet.output(), /without security/)
  quiet.child.kill('SIGTERM')
  await quiet.exited
})
