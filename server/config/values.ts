// Setting values as the config file writes them: durations with s/m/h/d, sizes with K/M/G, numbers, booleans.
// Each parser returns the value or throws a message saying what was expected.

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }
const SIZE_UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 }

function one(values: string[], what: string): string {
  if (values.length !== 1) throw new Error(`expects one value (${what}), got ${values.length}`)
  return values[0]!
}

/** A duration in ms: `90`, `30s`, `5m`, `12h`, `30d`, `250ms`; a bare number is in `bareUnit`. */
export function duration(bareUnit: 's' | 'ms') {
  return (values: string[]): number => {
    const text = one(values, 'a duration such as 30s, 5m, 12h or 30d')
    const m = /^(\d+)(ms|s|m|h|d)?$/.exec(text)
    if (m === null) throw new Error(`'${text}' is not a duration (such as 30s, 5m, 12h or 30d)`)
    return Number(m[1]) * DURATION_UNITS[m[2] ?? bareUnit]!
  }
}

/** A size in bytes: `1024`, `64K`, `512M`, `4G`. */
export function size(values: string[]): number {
  const text = one(values, 'a size such as 64K, 512M or 4G')
  const m = /^(\d+)([KMGT]?)$/i.exec(text)
  if (m === null) throw new Error(`'${text}' is not a size (such as 64K, 512M or 4G)`)
  return Number(m[1]) * SIZE_UNITS[m[2]!.toUpperCase()]!
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

/** Any single word (a path, an address). */
export function text(values: string[]): string {
  return one(values, 'one value')
}
