// The one error class of Tally. Its `code` is the wire status (protocol/status.ts), so a caller can switch on it
// whether the error came from the server or was raised by the client.
import { statusName } from './status.js'

/** Extra facts an error may carry. */
export interface TallyErrorDetails {
  /** True when a failed write may nonetheless have been applied (it was sent, but no answer came back). */
  inDoubt?: boolean
  /** The record's current generation, on a generation mismatch (status 3). */
  gen?: number
  /** In a batch, the position of the record that failed. */
  index?: number
  /** The underlying error, for connection failures. */
  cause?: unknown
}

/** An error with a numeric status `code`: positive from the server, negative from the client. */
export class TallyError extends Error {
  override readonly name = 'TallyError'
  /** The status code: `STATUS.*` from the server, `CLIENT_STATUS.*` from the client. */
  readonly code: number
  /** Whether the operation may have been applied even though it failed. Always false for reads. */
  readonly inDoubt: boolean
  /** The record's generation, when the server reported one (generation mismatch). */
  readonly gen: number | undefined
  /** In a batch, the position of the record that failed. */
  readonly index: number | undefined

  constructor(code: number, message: string, details: TallyErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause })
    this.code = code
    this.inDoubt = details.inDoubt ?? false
    this.gen = details.gen
    this.index = details.index
  }

  /** The symbolic name of `code`, e.g. `NOT_FOUND`. */
  get status(): string {
    return statusName(this.code)
  }
}
