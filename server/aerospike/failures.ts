// Whatever a request on the Aerospike listener throws, as the status its answer carries: a TallyError as it is,
// anything else status 1, logged as dispatch.ts logs Tally's internal errors (a stack at most once per interval).
import { TallyError } from '../../protocol/errors.js'
import { STATUS } from '../../protocol/status.js'
import { logInternalError } from '../dispatch.js'
import type { Logger } from '../log.js'

/** The failure `err` stands for; `what` names the request in the log (`an Aerospike request`). */
export function failureOf(err: unknown, log: Logger, what: string): TallyError {
  if (err instanceof TallyError) return err
  logInternalError(log, what, err)
  return new TallyError(STATUS.SERVER_ERROR, `internal error: ${(err as Error)?.message ?? String(err)}`)
}
