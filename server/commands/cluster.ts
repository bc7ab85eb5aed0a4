// `tally cluster init|status|dev` (docs/cluster.md): writes a cluster's config to etcd once, shows what etcd holds
// about it (nodes, addresses, partitions owned, map generation), and runs a cluster on this machine for trying it.
import type { Command } from 'commander'
import { clusterPrefix, KEYS, NAME_PATTERN, parseJson, type ClusterConfig, type MapChunk, type MapMeta, type Member } from '../cluster/etcd-keys.js'
import { etcdClient } from '../cluster/coordinator.js'
import { runDevCluster } from '../cluster/dev-cluster.js'

function checkName(what: string, value: string): string {
  if (!NAME_PATTERN.test(value)) throw new Error(`${what} '${value}' must be 1 to 32 letters, digits, '-' or '_'`)
  return value
}

function nodeCount(text: string): number {
  const n = Number(text)
  if (!Number.isInteger(n) || n < 1 || n > 255) throw new Error(`--nodes must be an integer from 1 to 255, not '${text}'`)
  return n
}

/** Writes the config of cluster `name`; refuses if it already exists. */
export async function initCluster(endpoints: string[], name: string, nodes: number): Promise<ClusterConfig> {
  const etcd = await etcdClient(endpoints)
  try {
    const key = clusterPrefix(name) + KEYS.config
    const config: ClusterConfig = { name, nodes, createdMs: Date.now() }
    const result = await etcd.if(key, 'Create', '==', 0).then(etcd.put(key).value(JSON.stringify(config))).else(etcd.get(key)).commit()
    if (!result.succeeded) throw new Error(`cluster '${name}' already exists in etcd (its config is never overwritten)`)
    return config
  } finally {
    etcd.close()
  }
}

/** What etcd holds about cluster `name`, as lines of text. */
export async function clusterStatus(endpoints: string[], name: string): Promise<string> {
  const etcd = await etcdClient(endpoints)
  try {
    const prefix = clusterPrefix(name)
    const configText = await etcd.get(prefix + KEYS.config).string()
    if (configText === null) throw new Error(`cluster '${name}' is not initialised in etcd`)
    const config = parseJson<ClusterConfig>(KEYS.config, configText)
    const members = Object.values(await etcd.getAll().prefix(prefix + KEYS.members).strings()).map((t) => parseJson<Member>(KEYS.members, t))
    const roster = Object.keys(await etcd.getAll().prefix(prefix + KEYS.roster).strings()).map((k) => k.slice(prefix.length + KEYS.roster.length))
    const metaText = await etcd.get(prefix + KEYS.mapMeta).string()
    const meta = metaText === null ? undefined : parseJson<MapMeta>(KEYS.mapMeta, metaText)
    const chunks = Object.values(await etcd.getAll().prefix(prefix + KEYS.mapChunks).strings()).map((t) => parseJson<MapChunk>(KEYS.mapChunks, t))
    const owned = new Map<string, number>()
    for (const chunk of chunks) for (const owner of chunk.owners) owned.set(meta?.nodes[owner] ?? '?', (owned.get(meta?.nodes[owner] ?? '?') ?? 0) + 1)
    const leader = meta === undefined ? 'none yet' : meta.leader
    const lines = [`cluster ${name}: ${config.nodes} nodes configured, map generation ${meta?.generation ?? 0} (written by ${leader})`]
    for (const id of [...new Set([...roster, ...members.map((m) => m.id)])].sort()) {
      const m = members.find((member) => member.id === id)
      const where = m === undefined ? 'down' : `up    tally ${m.host}:${m.port}  aerospike ${m.aerospikePort === null ? 'off' : `${m.host}:${m.aerospikePort}`}`
      lines.push(`  ${id.padEnd(12)} ${where}  partitions ${owned.get(id) ?? 0}`)
    }
    return lines.join('\n')
  } finally {
    etcd.close()
  }
}

export function addClusterCommand(program: Command): void {
  const cluster = program.command('cluster').description('a cluster of Tally nodes coordinated by etcd (docs/cluster.md)')
  cluster
    .command('init')
    .description("write a cluster's config to etcd, once")
    .requiredOption('--etcd <urls>', 'etcd endpoints, comma-separated')
    .requiredOption('--name <name>', "the cluster's name")
    .requiredOption('--nodes <n>', 'nodes of the cluster: the first partition map waits for this many', nodeCount)
    .action(async (flags: { etcd: string; name: string; nodes: number }) => {
      const config = await initCluster(flags.etcd.split(','), checkName('cluster name', flags.name), flags.nodes)
      process.stdout.write(`cluster ${config.name} initialised for ${config.nodes} nodes\n`)
    })
  cluster
    .command('status')
    .description('nodes, their addresses, partitions owned and the map generation, as etcd holds them')
    .requiredOption('--etcd <urls>', 'etcd endpoints, comma-separated')
    .requiredOption('--name <name>', "the cluster's name")
    .action(async (flags: { etcd: string; name: string }) => {
      process.stdout.write(`${await clusterStatus(flags.etcd.split(','), checkName('cluster name', flags.name))}\n`)
    })
  cluster
    .command('dev')
    .description('run etcd (from PATH) and N in-memory nodes on this machine until Ctrl-C')
    .option('--nodes <n>', 'how many nodes', nodeCount, 3)
    .option('--port <port>', 'Tally port of the first node (the others follow)', (v) => Number(v), 3101)
    .action(async (flags: { nodes: number; port: number }) => {
      await runDevCluster(flags.nodes, flags.port)
    })
}
