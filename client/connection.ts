// One socket to a server: waits for the hello, then pipelines requests by id. Requests made in the same tick go
// out in one write; every request has a deadline, checked by one coarse timer rather than a timer per request.
import net from 'node:net'
import type { Packr, Unpackr } from 'msgpackr'
import { createPacker, createUnpacker } from '../protocol/codec.js'
import { TallyError } from '../protocol/errors.js'
import { FrameDecoder, FrameWriter } from '../protocol/frame.js'
import { PROTOCOL_VERSION, SERVER_MESSAGE_ID, type Hello } from '../protocol/messages.js'
import { CLIENT_STATUS, STATUS } from '../protocol/status.js'

/** Resolution of the request deadline timer. */
const TICK_MS = 5

interface Pending {
  resolve(message: unknown[]): void
  reject(err: TallyError): void
  isWrite: boolean
  deadline: number
}

export interface ConnectionOptions {
  host: string
  port: number
  connectTimeoutMs: number
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
  readonly #packr: Packr = createPacker()
  readonly #unpackr: Unpackr
  readonly #pending = new Map<number, Pending>()
  readonly #deadlines = new Map<number, number[]>() // deadline tick -> request ids
  #nextId = 1
  #unsentFrom = 1 // ids from here on are still in the writer, not handed to the socket
  #flushScheduled = false
  #blocked = false
  #closed: TallyError | undefined
  #timer: NodeJS.Timeout | undefined
  #lastTick = 0
  #idle: (() => void) | undefined

