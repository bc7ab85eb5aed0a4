// What a cluster refuses, with a message that says why: a second init of one cluster, a node of a cluster that was
// never initialised, a node id already live, the cluster flags given in part.
import t from 'tap'
import { initCluster } from '../../server/commands/cluster.js'
import { runCli, startCliServer } from '../helpers/cli.js'
import { haveEtcd, NO_ETCD, testEtcd } from '../helpers/cluster.js'

t.test('refusals', { skip: !haveEtcd && NO_ETCD }, async (t) => {
  const etcd = await testEtcd(t)
  await initCluster([etcd.endpoint], 'once', 1)
  await t.rejects(initCluster([etcd.endpoint], 'once', 3), /cluster 'once' already exists/)

  const never = await runCli(['server', '--storage', 'memory', '--port', '0', '--aerospike-port', 'off', '--cluster', 'never', '--etcd', etcd.endpoint, '--node-id', 'a'], { timeoutMs: 60_000 })
  t.not(never.code, 0)
  t.match(never.stderr, /cluster 'never' is not initialised in etcd/)

  await startCliServer(t, ['--cluster', 'once', '--etcd', etcd.endpoint, '--node-id', 'a'])
  const twice = await runCli(['server', '--storage', 'memory', '--port', '0', '--aerospike-port', 'off', '--cluster', 'once', '--etcd', etcd.endpoint, '--node-id', 'a'], { timeoutMs: 60_000 })
  t.not(twice.code, 0)
  t.match(twice.stderr, /node id 'a' is already registered in cluster 'once' by a live node/)

  const part = await runCli(['server', '--storage', 'memory', '--port', '0', '--cluster', 'once'], { timeoutMs: 60_000 })
  t.not(part.code, 0)
  t.match(part.stderr, /a cluster node needs --cluster, --etcd and --node-id/)
})
