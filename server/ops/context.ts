// What every operation handler gets: the store and the server's limits.
import type { Store } from '../store/store.js'

/** Limits the operations enforce. */
export interface OpLimits {
  /** Most keys in one BATCH_GET (status 4 above it). */
  maxBatchKeys: number
  /** Largest frame body; a batch whose answer would be larger fails with status 4. */
  maxFrameBytes: number
}

export interface OpContext {
  store: Store
  limits: OpLimits
}
