// AUTH and USER_ADMIN on a server without security: refused with 52, as Aerospike refuses its admin commands. With
// security enabled the connection's session (security/session.ts) serves them instead.
import { TallyError } from '../../protocol/errors.js'
import { STATUS } from '../../protocol/status.js'

export function securityNotEnabled(): never {
  throw new TallyError(STATUS.SECURITY_NOT_ENABLED, 'security is not enabled on this server (security { enable-security true })')
}
