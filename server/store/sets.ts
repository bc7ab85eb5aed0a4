// Set names of one namespace, by small id (kept in each record's slot), with a record count per set.
import { TallyError } from '../../protocol/errors.js'
import { STATUS } from '../../protocol/status.js'

const MAX_SETS = 0xffff

export class SetNames {
  readonly #names: string[] = ['']
  readonly #ids = new Map<string, number>([['', 0]])
  readonly #objects: number[] = [0]

  /** The id of set `name`, adding it if new. Throws status 4 past 65535 sets. */
  id(name: string, namespace: string): number {
    let id = this.#ids.get(name)
    if (id === undefined) {
      if (this.#names.length > MAX_SETS) throw new TallyError(STATUS.PARAMETER, `namespace '${namespace}' has too many sets`)
      id = this.#names.push(name) - 1
      this.#ids.set(name, id)
      this.#objects.push(0)
    }
    return id
  }

  /** The id of set `name`, or undefined if no record of the namespace ever had it. */
  find(name: string): number | undefined {
    return this.#ids.get(name)
  }

  name(id: number): string {
    return this.#names[id]!
  }

  /** Counts a record in (+1) or out (-1) of set `id`. */
  count(id: number, delta: number): void {
    this.#objects[id]! += delta
  }

  /** Sets that hold records (the empty name: records without a set), with their record counts. */
  list(): { name: string; objects: number }[] {
    return this.#names.map((name, id) => ({ name, objects: this.#objects[id]! })).filter((set) => set.objects > 0)
  }
}
