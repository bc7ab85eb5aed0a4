// Test helpers: a real server on port 0 with teardown registered next to setup, and keys unique per test.
import net from 'node:net'
import { connect, Key, type Client, type ClientOptions } from '../../client/index.js'
import { startServer, type ServerOptions, type TallyServer } from '../../server/index.js'

/** The part of a tap test these helpers need. */
export interface Teardown {
  teardown(fn: () => unknown): void
}

/** Starts a server on 127.0.0.1, port 0, records in memory unless asked otherwise, stopped when the test ends. */
export async function testServer(t: Teardown, options: ServerOptions = {}): Promise<TallyServer> {
  const server = await startServer({ host: '127.0.0.1', port: 0, storage: 'memory', nsupPeriodMs: 0, ...options })
  t.teardown(() => server.close())
  return server
}

/**
 * A client connected to `server`, closed when the test ends. Its requests time out after 30 s rather than 1 s:
 * thousands at once on a loaded machine can take seconds, and tests of timeouts set their own.
 */
export async function testClient(t: Teardown, server: TallyServer, options: Partial<ClientOptions> = {}): Promise<Client> {
  const client = await connect({ hosts: `127.0.0.1:${server.address.port}`, ...options, policy: { totalTimeoutMs: 30_000, ...options.policy } })
  t.teardown(() => client.close())
  return client
}

/** A server and a client for it. */
export async function serverAndClient(t: Teardown, options: ServerOptions = {}): Promise<{ server: TallyServer; client: Client }> {
  const server = await testServer(t, options)
  return { server, client: await testClient(t, server) }
}

let counter = 0
/** A key no other test uses. */
export function uniqueKey(set = 'tests'): Key {
  return new Key('test', set, `k${process.pid}-${++counter}`)
}

/** A raw TCP socket to the server, destroyed when the test ends. */
export async function rawSocket(t: Teardown, port: number): Promise<net.Socket> {
  const socket = net.connect({ host: '127.0.0.1', port })
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  t.teardown(() => socket.destroy())
  return socket
}
