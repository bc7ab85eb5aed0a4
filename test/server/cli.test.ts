// The `tally server` command as operators run it: readiness line, serving, clean exit on SIGTERM and SIGINT.
import t from 'tap'
import { connect, Key } from '../../client/index.js'
import { runCli, startCliServer } from '../helpers/cli.js'

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  t.test(`tally server prints its address, serves, and exits 0 on ${signal}`, async (t) => {
    const server = await startCliServer(t, ['--storage', 'memory'])
    t.match(server.output(), /listening on 127\.0\.0\.1:\d+/)
    const client = await connect({ hosts: `127.0.0.1:${server.port}` })
    t.equal(await client.increment(new Key('test', 's', 'cli'), 'n', 2), 2)
    await client.close()
    server.child.kill(signal)
    t.equal(await server.exited, 0)
    t.match(server.output(), new RegExp(`${signal}: shutting down[\\s\\S]*shutdown complete`))
  })
}

t.test('bad flags stop startup with a message', async (t) => {
  const badPort = await runCli(['server', '--port', 'abc'])
  t.not(badPort.code, 0)
  t.match(badPort.stderr, /--port.*integer from 0 to 65535/)
  const badStorage = await runCli(['server', '--storage', 'tape'])
  t.not(badStorage.code, 0)
  t.match(badStorage.stderr, /memory or disk/)
})

t.test('a port in use is reported and exits non-zero', async (t) => {
  const first = await startCliServer(t)
  const second = await runCli(['server', '--host', '127.0.0.1', '--port', String(first.port), '--storage', 'memory'])
  t.equal(second.code, 1)
  t.match(second.stderr, /EADDRINUSE/)
  first.child.kill('SIGTERM')
  await first.exited
})
