// One socket to a server: waits for the hello, then pipelines requests by id. Requests made in the same tick go
// out in one write; every request has a deadline, checked by one coarse timer rather than a timer per request.
import net from 'node:net'
import tls from 'node:tls'
import { TallyError } from '../protocol/errors.js'
import { FrameDecoder } from '../protocol/frame.js'
import { SERVER_MESSAGE_ID, type Hello } from '../protocol/messages.js'
import { FLOATS } from '../protocol/msgpack-format.js'
import { MsgpackReader } from '../protocol/msgpack-reader.js'
import { FrameWriter } from '../protocol/msgpack-writer.js'
import { readError, readHello, readResponseHead } from '../protocol/response-codec.js'
import { CLIENT_STATUS, STATUS } from '../protocol/status.js'
import { Deadlines } from './deadlines.js'
import type { ClientTlsOptions } from './options.js'
import { RequestIds } from './request-ids.js'
import type { ClientToken } from './write-tokens.js'
import { authCall } from './calls.js'

/** Least time a login (AUTH) is given: a first login costs the server a bcrypt comparison, some 100 ms or more. */
export const LOGIN_TIMEOUT_MS = 5000

/** Resolution of the request deadline timer. */
const TICK_MS = 5

/**
 * One request as the connection sees it: how to write it, how to read its answer, and, while an attempt is in
 * flight, how to settle it (a call makes one attempt at a time, so these fields are the attempt's).
 */
export interface Call {
  readonly isWrite: boolean
  /** Writes the request, with this id, as the body of the frame the writer has begun. */
  encode(w: FrameWriter, id: number): void
  /** Reads a successful answer's fields after `[id, status` and returns the call's result. */
  decode(r: MsgpackReader, fields: number): unknown
  resolve(result: unknown): void
  reject(err: TallyError): void
  /** performance.now() time after which the attempt times out; Infinity for none. */
  deadline: number
  /**
   * A write's token (PROTOCOL.md §3.1), set by the client before the first attempt to a server that keeps a window
   * and kept for every retry; undefined for reads and for writes to servers without one.
   */
  token?: ClientToken
  /**
   * For a request answered by many frames (SCAN): reads each successful frame after `[id, status` and returns true
   * on the last, which settles the call (resolving it with undefined). `decode` is not used then.
   */
  onFrame?(r: MsgpackReader, fields: number): boolean
}

export interface ConnectionOptions {
  host: string
  port: number
  connectTimeoutMs: number
  /** The first request id (default 1). */
  firstRequestId?: number
  /** Connect with TLS; undefined: plain TCP. */
  tls?: ClientTlsOptions | undefined
  /** Log in with AUTH before the connection is handed out; undefined: no login. */
  auth?: { user: string; credential: string } | undefined
}

/** A connected, greeted socket. Create with `Connection.open`. */
export class Connection {
  readonly host: string
  readonly port: number
  readonly hello: Hello
  /** Called once when the connection is gone, with the reason. */
  onClose: ((err: TallyError) => void) | undefined
  readonly #socket: net.Socket
  readonly #decoder: FrameDecoder
  readonly #writer = new FrameWriter()
  readonly #reader: MsgpackReader
  readonly #head = { id: 0, status: 0, fields: 0 }
  readonly #pending = new Map<number, Call>()
  readonly #deadlines = new Deadlines()
  readonly #ids: RequestIds
  #flushScheduled = false
  #blocked = false
  #closed: TallyError | undefined
  #timer: NodeJS.Timeout | undefined
  #idle: (() => void)[] = [] // close() calls waiting for the requests in flight

