// `tally cluster dev`: etcd from PATH on a scratch directory and N in-memory nodes on this machine (Tally ports from
// `firstPort`, Aerospike ports 3000 + i), until Ctrl-C stops them all, each by its pid.
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { clusterStatus, initCluster } from '../commands/cluster.js'
import { startEtcd } from './etcd-process.js'

const CLI = fileURLToPath(new URL('../cli.js', import.meta.url))

export async function runDevCluster(nodes: number, firstPort: number): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-dev-'))
  const etcd = await startEtcd(path.join(dir, 'etcd'))
  const children: ChildProcess[] = []
  const stopAll = async (): Promise<void> => {
    for (const child of children) if (child.exitCode === null) process.kill(child.pid!, 'SIGTERM')
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)))
    await etcd.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  }
  process.once('SIGINT', () => void stopAll().then(() => process.exit(0)))
  process.once('SIGTERM', () => void stopAll().then(() => process.exit(0)))
  await initCluster([etcd.endpoint], 'dev', nodes)
  for (let i = 0; i < nodes; i++) {
    const args = [CLI, 'server', '--storage', 'memory', '--host', '127.0.0.1', '--port', String(firstPort + i), '--aerospike-port', String(3000 + i)]
    args.push('--cluster', 'dev', '--etcd', etcd.endpoint, '--node-id', `node${i + 1}`)
    children.push(spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] }))
  }
  process.stdout.write(`etcd at ${etcd.endpoint}; ${nodes} nodes on 127.0.0.1:${firstPort}..${firstPort + nodes - 1}; Ctrl-C stops them all\n`)
  // The status once the first map is written (bounded: the nodes may fail to start).
  let status = ''
  for (let i = 0; i < 300 && !/map generation [1-9]/.test(status); i++) {
    await new Promise((r) => setTimeout(r, 100))
    status = await clusterStatus([etcd.endpoint], 'dev')
  }
  process.stdout.write(`${status}\n`)
  await new Promise(() => {}) // until a signal
}
