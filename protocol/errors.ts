// The one error class of Tally. Its `code` is the wire status (protocol/status.ts), so a caller can switch on it
// whether the error came from the server or was raised by the client. And how messages show what they were given:
// briefly, so that no input makes a message long.
import { statusName } from './status.js'

/** Error messages on the wire are at most this many bytes of UTF-8 (PROTOCOL.md §5.2). */
export const MAX_MESSAGE_BYTES = 512
/** A value shown in a message is cut to this many characters. */
const SHOWN_CHARS = 64

/** `text` cut to at most `maxBytes` bytes of UTF-8, ending in '…' when it was cut. */
export function truncate(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes || Buffer.byteLength(text) <= maxBytes) return text
  const head = Buffer.from(text.slice(0, maxBytes))
  let end = maxBytes - 3 // room for '…'
  while (end > 0 && (head[end]! & 0xc0) === 0x80) end-- // not inside a character
  return `${head.toString('utf8', 0, end)}…`
}

/** A value as a message shows it, briefly: a string quoted and cut short, bytes, lists and maps by their size. */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return `'${value.length > SHOWN_CHARS ? `${value.slice(0, SHOWN_CHARS)}…` : value}'`
    case 'number':
    case 'bigint':
    case 'boolean':
      return String(value)
    default:
      if (value === null || value === undefined) return 'nil'
      if (value instanceof Uint8Array) return `${value.length} bytes`
      if (Array.isArray(value)) return `a list of ${value.length}`
      if (value instanceof Map) return `a map of ${value.size}`
      return typeof value === 'object' ? `a ${(value.constructor as { name?: string } | undefined)?.name ?? 'object'}` : `a ${typeof value}`
  }
}

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
