// Users, logins and sessions of a server with security enabled (docs/security.md), whatever the protocol: a login
// checks a credential against the user's bcrypt hash; Aerospike's clients then get a session token with a TTL.
// Failed logins are counted, logged without the credential, and answered ever later after a few in a row from one
// address. The user commands of both protocols run here, with the roles' rules on who may run them.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { TallyError } from '../../protocol/errors.js'
import { STATUS } from '../../protocol/status.js'
import type { Logger } from '../log.js'
import type { ServerStats } from '../stats.js'
import type { Clock } from '../store/clock.js'
import { checkCredential, credentialMatches, credentialOf, storedHashOf } from './password.js'
import { grantText, holds, parseGrants, ROLE } from './roles.js'
import { UserStore, type User } from './users.js'

/** The `security { ... }` block of the config. */
export interface SecurityOptions {
  /** Users, roles and logins on both listeners. */
  enabled: boolean
  /** The first user, created with the role user-admin (and every other) when there is no user yet. */
  adminUser?: string
  /** That user's password (better: the TALLY_ADMIN_PASSWORD environment variable). */
  adminPassword?: string
  /** How long an Aerospike session token lasts (Aerospike's session-ttl). */
  sessionTtlSec?: number
  /** Failed logins in a row from one address after which each answer waits (doubling up to maxLoginDelayMs). */
  loginFailuresBeforeDelay?: number
  maxLoginDelayMs?: number
}

export const DEFAULT_SECURITY = {
  adminUser: 'admin',
  sessionTtlSec: 86_400,
  loginFailuresBeforeDelay: 3,
  maxLoginDelayMs: 8000,
} as const

/** Environment variable that gives the first admin user's password. */
export const ADMIN_PASSWORD_ENV = 'TALLY_ADMIN_PASSWORD'
const FIRST_DELAY_MS = 250
/** Most addresses whose failures are remembered, and most live sessions: bounds on memory. */
const MAX_TRACKED = 10_000
const MAX_SESSIONS = 100_000
const TOKEN_BYTES = 32

export class Security {
  readonly users: UserStore
  readonly #log: Logger
  readonly #stats: ServerStats
  readonly #clock: Clock
  readonly #o: Required<Omit<SecurityOptions, 'adminPassword'>>
  readonly #failures = new Map<string, number>()
  readonly #sessions = new Map<string, { user: User; expiresMs: number }>()
  // sha256 of credentials already checked against a user's bcrypt hash: a pool of connections pays bcrypt once.
  readonly #verified = new Map<User, Buffer>()
  readonly #checking = new Map<string, Promise<boolean>>()

  private constructor(users: UserStore, o: Required<Omit<SecurityOptions, 'adminPassword'>>, log: Logger, stats: ServerStats, clock: Clock) {
    this.users = users
    this.#o = o
    this.#log = log
    this.#stats = stats
    this.#clock = clock
  }

  /**
   * Reads the users of `dataDir`; when there are none, creates the admin user from the config or the environment.
   * Without any, the start is refused: there is no built-in password.
   */
  static async open(dataDir: string, options: SecurityOptions, log: Logger, stats: ServerStats, clock: Clock): Promise<Security> {
    const o = { ...DEFAULT_SECURITY, ...options }
    const users = UserStore.open(dataDir)
    if (users.size === 0) {
      const password = options.adminPassword ?? process.env[ADMIN_PASSWORD_ENV]
      if (password === undefined || password === '')
        throw new Error(`security is enabled and ${users.file} holds no user: give the first admin user's password in ${ADMIN_PASSWORD_ENV} (or admin-password in the security block of a config file only its owner can read)`)
      await users.create(o.adminUser, await storedHashOf(await credentialOf(password)), parseGrants(Object.values(ROLE)))
      log.info(`security: created the user ${o.adminUser} with every role in ${users.file}`)
    }
    const { adminPassword: _secret, ...rest } = o
    return new Security(users, rest, log, stats, clock)
  }

  /** Aerospike's session TTL, in seconds. */
  get sessionTtlSec(): number {
    return this.#o.sessionTtlSec
  }

