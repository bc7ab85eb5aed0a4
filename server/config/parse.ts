// The config file's syntax, in Aerospike's block style: `name value...` settings, `name [args] {` ... `}` blocks,
// `#` comments. Parsing knows nothing of what the settings mean; every node keeps its line for error messages.

/** A setting line: `name value...`. */
export interface Setting {
  kind: 'setting'
  name: string
  values: string[]
  line: number
}

/** A block: `name args... { ... }`. */
export interface Block {
  kind: 'block'
  name: string
  args: string[]
  line: number
  children: (Setting | Block)[]
}

/** A problem at a place in the file. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  constructor(
    readonly file: string,
    readonly line: number,
    readonly problem: string,
  ) {
    super(`${file}:${line}: ${problem}`)
  }
}

/** Parses config text into its top-level blocks and settings. */
export function parseConfig(text: string, file: string): Block {
  const root: Block = { kind: 'block', name: '', args: [], line: 0, children: [] }
  const open: Block[] = [root]
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1
    const words = raw.replace(/#.*$/, '').trim().split(/\s+/).filter((w) => w.length > 0)
    while (words.length > 0) {
      const current = open.at(-1)!
      const close = words.indexOf('}')
      const brace = words.indexOf('{')
      if (close === 0) {
        if (open.length === 1) throw new ConfigError(file, line, "'}' without a block to close")
        open.pop()
        words.shift()
        continue
      }
      if (brace >= 0 && (close < 0 || brace < close)) {
        const [name, ...args] = words.splice(0, brace + 1).slice(0, -1)
        if (name === undefined) throw new ConfigError(file, line, "'{' needs a block name before it")
        const block: Block = { kind: 'block', name, args, line, children: [] }
        current.children.push(block)
        open.push(block)
        continue
      }
      const end = close < 0 ? words.length : close
      const [name, ...values] = words.splice(0, end)
      current.children.push({ kind: 'setting', name: name!, values, line })
    }
  })
  if (open.length > 1) {
    const unclosed = open.at(-1)!
    throw new ConfigError(file, unclosed.line, `block '${[unclosed.name, ...unclosed.args].join(' ')}' is never closed`)
  }
  return root
}