  private constructor(socket: net.Socket, decoder: FrameDecoder, reader: MsgpackReader, hello: Hello, options: ConnectionOptions) {
    this.host = options.host
    this.port = options.port
    this.hello = hello
    this.#socket = socket
    this.#decoder = decoder
    this.#reader = reader
    this.#ids = new RequestIds(options.firstRequestId)
    socket.on('data', (chunk: Buffer) => this.#onData(chunk))
    socket.on('drain', () => {
      this.#blocked = false
      this.#flush()
    })
    socket.on('error', (err) => this.#shutdown(connectionError(`connection to ${this.host}:${this.port} failed: ${err.message}`, err)))
    socket.on('close', () => this.#shutdown(connectionError(`connection to ${this.host}:${this.port} closed`)))
  }

  /** Connects and waits for the server's hello; rejects with a CONNECTION error. */
  static open(options: ConnectionOptions): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const { host, port } = options
      const socket = options.tls === undefined ? net.connect({ host, port, noDelay: true }) : tlsConnect(host, port, options.tls)
      const decoder = new FrameDecoder()
      const reader = new MsgpackReader({ mapsAsObjects: true, floats: FLOATS.DOUBLES_AT_TOP })
      const fail = (message: string, cause?: unknown): void => {
        clearTimeout(timer)
        socket.destroy()
        reject(connectionError(message, cause))
      }
      const timer = setTimeout(() => fail(`no hello from ${host}:${port} within ${options.connectTimeoutMs} ms`), options.connectTimeoutMs)
      socket.once('error', (err) => fail(`cannot connect to ${host}:${port}: ${err.message}`, err))
      socket.once('close', () => fail(`${host}:${port} closed the connection before its hello`))
      const onData = (chunk: Buffer): void => {
        decoder.push(chunk)
        let body: Buffer | null
        try {
          body = decoder.next()
          if (body === null) return
          const hello = readHello(reader.reset(body))
          decoder.maxFrameBytes = hello.maxFrameBytes
          clearTimeout(timer)
          socket.removeAllListeners()
          socket.pause() // keep any bytes after the hello until the connection listens
          const connection = new Connection(socket, decoder, reader, hello, options)
          if (options.auth === undefined) resolve(connection)
          // The server checks a new credential with bcrypt: a login gets at least LOGIN_TIMEOUT_MS.
          else connection.#login(options.auth, performance.now() + Math.max(options.connectTimeoutMs, LOGIN_TIMEOUT_MS)).then(() => resolve(connection), reject)
          socket.resume()
          if (decoder.bufferedBytes > 0) connection.#onData(Buffer.alloc(0))
        } catch (err) {
          fail(`bad hello from ${host}:${port}: ${(err as Error).message}`, err)
        }
      }
      socket.on('data', onData)
    })
  }

