// The users of a server with security enabled, managed through a client (`client.users`): USER_ADMIN requests
// (PROTOCOL.md §4.15). Passwords are turned into credentials here; the server keeps only their bcrypt hashes.
import { credentialOf, MAX_PASSWORD_BYTES } from '../protocol/credential.js'
import { TallyError } from '../protocol/errors.js'
import type { UserAdminRequest } from '../protocol/messages.js'
import { CLIENT_STATUS } from '../protocol/status.js'
import { userAdminCall } from './calls.js'
import type { Call } from './connection.js'

type Send = (call: Call) => Promise<unknown>

/** User commands; each needs the role user-admin, except setting one's own password and listing oneself. */
export class Users {
  readonly #send: Send

  /** @internal Use `client.users`. */
  constructor(send: Send) {
    this.#send = send
  }

  /** Creates `user` with `password` and `roles` (`read`, `read-write:test`, `sys-admin`, ...). */
  async create(user: string, password: string, roles: string[] = []): Promise<void> {
    await this.#run({ command: 'create', user, credential: await credential(password), roles })
  }

  async drop(user: string): Promise<void> {
    await this.#run({ command: 'drop', user, credential: null, roles: null })
  }

  async setPassword(user: string, password: string): Promise<void> {
    await this.#run({ command: 'set-password', user, credential: await credential(password), roles: null })
  }

  async grant(user: string, roles: string[]): Promise<void> {
    await this.#run({ command: 'grant', user, credential: null, roles })
  }

  async revoke(user: string, roles: string[]): Promise<void> {
    await this.#run({ command: 'revoke', user, credential: null, roles })
  }

  /** Every user and their roles (or `user` alone), as `{ name: ['read', ...] }`. */
  async list(user?: string): Promise<Record<string, string[]>> {
    const answer = (await this.#run({ command: 'list', user: user ?? null, credential: null, roles: null })) as Record<string, string>
    return Object.fromEntries(Object.entries(answer).map(([name, roles]) => [name, roles === '' ? [] : roles.split(',')]))
  }

  #run(request: Omit<UserAdminRequest, 'op' | 'id'>): Promise<unknown> {
    if (request.user !== null && (typeof request.user !== 'string' || request.user === '')) return Promise.reject(param('user must be a non-empty string'))
    if (request.roles !== null && !(Array.isArray(request.roles) && request.roles.every((r) => typeof r === 'string')))
      return Promise.reject(param('roles must be an array of strings'))
    return this.#send(userAdminCall(request))
  }
}

async function credential(password: string): Promise<string> {
  if (typeof password !== 'string' || password === '' || Buffer.byteLength(password) > MAX_PASSWORD_BYTES)
    throw param(`password must be a non-empty string of at most ${MAX_PASSWORD_BYTES} bytes`)
  return credentialOf(password)
}

function param(message: string): TallyError {
  return new TallyError(CLIENT_STATUS.PARAMETER, message)
}
