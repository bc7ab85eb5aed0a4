// Admin (security) commands on the Aerospike listener with security enabled (docs/security.md): LOGIN with the
// credential the clients send, AUTHENTICATE with the session token it gave, and the user commands the official
// clients expose (create, drop, set and change password, grant and revoke roles, query users). Each is answered
// with one admin frame; a refusal carries Aerospike's security result code.
import { decodeRoles, encodeAdmin, encodeAdminRecords, encodeRoles, type AdminField, type AdminMessage } from '../../protocol/aerospike/admin.js'
import { ADMIN_COMMAND, ADMIN_FIELD } from '../../protocol/aerospike/constants.js'
import { RESULT, resultCodeOf } from '../../protocol/aerospike/result-codes.js'
import { TallyError } from '../../protocol/errors.js'
import { STATUS } from '../../protocol/status.js'
import type { Logger } from '../log.js'
import { grantText } from '../security/roles.js'
import type { Session } from '../security/session.js'
import type { User } from '../security/users.js'
import { failureOf } from './failures.js'

/** The answer to `message` from the client of `session`. Never rejects: a failure is the answer's result code. */
export async function serveAdmin(session: Session, message: AdminMessage, log: Logger): Promise<Buffer> {
  try {
    return await command(session, message)
  } catch (err) {
    return encodeAdmin({ result: resultCodeOf(failureOf(err, log, 'an Aerospike admin command').code) })
  }
}

async function command(session: Session, message: AdminMessage): Promise<Buffer> {
  const { security } = session
  const field = (id: number): Buffer | undefined => message.fields.find((f) => f.id === id)?.data
  const text = (id: number, what: string): string => {
    const data = field(id)
    if (data === undefined) throw new TallyError(STATUS.PARAMETER, `the admin command ${message.command} needs the ${what} field`)
    return data.toString('utf8')
  }
  const roles = (): string[] => {
    const data = field(ADMIN_FIELD.ROLES)
    if (data === undefined) throw new TallyError(STATUS.PARAMETER, 'the roles field is missing')
    return decodeRoles(data)
  }
  const user = (): string => text(ADMIN_FIELD.USER, 'user')
  switch (message.command) {
    case ADMIN_COMMAND.LOGIN: {
      session.user = undefined
      const name = user()
      if (field(ADMIN_FIELD.CREDENTIAL) === undefined) throw new TallyError(STATUS.PARAMETER, 'LOGIN needs a credential (external and PKI logins are not served)')
      session.user = await security.login(name, text(ADMIN_FIELD.CREDENTIAL, 'credential'), session.peer)
      return loggedIn(session, session.user)
    }
    case ADMIN_COMMAND.AUTHENTICATE: {
      session.user = undefined
      const name = user()
      const token = field(ADMIN_FIELD.SESSION_TOKEN)
      // Clients before session tokens authenticate every connection with the credential itself.
      if (token === undefined) session.user = await security.login(name, text(ADMIN_FIELD.CREDENTIAL, 'credential'), session.peer)
      else session.user = security.authenticate(name, token)
      return encodeAdmin({ result: RESULT.OK })
    }
    case ADMIN_COMMAND.CREATE_USER:
      await security.createUser(session.authenticated(), user(), text(ADMIN_FIELD.PASSWORD, 'password'), field(ADMIN_FIELD.ROLES) === undefined ? [] : roles())
      break
    case ADMIN_COMMAND.DROP_USER:
      await security.dropUser(session.authenticated(), user())
      break
    case ADMIN_COMMAND.SET_PASSWORD:
      await security.setPassword(session.authenticated(), user(), text(ADMIN_FIELD.PASSWORD, 'password'))
      break
    case ADMIN_COMMAND.CHANGE_PASSWORD: {
      // One's own password, proven by the old one (a user-admin may set anyone's without it).
      const actor = session.authenticated()
      const name = user()
      if (actor.name === name) await security.login(name, text(ADMIN_FIELD.OLD_PASSWORD, 'old password'), session.peer)
      await security.setPassword(actor, name, text(ADMIN_FIELD.PASSWORD, 'password'))
      break
    }
    case ADMIN_COMMAND.GRANT_ROLES:
    case ADMIN_COMMAND.REVOKE_ROLES:
      await security.grant(session.authenticated(), user(), roles(), message.command === ADMIN_COMMAND.REVOKE_ROLES)
      break
    case ADMIN_COMMAND.QUERY_USERS: {
      const name = field(ADMIN_FIELD.USER)?.toString('utf8') ?? null
      const users = security.list(session.authenticated(), name)
      const records = users.map((u) => ({ fields: [utf8(ADMIN_FIELD.USER, u.name), { id: ADMIN_FIELD.ROLES, data: encodeRoles(u.grants.map(grantText)) }] }))
      return encodeAdminRecords([...records, { result: RESULT.SECURITY_OK_LAST }])
    }
    default:
      throw new TallyError(STATUS.SECURITY_COMMAND, `admin command ${message.command} is not served (roles, whitelists and quotas are not)`)
  }
  return encodeAdmin({ result: RESULT.OK })
}

// LOGIN's answer: a new session token and its TTL in seconds, which the client sends back with AUTHENTICATE on each
// new connection until it expires.
function loggedIn(session: Session, user: User): Buffer {
  const ttl = Buffer.alloc(4)
  ttl.writeUInt32BE(session.security.sessionTtlSec)
  return encodeAdmin({ result: RESULT.OK, fields: [{ id: ADMIN_FIELD.SESSION_TOKEN, data: session.security.issueToken(user) }, { id: ADMIN_FIELD.SESSION_TTL, data: ttl }] })
}

function utf8(id: number, value: string): AdminField {
  return { id, data: Buffer.from(value) }
}
