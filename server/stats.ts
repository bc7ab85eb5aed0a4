// Server statistics under Aerospike's names: connection counts, request latencies by namespace and op kind (rolled
// per ticker interval for `latencies`, as Aerospike reports them), scans, truncates and restores, and the slow log. Request outcomes by Aerospike's
// counter names live with each namespace (store/request-stats.ts).
import { BatchTally } from './metrics/batch-tally.js'
import { OpCounts } from './metrics/op-counts.js'
import { OpLatencies } from './metrics/op-latencies.js'
import { SlowLog, type SlowLogOptions } from './slow-log.js'

/** Server-wide figures. */
export class ServerStats {
  readonly started = Date.now()
  clientConnectionsOpened = 0
  clientConnectionsClosed = 0
  clientConnectionsRefused = 0
  /** Connections closed for staying in the middle of a frame (frame-timeout-ms). */
  clientFrameTimeouts = 0
  /** Connections closed because their clients did not read while the answers held for all reached their budget. */
  clientSlowReadersClosed = 0
  /** TLS handshakes that failed: no certificate or a bad one, or a client that does not speak TLS. */
  tlsHandshakeFailures = 0
  /** Logins (Tally's AUTH, Aerospike's LOGIN) that succeeded, and those refused (a session token refused included). */
  loginSuccesses = 0
  loginFailures = 0
  readonly ops: OpLatencies
  /** Scans, truncates and restores, which `ops` leaves out. */
  readonly opCounts: OpCounts
  readonly slowLog: SlowLog

  constructor(namespaces: readonly string[], slowLog?: SlowLogOptions) {
    this.ops = new OpLatencies(namespaces)
    this.opCounts = new OpCounts(namespaces)
    this.slowLog = new SlowLog(slowLog)
  }

  /** An empty tally for a batch of requests, recording into these statistics. */
  tally(): BatchTally {
    return new BatchTally(this.ops, this.slowLog, this.opCounts)
  }
}
