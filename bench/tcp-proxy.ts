// A TCP proxy in front of a server, for the tests and the chaos run: forwards each connection, and on demand loses
// answers (cutting their connection), refuses connections, or, in chaos mode, cuts connections at random moments,
// delays chunks, and cuts frames mid-way. Loopback only.
import net from 'node:net'

/** Something that runs clean-ups when it ends: a tap test, or a run. */
export interface Teardown {
  teardown(fn: () => unknown): void
}

/** Chances per chunk forwarded (0 to 1), and the longest delay. */
export interface ChaosOptions {
  cutChance: number
  delayChance: number
  maxDelayMs: number
  /** Random numbers in [0, 1): seeded in tests that print their seed. */
  random: () => number
}

/** What the proxy has done. */
export interface ProxyCounts {
  connections: number
  refused: number
  lostAnswers: number
  /** Connections cut: at once, or after part of a chunk (often inside a frame). */
  cuts: number
  partialCuts: number
  delays: number
}

interface Pair {
  client: net.Socket
  server: net.Socket
}

export class TcpProxy {
  /** The port connections are forwarded to; change it to follow a restarted server. */
  targetPort: number
  /** While true, new connections are closed at once. */
  refusing = false
  chaos: ChaosOptions | undefined
  readonly counts: ProxyCounts = { connections: 0, refused: 0, lostAnswers: 0, cuts: 0, partialCuts: 0, delays: 0 }
  readonly #listener: net.Server
  readonly #pairs = new Set<Pair>()
  #answersToLose = 0

  private constructor(targetPort: number) {
    this.targetPort = targetPort
    this.#listener = net.createServer((socket) => this.#accept(socket))
  }

  /** A proxy on 127.0.0.1, port 0, to `targetPort`, closed at `t`'s teardown. */
  static async start(t: Teardown, targetPort: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetPort)
    await new Promise<void>((resolve) => proxy.#listener.listen(0, '127.0.0.1', resolve))
    t.teardown(() => proxy.close())
    return proxy
  }

  get port(): number {
    return (this.#listener.address() as net.AddressInfo).port
  }

  /** The next `count` answers (chunks from the server after its hello) are dropped, each cutting its connection. */
  loseAnswers(count = 1): void {
    this.#answersToLose += count
  }

  /** Cuts one connection, chosen by `random`, if there is one. */
  cutOne(random: () => number): void {
    const pairs = [...this.#pairs]
    const pair = pairs[Math.floor(random() * pairs.length)]
    if (pair === undefined) return
    this.counts.cuts++
    this.#cut(pair)
  }

  /** Cuts every connection now. */
  cutAll(): void {
    for (const pair of this.#pairs) this.#cut(pair)
  }

  close(): void {
    this.cutAll()
    this.#listener.close()
  }

  #accept(client: net.Socket): void {
    if (this.refusing) {
      this.counts.refused++
      client.destroy()
      return
    }
    this.counts.connections++
    const server = net.connect({ host: '127.0.0.1', port: this.targetPort })
    const pair = { client, server }
    this.#pairs.add(pair)
    client.on('error', () => this.#cut(pair))
    server.on('error', () => this.#cut(pair))
    client.on('close', () => this.#cut(pair))
    server.on('close', () => this.#cut(pair))
    this.#forward(pair, client, server, false)
    this.#forward(pair, server, client, true)
  }

  // Chunks go on in order; a delayed one holds back those behind it.
  #forward(pair: Pair, from: net.Socket, to: net.Socket, answers: boolean): void {
    let queue = Promise.resolve()
    let greeted = !answers // the server's first chunk holds its hello, never lost
    from.on('data', (chunk: Buffer) => {
      if (answers && greeted && this.#answersToLose > 0) {
        this.#answersToLose--
        this.counts.lostAnswers++
        this.#cut(pair)
        return
      }
      greeted = true
      const chaos = this.chaos
      if (chaos === undefined) {
        to.write(chunk)
        return
      }
      const delayMs = chaos.random() < chaos.delayChance ? chaos.random() * chaos.maxDelayMs : 0
      const cut = chaos.random() < chaos.cutChance
      if (delayMs > 0) this.counts.delays++
      queue = queue.then(async () => {
        if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs))
        if (to.destroyed) return
        if (!cut) {
          to.write(chunk)
          return
        }
        // A cut at a random byte: often inside a frame, the rest of it never arrives.
        this.counts.partialCuts++
        this.#pairs.delete(pair)
        from.destroy()
        to.end(chunk.subarray(0, Math.floor(chaos.random() * chunk.length)))
        setTimeout(() => to.destroy(), 100).unref()
      })
    })
  }

  #cut(pair: Pair): void {
    if (!this.#pairs.delete(pair)) return
    pair.client.destroy()
    pair.server.destroy()
  }
}
