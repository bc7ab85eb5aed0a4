// The bin names a namespace's records have held, for Aerospike's `bins` info command: noted when a write adds a
// bin (or a record is restored), never forgotten, and bounded as Aerospike bounds them.
import type { BinList } from './bins.js'

/** Names listed at most, Aerospike's `bin_names_quota`; later ones are not listed. */
export const MAX_BIN_NAMES = 65_535

export class BinNames {
  readonly #names = new Set<string>()

  /** Notes the names of `bins` (flat: name, value, ...). */
  note(bins: BinList): void {
    const names = this.#names
    for (let i = 0; i < bins.length && names.size < MAX_BIN_NAMES; i += 2) names.add(bins[i] as string)
  }

  /** The names noted, in order of first use. */
  list(): string[] {
    return [...this.#names]
  }
}
