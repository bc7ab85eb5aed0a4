// A small pool of connections to one server. Each slot reconnects on its own after a drop, with a doubling delay;
// requests go to the open connection with the fewest requests in flight, or wait (until their deadline) for one.
import { TallyError } from '../protocol/errors.js'
import { CLIENT_STATUS } from '../protocol/status.js'
import { Connection, LOGIN_TIMEOUT_MS } from './connection.js'
import type { ClientTlsOptions, HostAddress } from './options.js'

const FIRST_RECONNECT_DELAY_MS = 50

export interface PoolOptions {
  size: number
  connectTimeoutMs: number
  maxReconnectDelayMs: number
  tls?: ClientTlsOptions
  /** Who to log in as on each connection; undefined: nobody. */
  auth?: { user: string; credential: string }
}

interface Waiter {
  resolve(connection: Connection): void
  reject(err: TallyError): void
  timer: NodeJS.Timeout | undefined
}

/** Longest delay a Node timer takes (longer ones fire at once). */
const MAX_TIMER_MS = 2 ** 31 - 1

export class Pool {
  readonly #hosts: HostAddress[]
  readonly #options: PoolOptions
  readonly #slots: (Connection | undefined)[]
  readonly #waiters = new Set<Waiter>()
  #preferredHost = 0
  #closed = false
  #lastError: TallyError | undefined
  readonly #timers = new Set<NodeJS.Timeout>()

  constructor(hosts: HostAddress[], options: PoolOptions) {
    this.#hosts = hosts
    this.#options = options
    this.#slots = new Array(options.size).fill(undefined)
  }

  /** Opens every slot; resolves once one connection is ready, rejects with CONNECTION if none is in time. */
  async start(): Promise<void> {
    for (let slot = 0; slot < this.#slots.length; slot++) void this.#fill(slot, FIRST_RECONNECT_DELAY_MS)
    const perHostMs = this.#options.auth === undefined ? this.#options.connectTimeoutMs : Math.max(this.#options.connectTimeoutMs, LOGIN_TIMEOUT_MS)
    await this.waitForConnection(performance.now() + perHostMs * this.#hosts.length)
  }

  /** Requests in flight over all connections, and requests waiting for a connection. */
  get inFlight(): number {
    let sum = this.#waiters.size
    for (const connection of this.#slots) sum += connection?.inFlight ?? 0
    return sum
  }

  /** The open connection with the fewest requests in flight, if any is open. */
  pick(): Connection | undefined {
    let best: Connection | undefined
    for (const connection of this.#slots) {
      if (connection === undefined || connection.closed) continue
      if (best === undefined || connection.inFlight < best.inFlight) best = connection
    }
    return best
  }

  /** Resolves with an open connection as soon as there is one; rejects with CONNECTION at `deadline`. */
  waitForConnection(deadline: number): Promise<Connection> {
    const ready = this.pick()
    if (ready !== undefined) return Promise.resolve(ready)
    if (this.#closed) return Promise.reject(new TallyError(CLIENT_STATUS.CLIENT_ERROR, 'the client is closed'))
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, timer: undefined }
      // No deadline, no timer (a timer of Infinity ms would fire at once).
      if (Number.isFinite(deadline)) {
        waiter.timer = setTimeout(() => {
          this.#waiters.delete(waiter)
          const why = this.#lastError === undefined ? '' : `: ${this.#lastError.message}`
          reject(new TallyError(CLIENT_STATUS.CONNECTION, `no connection to ${this.#describeHosts()} in time${why}`, { cause: this.#lastError }))
        }, Math.min(MAX_TIMER_MS, Math.max(0, deadline - performance.now())))
      }
      this.#waiters.add(waiter)
    })
  }

  /** Stops reconnecting and closes every connection once its requests are answered. */
  async close(): Promise<void> {
    this.#closed = true
    for (const timer of this.#timers) clearTimeout(timer)
    for (const waiter of this.#waiters) {
      clearTimeout(waiter.timer)
      waiter.reject(new TallyError(CLIENT_STATUS.CLIENT_ERROR, 'the client is closed'))
    }
    this.#waiters.clear()
    await Promise.all(this.#slots.map((connection) => connection?.close()))
  }

  // Connects slot `slot`, trying each host in turn from the one that last worked; on failure, tries again later.
  async #fill(slot: number, delayMs: number): Promise<void> {
    for (let i = 0; i < this.#hosts.length && !this.#closed; i++) {
      const hostIndex = (this.#preferredHost + i) % this.#hosts.length
      try {
        const connection = await Connection.open({ ...this.#hosts[hostIndex]!, connectTimeoutMs: this.#options.connectTimeoutMs, tls: this.#options.tls, auth: this.#options.auth })
        if (this.#closed) {
          connection.destroy(new TallyError(CLIENT_STATUS.CLIENT_ERROR, 'the client is closed'))
          return
        }
        this.#preferredHost = hostIndex
        this.#slots[slot] = connection
        connection.onClose = (err) => {
          this.#lastError = err
          this.#slots[slot] = undefined
          this.#retry(slot, FIRST_RECONNECT_DELAY_MS)
        }
        for (const waiter of this.#waiters) {
          clearTimeout(waiter.timer)
          waiter.resolve(connection)
        }
        this.#waiters.clear()
        return
      } catch (err) {
        this.#lastError = err as TallyError
        // The server refused the login (a positive status): callers are told now, and the slot tries again seldom.
        if (this.#lastError.code > 0) return this.#refused(slot, this.#lastError)
      }
    }
    this.#retry(slot, Math.min(delayMs * 2, this.#options.maxReconnectDelayMs))
  }

  #refused(slot: number, err: TallyError): void {
    for (const waiter of this.#waiters) {
      clearTimeout(waiter.timer)
      waiter.reject(err)
    }
    this.#waiters.clear()
    this.#retry(slot, this.#options.maxReconnectDelayMs)
  }

  #retry(slot: number, delayMs: number): void {
    if (this.#closed) return
    const timer = setTimeout(() => {
      this.#timers.delete(timer)
      void this.#fill(slot, delayMs)
    }, delayMs)
    timer.unref()
    this.#timers.add(timer)
  }

  #describeHosts(): string {
    return this.#hosts.map((h) => `${h.host}:${h.port}`).join(', ')
  }
}
