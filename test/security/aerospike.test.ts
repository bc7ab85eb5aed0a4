// Users and roles on the Aerospike listener: the official client logging in (and refused with a wrong password),
// roles enforced on its requests, the user commands it exposes, and, spoken raw, LOGIN's session token, which
// AUTHENTICATE accepts until its TTL passes, and bad admin input.
import Aerospike from 'aerospike'
import net from 'node:net'
import t from 'tap'
import { encodeAdmin, decodeAdmin } from '../../protocol/aerospike/admin.js'
import { ADMIN_COMMAND, ADMIN_FIELD, OP as AS_OP, PROTO_TYPE } from '../../protocol/aerospike/constants.js'
import { encodeRequest } from '../../protocol/aerospike/record-request.js'
import { decodeResponse } from '../../protocol/aerospike/record-response.js'
import { computeDigest } from '../../protocol/digest.js'
import { credentialOf } from '../../protocol/credential.js'
import { STATUS } from '../../protocol/status.js'
import { ManualClock } from '../../server/store/clock.js'
import { aerospikeClient, aerospikeServer, ProtoReader, rawAsSocket, uniqueAsKey } from '../helpers/aerospike.js'
import { recordingLogger, tempDataDir } from '../helpers/data-dir.js'
import { FaultyDisk } from '../helpers/faulty-disk.js'
import { testServer } from '../helpers/server.js'
import { makeTestCerts } from '../helpers/certs.js'
import { codeOf } from '../helpers/rejections.js'

const ADMIN_PASSWORD = 'aerospike admin pw'
/** User commands cost the server a bcrypt hash and an fsync: more than the client's default second. */
const ADMIN_POLICY = new Aerospike.AdminPolicy({ timeout: 30_000 })

t.test('the official client with users and roles', async (t) => {
  process.env.TALLY_ADMIN_PASSWORD = ADMIN_PASSWORD
  t.teardown(() => delete process.env.TALLY_ADMIN_PASSWORD)
  const server = await aerospikeServer(t, ['--enable-security', '--data-dir', tempDataDir(t)])
  const port = server.aerospikePort
  const admin = await aerospikeClient(t, port, { user: 'admin', password: ADMIN_PASSWORD })
  const key = uniqueAsKey()
  await admin.put(key, { n: 1 })
  t.same((await admin.get(key)).bins, { n: 1 }, 'a user logs in and works')

  t.equal(await codeOf(aerospikeClient(t, port, { user: 'admin', password: 'not the password' })), STATUS.INVALID_PASSWORD, 'a wrong password: 62')
  t.not(await codeOf(aerospikeClient(t, port)), 'resolved', 'a client without a user is not served')

  await admin.createUser('reader', 'reader pw', ['read'], ADMIN_POLICY)
  const reader = await aerospikeClient(t, port, { user: 'reader', password: 'reader pw' })
  t.same((await reader.get(key)).bins, { n: 1 }, 'read: get')
  t.equal(await codeOf(reader.put(key, { n: 2 })), STATUS.ROLE_VIOLATION, 'read: no put')
  t.equal(await codeOf(reader.operate(key, [Aerospike.operations.incr('n', 1)])), STATUS.ROLE_VIOLATION, 'read: no increment')
  t.equal(await codeOf(reader.remove(key)), STATUS.ROLE_VIOLATION, 'read: no remove')
  t.equal(await codeOf(reader.createUser('x', 'x pw', [], ADMIN_POLICY)), STATUS.ROLE_VIOLATION, 'read: no user commands')

  await admin.grantRoles('reader', ['read-write:test'], ADMIN_POLICY)
  await reader.put(key, { n: 3 })
  t.same((await admin.get(key)).bins, { n: 3 }, 'a granted role applies at once')
  const user = await admin.queryUser('reader', ADMIN_POLICY)
  t.same([user.name, [...user.roles].sort()], ['reader', ['read', 'read-write:test']], 'query user')
  t.same((await admin.queryUsers(ADMIN_POLICY)).map((u: { name: string }) => u.name).sort(), ['admin', 'reader'], 'query users')
  await admin.revokeRoles('reader', ['read-write:test'], ADMIN_POLICY)
  t.equal(await codeOf(reader.put(key, { n: 4 })), STATUS.ROLE_VIOLATION, 'a revoked role is gone')
  await admin.changePassword('reader', 'new reader pw', ADMIN_POLICY)
  t.equal(await codeOf(aerospikeClient(t, port, { user: 'reader', password: 'reader pw' })), STATUS.INVALID_PASSWORD, 'the old password is refused')
  await aerospikeClient(t, port, { user: 'reader', password: 'new reader pw' })
  t.equal(await codeOf(admin.createUser('reader', 'pw', [], ADMIN_POLICY)), STATUS.USER_EXISTS)
  t.equal(await codeOf(admin.createUser('eve', 'pw', ['no-such-role'], ADMIN_POLICY)), STATUS.INVALID_ROLE)
  await admin.dropUser('reader', ADMIN_POLICY)
  t.equal(await codeOf(admin.queryUser('reader', ADMIN_POLICY)), STATUS.INVALID_USER, 'a dropped user is gone')
})

/** Sends one admin message on `socket` and reads the answer. */
async function admin(socket: net.Socket, reader: ProtoReader, command: number, fields: { id: number; data: Buffer }[]): Promise<ReturnType<typeof decodeAdmin>> {
  socket.write(encodeAdmin({ command, fields }))
  const frame = await reader.next()
  return decodeAdmin(frame!.body)
}

