// TRUNCATE: remove every record of a set, or of a namespace. The records are hidden at once and removed in steps
// (store/truncation.ts); the answer waits, like a write's, until the log holds the truncation. PROTOCOL.md §4.12
import type { RecordResult, TruncateRequest } from '../../protocol/messages.js'
import type { OpContext } from './context.js'

export function truncate({ store }: OpContext, request: TruncateRequest): RecordResult {
  store.truncate(request.ns, request.set)
  return { gen: 0, ttl: 0 }
}
