// A truncation under way in one namespace: which records it removes, and how far its removal has got. Records are
// hidden at once and removed in slices, so that emptying a large set never holds up the event loop.
//
// Why a cursor over record ids and not Aerospike's last-update-time cutoff: Tally keeps no update time per record,
// and adding one would cost every write. A record is doomed when it was live at the start (its id is below `end`),
// is in the truncated set, has not been removed yet (its id is at or past `cursor`), and was not written since
// (`#born`: ids given to records created or restored after the start, which may reuse freed slots). The work is
// bounded by the ids that existed at the start; the log's order gives the same cut on replay (recovery.ts).

export class Truncation {
  /** The truncated set's id, or -1 for the whole namespace. */
  readonly setId: number
  /** Ids below this were live (or free) when the truncation began. */
  readonly end: number
  /** Ids below this have been looked at and their doomed records removed. */
  cursor = 0
  readonly #born = new Set<number>()

  constructor(setId: number, end: number) {
    this.setId = setId
    this.end = end
  }

  /** True if the live record `id`, in set `setId`, is still to be removed. */
  covers(id: number, setId: number): boolean {
    return id >= this.cursor && id < this.end && (this.setId < 0 || this.setId === setId) && !this.#born.has(id)
  }

  /** Notes that record `id` was written after the truncation began: it stays. */
  born(id: number): void {
    if (id >= this.cursor && id < this.end) this.#born.add(id)
  }

  /** Moves the cursor to `id` (every record below it has been dealt with); true once every id is done. */
  advance(id: number): boolean {
    this.cursor = id
    return id >= this.end
  }
}
