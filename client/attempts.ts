// The attempts of one call: sent on the pool's least busy connection, and tried again after a timeout, a dropped
// connection or (a write with a token) a busy answer, while retries and time remain. A write gets its token
// (PROTOCOL.md §3.1) on its first attempt to a server that keeps a window, and keeps it for every retry, so that
// the server applies it once; to a server without one, a write is retried only when the policy asks.
import { TallyError } from '../protocol/errors.js'
import { CLIENT_STATUS, STATUS, TALLY_STATUS } from '../protocol/status.js'
import type { Call, Connection } from './connection.js'
import type { ResolvedPolicy } from './options.js'
import type { Pool } from './pool.js'
import type { Router } from './router.js'
import { WriteTokens } from './write-tokens.js'

/** Against a cluster, times a call answered "not the owner" (7) is sent again after the map is read again. */
const MAX_REROUTES = 3

/** Wait before retrying a write that the server answered busy (its first attempt not yet durable). */
const BUSY_RETRY_DELAY_MS = 10

/** Answers to a write with a token that do not settle it: it may have been applied, or may be tried again. */
const UNSETTLED = new Set<number>([STATUS.TIMEOUT, STATUS.KEY_BUSY, TALLY_STATUS.OUTCOME_UNKNOWN])

export class Attempts {
  readonly #pool: Pool
  /** This client's tokens: its id is chosen here, when it connects. */
  readonly #tokens = new WriteTokens()
  /** The window of the server that last took a write with a token; 0 until one does. */
  #writeWindowMs = 0
  /** Against a cluster: the partition map, which picks each call's node (client/router.ts). */
  router: Router | undefined

  constructor(pool: Pool) {
    this.#pool = pool
  }

  /** Sends `call` within `policy`'s timeouts and retries; resolves to its result. */
  send(call: Call, policy: ResolvedPolicy): Promise<unknown> {
    const now = performance.now()
    const deadline = policy.totalTimeoutMs > 0 ? now + policy.totalTimeoutMs : Infinity
    return this.#attempt(call, policy, now, deadline, 0, false, now)
  }

  // One attempt; on a timeout, a dropped connection or (a write with a token) a busy answer, another while retries
  // and time remain. `inDoubt`: an earlier attempt may have reached a server.
  #attempt(call: Call, policy: ResolvedPolicy, now: number, deadline: number, attempt: number, inDoubt: boolean, startMs: number): Promise<unknown> {
    const attemptDeadline = policy.socketTimeoutMs > 0 ? Math.min(deadline, now + policy.socketTimeoutMs) : deadline
    const router = this.router
    const pool = router === undefined ? this.#pool : router.poolFor(call)
    const connection = pool.pick()
    const answer =
      connection !== undefined
        ? this.#request(connection, call, attemptDeadline, inDoubt)
        : pool.waitForConnection(attemptDeadline).then((c) => this.#request(c, call, attemptDeadline, inDoubt))
    if (attempt === 0 && policy.maxRetries === 0 && router === undefined && !call.isWrite) return answer
    return answer.catch(async (err: TallyError) => {
      if (router !== undefined) {
        // The map moved on (7: that node does not own the partition; 11: its owner is down) or a node was lost: read
        // the map again. A 7 changed nothing, so the call goes again, to the owner the map now names.
        if (err.code === STATUS.CLUSTER_CHANGE || err.code === STATUS.UNAVAILABLE || err.code === CLIENT_STATUS.CONNECTION) await router.refresh()
        if (err.code === STATUS.CLUSTER_CHANGE && attempt < MAX_REROUTES && performance.now() < deadline)
          return this.#attempt(call, policy, performance.now(), deadline, attempt + 1, inDoubt, startMs)
      }
      const doubt = inDoubt || err.inDoubt === true
      const tokened = call.token !== undefined
      // With a token, the server's answer settles the write, whatever happened to the attempts before it.
      if (tokened && err.code > 0 && !UNSETTLED.has(err.code)) {
        call.token!.settled = true
        throw err
      }
      const later = performance.now()
      if (this.#mayRetry(call, policy, err, attempt, doubt, later < deadline && (!tokened || later - startMs < this.#writeWindowMs))) {
        const next = (): Promise<unknown> => this.#attempt(call, policy, performance.now(), deadline, attempt + 1, doubt, startMs)
        // A busy server is given a moment; a retry after a drop or a timeout goes at once (or waits for a connection).
        if (err.code !== STATUS.KEY_BUSY) return next()
        return new Promise((resolve) => setTimeout(resolve, Math.min(BUSY_RETRY_DELAY_MS, deadline - later))).then(next)
      }
      if (call.token !== undefined) call.token.settled = true // given up: it is not sent again
      throw doubt && !err.inDoubt ? new TallyError(err.code, err.message, { inDoubt: true, gen: err.gen, index: err.index, cause: err }) : err
    })
  }

  #mayRetry(call: Call, policy: ResolvedPolicy, err: TallyError, attempt: number, inDoubt: boolean, inTime: boolean): boolean {
    const tokened = call.token !== undefined
    if (!inTime || !(err.code === STATUS.TIMEOUT || err.code === CLIENT_STATUS.CONNECTION || (tokened && err.code === STATUS.KEY_BUSY))) return false
    // A write that may have reached a server without a token is retried only when the policy asks: it may apply twice.
    const unsafe = call.isWrite && !tokened && inDoubt
    return attempt < (unsafe ? policy.retriesWithoutToken : policy.maxRetries)
  }

  // Sends one attempt on `connection`; a write gets its token there, when the server keeps a window (§3.1).
  #request(connection: Connection, call: Call, deadline: number, resent: boolean): Promise<unknown> {
    if (call.isWrite) {
      const windowMs = connection.hello.writeWindowMs ?? 0
      if (windowMs > 0) {
        this.#writeWindowMs = windowMs
        if (call.token === undefined) call.token = this.#tokens.next()
        else call.token.resent = resent
        // A write given up on while still open (client/write-tokens.ts) says no more than itself settled.
        call.token.settledBelow = Math.min(this.#tokens.settledBelow(), call.token.seq)
      } else if (call.token !== undefined) {
        const message = `${connection.host}:${connection.port} keeps no write tokens: a write sent before with one is not sent again`
        return Promise.reject(new TallyError(CLIENT_STATUS.CLIENT_ERROR, message, { inDoubt: resent }))
      }
    }
    return connection.request(call, deadline)
  }
}
