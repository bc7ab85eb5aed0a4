// What TLS and users cost, side by side in one run: four servers (records in memory) differing only in those, each
// driven in turn by `tally bench --workload incr` (the Tally client, logging in and with TLS as the server needs),
// interleaved over reps. The security table of docs/PERFORMANCE.md.
//   node dist/bench/security-cost.js [--reps 3] [--seconds 5] [--connections 16] [--depth 16] [--logins 5]
// Figures per variant (medians over reps): server CPU µs per increment (from /proc/PID/stat, before and after),
// increments per second the app gets, and ms of wall time to connect a new client of one connection (handshake,
// hello, login, the client's bcrypt of the password included: what an app pays once at start). Certificates are made for the run with openssl and removed after.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { connect, type ClientOptions } from '../client/index.js'
import { median, option } from './ab.js'
import { cpuSplit, startTally, stop, tallyBench, type Running } from './processes.js'

const REPS = Number(option('reps', '3'))
const SECONDS = Number(option('seconds', '5'))
const CONNECTIONS = Number(option('connections', '16'))
const DEPTH = Number(option('depth', '16'))
const LOGINS = Number(option('logins', '5'))
const PASSWORD = 'bench-admin-password'

const log = (line: string): void => void process.stderr.write(`[security-cost] ${line}\n`)

interface Variant {
  name: string
  /** Flags of the server. */
  flags: string[]
  /** Options of the client, and the same as `tally bench` flags. */
  client: Partial<ClientOptions>
  bench: string[]
}

function certificates(dir: string): { cert: string; key: string } {
  const cert = path.join(dir, 'cert.pem')
  const key = path.join(dir, 'key.pem')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' })
  return { cert, key }
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-security-bench-'))
  const { cert, key } = certificates(dir)
  process.env.TALLY_ADMIN_PASSWORD = PASSWORD // the first admin of the servers with users
  process.env.TALLY_PASSWORD = PASSWORD // and the password `tally bench --user admin` logs in with
  const tlsFlags = ['--tls-cert-file', cert, '--tls-key-file', key]
  const tls = { ca: fs.readFileSync(cert), servername: 'localhost' }
  const auth = { user: 'admin', password: PASSWORD }
  const tlsBench = ['--tls-ca', cert, '--tls-servername', 'localhost']
  const authBench = ['--user', 'admin']
  const variants: Variant[] = [
    { name: 'plain', flags: [], client: {}, bench: [] },
    { name: 'tls', flags: tlsFlags, client: { tls }, bench: tlsBench },
    { name: 'users', flags: ['--enable-security'], client: auth, bench: authBench },
    { name: 'tls+users', flags: [...tlsFlags, '--enable-security'], client: { tls, ...auth }, bench: [...tlsBench, ...authBench] },
  ]
  const common = ['--workload', 'incr', '--connections', String(CONNECTIONS), '--depth', String(DEPTH), '--timeout-ms', '30000']
  const servers: Running[] = []
  const figures = new Map<string, { cpu: number[]; ops: number[]; connectMs: number[] }>()
  try {
    for (const v of variants) servers.push(await startTally(undefined, ['--storage', 'memory', '--data-dir', path.join(dir, v.name), ...v.flags]))
    for (let rep = 1; rep <= REPS; rep++) {
      const order = rep % 2 === 1 ? variants : [...variants].reverse()
      for (const v of order) {
        const server = servers[variants.indexOf(v)]!
        if (rep === 1) tallyBench(server.port, [...common, ...v.bench, '--duration', '1']) // warm-up
        const before = cpuSplit(server.pid)
        const result = tallyBench(server.port, [...common, ...v.bench, '--duration', String(SECONDS)])
        const after = cpuSplit(server.pid)
        const [ops, seconds] = [result.totalOps, result.totalOps / result.opsPerSec]
        const connectMs = await connectCost({ hosts: `127.0.0.1:${server.port}`, poolSize: 1, connectTimeoutMs: 10_000, ...v.client })
        const cpuUs = ((after.user - before.user + after.system - before.system) / ops) * 1e6
        const figure = figures.get(v.name) ?? { cpu: [], ops: [], connectMs: [] }
        figures.set(v.name, figure)
        figure.cpu.push(cpuUs)
        figure.ops.push(ops / seconds)
        figure.connectMs.push(connectMs)
        log(`rep ${rep}/${REPS} ${v.name}: ${cpuUs.toFixed(2)} µs/op, ${Math.round(ops / seconds)} ops/s, ${connectMs.toFixed(1)} ms per new connection`)
      }
    }
  } finally {
    await Promise.all(servers.map(stop))
    fs.rmSync(dir, { recursive: true, force: true })
  }
  const base = figures.get('plain')!
  const out: Record<string, number> = {}
  for (const v of variants) {
    const f = figures.get(v.name)!
    const [cpu, ops, connectMs] = [median(f.cpu), median(f.ops), median(f.connectMs)]
    Object.assign(out, { [`${v.name} cpu`]: Number(cpu.toFixed(2)), [`${v.name} ops`]: Math.round(ops), [`${v.name} connect ms`]: Number(connectMs.toFixed(1)) })
    log(`${v.name}: ${cpu.toFixed(2)} µs/op (x${(cpu / median(base.cpu)).toFixed(2)}), ${Math.round(ops)} ops/s (x${(ops / median(base.ops)).toFixed(2)}), ${connectMs.toFixed(1)} ms per new connection`)
  }
  console.log(JSON.stringify(out))
}

// Wall ms to connect one client of one connection: TCP or TLS, hello, and the login with its bcrypt work.
async function connectCost(options: ClientOptions): Promise<number> {
  const start = performance.now()
  for (let i = 0; i < LOGINS; i++) await (await connect(options)).close()
  return (performance.now() - start) / LOGINS
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack ?? err.message}\n`)
  process.exit(1)
})