t.test('session tokens: AUTHENTICATE until the TTL passes; bad admin input', async (t) => {
  const clock = new ManualClock(Date.now())
  const server = await testServer(t, { aerospikePort: 0, clock, dataDir: tempDataDir(t), security: { enabled: true, adminPassword: ADMIN_PASSWORD, sessionTtlSec: 600 } })
  const port = server.aerospikeAddress!.port
  const user = { id: ADMIN_FIELD.USER, data: Buffer.from('admin') }
  const first = await rawAsSocket(t, port)
  const firstReader = new ProtoReader(first)
  const login = await admin(first, firstReader, ADMIN_COMMAND.LOGIN, [user, { id: ADMIN_FIELD.CREDENTIAL, data: Buffer.from(await credentialOf(ADMIN_PASSWORD)) }])
  t.equal(login.result, 0)
  const token = login.fields.find((f) => f.id === ADMIN_FIELD.SESSION_TOKEN)!.data
  t.equal(token.length, 32)
  t.equal(login.fields.find((f) => f.id === ADMIN_FIELD.SESSION_TTL)!.data.readUInt32BE(0), 600)

  const second = await rawAsSocket(t, port)
  const secondReader = new ProtoReader(second)
  t.equal((await admin(second, secondReader, ADMIN_COMMAND.AUTHENTICATE, [user, { id: ADMIN_FIELD.SESSION_TOKEN, data: token }])).result, 0, 'the token authenticates')
  const forged = Buffer.from(token)
  forged[0]! ^= 1
  t.equal((await admin(second, secondReader, ADMIN_COMMAND.AUTHENTICATE, [user, { id: ADMIN_FIELD.SESSION_TOKEN, data: forged }])).result, STATUS.INVALID_CREDENTIAL, 'a forged token: 65')
  clock.advance(601_000)
  t.equal((await admin(second, secondReader, ADMIN_COMMAND.AUTHENTICATE, [user, { id: ADMIN_FIELD.SESSION_TOKEN, data: token }])).result, STATUS.EXPIRED_SESSION, 'an expired token: 66')

  t.equal((await admin(second, secondReader, ADMIN_COMMAND.LOGIN, [user])).result, STATUS.PARAMETER, 'LOGIN without a credential: 4')
  t.equal((await admin(second, secondReader, ADMIN_COMMAND.CREATE_USER, [user])).result, STATUS.NOT_AUTHENTICATED, 'a user command before a login: 80')
  t.equal((await admin(first, firstReader, ADMIN_COMMAND.CREATE_USER, [{ id: ADMIN_FIELD.USER, data: Buffer.from('zed') }, { id: ADMIN_FIELD.PASSWORD, data: Buffer.from('plain text') }])).result, STATUS.INVALID_PASSWORD, 'a password that is no credential: 62')
  t.equal((await admin(first, firstReader, ADMIN_COMMAND.GRANT_ROLES, [user, { id: ADMIN_FIELD.ROLES, data: Buffer.from([3, 1]) }])).result, STATUS.PARAMETER, 'a truncated roles field: 4')
  t.equal((await admin(first, firstReader, 77, [])).result, STATUS.SECURITY_COMMAND, 'an unknown command: 54')
  t.equal(server.core.security!.users.size, 1, 'nothing was created')
})

t.test('the official client over TLS, with a user', async (t) => {
  const certs = makeTestCerts(t)
  process.env.TALLY_ADMIN_PASSWORD = ADMIN_PASSWORD
  t.teardown(() => delete process.env.TALLY_ADMIN_PASSWORD)
  const server = await aerospikeServer(t, ['--enable-security', '--data-dir', tempDataDir(t), '--tls-cert-file', certs.server.cert, '--tls-key-file', certs.server.key])
  const client = await aerospikeClient(t, server.aerospikePort, {
    hosts: [{ addr: '127.0.0.1', port: server.aerospikePort, tlsname: 'localhost' }],
    tls: { enable: true, cafile: certs.ca },
    user: 'admin',
    password: ADMIN_PASSWORD,
  })
  const key = uniqueAsKey()
  await client.put(key, { n: 1 })
  t.same((await client.get(key)).bins, { n: 1 })
  t.equal(await client.infoAny('service-tls-std'), `service-tls-std\t127.0.0.1:${server.aerospikePort}\n`)
})

t.test("a login's answer survives a failed log write of the request behind it", async (t) => {
  const disk = new FaultyDisk()
  const server = await testServer(t, { aerospikePort: 0, storage: 'disk', dataDir: tempDataDir(t), fileSystem: disk, log: recordingLogger().log, security: { enabled: true, adminPassword: ADMIN_PASSWORD } })
  const socket = await rawAsSocket(t, server.aerospikeAddress!.port)
  const reader = new ProtoReader(socket)
  const login = encodeAdmin({ command: ADMIN_COMMAND.LOGIN, fields: [{ id: ADMIN_FIELD.USER, data: Buffer.from('admin') }, { id: ADMIN_FIELD.CREDENTIAL, data: Buffer.from(await credentialOf(ADMIN_PASSWORD)) }] })
  const write = encodeRequest({ ns: 'test', set: 'lw', digest: computeDigest('lw', 'k'), write: true, ops: [{ op: AS_OP.WRITE, name: 'n', value: 1 }] })
  disk.failLogWrite = 'EIO'
  socket.write(Buffer.concat([login, write])) // the write waits behind the login, then fails in the log
  const first = await reader.next()
  t.equal(first?.type, PROTO_TYPE.ADMIN, 'the login is answered first')
  t.equal(decodeAdmin(first!.body).result, 0, 'logged in')
  const second = await reader.next()
  t.same([second?.type, decodeResponse(second!.body).resultCode], [PROTO_TYPE.MESSAGE, STATUS.SERVER_ERROR], 'then the write, with the storage error')
})
