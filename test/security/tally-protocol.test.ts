// Users and roles through Tally's protocol: the login in the hello, each role allowed and refused on each kind of
// operation (a refused request changes nothing), user commands and who may run them, users surviving a restart,
// bad input, and AUTH on a server without security.
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { connect, Key, type Client } from '../../client/index.js'
import { STATUS } from '../../protocol/status.js'
import type { ServerOptions } from '../../server/index.js'
import { recordingLogger, tempDataDir } from '../helpers/data-dir.js'
import { testClient, testServer } from '../helpers/server.js'
import { codeOf } from '../helpers/rejections.js'

const ADMIN_PASSWORD = 'first admin password'

const secured = (dataDir: string, extra: ServerOptions = {}): ServerOptions => ({
  dataDir,
  security: { enabled: true, adminPassword: ADMIN_PASSWORD, loginFailuresBeforeDelay: 100 },
  ...extra,
})

t.test('scans, truncates and restores need their roles; a truncate by info command too', async (t) => {
  const server = await testServer(t, secured(tempDataDir(t)))
  const as = (user: string, password: string): Promise<Client> => testClient(t, server, { poolSize: 1, user, password })
  const admin = await as('admin', ADMIN_PASSWORD)
  await admin.users.create('reader', 'reader pw', ['read:test'])
  await admin.users.create('s1reader', 's1reader pw', ['read:test:s1'])
  const reader = await as('reader', 'reader pw')
  const s1reader = await as('s1reader', 's1reader pw')
  for (let i = 0; i < 5; i++) await admin.put(new Key('test', 's1', i), { n: i })
  const count = async (client: Client, set: string | null): Promise<number> => {
    let n = 0
    for await (const _ of client.scan('test', set)) n++
    return n
  }
  t.equal(await count(reader, null), 5, 'read: scans the namespace')
  t.equal(await count(s1reader, 's1'), 5, 'read:test:s1 scans its set')
  t.equal(await codeOf(count(s1reader, null)), STATUS.ROLE_VIOLATION, 'read:test:s1 does not scan the namespace')
  t.equal(await codeOf(reader.truncate('test', 's1')), STATUS.ROLE_VIOLATION, 'read: no truncate')
  t.equal(await codeOf(reader.info('truncate:namespace=test;set=s1')), STATUS.ROLE_VIOLATION, 'read: no truncate through info either')
  const restored = { digest: new Key('test', 's1', 9).digest, set: 's1', key: null, gen: 3, voidMs: 0, bins: ['n', 9] }
  t.equal(await codeOf(reader.restore('test', [restored])), STATUS.ROLE_VIOLATION, 'read: no restore')
  t.equal(await count(admin, 's1'), 5, 'nothing was truncated')
  await admin.truncate('test', 's1')
  t.equal(await count(admin, 's1'), 0, 'sys-admin truncates')
})

