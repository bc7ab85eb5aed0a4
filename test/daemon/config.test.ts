// Config files, read by the real `tally server`: a good file starts the server as written (flags override it);
// every kind of bad file stops startup with `file:line: what is wrong`.
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { interpretConfig } from '../../server/config/load.js'
import { parseConfig } from '../../server/config/parse.js'
import { runCli, startCliServer } from '../helpers/cli.js'
import { tempDataDir } from '../helpers/data-dir.js'
import { until } from '../helpers/until.js'

function writeConfig(dir: string, text: string): string {
  const file = path.join(dir, 'tally.conf')
  fs.writeFileSync(file, text)
  return file
}

const EXAMPLE = fs.readFileSync(new URL('../../../packaging/tally.conf', import.meta.url), 'utf8')
const UNIT = fs.readFileSync(new URL('../../../packaging/tally.service', import.meta.url), 'utf8')

t.test('the shipped example config is valid', async (t) => {
  const config = interpretConfig(parseConfig(EXAMPLE, 'tally.conf'), 'tally.conf')
  t.match(config.server, { port: 3100, maxConnections: 15000, namespaces: [{ name: 'test', storage: 'disk' }, { name: 'cache', storage: 'memory', defaultTtlSec: 3600 }] })
  t.equal(config.pidfile, '/run/tally/tally.pid')
})

t.test('the systemd unit creates the directories the example config uses', async (t) => {
  const config = interpretConfig(parseConfig(EXAMPLE, 'tally.conf'), 'tally.conf')
  const unit = (name: string): string | undefined => new RegExp(`^${name}=(.*)$`, 'm').exec(UNIT)?.[1]
  t.equal(path.dirname(config.pidfile!), `/run/${unit('RuntimeDirectory')}`, 'the pidfile is in RuntimeDirectory')
  t.equal(path.dirname(config.logging.file!.path), `/var/log/${unit('LogsDirectory')}`, 'the log file is in LogsDirectory')
  t.equal(config.server.dataDir, `/var/lib/${unit('StateDirectory')}`, 'data-dir is StateDirectory')
  t.match(unit('ExecStart'), /tally server --config \/etc\/tally\/tally\.conf$/)
})

