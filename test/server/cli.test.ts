// The `tally server` command as operators run it: readiness line, serving, clean exit on SIGTERM and SIGINT; bad
// flags stop it with a message saying what was expected.
import { Command } from 'commander'
import t from 'tap'
import { connect, Key } from '../../client/index.js'
import { addServerCommand } from '../../server/commands/server.js'
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

t.test('the Aerospike listener: a second readiness line, or none with --aerospike-port off', async (t) => {
  const on = await startCliServer(t)
  t.match(on.output(), /^listening on 127\.0\.0\.1:\d+\naerospike protocol listening on 127\.0\.0\.1:\d+\n/)
  t.ok(on.aerospikePort! > 0 && on.aerospikePort !== on.port)
  const off = await startCliServer(t, ['--aerospike-port', 'off'])
  t.equal(off.aerospikePort, undefined)
  t.notMatch(off.output(), /aerospike protocol/)
  const client = await connect({ hosts: `127.0.0.1:${off.port}` })
  t.match((await client.info('get-config'))['get-config'], /(^|;)port=off(;|$)/, 'get-config says so')
  await client.close()
})

t.test('bad flags stop startup with a message', async (t) => {
  const badPort = await runCli(['server', '--port', 'abc'])
  t.not(badPort.code, 0)
  t.match(badPort.stderr, /--port.*integer from 0 to 65535/)
  const badStorage = await runCli(['server', '--storage', 'tape'])
  t.not(badStorage.code, 0)
  t.match(badStorage.stderr, /'tape' is not one of disk, memory/)
})

t.test('every flag is checked to a sane range, by the rule of its config-file setting', async (t) => {
  const cases: [string[], RegExp][] = [
    [['--host', ''], /--host.*'' is not an address/],
    [['--host', 'two words'], /--host.*'two words' is not an address/],
    [['--log-level', 'toString'], /--log-level.*'toString' is not one of/],
    [['--log-level', 'constructor'], /--log-level.*'constructor' is not one of/],
    [['--flush-ms', '1e12'], /--flush-ms.*'1e12' is not an integer from 1 to 3600000/],
    [['--flush-ms', '4000000'], /--flush-ms.*'4000000' is not an integer from 1 to 3600000/],
    [['--segment-bytes', '1e20'], /--segment-bytes.*'1e20' is not a size/],
    [['--segment-bytes', '100000000000000000000'], /--segment-bytes.*must be from 64K to 16G/],
    [['--snapshot-log-bytes', '1000'], /--snapshot-log-bytes.*must be from 64K to 1T/],
    [['--port', '65536'], /--port.*'65536' is not an integer from 0 to 65535/],
    [['--aerospike-port', '65536'], /--aerospike-port.*'65536' is not a port from 0 to 65535, nor off/],
    [['--aerospike-port', 'of'], /--aerospike-port.*'of' is not a port from 0 to 65535, nor off/],
    [['--aerospike-port', '-1'], /--aerospike-port.*'-1' is not a port/],
    [['--data-dir', ''], /--data-dir.*a path cannot be empty/],
    [['--pidfile', ''], /--pidfile.*a path cannot be empty/],
    [['--log-file', ''], /--log-file.*a path cannot be empty/],
  ]
  // In this process, so that many cases stay quick: commander as `tally` sets it up, stopped before it exits.
  for (const [flags, pattern] of cases) {
    const program = new Command().exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} })
    addServerCommand(program)
    await t.rejects(program.parseAsync(['server', ...flags], { from: 'user' }), { code: 'commander.invalidArgument', message: pattern }, flags.join(' '))
  }
  // Through the real command: the message reaches the terminal, and nothing starts.
  for (const [flags, pattern] of cases.slice(0, 3)) {
    const result = await runCli(['server', '--port', '0', '--aerospike-port', '0', '--storage', 'memory', ...flags])
    t.equal(result.code, 1, `exit code for ${flags.join(' ')}`)
    t.match(result.stderr, pattern)
    t.notMatch(result.stdout, /listening on/)
  }
})
