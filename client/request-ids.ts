// Request ids of one connection, 1 to MAX_REQUEST_ID and round again, and which of them have been handed to the
// socket: a write lost with its connection is in doubt only if it was sent. Ids are compared by where they stand in
// the cycle, never as plain numbers, so the wrap back to 1 changes nothing.

/** The last id before the ids start again at 1. */
export const MAX_REQUEST_ID = 0xffff_fffe

/** Steps forward from `from` to `to` in the cycle of ids. */
function distance(from: number, to: number): number {
  return to >= from ? to - from : to - from + MAX_REQUEST_ID
}

export class RequestIds {
  #next: number
  #unsentFrom: number // ids from here up to #next (excluded), in cycle order, are not handed to the socket yet

  /** `first`: the first id to give out (tests start near the wrap). */
  constructor(first = 1) {
    if (!(Number.isInteger(first) && first >= 1 && first <= MAX_REQUEST_ID)) throw new RangeError(`a request id is 1 to ${MAX_REQUEST_ID}, not ${first}`)
    this.#next = this.#unsentFrom = first
  }

  /** The id for the next request. */
  take(): number {
    const id = this.#next
    this.#next = id >= MAX_REQUEST_ID ? 1 : id + 1
    return id
  }

  /** Every id taken so far has been handed to the socket. */
  markSent(): void {
    this.#unsentFrom = this.#next
  }

  /** Whether the request with id `id` (taken and not yet answered) has been handed to the socket. */
  wasSent(id: number): boolean {
    return distance(this.#unsentFrom, id) >= distance(this.#unsentFrom, this.#next)
  }
}
