// Answers whose writes are applied but not yet durable. A retry of one is told to try again (KEY_BUSY) rather than
// answered: a storage failure may still undo the write, and an answer sent meanwhile would claim a write that is not
// there. The log says which changes a failure undid (by log position) as it undoes them; the rest become durable
// when a barrier taken after them resolves.
import type { LogFailure } from '../persist/log-writer.js'
import type { ClientRing } from './client-ring.js'

/** The log, as the window sees it: its position after the last change, and a promise of durability. */
export interface Durability {
  readonly position: number
  barrier(): Promise<LogFailure | undefined> | undefined
}

interface Pending {
  ring: ClientRing
  seq: number
  /** Log position at the end of the write's entry. */
  position: number
  undone: boolean
}

export class PendingAnswers {
  readonly #durability: Durability
  #unsealed: Pending[] = [] // added since the last barrier was taken
  // Groups whose barrier has not yet resolved (a failure can undo any of theirs): few at a time, looked through only
  // when a failure undoes a change.
  readonly #unsettled = new Set<Pending[]>()
  #scheduled = false

  constructor(durability: Durability) {
    this.#durability = durability
  }

  /** The answer to write `seq` in `ring` is pending until the log entry ending at `position` is durable. */
  add(ring: ClientRing, seq: number, position: number): void {
    this.#unsealed.push({ ring, seq, position, undone: false })
    if (this.#scheduled) return
    this.#scheduled = true
    setImmediate(this.#seal)
  }

  /** The log undid the change whose entry ends at `position`: its write was never applied. */
  undone(position: number): void {
    for (const group of [this.#unsealed, ...this.#unsettled]) {
      for (const pending of group) {
        if (pending.position !== position || pending.undone) continue
        pending.ring.forget(pending.seq)
        pending.undone = true
      }
    }
  }

  // One barrier for every answer added since the last one: taken after their entries were appended, it resolves
  // once they are durable (those a failure undid are already forgotten by then).
  readonly #seal = (): void => {
    this.#scheduled = false
    const group = this.#unsealed
    this.#unsealed = []
    const barrier = this.#durability.barrier()
    if (barrier === undefined) return this.#settle(group)
    this.#unsettled.add(group)
    void barrier.then(() => {
      this.#unsettled.delete(group)
      this.#settle(group)
    })
  }

  #settle(group: Pending[]): void {
    for (const pending of group) if (!pending.undone) pending.ring.clearPending(pending.seq)
  }
}
