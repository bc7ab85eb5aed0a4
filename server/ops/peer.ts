// PEER: a cluster node opens its connection to another with it (PROTOCOL.md §4.16). The connection remembers it
// (tally-wire.ts); the answer says only that it was understood.
import type { PeerRequest, RecordResult } from '../../protocol/messages.js'
import type { OpContext } from './context.js'

export function peer(_context: OpContext, _request: PeerRequest): RecordResult {
  return { gen: 0, ttl: 0 }
}
