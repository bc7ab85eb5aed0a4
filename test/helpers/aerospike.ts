// The official Aerospike client (npm `aerospike`) against a real Tally server. Its connect() blocks Node's event loop
// while it checks the seed, so the server runs in a child process (`tally server`), never in the test's own.
import net from 'node:net'
import Aerospike from 'aerospike'
import { startCliServer, type RunningCli } from './cli.js'
import { rawSocket, type Teardown } from './server.js'

/** A `tally server` process with both listeners on free ports. */
export async function aerospikeServer(t: Teardown, args: string[] = []): Promise<RunningCli & { aerospikePort: number }> {
  const server = await startCliServer(t, args)
  if (server.aerospikePort === undefined) throw new Error(`no Aerospike listener:\n${server.output()}`)
  return server as RunningCli & { aerospikePort: number }
}

/**
 * An official client connected to `port`, closed when the test ends. Commands wait 30 s: thousands at once on a
 * loaded machine take seconds, and the tests of timeouts set their own.
 */
export async function aerospikeClient(t: Teardown, port: number, config: Partial<Aerospike.ConfigOptions> = {}): Promise<Aerospike.Client> {
  const total = { totalTimeout: 30_000, socketTimeout: 30_000 }
  const client = await Aerospike.connect({
    hosts: `127.0.0.1:${port}`,
    log: { level: Aerospike.log.OFF },
    policies: { read: total, write: total, operate: total, remove: total, batch: total, info: { timeout: 30_000 } },
    ...config,
  })
  t.teardown(() => client.close())
  return client
}

let counter = 0
/** An Aerospike key no other test uses. */
export function uniqueAsKey(set = 'as'): Aerospike.Key {
  return new Aerospike.Key('test', set, `a${process.pid}-${++counter}`)
}

/** A raw socket to the Aerospike listener's `port`, destroyed when the test ends (a raw socket like any other). */
export const rawAsSocket = rawSocket

/** Reads whole proto frames (8-byte header, body) from a socket, in order. */
export class ProtoReader {
  #buffer = Buffer.alloc(0)
  #waiting: (() => void) | undefined
  #ended = false

  constructor(socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk])
      this.#waiting?.()
    })
    socket.on('close', () => {
      this.#ended = true
      this.#waiting?.()
    })
  }

  /** The next frame's type and body; null once the socket has closed with no whole frame left. One call at a time. */
  async next(timeoutMs = 30_000): Promise<{ type: number; body: Buffer } | null> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      if (this.#buffer.length >= 8) {
        const length = this.#buffer.readUIntBE(2, 6)
        if (this.#buffer.length >= 8 + length) {
          const frame = { type: this.#buffer[1]!, body: this.#buffer.subarray(8, 8 + length) }
          this.#buffer = this.#buffer.subarray(8 + length)
          return frame
        }
      }
      if (this.#ended) return null
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no whole frame within ${timeoutMs} ms (${this.#buffer.length} bytes buffered)`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        timer.unref()
        this.#waiting = () => {
          clearTimeout(timer)
          resolve()
        }
      })
      this.#waiting = undefined
    }
  }
}

/** A raw connection to an Aerospike listener: send frames, read the answers in order. */
export async function rawAsWire(t: Teardown, port: number): Promise<{ send: (frame: Buffer) => void; next: () => Promise<{ type: number; body: Buffer } | null> }> {
  const socket = await rawAsSocket(t, port)
  const reader = new ProtoReader(socket)
  return { send: (frame) => socket.write(frame), next: () => reader.next() }
}