  // AUTH, the connection's first request: a refusal (62 wrong user or password) closes it and is the caller's error.
  async #login(auth: { user: string; credential: string }, deadline: number): Promise<void> {
    const call = authCall(auth.user, auth.credential)
    try {
      await this.request(call, deadline)
    } catch (err) {
      this.destroy(err as TallyError)
      throw err
    }
  }

  /** Requests sent and not yet answered. */
  get inFlight(): number {
    return this.#pending.size
  }

  get closed(): boolean {
    return this.#closed !== undefined
  }

  /**
   * Sends `call` and resolves with its decoded result when the answer's status is 0. Rejects with the server's
   * status, with TIMEOUT (9) at `deadline` (performance.now() time), with CONNECTION if the socket goes, or with
   * PARAMETER (-2) for a request that cannot be encoded or is over the server's frame limit (nothing is sent).
   */
  request(call: Call, deadline: number): Promise<unknown> {
    if (this.#closed !== undefined) return Promise.reject(this.#closed)
    const id = this.#ids.take()
    const w = this.#writer
    try {
      w.begin()
      call.encode(w, id)
    } catch (err) {
      w.rollback()
      return Promise.reject(new TallyError(CLIENT_STATUS.PARAMETER, `cannot encode the request: ${(err as Error).message}`))
    }
    if (w.bodyLength > this.hello.maxFrameBytes) {
      const bytes = w.bodyLength
      w.rollback()
      return Promise.reject(new TallyError(CLIENT_STATUS.PARAMETER, `request of ${bytes} bytes exceeds the server's frame limit of ${this.hello.maxFrameBytes} bytes`))
    }
    w.end()
    if (!this.#flushScheduled) {
      this.#flushScheduled = true
      process.nextTick(this.#flushTick)
    }
    return new Promise((resolve, reject) => {
      call.resolve = resolve
      call.reject = reject
      call.deadline = deadline
      this.#pending.set(id, call)
      if (deadline !== Infinity) this.#watch(id, deadline)
    })
  }

  /**
   * Sends a frame that gets no answer of its own (a grant to a scan in flight, PROTOCOL.md §4.11), with the next
   * requests. Nothing is sent on a closed connection.
   */
  post(encode: (w: FrameWriter) => void): void {
    if (this.#closed !== undefined) return
    const w = this.#writer
    w.begin()
    encode(w)
    w.end()
    if (!this.#flushScheduled) {
      this.#flushScheduled = true
      process.nextTick(this.#flushTick)
    }
  }

  /** Waits for in-flight requests to finish, then closes the socket. */
  async close(): Promise<void> {
    if (this.#pending.size > 0) await new Promise<void>((resolve) => this.#idle.push(resolve))
    this.#flush()
    this.#socket.end()
    this.#shutdown(new TallyError(CLIENT_STATUS.CLIENT_ERROR, 'the connection was closed'))
  }

  /** Closes the socket at once; pending requests fail with `err`. */
  destroy(err: TallyError): void {
    this.#shutdown(err)
  }

  #wakeIdle(): void {
    if (this.#pending.size === 0) for (const resolve of this.#idle.splice(0)) resolve()
  }

  readonly #flushTick = (): void => this.#flush()

  #flush(): void {
    this.#flushScheduled = false
    if (this.#blocked || this.#writer.length === 0 || this.#closed !== undefined) return
    this.#ids.markSent()
    if (!this.#socket.write(this.#writer.take())) this.#blocked = true
  }

  #onData(chunk: Buffer): void {
    this.#decoder.push(chunk)
    try {
      for (let body = this.#decoder.next(); body !== null; body = this.#decoder.next()) this.#onAnswer(body)
    } catch (err) {
      this.#shutdown(connectionError(`bad data from ${this.host}:${this.port}: ${(err as Error).message}`, err))
    }
  }

  #onAnswer(body: Buffer): void {
    const r = this.#reader.reset(body)
    const head = this.#head
    readResponseHead(r, head)
    if (head.id === SERVER_MESSAGE_ID) {
      // A connection-level error: the server is about to close the connection, and says why.
      const err = readError(r, head.status, head.fields)
      this.#shutdown(new TallyError(head.status, `server closed the connection: ${err.message}`))
      return
    }
    const pending = this.#pending.get(head.id)
    if (pending === undefined) return // answered after its timeout
    if (head.status === STATUS.OK && pending.onFrame !== undefined) return this.#onFrame(head.id, pending, r, head.fields)
    this.#pending.delete(head.id)
    try {
      if (head.status !== STATUS.OK) pending.reject(readError(r, head.status, head.fields))
      else {
        if (pending.token !== undefined) pending.token.settled = true
        pending.resolve(pending.decode(r, head.fields))
      }
    } catch (err) {
      // An answer this call cannot use (such as a batch key's error) fails the call, not the connection.
      pending.reject(err instanceof TallyError ? err : new TallyError(CLIENT_STATUS.CLIENT_ERROR, `bad answer: ${(err as Error).message}`))
    }
    if (this.#pending.size === 0) this.#wakeIdle()
  }

  // One frame of a streamed answer: the call stays pending until its last frame.
  #onFrame(id: number, pending: Call, r: MsgpackReader, fields: number): void {
    let last: boolean
    try {
      last = pending.onFrame!(r, fields)
    } catch (err) {
      this.#pending.delete(id)
      pending.reject(new TallyError(CLIENT_STATUS.CLIENT_ERROR, `bad answer: ${(err as Error).message}`))
      return this.#wakeIdle()
    }
    if (!last) return
    this.#pending.delete(id)
    pending.resolve(undefined)
    this.#wakeIdle()
  }

  #watch(id: number, deadline: number): void {
    this.#deadlines.add(id, deadline - performance.now())
    if (this.#timer === undefined) {
      this.#timer = setInterval(this.#sweep, TICK_MS)
      this.#timer.unref()
    }
  }

  readonly #sweep = (): void => {
    this.#deadlines.sweep(performance.now(), this.#deadlineOf, this.#expire)
    if (this.#pending.size === 0) this.#wakeIdle()
    if (this.#deadlines.size === 0) {
      clearInterval(this.#timer)
      this.#timer = undefined
    }
  }

  readonly #deadlineOf = (id: number): number | undefined => this.#pending.get(id)?.deadline

  readonly #expire = (id: number): void => {
    const pending = this.#pending.get(id)!
    this.#pending.delete(id)
    const what = pending.isWrite ? 'the write may have been applied' : 'no answer'
    pending.reject(new TallyError(STATUS.TIMEOUT, `timed out on ${this.host}:${this.port}: ${what}`, { inDoubt: pending.isWrite }))
  }

  #shutdown(err: TallyError): void {
    if (this.#closed !== undefined) return
    this.#closed = err
    clearInterval(this.#timer)
    this.#socket.destroy()
    // A write is in doubt once its bytes were handed to the socket; one still in our buffer was never sent.
    for (const [id, pending] of this.#pending)
      pending.reject(new TallyError(err.code, err.message, { inDoubt: pending.isWrite && this.#ids.wasSent(id), cause: err }))
    this.#pending.clear()
    this.#deadlines.clear()
    this.#wakeIdle()
    this.onClose?.(err)
  }
}

function connectionError(message: string, cause?: unknown): TallyError {
  return new TallyError(CLIENT_STATUS.CONNECTION, message, { cause })
}

// The server's hello comes only after the handshake; a certificate the client does not trust fails it ('error').
function tlsConnect(host: string, port: number, o: ClientTlsOptions): net.Socket {
  const servername = o.servername ?? (net.isIP(host) === 0 ? host : undefined)
  const socket = tls.connect({ host, port, ca: o.ca, cert: o.cert, key: o.key, ...(servername === undefined ? {} : { servername }) })
  socket.setNoDelay(true)
  return socket
}
