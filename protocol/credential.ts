// The credential a client sends for a password, as Aerospike's clients make it (as_password.c): bcrypt of the
// password with one fixed salt. Servers keep only a bcrypt hash of it (docs/security.md); the wire never carries the
// password itself.
import bcrypt from 'bcryptjs'

/** The salt every Aerospike client hashes passwords with. */
export const AEROSPIKE_SALT = '$2a$10$7EqJtq98hPqEX7fNZaFWoO'
/** bcrypt reads at most 72 bytes: a longer password would match any other with the same first 72. */
export const MAX_PASSWORD_BYTES = 72

/** The credential for `password` (a 60-character bcrypt string). Takes a few hundred ms of CPU, off the event loop's turn. */
export function credentialOf(password: string): Promise<string> {
  return bcrypt.hash(password, AEROSPIKE_SALT)
}