t.test('the example config starts on a machine where none of its directories exist yet', async (t) => {
  const dir = tempDataDir(t)
  const root = path.join(dir, 'fresh')
  const file = writeConfig(dir, EXAMPLE.replace(/ \/(var|run)\//g, ` ${root}/$1/`))
  const server = await startCliServer(t, ['--config', file, '--port', '0'])
  t.ok(fs.statSync(`${root}/var/lib/tally`).isDirectory(), 'data-dir created')
  t.equal(Number(fs.readFileSync(`${root}/run/tally/tally.pid`, 'utf8')), server.child.pid, 'pidfile written in a new directory')
  // The log file is written as the stream drains: wait (at most 10 s) for the line rather than read it once.
  const logFile = `${root}/var/log/tally/tally.log`
  const serving = /INFO tally .* serving namespaces test, cache/
  await until('the log line', () => serving.test(fs.readFileSync(logFile, 'utf8')), 10_000)
  t.match(fs.readFileSync(logFile, 'utf8'), serving, 'log file in a new directory')
  server.child.kill('SIGTERM')
  t.equal(await server.exited, 0)
})

t.test('a config file sets up the server; flags on the command line win', async (t) => {
  const dir = tempDataDir(t)
  const file = writeConfig(
    dir,
    `# a test config
service {
    data-dir ${dir}/data
    ticker-interval 1
    batch-max-requests 100
    port 2          # the Aerospike listener's: overridden by the helper's --aerospike-port 0
    metrics-port 0
    slowlog-threshold-ms 5
    slowlog-max-entries 50
}
network {
    service {
        port 1          # overridden by --port 0 below
    }
}
namespace hot {
    default-ttl 1h
    storage-engine memory {
        data-size 64M
        evict-used-pct 60
    }
}
namespace durable { storage-engine device { commit-to-device false
    flush-ms 250 } }
`,
  )
  const server = await startCliServer(t, ['--storage', 'disk', '--config', file, '--log-level', 'info'])
  const info = await runCli(['info', '--port', String(server.port), '--json', 'namespaces', 'get-config', 'get-config:context=network', 'get-config:context=namespace;id=hot', 'get-config:context=namespace;id=durable'])
  t.equal(info.code, 0, info.stderr)
  const values = JSON.parse(info.stdout)
  t.equal(values.namespaces, 'hot;durable')
  t.match(values['get-config'], { port: server.aerospikePort, 'batch-max-requests': 100, 'data-dir': `${dir}/data`, 'ticker-interval': 1, 'slowlog-threshold-ms': 5, 'slowlog-max-entries': 50 })
  t.ok(server.aerospikePort! > 0 && server.aerospikePort !== server.port, 'service { port } is the Aerospike listener, apart from Tally\'s')
  t.same(values['get-config:context=network'], { 'service.address': '127.0.0.1', 'service.port': server.port })
  const metrics = /metrics on (http:\/\/127\.0\.0\.1:\d+\/metrics)\n/.exec(server.output())
  t.ok(metrics !== null, 'the metrics address is printed')
  t.match(await (await fetch(metrics![1]!)).text(), /^tally_namespace_objects\{ns="hot"\} 0$/m)
  t.match(values['get-config:context=namespace;id=hot'], { 'default-ttl': 3600, 'storage-engine': 'memory', 'data-size': 64 * 1024 * 1024, 'evict-used-pct': 60 })
  t.match(values['get-config:context=namespace;id=durable'], { 'storage-engine': 'device', 'commit-to-device': false, 'flush-ms': 250 })
  for (let waited = 0; waited < 3000 && !/ticker: objects hot 0, durable 0/.test(server.output()); waited += 100) await new Promise((r) => setTimeout(r, 100))
  t.match(server.output(), /INFO ticker: objects hot 0, durable 0 \| ops\/s read \d+ write \d+ increment \d+ operate \d+ batch \d+ \| slow \d+ \| memory rss \d+ MB heap \d+ MB \| connections \d+/)
  server.child.kill('SIGTERM')
  t.equal(await server.exited, 0)
})

t.test('bad config files stop startup with file:line and what is wrong', async (t) => {
  const dir = tempDataDir(t)
  const cases: [string, RegExp][] = [
    ['service {\n  proto-fd-maxx 10\n}\n', /tally\.conf:2: unknown setting 'proto-fd-maxx' in service/],
    ['namespace test {\n  replication-factor 2\n}\n', /tally\.conf:2: 'replication-factor' is an Aerospike setting Tally does not support: Tally runs as a single node/],
    ['namespace test {\n  memory-size 4G\n}\n', /:2: 'memory-size' is an Aerospike setting Tally does not support: use 'data-size'/],
    ['network {\n  heartbeat {\n    mode mesh\n  }\n}\n', /:2: 'heartbeat' is an Aerospike setting Tally does not support/],
    ['namespace test {\n  default-ttl 5x\n}\n', /:2: default-ttl: '5x' is not a duration/],
    ['namespace test {\n  default-ttl 20y\n}\n', /:2: default-ttl: '20y' is not a duration/],
    ['namespace test {\n  default-ttl 4000d\n}\n', /:2: default-ttl: must be from 0 to 3650d/],
    ['namespace test {\n  max-record-size 1Q\n}\n', /:2: max-record-size: '1Q' is not a size/],
    ['network {\n  service {\n    port 70000\n  }\n}\n', /:3: port: '70000' is not an integer from 0 to 65535/],
    ['service {\n  port 3000x\n}\n', /:2: port: '3000x' is not a port from 0 to 65535, nor off/],
    ['network {\n  service {\n    port off\n  }\n}\n', /:3: port: 'off' is not an integer from 0 to 65535/],
    ['service {\n  metrics-port -1\n}\n', /:2: metrics-port: '-1' is not an integer from 0 to 65535/],
    ['service {\n  slowlog-max-entries 0\n}\n', /:2: slowlog-max-entries: '0' is not an integer from 1 to 100000/],
    ['namespace test {\n  storage-engine device {\n    commit-to-device maybe\n  }\n}\n', /:3: commit-to-device: 'maybe' is not true or false/],
    ['namespace test {\n  storage-engine pmem {\n  }\n}\n', /:2: 'storage-engine pmem' is an Aerospike setting Tally does not support/],
    ['namespace test {\n  default-ttl 1\n  default-ttl 2\n}\n', /:3: 'default-ttl' is set twice in namespace test \(first at line 2\)/],
    ['namespace test {\n}\nnamespace test {\n}\n', /:3: namespace 'test' is defined twice/],
    ['namespace test {\n  default-ttl 1\n', /:1: block 'namespace test' is never closed/],
    ['}\n', /:1: '}' without a block to close/],
    ['namespace test {\n  storage-engine memory {\n    data-size 1M\n    evict-used-pct 90\n    stop-writes-used-pct 80\n  }\n}\n', /:1: namespace test: evict-used-pct \(90\) must be below stop-writes-used-pct \(80\)/],
    ['namespace test {\n  evict-used-pct 50\n}\n', /:1: namespace test: evict-used-pct and stop-writes-used-pct need a data-size/],
    ['logging {\n  console {\n    context fabric debug\n  }\n}\n', /:3: expected 'context any LEVEL'/],
    ['port 3000\n', /:1: unknown setting 'port' in the top level/],
    ['namespace {\n}\n', /:1: a namespace needs one name/],
    ['service {\n  ticker-interval 25d\n}\n', /:2: ticker-interval: must be 0 or from 1s to 1d/],
    ['namespace test {\n  nsup-period 30d\n}\n', /:2: nsup-period: must be 0 or from 100ms to 1d/],
    ['namespace test {\n  default-ttl 1500ms\n}\n', /:2: default-ttl: must be whole seconds/],
    ['namespace test {\n  data-size 99999999T\n}\n', /:2: data-size: must be from 0 to 16T/],
    ['service {\n  constructor 1\n}\n', /:2: unknown setting 'constructor' in service/],
    ['namespace test {\n  toString 1\n}\n', /:2: unknown setting 'toString' in namespace test/],
    ['network {\n  service {\n    hasOwnProperty 1\n  }\n}\n', /:3: unknown setting 'hasOwnProperty' in network service/],
    ['logging {\n  console {\n    context any toString\n  }\n}\n', /:3: expected 'context any LEVEL'/],
    ['namespace test {\n  storage-engine memory {\n    data-size 1M\n    evict-used-pct 95\n  }\n}\n', /:1: namespace test: evict-used-pct \(95\) must be below stop-writes-used-pct \(90, the default\)/],
  ]
  // Every case in this process, so that many stay quick; a few through the real command, which prints the same.
  for (const [text, pattern] of cases) t.throws(() => interpretConfig(parseConfig(text, `${dir}/tally.conf`), `${dir}/tally.conf`), { message: pattern })
  for (const [text, pattern] of cases.filter((_, i) => i % 10 === 0)) {
    const file = writeConfig(dir, text)
    const result = await runCli(['server', '--config', file, '--port', '0', '--aerospike-port', '0', '--storage', 'memory'])
    t.equal(result.code, 1, `exit code for ${pattern}`)
    t.match(result.stderr, pattern)
  }
})

t.test('the cluster block: name, etcd and node-id together', async (t) => {
  const read = (text: string): ReturnType<typeof interpretConfig> => interpretConfig(parseConfig(text, 'c.conf'), 'c.conf')
  const config = read('cluster {\n  name prod\n  etcd http://10.0.0.1:2379,http://10.0.0.2:2379\n  node-id a1\n}\n')
  t.same(config.server.cluster, { name: 'prod', etcd: ['http://10.0.0.1:2379', 'http://10.0.0.2:2379'], nodeId: 'a1' })
  t.throws(() => read('cluster {\n  name prod\n  node-id a1\n}\n'), /c\.conf:1: the cluster block needs name, etcd and node-id/)
  t.throws(() => read('cluster {\n  name pr/od\n  etcd http://h:1\n  node-id a1\n}\n'), /c\.conf:2: name: the cluster name must be/)
  t.throws(() => read('cluster {\n  name p\n  etcd http://h:1\n  node-id a1\n  nodes 3\n}\n'), /unknown setting 'nodes' in cluster/)
  const secured = read('cluster {\n  name p\n  etcd http://h:1\n  node-id a1\n  peer-secret-file /etc/tally/peer-secret\n}\n')
  t.same(secured.server.cluster, { name: 'p', etcd: ['http://h:1'], nodeId: 'a1', peerSecretFile: '/etc/tally/peer-secret' }, 'peer-secret-file')
})
