// The tokens of one client's writes (PROTOCOL.md §3.1): a random id chosen when the client connects, and a number
// per write. Every attempt of a write carries the same token, so a server that keeps a window applies it once. Each
// token also says below which number every write is settled (answered, or given up), so that the server may forget
// those answers at once instead of keeping them for its whole window.
import { randomBytes } from 'node:crypto'
import { CLIENT_ID_BYTES, type SentToken } from '../protocol/request-fields.js'

/** The largest seq a token may carry. */
const MAX_SEQ = Number.MAX_SAFE_INTEGER

/**
 * Most writes open at once, from the oldest unsettled one on. A write still unanswered after this many more is
 * counted as settled: the server may forget its answer, and a retry of it is told the outcome is unknown (240).
 */
const MAX_OPEN = 1 << 20

/** A token as the client keeps it: settled once its write has its final answer or is given up. */
export interface ClientToken extends SentToken {
  settled: boolean
}

export class WriteTokens {
  /** This client's id, the same on every connection it opens. */
  readonly client: Uint8Array = randomBytes(CLIENT_ID_BYTES)
  #seq = 0
  // The tokens numbered from #settledBelow to #seq, by seq & #mask: a ring that doubles when writes outlast it.
  #open: (ClientToken | undefined)[] = new Array<ClientToken | undefined>(64).fill(undefined)
  #mask = 63
  #settledBelow = 1

  /** A token for a new write, not yet sent anywhere. */
  next(): ClientToken {
    // 2^53 writes take decades at any rate a client reaches; a new id then keeps every token unique.
    if (this.#seq === MAX_SEQ) throw new RangeError('the write sequence is exhausted')
    const seq = this.#seq + 1
    if (seq - this.settledBelow() > this.#mask) {
      if (this.#open.length < MAX_OPEN) this.#grow()
      else this.#open[this.#settledBelow & this.#mask]!.settled = true
      this.settledBelow()
    }
    const token: ClientToken = { client: this.client, seq, resent: false, settledBelow: 0, settled: false }
    this.#open[seq & this.#mask] = token
    this.#seq = seq
    return token
  }

  /** Every write numbered below this is settled: its token will not be sent again. */
  settledBelow(): number {
    const open = this.#open
    const mask = this.#mask
    let below = this.#settledBelow
    for (let token = open[below & mask]; below <= this.#seq && token!.settled; token = open[below & mask]) open[below++ & mask] = undefined
    this.#settledBelow = below
    return below
  }

  #grow(): void {
    const open = new Array<ClientToken | undefined>(this.#open.length * 2).fill(undefined)
    const mask = open.length - 1
    for (let seq = this.#settledBelow; seq <= this.#seq; seq++) open[seq & mask] = this.#open[seq & this.#mask]
    this.#open = open
    this.#mask = mask
  }
}
