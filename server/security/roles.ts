// Roles (docs/security.md): Aerospike's predefined ones, `read` and `read-write` optionally scoped to a namespace
// or a set (`read-write:test`, `read:test:users`), as Aerospike scopes the privileges of its roles. What each kind
// of request needs is decided by the session (session.ts); here, whether a user's roles grant it.
import { TallyError } from '../../protocol/errors.js'
import { STATUS } from '../../protocol/status.js'

/** The roles a user may hold. */
export const ROLE = {
  READ: 'read',
  READ_WRITE: 'read-write',
  SYS_ADMIN: 'sys-admin',
  USER_ADMIN: 'user-admin',
} as const
export type RoleName = (typeof ROLE)[keyof typeof ROLE]
const NAMES: ReadonlySet<string> = new Set(Object.values(ROLE))

/** One role as granted: its name and, for `read` and `read-write`, the namespace and set it is limited to. */
export interface Grant {
  role: RoleName
  /** null: every namespace. */
  ns: string | null
  /** null: every set of `ns`. */
  set: string | null
}

/** Most roles one user holds, and the longest role text: bounds what one user costs to store and check. */
export const MAX_ROLES = 64
const MAX_ROLE_TEXT = 128

/** Reads `read`, `read-write:NS` or `read:NS:SET`; throws INVALID_ROLE (70) naming what is wrong. */
export function parseGrant(text: unknown): Grant {
  if (typeof text !== 'string' || text.length === 0 || text.length > MAX_ROLE_TEXT) throw invalidRole(`a role is a non-empty string of up to ${MAX_ROLE_TEXT} characters`)
  const [role, ns, ...rest] = text.split(':')
  const set = rest.length === 0 ? undefined : rest.join(':')
  if (!NAMES.has(role!)) throw invalidRole(`unknown role '${role}' (${[...NAMES].join(', ')}, the first two optionally :NAMESPACE[:SET])`)
  if (ns !== undefined && role !== ROLE.READ && role !== ROLE.READ_WRITE) throw invalidRole(`the role '${role}' applies to the whole server and takes no namespace`)
  if (ns === '' || set === '') throw invalidRole(`'${text}' names an empty namespace or set`)
  return { role: role as RoleName, ns: ns ?? null, set: set ?? null }
}

/** A grant as text, as `parseGrant` reads it. */
export function grantText(g: Grant): string {
  return [g.role, g.ns, g.set].filter((part) => part !== null).join(':')
}

/** Parses a list of roles, checking its length; duplicates are kept once. */
export function parseGrants(texts: unknown): Grant[] {
  if (!Array.isArray(texts)) throw invalidRole('roles must be a list of role names')
  if (texts.length > MAX_ROLES) throw invalidRole(`a user holds at most ${MAX_ROLES} roles`)
  const seen = new Map<string, Grant>()
  for (const text of texts) {
    const grant = parseGrant(text)
    seen.set(grantText(grant), grant)
  }
  return [...seen.values()]
}

/** Whether `grants` allow reading (`write` false) or writing records of `ns`/`set` (set null: not known). */
export function allowsRecords(grants: readonly Grant[], write: boolean, ns: string, set: string | null): boolean {
  for (const g of grants) {
    if (g.role !== ROLE.READ_WRITE && (write || g.role !== ROLE.READ)) continue
    if (g.ns !== null && g.ns !== ns) continue
    // A set-scoped role covers only keys whose set is known to be its set.
    if (g.set !== null && g.set !== set) continue
    return true
  }
  return false
}

/** Whether `grants` hold the server-wide `role` (sys-admin, user-admin). */
export function holds(grants: readonly Grant[], role: RoleName): boolean {
  return grants.some((g) => g.role === role)
}

function invalidRole(message: string): TallyError {
  return new TallyError(STATUS.INVALID_ROLE, message)
}
