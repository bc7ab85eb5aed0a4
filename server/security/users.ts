// The users and their roles, kept in `users.json` in the data directory. Users change seldom and are few, so the
// whole file is rewritten on each change: to a temporary file, fsynced, renamed over the old one, and the directory
// fsynced, so that a crash leaves the old file or the new one, never a mix. (The record log was not used: its
// entries belong to namespaces, are retired by snapshots, and would put password hashes in every segment copied.)
// The file holds bcrypt hashes only (password.ts) and is created readable by its owner alone.
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import { TallyError } from '../../protocol/errors.js'
import { STATUS } from '../../protocol/status.js'
import { grantText, parseGrants, type Grant } from './roles.js'

/** The name of the users file in the data directory. */
export const USERS_FILE = 'users.json'
const FORMAT = 1
/** Most users a server keeps: a bound on the file and on what listing them costs. */
export const MAX_USERS = 10_000
const USER_NAME = /^[A-Za-z0-9_.@-]{1,63}$/

/** One user: the hash of their credential and their roles. Connections hold this object: changes reach them. */
export interface User {
  readonly name: string
  hash: string
  grants: Grant[]
  /** Set when the user is dropped: their sessions and connections are no longer authenticated. */
  dropped: boolean
}

/** Throws INVALID_USER (60) for a name that cannot be a user's. */
export function checkUserName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !USER_NAME.test(name)) throw new TallyError(STATUS.INVALID_USER, 'a user name is 1 to 63 letters, digits, _ . @ or -')
}

export class UserStore {
  readonly file: string
  readonly #users = new Map<string, User>()
  // Changes are written one at a time, in order.
  #writing: Promise<void> = Promise.resolve()

  private constructor(file: string) {
    this.file = file
  }

  /** Reads `dir/users.json` if there is one; a file that cannot be read stops the start, naming it. */
  static open(dir: string): UserStore {
    const store = new UserStore(path.join(dir, USERS_FILE))
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
    let text: string
    try {
      text = fs.readFileSync(store.file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return store
      throw new Error(`the users file ${store.file} cannot be read: ${(err as Error).message}`)
    }
    try {
      const parsed = JSON.parse(text) as { format: unknown; users: { name: unknown; hash: unknown; roles: unknown }[] }
      if (parsed.format !== FORMAT || !Array.isArray(parsed.users)) throw new Error(`format ${String(parsed.format)} is not ${FORMAT}`)
      for (const u of parsed.users) {
        checkUserName(u.name)
        if (typeof u.hash !== 'string' || !u.hash.startsWith('$2')) throw new Error(`user ${u.name} has no bcrypt hash`)
        store.#users.set(u.name, { name: u.name, hash: u.hash, grants: parseGrants(u.roles), dropped: false })
      }
    } catch (err) {
      throw new Error(`the users file ${store.file} is damaged (${(err as Error).message}); restore it from a backup, or move it away to start with the admin user of the config only`)
    }
    return store
  }

  get size(): number {
    return this.#users.size
  }

  find(name: string): User | undefined {
    return this.#users.get(name)
  }

  /** Every user, by name. */
  list(): User[] {
    return [...this.#users.values()].sort((a, b) => (a.name < b.name ? -1 : 1))
  }

  /** Adds a user and writes the file; INVALID_USER, USER_EXISTS (61) or a full store refuse it. */
  async create(name: string, hash: string, grants: Grant[]): Promise<void> {
    checkUserName(name)
    if (this.#users.has(name)) throw new TallyError(STATUS.USER_EXISTS, `user ${name} exists already`)
    if (this.#users.size >= MAX_USERS) throw new TallyError(STATUS.FORBIDDEN, `the server keeps at most ${MAX_USERS} users`)
    const user: User = { name, hash, grants, dropped: false }
    this.#users.set(name, user)
    await this.#save(() => this.#users.delete(name))
  }

  /** Removes a user and writes the file. */
  async drop(name: string): Promise<void> {
    const user = this.#existing(name)
    this.#users.delete(name)
    await this.#save(() => this.#users.set(name, user))
    user.dropped = true
  }

  /** Replaces a user's hash, or roles, and writes the file. */
  async update(name: string, change: { hash?: string; grants?: Grant[] }): Promise<void> {
    const user = this.#existing(name)
    const before = { hash: user.hash, grants: user.grants }
    if (change.hash !== undefined) user.hash = change.hash
    if (change.grants !== undefined) user.grants = change.grants
    await this.#save(() => Object.assign(user, before))
  }

  #existing(name: string): User {
    const user = this.#users.get(name)
    if (user === undefined) throw new TallyError(STATUS.INVALID_USER, `no user ${JSON.stringify(name)}`)
    return user
  }

  // Writes the users as they are now; if that fails, `undo` puts the change back and the caller is told.
  async #save(undo: () => void): Promise<void> {
    const text = JSON.stringify({ format: FORMAT, users: this.list().map((u) => ({ name: u.name, hash: u.hash, roles: u.grants.map(grantText) })) }, null, 1)
    const write = this.#writing.then(() => writeAtomically(this.file, text))
    this.#writing = write.catch(() => undefined)
    try {
      await write
    } catch (err) {
      undo()
      throw new TallyError(STATUS.SERVER_ERROR, `cannot write the users file ${this.file}: ${(err as Error).message}`)
    }
  }
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const temporary = `${file}.tmp`
  const handle = await fsp.open(temporary, 'w', 0o600)
  try {
    await handle.writeFile(text)
    await handle.sync()
  } finally {
    await handle.close()
  }
  await fsp.rename(temporary, file)
  const dir = await fsp.open(path.dirname(file), 'r')
  try {
    await dir.sync()
  } finally {
    await dir.close()
  }
}
