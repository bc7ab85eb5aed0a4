// One connection's standing with a server that has security enabled: who logged in on it, whether their roles allow
// each request (checked before anything runs, so a refused request changes nothing), and the answers that come
// later (a login, a user command) while the connection reads nothing more.
import { TallyError } from '../../protocol/errors.js'
import { infoError } from '../../protocol/aerospike/info.js'
import { BIN_OP, OP, type AuthRequest, type BinOp, type InfoResult, type RecordAddress, type Request, type UserAdminRequest } from '../../protocol/messages.js'
import { STATUS } from '../../protocol/status.js'
import { allowsRecords, grantText, holds, parseGrants, ROLE } from './roles.js'
import type { Security } from './security.js'
import type { User } from './users.js'

/** Info commands about the server's inner state and settings: answered to sys-admins only. */
const SERVER_INFO = /^(statistics|get-config|latencies|slowlog)\b/
/** Info commands that change records. */
const CHANGING_INFO = /^truncate(-namespace)?\b/

/** An answer being prepared: the connection waits for it before reading more. */
export interface Deferred {
  id: number
  answer: Promise<InfoResult>
}

export class Session {
  readonly security: Security
  /** The address of the peer, for the log of failed logins. */
  readonly peer: string
  user: User | undefined
  #deferred: Deferred | undefined

  constructor(security: Security, peer: string) {
    this.security = security
    this.peer = peer
  }

  /** Throws NOT_AUTHENTICATED (80) before a login, ROLE_VIOLATION (81) for a request the user's roles do not allow. */
  check(request: Request): void {
    // A cluster node proves itself with the peer secret, not a login (server/cluster/peer-auth.ts).
    if (request.op === OP.PEER) return
    const user = this.authenticated()
    switch (request.op) {
      case OP.INFO:
        // Info commands that change records (truncate) are the sys-admin's, checked before they run.
        if (request.commands.some((c) => CHANGING_INFO.test(c)) && !holds(user.grants, ROLE.SYS_ADMIN))
          throw new TallyError(STATUS.ROLE_VIOLATION, `user ${user.name} lacks the role sys-admin`)
        return
      case OP.SCAN:
        // A grant to a scan already started needs no more than the login that started it.
        if (request.spec !== null) need(user, false, { ns: request.spec.ns, set: request.spec.set })
        return
      case OP.RESTORE:
        for (const item of request.records) need(user, true, item.address)
        return
      case OP.GET:
      case OP.EXISTS:
        return need(user, false, request.address)
      case OP.OPERATE:
        return need(user, writes(request.ops), request.address)
      case OP.PUT:
      case OP.REMOVE:
      case OP.TOUCH:
      case OP.INCREMENT:
        return need(user, true, request.address)
      case OP.BATCH_GET:
        for (const address of request.addresses) need(user, false, address)
        return
      case OP.BATCH_OPERATE:
        for (const item of request.items) need(user, writes(item.ops), item.address)
        return
      default:
        // An operation without a rule of its own is the sys-admin's.
        if (!holds(user.grants, ROLE.SYS_ADMIN)) throw new TallyError(STATUS.ROLE_VIOLATION, `user ${user.name} lacks the role sys-admin`)
    }
  }

  /** The user logged in on this connection; NOT_AUTHENTICATED (80) if none (or they were dropped since). */
  authenticated(): User {
    const user = this.user
    if (user === undefined || user.dropped) throw new TallyError(STATUS.NOT_AUTHENTICATED, 'not authenticated: log in first (user and password)')
    return user
  }

  /**
   * On a connection from another cluster node, which checked the user's login and roles before forwarding: the
   * requests that follow act for user `name` with `roles`, and are checked again against them. The user is cleared
   * first, so that roles that do not parse leave the connection acting for nobody (80).
   */
  actFor(name: string, roles: readonly string[]): void {
    this.user = undefined
    this.user = { name, hash: '', grants: parseGrants(roles), dropped: false }
  }

  /** Replaces the values of the server's own info commands with a role violation unless the user is a sys-admin. */
  redactInfo(result: InfoResult): void {
    if (holds(this.user!.grants, ROLE.SYS_ADMIN)) return
    for (const answer of result) if (SERVER_INFO.test(answer[0])) answer[1] = infoError(STATUS.ROLE_VIOLATION, 'needs the role sys-admin')
  }

  /** Starts serving Tally's AUTH or USER_ADMIN; its answer is taken with `takeDeferred`. */
  defer(request: AuthRequest | UserAdminRequest): void {
    this.#deferred = { id: request.id, answer: request.op === OP.AUTH ? this.#auth(request) : this.#userAdmin(request) }
  }

  /** The answer started by `defer`, if one was (once). */
  takeDeferred(): Deferred | undefined {
    const deferred = this.#deferred
    this.#deferred = undefined
    return deferred
  }

  async #auth(request: AuthRequest): Promise<InfoResult> {
    this.user = undefined // a failed login leaves the connection logged out, whoever was in before
    const user = await this.security.login(request.user, request.credential, this.peer)
    this.user = user
    return [
      ['user', user.name],
      ['roles', user.grants.map(grantText).join(',')],
    ]
  }

  async #userAdmin(request: UserAdminRequest): Promise<InfoResult> {
    const actor = this.authenticated()
    const security = this.security
    const { command, user, credential, roles } = request
    if (command === 'list') return security.list(actor, user).map((u) => [u.name, u.grants.map(grantText).join(',')])
    if (user === null) throw new TallyError(STATUS.PARAMETER, `USER_ADMIN ${command}: a user name is required`)
    if (command === 'create' || command === 'set-password') {
      if (credential === null) throw new TallyError(STATUS.PARAMETER, `USER_ADMIN ${command}: a credential is required`)
      if (command === 'create') await security.createUser(actor, user, credential, roles ?? [])
      else await security.setPassword(actor, user, credential)
    } else if (command === 'drop') {
      await security.dropUser(actor, user)
    } else {
      if (roles === null) throw new TallyError(STATUS.PARAMETER, `USER_ADMIN ${command}: roles are required`)
      await security.grant(actor, user, roles, command === 'revoke')
    }
    return []
  }
}

function writes(ops: readonly BinOp[]): boolean {
  return ops.some((op) => op.op !== BIN_OP.READ)
}

function need(user: User, write: boolean, address: Pick<RecordAddress, 'ns' | 'set'>): void {
  if (allowsRecords(user.grants, write, address.ns, address.set)) return
  const where = address.set === null ? address.ns : `${address.ns}:${address.set}`
  throw new TallyError(STATUS.ROLE_VIOLATION, `user ${user.name} may not ${write ? 'write' : 'read'} records of ${where}`)
}
