// What every operation handler gets: the store, the server's limits, and its info commands.
import type { Store } from '../store/store.js'
import type { WriteWindow } from '../window/write-window.js'

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
  /** The value of an info command (server/info.ts). */
  info: (command: string) => string
  /** The answers to write tokens (PROTOCOL.md §3.1); dispatch consults it around each write that carries one. */
  window?: WriteWindow
}