t.test('roles allow and refuse each kind of operation', async (t) => {
  const dataDir = tempDataDir(t)
  const server = await testServer(t, secured(dataDir))
  const as = (user: string, password: string): Promise<Client> => testClient(t, server, { poolSize: 1, user, password })
  const admin = await as('admin', ADMIN_PASSWORD)
  await admin.users.create('reader', 'reader pw', ['read:test'])
  await admin.users.create('setwriter', 'setwriter pw', ['read-write:test:s1'])
  await admin.users.create('nobody', 'nobody pw', [])
  const reader = await as('reader', 'reader pw')
  const setwriter = await as('setwriter', 'setwriter pw')
  const nobody = await as('nobody', 'nobody pw')
  const k1 = new Key('test', 's1', 'k1')
  const k2 = new Key('test', 's2', 'k2')
  await admin.put(k1, { n: 1 })
  await admin.put(k2, { n: 1 })

  t.same((await reader.get(k1)).bins, { n: 1 }, 'read: get')
  t.equal(await reader.exists(k2), true, 'read: exists')
  t.equal((await reader.batchGet([k1, k2])).length, 2, 'read: batch get')
  t.equal(await codeOf(reader.put(k1, { n: 2 })), STATUS.ROLE_VIOLATION, 'read: no put')
  t.equal(await codeOf(reader.increment(k1, 'n', 1)), STATUS.ROLE_VIOLATION, 'read: no increment')
  t.equal(await codeOf(reader.remove(k1)), STATUS.ROLE_VIOLATION, 'read: no remove')
  t.equal(await codeOf(reader.touch(k1)), STATUS.ROLE_VIOLATION, 'read: no touch')
  t.equal(await codeOf(reader.get(new Key('other', 's1', 'x'))), STATUS.ROLE_VIOLATION, 'read:test reads no other namespace')

  t.equal(await setwriter.increment(k1, 'n', 1), 2, 'read-write:test:s1: increment in s1')
  t.equal(await codeOf(setwriter.increment(k2, 'n', 1)), STATUS.ROLE_VIOLATION, 'read-write:test:s1: not in s2')
  t.equal(await codeOf(setwriter.get(k2)), STATUS.ROLE_VIOLATION, 'read-write:test:s1: reads nothing in s2')
  t.equal(await codeOf(setwriter.batchGet([k1, k2])), STATUS.ROLE_VIOLATION, 'a batch with one key out of scope is refused whole')
  t.equal(await codeOf(setwriter.get(new Key("test", "", "k1"))), STATUS.ROLE_VIOLATION, "a key without a set is out of a set scope")

  t.equal(await codeOf(nobody.get(k1)), STATUS.ROLE_VIOLATION, 'no roles: no reads')
  t.equal((await nobody.info('status')).status, 'ok', 'any user asks for plain info')
  t.match((await nobody.info('statistics')).statistics, /^ERROR:81:/, 'statistics need sys-admin')
  t.match((await admin.info('statistics')).statistics, /login_successes=\d+;login_failures=\d+/)
  const config = (await admin.info('get-config'))['get-config']!
  t.match(config, /enable-security=true;session-ttl=86400;tls=off/, 'get-config says security is on')
  t.notMatch(config, new RegExp(ADMIN_PASSWORD), 'and shows no password')

  t.same((await admin.get(k1)).bins, { n: 2 }, 'refused writes changed nothing')
  t.same((await admin.get(k2)).bins, { n: 1 })
  t.equal(await codeOf(reader.users.create('x', 'pw', [])), STATUS.ROLE_VIOLATION, 'user commands need user-admin')
  t.same(await reader.users.list('reader'), { reader: ['read:test'] }, 'a user lists themselves')
  t.equal(await codeOf(reader.users.list()), STATUS.ROLE_VIOLATION)
})

t.test('logins: no login, a wrong password, a dropped user, granted and revoked roles', async (t) => {
  const dataDir = tempDataDir(t)
  const { lines, log } = recordingLogger()
  const server = await testServer(t, secured(dataDir, { log }))
  const anonymous = await testClient(t, server, { poolSize: 1 })
  t.equal(await codeOf(anonymous.get(new Key('test', 's', 'a'))), STATUS.NOT_AUTHENTICATED, 'no login: 80')
  t.equal(await codeOf(anonymous.info('status')), STATUS.NOT_AUTHENTICATED)
  const port = server.address.port
  t.equal(await codeOf(connect({ hosts: `127.0.0.1:${port}`, user: 'admin', password: 'wrong password', poolSize: 1 })), STATUS.INVALID_PASSWORD, 'a wrong password: 62')
  t.equal(await codeOf(connect({ hosts: `127.0.0.1:${port}`, user: 'ghost', password: 'whatever', poolSize: 1 })), STATUS.INVALID_PASSWORD, 'an unknown user: 62 as well')
  t.equal(server.core.stats.loginFailures, 2)
  t.ok(lines.some((l) => /WARN login failed for user "admin" from 127\.0\.0\.1 \(1 in a row\)/.test(l)), 'the failure is logged')
  t.notOk(lines.some((l) => l.includes('wrong password')), 'without the password')

  const admin = await testClient(t, server, { poolSize: 1, user: 'admin', password: ADMIN_PASSWORD })
  await admin.users.create('bob', 'bob pw', ['read'])
  const bob = await testClient(t, server, { poolSize: 1, user: 'bob', password: 'bob pw' })
  const key = new Key('test', 's', 'b')
  t.equal(await codeOf(bob.put(key, { n: 1 })), STATUS.ROLE_VIOLATION)
  await admin.users.grant('bob', ['read-write'])
  await bob.put(key, { n: 1 })
  t.same(await admin.users.list('bob'), { bob: ['read', 'read-write'] }, 'a grant reaches connections already logged in')
  await admin.users.revoke('bob', ['read-write'])
  t.equal(await codeOf(bob.put(key, { n: 2 })), STATUS.ROLE_VIOLATION, 'so does a revoke')
  await admin.users.setPassword('bob', 'new bob pw')
  t.equal(await codeOf(connect({ hosts: `127.0.0.1:${port}`, user: 'bob', password: 'bob pw' })), STATUS.INVALID_PASSWORD, 'the old password is refused')
  await admin.users.drop('bob')
  t.equal(await codeOf(bob.get(key)), STATUS.NOT_AUTHENTICATED, 'a dropped user is logged out')
  t.equal(await codeOf(admin.users.drop('bob')), STATUS.INVALID_USER)
})

