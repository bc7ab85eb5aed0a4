// The TCP shell around a ServerCore: one listener per protocol (Tally's, Aerospike's), each handing its sockets to
// the core (once their TLS handshake is done, with TLS), refusing those over the connection limit and closing idle
// ones.
import net from 'node:net'
import tls from 'node:tls'
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
  /** TLS settings (security/tls.ts `tlsServerOptions`); undefined: plain TCP. */
  tls?: tls.TlsOptions
}

/** A listener accepting connections for `core`; resolves once it listens. */
export async function listen(core: ServerCore, o: ListenerOptions): Promise<net.Server> {
  // allowHalfOpen: a client that ends its side still gets every answer; the connection ends the socket itself.
  const accept = (socket: net.Socket): void => {
    // Over the limit, a client is told so rather than dropped (Node's own maxConnections closes without a word).
    if (core.connections >= o.maxConnections) return core.refuse(socket, socket.remoteAddress, o.protocol)
    if (o.idleTimeoutMs > 0) {
      socket.setTimeout(o.idleTimeoutMs, () => {
        core.log.debug(`closing a connection from ${socket.remoteAddress}: idle for ${o.idleTimeoutMs} ms`)
        socket.destroy()
      })
    }
    core.handle(socket, o.protocol)
  }
  const listener = o.tls === undefined ? net.createServer({ noDelay: true, allowHalfOpen: true }, accept) : tlsListener(core, o.tls, accept)
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

/** A TLS handshake not finished this long after the connection is cut. */
const HANDSHAKE_TIMEOUT_MS = 10_000

// The sockets of each TLS listener still in their handshake.
const handshakesOf = new WeakMap<net.Server, Map<string, net.Socket>>()

/** Stops `listener` accepting, and ends the handshakes under way; resolves once it has closed. */
export function stopListening(listener: net.Server): Promise<void> {
  const closed = new Promise<void>((resolve) => listener.close(() => resolve()))
  for (const socket of handshakesOf.get(listener)?.values() ?? []) socket.destroy()
  return closed
}

// A failed handshake (no certificate, one not signed by the CA, a client that does not speak TLS) is counted and
// logged at debug level: a scanner would otherwise fill the log.
// Sockets still in their handshake belong to no connection yet: the listener ends them when it stops, and a
// handshake not done in HANDSHAKE_TIMEOUT_MS is cut.
function tlsListener(core: ServerCore, options: tls.TlsOptions, accept: (socket: net.Socket) => void): tls.Server {
  // By peer address and port: the TLS socket a handshake makes is not the raw socket it began on.
  const handshaking = new Map<string, net.Socket>()
  const peer = (socket: net.Socket): string => `${socket.remoteAddress}|${socket.remotePort}`
  const listener = tls.createServer({ ...options, allowHalfOpen: true, handshakeTimeout: HANDSHAKE_TIMEOUT_MS }, (socket) => {
    socket.setNoDelay(true)
    accept(socket)
  })
  listener.on('connection', (raw: net.Socket) => {
    const key = peer(raw)
    handshaking.set(key, raw)
    raw.once('close', () => handshaking.delete(key))
  })
  listener.on('secureConnection', (socket: tls.TLSSocket) => handshaking.delete(peer(socket)))
  handshakesOf.set(listener, handshaking)
  listener.on('tlsClientError', (err, socket) => {
    core.stats.tlsHandshakeFailures++
    core.log.debug(`TLS handshake with ${socket.remoteAddress ?? 'a client'} failed: ${err.message}`)
    socket.destroy()
  })
  return listener
}