  /**
   * The user whose name and credential these are; otherwise INVALID_PASSWORD (62), whether the user or the password
   * is wrong (which names exist is nobody's business), after a delay once `peer` has failed several times in a row.
   */
  async login(name: string, credential: string, peer: string): Promise<User> {
    const user = this.users.find(name)
    let ok = false
    // An unknown user costs the same bcrypt work as a wrong password: the time taken tells no names.
    if (user === undefined) await credentialMatches(credential, UNKNOWN_USER_HASH)
    else if (CREDENTIAL_SHAPE.test(credential)) {
      const digest = createHash('sha256').update(credential).digest()
      const known = this.#verified.get(user)
      ok = known !== undefined && timingSafeEqual(known, digest)
      if (!ok && (await this.#check(user, credential, digest)) && !user.dropped) {
        this.#verified.set(user, digest)
        ok = true
      }
    }
    if (ok) {
      this.#failures.delete(peer)
      this.#stats.loginSuccesses++
      return user!
    }
    await this.#failed(name, peer)
    throw new TallyError(STATUS.INVALID_PASSWORD, 'wrong user or password')
  }

  // One bcrypt comparison for a credential however many connections bring it at once (a pool starting up).
  #check(user: User, credential: string, digest: Buffer): Promise<boolean> {
    const key = `${user.name}\0${digest.toString('hex')}`
    let checking = this.#checking.get(key)
    if (checking === undefined) {
      checking = credentialMatches(credential, user.hash).finally(() => this.#checking.delete(key))
      this.#checking.set(key, checking)
    }
    return checking
  }

  async #failed(name: string, peer: string): Promise<void> {
    this.#stats.loginFailures++
    const count = (this.#failures.get(peer) ?? 0) + 1
    this.#failures.delete(peer) // re-inserted last: the oldest are dropped first
    if (this.#failures.size >= MAX_TRACKED) this.#failures.delete(this.#failures.keys().next().value!)
    this.#failures.set(peer, count)
    const over = count - this.#o.loginFailuresBeforeDelay
    const delayMs = over > 0 ? Math.min(this.#o.maxLoginDelayMs, FIRST_DELAY_MS * 2 ** Math.min(over - 1, 16)) : 0
    this.#log.warn(`login failed for user ${JSON.stringify(name.slice(0, 64))} from ${peer} (${count} in a row${delayMs > 0 ? `; answered after ${delayMs} ms` : ''})`)
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs))
  }

  /** A new session token for `user`, valid for the session TTL. */
  issueToken(user: User): Buffer {
    const now = this.#clock.nowMs()
    if (this.#sessions.size >= MAX_SESSIONS) for (const [k, s] of this.#sessions) if (s.expiresMs <= now || this.#sessions.size >= MAX_SESSIONS) this.#sessions.delete(k)
    const token = randomBytes(TOKEN_BYTES)
    this.#sessions.set(token.toString('hex'), { user, expiresMs: now + this.#o.sessionTtlSec * 1000 })
    return token
  }

  /** The user of a live session token: INVALID_CREDENTIAL (65) for one never issued, EXPIRED_SESSION (66) past its TTL. */
  authenticate(name: string, token: Buffer): User {
    const key = token.toString('hex')
    const session = this.#sessions.get(key)
    if (session === undefined || session.user.name !== name || session.user.dropped) {
      this.#stats.loginFailures++
      throw new TallyError(STATUS.INVALID_CREDENTIAL, 'unknown session token: log in again')
    }
    if (session.expiresMs <= this.#clock.nowMs()) {
      this.#sessions.delete(key)
      throw new TallyError(STATUS.EXPIRED_SESSION, 'the session expired: log in again')
    }
    return session.user
  }

  /** Creates a user with a credential (Aerospike's form) and roles; needs user-admin. */
  async createUser(actor: User, name: string, credential: string, roles: unknown): Promise<void> {
    mayAdminister(actor)
    checkCredential(credential)
    const grants = parseGrants(roles)
    await this.users.create(name, await storedHashOf(credential), grants)
    this.#log.info(`security: ${actor.name} created the user ${name} (${grants.map(grantText).join(', ') || 'no roles'})`)
  }

  async dropUser(actor: User, name: string): Promise<void> {
    mayAdminister(actor)
    await this.users.drop(name)
    for (const [key, session] of this.#sessions) if (session.user.name === name) this.#sessions.delete(key)
    this.#log.info(`security: ${actor.name} dropped the user ${name}`)
  }

  /** Sets a password: a user-admin for anyone, anyone for themselves. */
  async setPassword(actor: User, name: string, credential: string): Promise<void> {
    if (actor.name !== name) mayAdminister(actor)
    checkCredential(credential)
    const user = this.users.find(name)
    await this.users.update(name, { hash: await storedHashOf(credential) })
    if (user !== undefined) this.#verified.delete(user)
    this.#log.info(`security: ${actor.name} set the password of ${name}`)
  }

  async grant(actor: User, name: string, roles: unknown, revoke: boolean): Promise<void> {
    mayAdminister(actor)
    const change = parseGrants(roles).map(grantText)
    const user = this.users.find(name)
    const current = (user?.grants ?? []).map(grantText)
    const next = revoke ? current.filter((g) => !change.includes(g)) : [...new Set([...current, ...change])]
    await this.users.update(name, { grants: parseGrants(next) })
    this.#log.info(`security: ${actor.name} ${revoke ? 'revoked' : 'granted'} ${change.join(', ')} ${revoke ? 'from' : 'to'} ${name}`)
  }

  /** Users and their roles: every user for a user-admin, oneself for anyone else. */
  list(actor: User, name: string | null): User[] {
    if (name !== actor.name) mayAdminister(actor)
    if (name === null) return this.users.list()
    const user = this.users.find(name)
    if (user === undefined) throw new TallyError(STATUS.INVALID_USER, `no user ${JSON.stringify(name)}`)
    return [user]
  }
}

/** A bcrypt hash (cost 10) no credential matches, checked for unknown users. */
const UNKNOWN_USER_HASH = '$2b$10$UKJXF2V5iLwqKQNQf6JlxuF/VT9B/tPL2ECoiZNRjn3omRT2E6zTa'
const CREDENTIAL_SHAPE = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/

function mayAdminister(actor: User): void {
  if (!holds(actor.grants, ROLE.USER_ADMIN)) throw new TallyError(STATUS.ROLE_VIOLATION, `user ${actor.name} lacks the role user-admin`)
}
