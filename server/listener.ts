// The TCP shell around a ServerCore: one listener per protocol (Tally's, Aerospike's), each handing its sockets to
// the core, refusing those over the connection limit and closing idle ones.
import net from 'node:net'
import type { Protocol, ServerCore } from './server.js'

/** Where and how one listener accepts connections. */
export interface ListenerOptions {
  host: string
  port: number
  protocol: Protocol
  /** Most connections at once over both listeners; more are refused (refusals.ts). */
  maxConnections: number
  /** Close a connection idle this long; 0: never. */
  idleTimeoutMs: number
}

/** A listener accepting connections for `core`; resolves once it listens. */
export async function listen(core: ServerCore, o: ListenerOptions): Promise<net.Server> {
  // allowHalfOpen: a client that ends its side still gets every answer; the connection ends the socket itself.
  const listener = net.createServer({ noDelay: true, allowHalfOpen: true }, (socket) => {
    // Over the limit, a client is told so rather than dropped (Node's own maxConnections closes without a word).
    if (core.connections >= o.maxConnections) return core.refuse(socket, socket.remoteAddress, o.protocol)
    if (o.idleTimeoutMs > 0) {
      socket.setTimeout(o.idleTimeoutMs, () => {
        core.log.debug(`closing a connection from ${socket.remoteAddress}: idle for ${o.idleTimeoutMs} ms`)
        socket.destroy()
      })
    }
    core.handle(socket, o.protocol)
  })
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject)
    // A deep accept queue, so that a thousand clients connecting at once are not dropped (Node's default is 511).
    listener.listen({ port: o.port, host: o.host, backlog: 4096 }, () => {
      listener.off('error', reject)
      resolve()
    })
  })
  return listener
}

/** Stops `listener` accepting; resolves once it has closed. */
export function stopListening(listener: net.Server): Promise<void> {
  return new Promise((resolve) => listener.close(() => resolve()))
}