t.test('bad user commands are refused with a clear status', async (t) => {
  const server = await testServer(t, secured(tempDataDir(t)))
  const admin = await testClient(t, server, { poolSize: 1, user: 'admin', password: ADMIN_PASSWORD })
  t.equal(await codeOf(admin.users.create('admin', 'pw', [])), STATUS.USER_EXISTS)
  t.equal(await codeOf(admin.users.create('has space', 'pw', [])), STATUS.INVALID_USER)
  t.equal(await codeOf(admin.users.create('x'.repeat(64), 'pw', [])), STATUS.INVALID_USER)
  t.equal(await codeOf(admin.users.create('carol', 'pw', ['superuser'])), STATUS.INVALID_ROLE)
  t.equal(await codeOf(admin.users.create('carol', 'pw', ['sys-admin:test'])), STATUS.INVALID_ROLE, 'sys-admin takes no namespace')
  t.equal(await codeOf(admin.users.create('carol', 'pw', ['read::s'])), STATUS.INVALID_ROLE)
  t.equal(await codeOf(admin.users.grant('nobody-here', ['read'])), STATUS.INVALID_USER)
  t.equal(await codeOf(admin.users.create('carol', '', [])), -2, 'an empty password is refused by the client')
  t.same(Object.keys(await admin.users.list()), ['admin'], 'nothing was created')
})

t.test('users survive a restart; the file holds hashes only, readable by its owner', async (t) => {
  const dataDir = tempDataDir(t)
  const first = await testServer(t, secured(dataDir))
  const admin = await testClient(t, first, { poolSize: 1, user: 'admin', password: ADMIN_PASSWORD })
  await admin.users.create('dave', 'dave pw', ['read-write:test'])
  await admin.close()
  await first.close()
  const file = path.join(dataDir, 'users.json')
  const text = fs.readFileSync(file, 'utf8')
  t.notOk(text.includes('dave pw') || text.includes(ADMIN_PASSWORD), 'no password in the file')
  t.equal(fs.statSync(file).mode & 0o777, 0o600)
  // Restarted without the admin password: the users are on disk.
  const second = await testServer(t, { dataDir, security: { enabled: true } })
  const dave = await testClient(t, second, { poolSize: 1, user: 'dave', password: 'dave pw' })
  const key = new Key('test', 's', 'd')
  await dave.put(key, { n: 1 })
  t.same((await dave.get(key)).bins, { n: 1 })
})

t.test('no users and no admin password: the start is refused; security off: AUTH is 52', async (t) => {
  const saved = process.env.TALLY_ADMIN_PASSWORD
  delete process.env.TALLY_ADMIN_PASSWORD
  t.teardown(() => {
    if (saved !== undefined) process.env.TALLY_ADMIN_PASSWORD = saved
  })
  await t.rejects(testServer(t, { dataDir: tempDataDir(t), security: { enabled: true } }), /holds no user: give the first admin user's password in TALLY_ADMIN_PASSWORD/)
  const open = await testServer(t)
  t.equal(await codeOf(connect({ hosts: `127.0.0.1:${open.address.port}`, user: 'admin', password: 'x' })), STATUS.SECURITY_NOT_ENABLED)
})

t.test('repeated failed logins from one address are answered later and later', async (t) => {
  const { lines, log } = recordingLogger()
  const server = await testServer(t, { dataDir: tempDataDir(t), log, security: { enabled: true, adminPassword: ADMIN_PASSWORD, loginFailuresBeforeDelay: 1, maxLoginDelayMs: 2000 } })
  const attempt = async (password: string): Promise<{ code: number | string; ms: number }> => {
    const start = performance.now()
    const code = await codeOf(connect({ hosts: `127.0.0.1:${server.address.port}`, poolSize: 1, user: 'admin', password, connectTimeoutMs: 30_000 }).then((c) => c.close()))
    return { code, ms: performance.now() - start }
  }
  t.equal((await attempt('wrong 1')).code, STATUS.INVALID_PASSWORD)
  const second = await attempt('wrong 2')
  t.equal(second.code, STATUS.INVALID_PASSWORD)
  t.ok(second.ms >= 240, `the second failure in a row waits at least 250 ms (${second.ms.toFixed(0)} ms)`)
  const third = await attempt('wrong 3')
  t.ok(third.ms >= 490, `the third at least 500 ms (${third.ms.toFixed(0)} ms)`)
  t.ok(lines.some((l) => l.includes('(3 in a row; answered after 500 ms)')), 'the delay is logged')
  t.equal((await attempt(ADMIN_PASSWORD)).code, 'resolved', 'the right password still logs in')
  t.equal(server.core.stats.loginFailures, 3)
  t.equal(server.core.stats.loginSuccesses, 1)
})
