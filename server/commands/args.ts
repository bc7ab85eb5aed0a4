// Argument parsers shared by the `tally` commands: each returns the value or throws commander's
// InvalidArgumentError with what was expected.
import { InvalidArgumentError } from 'commander'
import { LOG_LEVELS, type LogLevel } from '../log.js'

export function port(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be an integer from 0 to 65535')
  return n
}

export function storage(value: string): 'memory' | 'disk' {
  if (value !== 'memory' && value !== 'disk') throw new InvalidArgumentError('memory or disk')
  return value
}

export function milliseconds(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number of milliseconds >= 1')
  return n
}

/** Milliseconds where 0 means never. */
export function timeoutMs(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 2 ** 31 - 1) throw new InvalidArgumentError('must be a whole number of milliseconds from 0 (never) to 2147483647')
  return n
}

export function bytes(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1024) throw new InvalidArgumentError('must be a whole number of bytes >= 1024')
  return n
}

export function logLevel(value: string): LogLevel {
  if (!(value in LOG_LEVELS)) throw new InvalidArgumentError(`one of ${Object.keys(LOG_LEVELS).join(', ')}`)
  return value as LogLevel
}
