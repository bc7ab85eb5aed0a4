// An etcd started from PATH on a scratch directory, on free loopback ports, for `tally cluster dev` and the tests.
// etcd cannot listen on port 0, so free ports are found by binding port 0 and closing first.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import net from 'node:net'
import { etcdClient } from './coordinator.js'

export interface EtcdProcess {
  /** The client URL, `http://127.0.0.1:PORT`. */
  endpoint: string
  child: ChildProcess
  /** Stops etcd by its pid and waits for it to exit. */
  stop(): Promise<void>
}

/** True if an `etcd` binary is on PATH. */
export function etcdAvailable(): boolean {
  return spawnSync('etcd', ['--version'], { stdio: 'ignore' }).status === 0
}

/** A port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** Starts etcd with its data in `dir`; resolves once it answers. */
export async function startEtcd(dir: string): Promise<EtcdProcess> {
  const [clientPort, peerPort] = [await freePort(), await freePort()]
  const endpoint = `http://127.0.0.1:${clientPort}`
  const peer = `http://127.0.0.1:${peerPort}`
  const args = ['--data-dir', dir, '--name', 'tally-dev', '--listen-client-urls', endpoint, '--advertise-client-urls', endpoint]
  args.push('--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer, '--initial-cluster', `tally-dev=${peer}`, '--log-level', 'error')
  const child = spawn('etcd', args, { stdio: ['ignore', 'ignore', 'pipe'] })
  let output = ''
  child.stderr!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGTERM')
    await exited
  }
  const deadline = Date.now() + 30_000
  const etcd = await etcdClient([endpoint])
  try {
    for (;;) {
      try {
        await etcd.get('ping').string()
        return { endpoint, child, stop }
      } catch (err) {
        if (child.exitCode !== null || Date.now() > deadline) {
          await stop()
          throw new Error(`etcd did not start: ${(err as Error).message}\n${output}`)
        }
        await new Promise((r) => setTimeout(r, 100))
      }
    }
  } finally {
    etcd.close()
  }
}
