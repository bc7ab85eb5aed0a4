// Passwords (docs/security.md). Aerospike's clients never send a password: they send bcrypt(password) with one
// fixed salt, the "credential". The server keeps only bcrypt(credential) with a salt of its own per user, so the
// users file is no credential for anyone, and Tally's own clients, which send the password over the connection (TLS
// outside loopback), are checked the same way.
import bcrypt from 'bcryptjs'
import { credentialOf as hashPassword, MAX_PASSWORD_BYTES } from '../../protocol/credential.js'
import { TallyError } from '../../protocol/errors.js'
import { STATUS } from '../../protocol/status.js'

/** Cost of the per-user hash: 2^10 rounds, Aerospike's own. */
const STORED_COST = 10
const CREDENTIAL = /^\$2[aby]\$10\$[./A-Za-z0-9]{53}$/

/** The credential an Aerospike client sends for `password`. */
export function credentialOf(password: string): Promise<string> {
  checkPassword(password)
  return hashPassword(password)
}

/** Throws INVALID_PASSWORD (62) for a password that cannot be one. */
export function checkPassword(password: unknown): asserts password is string {
  if (typeof password !== 'string' || password.length === 0) throw new TallyError(STATUS.INVALID_PASSWORD, 'a password is a non-empty string')
  if (Buffer.byteLength(password) > MAX_PASSWORD_BYTES) throw new TallyError(STATUS.INVALID_PASSWORD, `a password has at most ${MAX_PASSWORD_BYTES} bytes`)
}

/** Throws INVALID_PASSWORD (62) unless `credential` has the form of Aerospike's. */
export function checkCredential(credential: string): void {
  if (!CREDENTIAL.test(credential)) throw new TallyError(STATUS.INVALID_PASSWORD, 'the password field is not a bcrypt credential')
}

/** What the users file keeps for a credential: bcrypt of it with a fresh salt. */
export async function storedHashOf(credential: string): Promise<string> {
  return bcrypt.hash(credential, await bcrypt.genSalt(STORED_COST))
}

/** Whether `credential` is the one `storedHash` was made from. */
export function credentialMatches(credential: string, storedHash: string): Promise<boolean> {
  return bcrypt.compare(credential, storedHash)
}