  private constructor(socket: net.Socket, decoder: FrameDecoder, unpackr: Unpackr, hello: Hello, options: ConnectionOptions) {
    this.host = options.host
    this.port = options.port
    this.hello = hello
    this.#socket = socket
    this.#decoder = decoder
    this.#unpackr = unpackr
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
      const socket = net.connect({ host, port, noDelay: true })
      const decoder = new FrameDecoder()
      const unpackr = createUnpacker({ mapsAsObjects: true })
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
          const hello = parseHello(unpackr.unpack(body))
          decoder.maxFrameBytes = hello.maxFrameBytes
          clearTimeout(timer)
          socket.removeAllListeners()
          socket.pause() // keep any bytes after the hello until the connection listens
          const connection = new Connection(socket, decoder, unpackr, hello, options)
          resolve(connection)
          socket.resume()
          if (decoder.bufferedBytes > 0) connection.#onData(Buffer.alloc(0))
        } catch (err) {
          fail(`bad hello from ${host}:${port}: ${(err as Error).message}`, err)
        }
      }
      socket.on('data', onData)
    })
  }

  /** Requests sent and not yet answered. */
  get inFlight(): number {
    return this.#pending.size
  }

  get closed(): boolean {
    return this.#closed !== undefined
  }

  /**
   * Sends `message` (its slot 0 is set to a fresh request id) and resolves with the response when its status is 0.
   * Rejects with the server's status, with TIMEOUT (9) after `timeoutMs`, or with CONNECTION if the socket goes.
   */
  request(message: unknown[], timeoutMs: number, isWrite: boolean): Promise<unknown[]> {
    if (this.#closed !== undefined) return Promise.reject(this.#closed)
    const id = this.#takeId()
    message[0] = id
    let body: Uint8Array
    try {
      body = this.#packr.pack(message)
    } catch (err) {
      return Promise.reject(new TallyError(CLIENT_STATUS.PARAMETER, `cannot encode the request: ${(err as Error).message}`))
    }
    if (body.length > this.hello.maxFrameBytes)
      return Promise.reject(new TallyError(CLIENT_STATUS.PARAMETER, `request of ${body.length} bytes exceeds the server's frame limit of ${this.hello.maxFrameBytes} bytes`))
    this.#writer.push(body)
    if (!this.#flushScheduled) {
      this.#flushScheduled = true
      process.nextTick(() => this.#flush())
    }
    return new Promise((resolve, reject) => {
      const deadline = timeoutMs > 0 && Number.isFinite(timeoutMs) ? performance.now() + timeoutMs : Infinity
      this.#pending.set(id, { resolve, reject, isWrite, deadline })
      if (deadline !== Infinity) this.#watch(id, deadline)
    })
  }

  /** Waits for in-flight requests to finish, then closes the socket. */
  async close(): Promise<void> {
    if (this.#pending.size > 0) await new Promise<void>((resolve) => (this.#idle = resolve))
    this.#flush()
    this.#socket.end()
    this.#shutdown(new TallyError(CLIENT_STATUS.CLIENT_ERROR, 'the connection was closed'))
  }

  /** Closes the socket at once; pending requests fail with `err`. */
  destroy(err: TallyError): void {
    this.#shutdown(err)
  }

  #takeId(): number {
    const id = this.#nextId
    this.#nextId = id >= 0xffff_fffe ? 1 : id + 1
    return id
  }

  #flush(): void {
    this.#flushScheduled = false
    if (this.#blocked || this.#writer.length === 0 || this.#closed !== undefined) return
    this.#unsentFrom = this.#nextId
    if (!this.#socket.write(this.#writer.take())) this.#blocked = true
  }

  #onData(chunk: Buffer): void {
    this.#decoder.push(chunk)
    try {
      for (let body = this.#decoder.next(); body !== null; body = this.#decoder.next()) this.#onMessage(this.#unpackr.unpack(body))
    } catch (err) {
      this.#shutdown(connectionError(`bad data from ${this.host}:${this.port}: ${(err as Error).message}`, err))
    }
  }

  #onMessage(message: unknown): void {
    if (!Array.isArray(message) || typeof message[0] !== 'number' || typeof message[1] !== 'number')
      throw new Error('a response must be an array starting with id and status')
    const [id, status] = message as [number, number]
    if (id === SERVER_MESSAGE_ID) {
      // A connection-level error: the server is about to close the connection, and says why.
      this.#shutdown(new TallyError(status, `server closed the connection: ${String(message[2])}`, { inDoubt: true }))
      return
    }
    const pending = this.#pending.get(id)
    if (pending === undefined) return // answered after its timeout
    this.#pending.delete(id)
    if (status === STATUS.OK) pending.resolve(message)
    else pending.reject(new TallyError(status, String(message[2]), { gen: typeof message[3] === 'number' ? message[3] : undefined }))
    if (this.#pending.size === 0) this.#idle?.()
  }

  #watch(id: number, deadline: number): void {
    const tick = Math.ceil(deadline / TICK_MS)
    const ids = this.#deadlines.get(tick)
    if (ids === undefined) this.#deadlines.set(tick, [id])
    else ids.push(id)
    if (this.#timer === undefined) {
      this.#lastTick = Math.floor(performance.now() / TICK_MS)
      this.#timer = setInterval(() => this.#expire(), TICK_MS)
      this.#timer.unref()
    }
  }

  #expire(): void {
    const now = performance.now()
    const nowTick = Math.floor(now / TICK_MS)
    for (let tick = this.#lastTick; tick <= nowTick; tick++) {
      const ids = this.#deadlines.get(tick)
      if (ids === undefined) continue
      this.#deadlines.delete(tick)
      for (const id of ids) {
        const pending = this.#pending.get(id)
        if (pending === undefined || pending.deadline > now) continue
        this.#pending.delete(id)
        const what = pending.isWrite ? 'the write may have been applied' : 'no answer'
        pending.reject(new TallyError(STATUS.TIMEOUT, `timed out on ${this.host}:${this.port}: ${what}`, { inDoubt: pending.isWrite }))
      }
    }
    this.#lastTick = nowTick + 1
    if (this.#pending.size === 0) this.#idle?.()
    if (this.#deadlines.size === 0) {
      clearInterval(this.#timer)
      this.#timer = undefined
    }
  }

  #shutdown(err: TallyError): void {
    if (this.#closed !== undefined) return
    this.#closed = err
    clearInterval(this.#timer)
    this.#socket.destroy()
    // A write is in doubt once its bytes were handed to the socket; one still in our buffer was never sent.
    for (const [id, pending] of this.#pending)
      pending.reject(new TallyError(err.code, err.message, { inDoubt: pending.isWrite && id < this.#unsentFrom, cause: err }))
    this.#pending.clear()
    this.#deadlines.clear()
    this.#idle?.()
    this.onClose?.(err)
  }
}

function connectionError(message: string, cause?: unknown): TallyError {
  return new TallyError(CLIENT_STATUS.CONNECTION, message, { cause })
}

function parseHello(message: unknown): Hello {
  if (!Array.isArray(message) || message[0] !== SERVER_MESSAGE_ID || message[1] !== STATUS.OK) throw new Error('the first frame is not a hello')
  const hello = message[2] as Hello
  if (hello?.protocol !== PROTOCOL_VERSION) throw new Error(`protocol version ${String(hello?.protocol)} is not supported (this client speaks ${PROTOCOL_VERSION})`)
  for (const limit of ['maxFrameBytes', 'maxRecordBytes', 'maxBatchKeys'] as const)
    if (!Number.isInteger(hello[limit]) || hello[limit] <= 0) throw new Error(`the hello's ${limit} is not a positive integer`)
  return hello
}
