// Throughput of one, two and three cluster nodes on this machine, side by side in one run: etcd from PATH on a
// scratch directory, in-memory nodes, and `tally bench` (the Tally client, routing by partition) seeded with the
// first node; with the nodes' CPU seconds per run, since the client shares the machine's cores with them.
//   node dist/bench/cluster-scaling.js [--seconds 10] [--nodes 3] [--workload incr]
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { startEtcd } from '../server/cluster/etcd-process.js'
import { initCluster } from '../server/commands/cluster.js'
import { connect } from '../client/index.js'
import { option } from './ab.js'
import { cpuSeconds, startTally, stop, tallyBench, type Running } from './processes.js'

const SECONDS = option('seconds', '10')
const MAX_NODES = Number(option('nodes', '3'))
const WORKLOAD = option('workload', 'incr')

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-scaling-'))
const etcd = await startEtcd(dir)
const rows: string[] = []
try {
  for (let n = 1; n <= MAX_NODES; n++) {
    const name = `scaling${n}`
    await initCluster([etcd.endpoint], name, n)
    const nodes: Running[] = []
    try {
      for (let i = 0; i < n; i++) nodes.push(await startTally(undefined, ['--storage', 'memory', '--cluster', name, '--etcd', etcd.endpoint, '--node-id', `n${i + 1}`]))
      await waitForMap(nodes[0]!.port)
      const cpuBefore = nodes.map((node) => cpuSeconds(node.pid))
      const result = tallyBench(nodes[0]!.port, ['--workload', WORKLOAD, '--duration', SECONDS, '--warmup', '1', '--connections', '16', '--depth', '16'])
      const cpu = nodes.map((node, i) => (cpuSeconds(node.pid) - cpuBefore[i]!).toFixed(1))
      rows.push(`| ${n} | ${Math.round(result.opsPerSec).toLocaleString('en')} | ${(result.latencyUs.p50 / 1000).toFixed(2)} | ${(result.latencyUs.p99 / 1000).toFixed(2)} | ${cpu.join(' + ')} |`)
      process.stderr.write(`${n} node(s): ${Math.round(result.opsPerSec)} ops/s\n`)
    } finally {
      for (const node of nodes) await stop(node)
    }
  }
} finally {
  await etcd.stop()
  fs.rmSync(dir, { recursive: true, force: true })
}
process.stdout.write(`| nodes | ops/s | p50 ms | p99 ms | nodes' CPU s (${SECONDS} s + warm-up) |\n|---|---|---|---|---|\n${rows.join('\n')}\n`)

// Until the first node serves a map (bounded).
async function waitForMap(port: number): Promise<void> {
  const client = await connect({ hosts: `127.0.0.1:${port}`, routing: false })
  try {
    for (let i = 0; i < 300; i++) {
      if (/generation=[1-9]/.test((await client.info('cluster')).cluster ?? '')) return
      await new Promise((r) => setTimeout(r, 100))
    }
    throw new Error('no partition map within 30 s')
  } finally {
    await client.close()
  }
}
