// Command-line flags checked by the rules of config-file values (config/values.ts): each parser returns the value
// or throws commander's InvalidArgumentError with what was expected.
import { InvalidArgumentError } from 'commander'
import { integer, MAX_TIMER_MS } from '../config/values.js'

/** A commander parser for one flag value, checked by `rule`. */
export function flag<T>(rule: (values: string[]) => T): (text: string) => T {
  return (text) => {
    try {
      return rule([text])
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message)
    }
  }
}

export const port = flag(integer(0, 65535))

export const milliseconds = flag(integer(1, MAX_TIMER_MS))
