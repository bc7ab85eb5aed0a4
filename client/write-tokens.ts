// The tokens of one client's writes (PROTOCOL.md §3.1): a random id chosen when the client connects, and a number
// per write. Every attempt of a write carries the same token, so a server that keeps a window applies it once.
import { randomBytes } from 'node:crypto'
import { CLIENT_ID_BYTES, type SentToken } from '../protocol/request-fields.js'

/** The largest seq a token may carry. */
const MAX_SEQ = Number.MAX_SAFE_INTEGER

export class WriteTokens {
  /** This client's id, the same on every connection it opens. */
  readonly client: Uint8Array = randomBytes(CLIENT_ID_BYTES)
  #seq = 0

  /** A token for a new write, not yet sent anywhere. */
  next(): SentToken {
    // 2^53 writes take decades at any rate a client reaches; a new id then keeps every token unique.
    if (this.#seq === MAX_SEQ) throw new RangeError('the write sequence is exhausted')
    return { client: this.client, seq: ++this.#seq, resent: false }
  }
}
