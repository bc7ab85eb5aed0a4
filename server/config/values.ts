// The rules of setting values: durations with ms/s/m/h/d, sizes with K/M/G/T, integers, booleans, words, paths and
// addresses, each within a range. They are the one check of a setting, in the config file and on the command line
// alike; each returns the value or throws a message saying what was expected.
import net from 'node:net'
import type { LogLevel } from '../log.js'

/** The longest delay Node's timers keep (2^31-1 ms, about 24.8 days); a longer one fires after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }
const SIZE_UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 }

/** Bounds of a value; with `off`, 0 is also accepted (meaning "none" or "never"). */
export interface Range {
  min: number
  max: number
  off?: boolean
}

function one(values: string[], what: string): string {
  if (values.length !== 1) throw new Error(`expects one value (${what}), got ${values.length}`)
  return values[0]!
}

// `n` in the largest unit that divides it: 86400000 -> 1d, 65536 -> 64K.
function inUnits(n: number, units: Record<string, number>): string {
  if (n === 0) return '0'
  const [unit, scale] = Object.entries(units)
    .filter(([, scale]) => n % scale === 0)
    .reduce((best, next) => (next[1] > best[1] ? next : best))
  return `${n / scale}${unit}`
}

function inRange(n: number, range: Range, units: Record<string, number>): number {
  if ((range.off && n === 0) || (n >= range.min && n <= range.max)) return n
  const span = `from ${inUnits(range.min, units)} to ${inUnits(range.max, units)}`
  throw new Error(`must be ${range.off && range.min > 0 ? `0 or ${span}` : span}`)
}

/** A duration in ms within `range`: `90`, `30s`, `5m`, `12h`, `30d`, `250ms`; a bare number is in `bareUnit`. */
export function duration(bareUnit: 's' | 'ms', range: Range) {
  return (values: string[]): number => {
    const text = one(values, 'a duration such as 30s, 5m, 12h or 30d')
    const m = /^(\d+)(ms|s|m|h|d)?$/.exec(text)
    if (m === null) throw new Error(`'${text}' is not a duration (such as 30s, 5m, 12h or 30d)`)
    return inRange(Number(m[1]) * DURATION_UNITS[m[2] ?? bareUnit]!, range, DURATION_UNITS)
  }
}

/** A duration in whole seconds within `range` (given in ms), returned in seconds. */
export function seconds(range: Range) {
  const ms = duration('s', range)
  return (values: string[]): number => {
    const n = ms(values)
    if (n % 1000 !== 0) throw new Error(`must be whole seconds ('${values[0]}' is not)`)
    return n / 1000
  }
}

/** A size in bytes within `range`: `1024`, `64K`, `512M`, `4G`. */
export function size(range: Range) {
  return (values: string[]): number => {
    const text = one(values, 'a size such as 64K, 512M or 4G')
    const m = /^(\d+)([KMGT]?)$/i.exec(text)
    if (m === null) throw new Error(`'${text}' is not a size (such as 64K, 512M or 4G)`)
    return inRange(Number(m[1]) * SIZE_UNITS[m[2]!.toUpperCase()]!, range, SIZE_UNITS)
  }
}

/** A count within `range`: `5000`, `64K`, `16M` (K, M and G multiply by 1024, as in sizes). */
export function count(range: Range) {
  return (values: string[]): number => {
    const text = one(values, 'a count such as 5000, 64K or 16M')
    const m = /^(\d+)([KMG]?)$/i.exec(text)
    if (m === null) throw new Error(`'${text}' is not a count (such as 5000, 64K or 16M)`)
    return inRange(Number(m[1]) * SIZE_UNITS[m[2]!.toUpperCase()]!, range, SIZE_UNITS)
  }
}

/** An integer within [min, max]. */
export function integer(min: number, max: number) {
  return (values: string[]): number => {
    const text = one(values, `an integer from ${min} to ${max}`)
    const n = Number(text)
    if (!/^-?\d+$/.test(text) || n < min || n > max) throw new Error(`'${text}' is not an integer from ${min} to ${max}`)
    return n
  }
}

/** A TCP port from 0 (any free one) to 65535, or `off` (null): no listener. */
export function portOrOff(values: string[]): number | null {
  const text = one(values, 'a port or off')
  if (text === 'off') return null
  const n = Number(text)
  if (!/^\d+$/.test(text) || n > 65535) throw new Error(`'${text}' is not a port from 0 to 65535, nor off`)
  return n
}

/** `true` or `false`. */
export function bool(values: string[]): boolean {
  const text = one(values, 'true or false')
  if (text !== 'true' && text !== 'false') throw new Error(`'${text}' is not true or false`)
  return text === 'true'
}

/** One of the given words. */
export function word<T extends string>(...choices: T[]) {
  return (values: string[]): T => {
    const text = one(values, choices.join(' or '))
    if (!choices.includes(text as T)) throw new Error(`'${text}' is not one of ${choices.join(', ')}`)
    return text as T
  }
}

/** A file or directory path. */
export function filePath(values: string[]): string {
  const text = one(values, 'a path')
  if (text === '') throw new Error('a path cannot be empty')
  if (text.includes('\0') || text.length > 4096) throw new Error(`'${text.slice(0, 64)}' is not a path`)
  return text
}

const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/

/** An address to listen on: an IP address or a host name; `any` is every IPv4 interface (0.0.0.0). */
export function host(values: string[]): string {
  const text = one(values, 'an address')
  if (text === 'any') return '0.0.0.0'
  if (net.isIP(text) === 0 && !HOST_NAME.test(text)) throw new Error(`'${text}' is not an address (an IP address, a host name, or any)`)
  return text
}

// Aerospike's level names, and Tally's own.
const LEVELS: Record<string, LogLevel> = {
  critical: 'error', warning: 'warn', info: 'info', debug: 'debug', detail: 'debug', error: 'error', warn: 'warn', silent: 'silent',
}

/** A log level: Aerospike's critical, warning, info, debug or detail, or Tally's error, warn or silent. */
export function logLevel(values: string[]): LogLevel {
  const text = one(values, 'a log level')
  if (!Object.hasOwn(LEVELS, text)) throw new Error(`'${text}' is not one of ${Object.keys(LEVELS).join(', ')}`)
  return LEVELS[text]!
}
