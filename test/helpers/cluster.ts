// A real etcd and real `tally server` node processes on loopback for the cluster tests; each stopped by its pid when
// the test ends. Tests skip, saying why, when etcd is not on PATH (.ci/run installs Debian's etcd-server).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { connect, type Client } from '../../client/index.js'
import { etcdAvailable, startEtcd, type EtcdProcess } from '../../server/cluster/etcd-process.js'
import { initCluster } from '../../server/commands/cluster.js'
import { startCliServer, type RunningCli } from './cli.js'
import type { Teardown } from './server.js'

export const NO_ETCD = 'etcd is not on PATH (Debian: apt-get install etcd-server); the cluster tests need a real one'

/** Whether the cluster tests can run here. */
export const haveEtcd = etcdAvailable()

/** An etcd on a scratch directory, stopped and removed when the test ends. */
export async function testEtcd(t: Teardown): Promise<EtcdProcess> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-etcd-'))
  const etcd = await startEtcd(dir)
  t.teardown(async () => {
    await etcd.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  })
  return etcd
}

export interface TestCluster {
  etcd: EtcdProcess
  name: string
  nodes: (RunningCli | undefined)[]
  /** Starts (or restarts) node i. */
  start(i: number): Promise<RunningCli>
  /** Stops node i by its pid (SIGTERM: it deregisters) and waits for it to exit. */
  stop(i: number): Promise<void>
}

/** A cluster of `count` in-memory nodes (node1..nodeN), with its first map written; node i gets `args(i)` too. */
export async function testCluster(t: Teardown, count = 3, args: (i: number) => string[] = () => []): Promise<TestCluster> {
  const etcd = await testEtcd(t)
  const name = `t${process.pid}`
  await initCluster([etcd.endpoint], name, count)
  const nodes: (RunningCli | undefined)[] = new Array(count).fill(undefined)
  const cluster: TestCluster = {
    etcd,
    name,
    nodes,
    async start(i) {
      const node = await startNode(t, ['--cluster', name, '--etcd', etcd.endpoint, '--node-id', `node${i + 1}`, ...args(i)])
      nodes[i] = node
      return node
    },
    async stop(i) {
      const node = nodes[i]!
      if (node.child.exitCode === null) process.kill(node.child.pid!, 'SIGTERM')
      await node.exited
      nodes[i] = undefined
    },
  }
  // One after another: on a loaded machine, processes starting together each take longer to be ready.
  for (let i = 0; i < count; i++) await cluster.start(i)
  return cluster
}

/** Most a node may take to be ready: several start at once with etcd on a loaded 2-core machine. */
const READY_MS = 90_000

/** `tally server` in memory on free ports with `args`, once it says it listens; killed by its pid at teardown. */
function startNode(t: Teardown, args: string[]): Promise<RunningCli> {
  return startCliServer(t, ['--log-level', 'warn', ...args], READY_MS)
}

/** A client of node `port` that does not route (every request goes to that node), closed when the test ends. */
export async function plainClient(t: Teardown, port: number): Promise<Client> {
  const client = await connect({ hosts: `127.0.0.1:${port}`, routing: false, policy: { totalTimeoutMs: 30_000 } })
  t.teardown(() => client.close())
  return client
}

/** info `cluster` of a node as an object: generation, forwarded, and per node [state, partitions owned]. */
export async function clusterInfo(client: Client): Promise<{ generation: number; forwarded: number; nodes: Map<string, { up: boolean; partitions: number }> }> {
  const value = (await client.info('cluster')).cluster!
  const fields = new Map(value.split(';').map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]))
  const nodes = new Map(
    (fields.get('nodes') ?? '')
      .split(',')
      .filter((n) => n !== '')
      .map((n) => {
        const [id, where, partitions] = n.split('/')
        return [id!, { up: where!.startsWith('up'), partitions: Number(partitions) }]
      }),
  )
  return { generation: Number(fields.get('generation')), forwarded: Number(fields.get('forwarded')), nodes }
}

export { until } from './until.js'
