// TLS on both listeners: the Tally client over TLS, mutual TLS with a client certificate, certificates refused
// (a server the client does not trust, a client certificate from another CA, none at all), plain TCP refused by a
// TLS listener, and the Aerospike info values that tell a client where TLS is served.
import fs from 'node:fs'
import net from 'node:net'
import tls from 'node:tls'
import t from 'tap'
import { CLIENT_STATUS } from '../../protocol/status.js'
import { makeTestCerts } from '../helpers/certs.js'
import { testClient, testServer, uniqueKey } from '../helpers/server.js'
import { codeOf } from '../helpers/rejections.js'
import { ProtoReader } from '../helpers/aerospike.js'
import { encodeInfoRequest } from '../../protocol/aerospike/info.js'

const certs = makeTestCerts(t)
const read = (file: string): Buffer => fs.readFileSync(file)

t.test('the client reads and writes over TLS; plain TCP gets no hello', async (t) => {
  const server = await testServer(t, { tls: { certFile: certs.server.cert, keyFile: certs.server.key } })
  const client = await testClient(t, server, { poolSize: 1, connectTimeoutMs: 30_000, tls: { ca: read(certs.ca), servername: 'localhost' } })
  const key = uniqueKey()
  await client.put(key, { n: 1 })
  t.equal(await client.increment(key, 'n', 41), 42)
  t.equal(await codeOf(testClient(t, server, { connectTimeoutMs: 2000 })), CLIENT_STATUS.CONNECTION, 'a plain client is not served')
  t.equal(server.core.connections, 1, 'only the TLS connection is open')
})

t.test('a server certificate from a CA the client does not trust is refused', async (t) => {
  const server = await testServer(t, { tls: { certFile: certs.strangerServer.cert, keyFile: certs.strangerServer.key } })
  t.equal(await codeOf(testClient(t, server, { tls: { ca: read(certs.ca), servername: 'localhost' } })), CLIENT_STATUS.CONNECTION)
  t.equal(await codeOf(testClient(t, server, { tls: { ca: read(certs.ca), servername: 'elsewhere' } })), CLIENT_STATUS.CONNECTION)
  t.equal(server.core.connections, 0)
})

t.test('mutual TLS: a client certificate from the CA is served, one from another CA or none is refused', async (t) => {
  const server = await testServer(t, {
    tls: { certFile: certs.server.cert, keyFile: certs.server.key, caFile: certs.ca, authenticateClient: true },
  })
  const ca = read(certs.ca)
  const client = await testClient(t, server, { poolSize: 1, connectTimeoutMs: 30_000, tls: { ca, cert: read(certs.client.cert), key: read(certs.client.key), servername: 'localhost' } })
  const key = uniqueKey()
  await client.put(key, { n: 7 })
  t.same((await client.get(key)).bins, { n: 7 })
  const stranger = { ca, cert: read(certs.strangerClient.cert), key: read(certs.strangerClient.key), servername: 'localhost' }
  t.equal(await codeOf(testClient(t, server, { tls: stranger, connectTimeoutMs: 5000 })), CLIENT_STATUS.CONNECTION)
  t.equal(await codeOf(testClient(t, server, { tls: { ca, servername: 'localhost' }, connectTimeoutMs: 5000 })), CLIENT_STATUS.CONNECTION)
  // The client tries again until its connect timeout: each attempt is a failed handshake.
  t.ok(server.core.stats.tlsHandshakeFailures >= 2, `failed handshakes are counted (${server.core.stats.tlsHandshakeFailures})`)
  t.equal(server.core.connections, 1)
})

/** The text of the Aerospike info answer to `commands` on `socket`. */
async function askInfo(socket: net.Socket, commands: string[]): Promise<string> {
  const reader = new ProtoReader(socket)
  socket.write(encodeInfoRequest(commands))
  return (await reader.next())!.body.toString()
}

t.test('the Aerospike listener speaks TLS and names its address under service-tls-std', async (t) => {
  const server = await testServer(t, { aerospikePort: 0, tls: { certFile: certs.server.cert, keyFile: certs.server.key } })
  const port = server.aerospikeAddress!.port
  const socket = tls.connect({ host: '127.0.0.1', port, ca: read(certs.ca), servername: 'localhost' })
  t.teardown(() => socket.destroy())
  await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject))
  t.equal(await askInfo(socket, ['service-tls-std', 'service-clear-std', 'peers-tls-std']), `service-tls-std\t127.0.0.1:${port}\nservice-clear-std\t\npeers-tls-std\t1,${port},[]\n`)
})

t.test('the Aerospike listener without TLS names no TLS address', async (t) => {
  const server = await testServer(t, { aerospikePort: 0 })
  const port = server.aerospikeAddress!.port
  const socket = net.connect({ host: '127.0.0.1', port })
  t.teardown(() => socket.destroy())
  t.equal(await askInfo(socket, ['service-tls-std', 'service-clear-std']), `service-tls-std\t\nservice-clear-std\t127.0.0.1:${port}\n`)
})

t.test('a certificate file that cannot be read stops the start with its name', async (t) => {
  await t.rejects(testServer(t, { tls: { certFile: `${certs.dir}/missing.pem`, keyFile: certs.server.key } }), /cert-file .*missing\.pem cannot be read/)
  await t.rejects(testServer(t, { tls: { certFile: certs.server.cert, keyFile: certs.server.key, authenticateClient: true } }), /needs a ca-file/)
})
