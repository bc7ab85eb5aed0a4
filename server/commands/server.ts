// `tally server`: the daemon. Settings come from defaults, then the config file (--config), then command-line flags,
// each checked by the rule of its config-file setting. Foreground by default (for systemd); --daemon detaches, and the
// parent exits once the child listens, or says why it could not start. SIGTERM/SIGINT shut down cleanly; SIGHUP
// reopens the log file.
import { fork } from 'node:child_process'
import path from 'node:path'
import type { Command } from 'commander'
import { emptyConfig, loadConfig, ruleOf, type DaemonConfig } from '../config/load.js'
import { filePath, logLevel, word } from '../config/values.js'
import { openLogSink, type LogLevel, type LogSink } from '../log.js'
import { checkPidfile, removePidfile, writePidfile } from '../pidfile.js'
import { AEROSPIKE_SERVICE_PORT, DEFAULT_SERVER_OPTIONS, startServer, type ServerOptions, type TallyServer } from '../server.js'
import { SERVER_VERSION } from '../version.js'
import { flag } from './args.js'
import { NAME_PATTERN } from '../cluster/etcd-keys.js'
import type { ClusterOptions } from '../cluster/cluster-node.js'
import { makeDirectory } from '../directories.js'
import { explainStartupError, prepareDirectory } from './startup.js'
import { ADMIN_PASSWORD_ENV } from '../security/security.js'

interface ServerFlags {
  config?: string
  host: string
  port: number
  /** 'off': no Aerospike listener (commander keeps no null: it would make it '') */
  aerospikePort: number | 'off'
  storage: 'memory' | 'disk'
  dataDir: string
  flushMs?: number
  segmentBytes: number
  snapshotLogBytes: number
  answerBufferBytes: number
  answerBufferTotalBytes: number
  frameBufferTotalBytes: number
  frameTimeoutMs: number
  writeWindowMax?: number
  writeWindowAge?: number
  metricsPort?: number
  tlsCertFile?: string
  tlsKeyFile?: string
  tlsCaFile?: string
  tlsAuthenticateClient?: boolean
  enableSecurity?: boolean
  logLevel: LogLevel
  logFile?: string
  pidfile?: string
  daemon: boolean
  cluster?: string
  etcd?: string
  nodeId?: string
  peerSecretFile?: string
}

/** Set in the environment of the child a daemonizing parent starts. */
const DAEMON_CHILD = 'TALLY_DAEMON_CHILD'

/**
 * What a daemon's child tells its parent: that it listens (its readiness lines), or why it could not start (and if
 * its log file says so).
 */
type DaemonReport = { listening: string } | { failed: string; logged: boolean }

/** The readiness lines: where each protocol listens, Tally's first. */
function readiness(server: TallyServer): string {
  const { host, port } = server.address
  const aerospike = server.aerospikeAddress
  let lines = `listening on ${host}:${port}\n`
  if (aerospike !== undefined) lines += `aerospike protocol listening on ${aerospike.host}:${aerospike.port}\n`
  if (server.metrics !== undefined) {
    const at = server.metrics.host.includes(':') ? `[${server.metrics.host}]` : server.metrics.host
    lines += `metrics on http://${at}:${server.metrics.port}/metrics\n`
  }
  return lines
}

export function addServerCommand(program: Command): void {
  const d = DEFAULT_SERVER_OPTIONS
  program
    .command('server')
    .description('run the Tally server (in the foreground unless --daemon)')
    .option('--config <file>', 'config file (Aerospike block style); flags given here override it')
    .option('--host <host>', 'address to listen on (any: every IPv4 interface)', flag(ruleOf('network service', 'address', (c) => c.server.host!)), d.host)
    .option('--port <port>', "TCP port of Tally's protocol (0 picks a free one)", flag(ruleOf('network service', 'port', (c) => c.server.port!)), d.port)
    .option(
      '--aerospike-port <port>',
      "TCP port of Aerospike's protocol (0 picks a free one, off: none)",
      flag(ruleOf('service', 'port', (c) => c.server.aerospikePort ?? ('off' as const))),
      AEROSPIKE_SERVICE_PORT as number | 'off',
    )
    .option('--storage <kind>', 'where namespaces keep records unless configured: disk or memory', flag(word('disk', 'memory')), d.storage)
    .option('--data-dir <dir>', 'directory of the log and snapshots (disk storage)', flag(ruleOf('service', 'data-dir', (c) => c.server.dataDir!)), d.dataDir)
    .option(
      '--flush-ms <ms>',
      'answer writes before they are fsynced, and fsync at most this late (default: commit-to-device)',
      flag(ruleOf('storage-engine device', 'flush-ms', (ns) => ns.flushMs!)),
    )
    .option(
      '--segment-bytes <bytes>',
      'size at which a log segment is closed and the next begun',
      flag(ruleOf('service', 'segment-size', (c) => c.server.segmentBytes!)),
      d.segmentBytes,
    )
    .option(
      '--snapshot-log-bytes <bytes>',
      'log size after which a snapshot retires the log it covers',
      flag(ruleOf('service', 'snapshot-log-size', (c) => c.server.snapshotLogBytes!)),
      d.snapshotLogBytes,
    )
    .option('--answer-buffer-bytes <bytes>', 'answer bytes held for one connection before it is not read', flag(ruleOf('service', 'answer-buffer-max', (c) => c.server.maxAnswerBufferBytes!)), d.maxAnswerBufferBytes)
    .option(
      '--answer-buffer-total-bytes <bytes>',
      'answer bytes held for all connections; past it clients that do not read are closed',
      flag(ruleOf('service', 'answer-buffer-total-max', (c) => c.server.maxTotalAnswerBufferBytes!)),
      d.maxTotalAnswerBufferBytes,
    )
    .option(
      '--frame-buffer-total-bytes <bytes>',
      'bytes buffered for unfinished frames over all connections',
      flag(ruleOf('service', 'frame-buffer-total-max', (c) => c.server.maxTotalFrameBufferBytes!)),
      d.maxTotalFrameBufferBytes,
    )
    .option('--frame-timeout-ms <ms>', 'close a connection that leaves a frame unfinished this long (0: never)', flag(ruleOf('service', 'frame-timeout-ms', (c) => c.server.frameTimeoutMs!)), d.frameTimeoutMs)
    .option(
      '--write-window-max <n>',
      'most answers to write tokens remembered, over all clients; 0: none (default 16M)',
      flag(ruleOf('service', 'write-window-max', (c) => c.server.maxWriteWindowEntries!)),
    )
    .option(
      '--write-window-age <duration>',
      'keep answers to write tokens at least this long while there is room (default 60s)',
      flag(ruleOf('service', 'write-window-age', (c) => c.server.writeWindowAgeMs!)),
    )
    .option('--metrics-port <port>', 'serve Prometheus metrics at http://HOST:PORT/metrics (default: none)', flag(ruleOf('service', 'metrics-port', (c) => c.server.metricsPort!)))
    .option('--tls-cert-file <file>', 'serve both protocols over TLS with this PEM certificate (needs --tls-key-file)', flag(ruleOf('tls', 'cert-file', (c) => c.server.tls!.certFile)))
    .option('--tls-key-file <file>', 'PEM private key of --tls-cert-file', flag(ruleOf('tls', 'key-file', (c) => c.server.tls!.keyFile)))
    .option('--tls-ca-file <file>', 'PEM CA certificates that sign client certificates', flag(ruleOf('tls', 'ca-file', (c) => c.server.tls!.caFile!)))
    .option('--tls-authenticate-client', 'require a client certificate signed by --tls-ca-file (mutual TLS)')
    .option('--enable-security', `users, roles and logins on both protocols; the first admin's password comes from ${ADMIN_PASSWORD_ENV}`)
    .option('--log-level <level>', 'level of the lines written to stderr: debug, info, warn, error or silent', flag(logLevel), 'info' as LogLevel)
    .option('--log-file <file>', 'also write log lines to this file (reopened on SIGHUP)', flag(filePath))
    .option('--pidfile <file>', 'write the process id here once listening; removed on shutdown', flag(ruleOf('service', 'pidfile', (c) => c.pidfile!)))
    .option('--daemon', 'detach from the terminal; output goes to the log file', false)
    .option('--cluster <name>', 'join this cluster (tally cluster init); needs --etcd and --node-id')
    .option('--etcd <urls>', 'etcd endpoints of the cluster, comma-separated (http://host:port)')
    .option('--node-id <id>', "this node's id in the cluster, stable across restarts")
    .option('--peer-secret-file <file>', 'file holding the secret all nodes of the cluster share, to prove themselves to each other (needed with --enable-security)', flag(filePath))
    .action(async (flags: ServerFlags, command: Command) => {
      const fromCli = (name: string): boolean => command.getOptionValueSource(name) === 'cli'
      const config = flags.config === undefined ? emptyConfig() : loadConfig(flags.config)
      if (flags.daemon && process.env[DAEMON_CHILD] === undefined) return daemonize(flags, config)
      await run(flags, config, fromCli)
    })
}

/** Config file values, overridden by the flags given on the command line. */
function mergedOptions(flags: ServerFlags, config: DaemonConfig, fromCli: (name: string) => boolean): ServerOptions {
  const options: ServerOptions = { ...config.server }
  if (options.namespaces?.length === 0) delete options.namespaces
  const pick = <K extends keyof ServerOptions>(flag: keyof ServerFlags, key: K, value: ServerOptions[K]): void => {
    if (fromCli(flag) || options[key] === undefined) options[key] = value
  }
  pick('host', 'host', flags.host)
  pick('port', 'port', flags.port)
  pick('aerospikePort', 'aerospikePort', flags.aerospikePort === 'off' ? null : flags.aerospikePort)
  pick('storage', 'storage', flags.storage)
  pick('dataDir', 'dataDir', flags.dataDir)
  pick('segmentBytes', 'segmentBytes', flags.segmentBytes)
  pick('snapshotLogBytes', 'snapshotLogBytes', flags.snapshotLogBytes)
  pick('answerBufferBytes', 'maxAnswerBufferBytes', flags.answerBufferBytes)
  pick('answerBufferTotalBytes', 'maxTotalAnswerBufferBytes', flags.answerBufferTotalBytes)
  pick('frameBufferTotalBytes', 'maxTotalFrameBufferBytes', flags.frameBufferTotalBytes)
  pick('frameTimeoutMs', 'frameTimeoutMs', flags.frameTimeoutMs)
  if (flags.writeWindowMax !== undefined) options.maxWriteWindowEntries = flags.writeWindowMax
  if (flags.writeWindowAge !== undefined) options.writeWindowAgeMs = flags.writeWindowAge
  if (flags.metricsPort !== undefined) options.metricsPort = flags.metricsPort
  if (flags.flushMs !== undefined) {
    options.commitToDevice = false
    options.flushMs = flags.flushMs
  }
  if (config.tickerIntervalMs !== undefined) options.tickerIntervalMs = config.tickerIntervalMs
  mergeTlsFlags(flags, options)
  if (flags.enableSecurity === true) options.security = { ...options.security, enabled: true }
  const cluster = clusterOptions(flags)
  const secretFile = flags.peerSecretFile ?? options.cluster?.peerSecretFile
  if (cluster !== undefined) options.cluster = cluster
  if (secretFile !== undefined) {
    if (options.cluster === undefined) throw new Error('--peer-secret-file is for a cluster node (--cluster, --etcd and --node-id)')
    options.cluster = { ...options.cluster, peerSecretFile: secretFile }
  }
  return options
}

// TLS flags override the config's tls block one setting at a time; a certificate needs its key.
function mergeTlsFlags(flags: ServerFlags, options: ServerOptions): void {
  const given = [flags.tlsCertFile, flags.tlsKeyFile, flags.tlsCaFile, flags.tlsAuthenticateClient].some((v) => v !== undefined)
  if (!given) return
  const tls = { certFile: '', keyFile: '', ...options.tls }
  if (flags.tlsCertFile !== undefined) tls.certFile = flags.tlsCertFile
  if (flags.tlsKeyFile !== undefined) tls.keyFile = flags.tlsKeyFile
  if (flags.tlsCaFile !== undefined) tls.caFile = flags.tlsCaFile
  if (flags.tlsAuthenticateClient !== undefined) tls.authenticateClient = flags.tlsAuthenticateClient
  if (tls.certFile === '' || tls.keyFile === '') throw new Error('TLS needs both --tls-cert-file and --tls-key-file (or cert-file and key-file in the tls block)')
  options.tls = tls
}

/** `--cluster`, `--etcd` and `--node-id` go together; each is checked here, before anything starts. */
function clusterOptions(flags: ServerFlags): ClusterOptions | undefined {
  const given = [flags.cluster, flags.etcd, flags.nodeId].filter((f) => f !== undefined).length
  if (given === 0) return undefined
  if (given < 3) throw new Error('a cluster node needs --cluster, --etcd and --node-id')
  for (const [what, value] of [['cluster name', flags.cluster!], ['node id', flags.nodeId!]])
    if (!NAME_PATTERN.test(value)) throw new Error(`${what} '${value}' must be 1 to 32 letters, digits, '-' or '_'`)
  return { name: flags.cluster!, etcd: flags.etcd!.split(','), nodeId: flags.nodeId! }
}

async function run(flags: ServerFlags, config: DaemonConfig, fromCli: (name: string) => boolean): Promise<void> {
  const options = mergedOptions(flags, config, fromCli)
  let log: LogSink
  try {
    log = openLog(flags, config, fromCli)
  } catch (err) {
    await tellParent({ failed: (err as Error).message, logged: false })
    throw err
  }
  const pidfile = flags.pidfile ?? config.pidfile
  let server: TallyServer
  try {
    server = await start(options, pidfile, log)
  } catch (err) {
    // The terminal is told by whoever catches this (or by the daemonizing parent); the log file is told here.
    log.fileOnly('error', `cannot start: ${(err as Error).message}`)
    log.close()
    await tellParent({ failed: (err as Error).message, logged: (flags.logFile ?? config.logging.file) !== undefined })
    throw err
  }
  warnIfOpen(server, options, log)
  const lines = readiness(server)
  process.stdout.write(lines) // one write: a reader waiting for the first line finds the second with it
  await tellParent({ listening: lines }) // the daemonizing parent then lets go
  log.info(`tally ${SERVER_VERSION} (pid ${process.pid}) serving namespaces ${server.core.store.namespaces.map((ns) => ns.name).join(', ')}`)
  let stopping = false
  const stop = (signal: string): void => {
    if (stopping) return
    stopping = true
    log.info(`${signal}: shutting down: no new connections, answering requests in flight, syncing storage`)
    server.close().then(
      () => {
        if (pidfile !== undefined) removePidfile(pidfile)
        log.info('shutdown complete')
        log.close()
        process.exit(0)
      },
      (err: Error) => {
        log.error(`shutdown failed: ${err.message}`)
        process.exit(1)
      },
    )
  }
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGHUP', () => {
    try {
      log.reopen()
      log.info('SIGHUP: log file reopened')
    } catch (err) {
      log.error(`SIGHUP: ${(err as Error).message}; lines still go to the file opened before`)
    }
  })
}

// Anyone who reaches a port without security can read and change everything: say so when that is more than this
// machine.
function warnIfOpen(server: TallyServer, options: ServerOptions, log: LogSink): void {
  if (options.security?.enabled === true || isLoopback(server.address.host)) return
  log.warn(
    `listening on ${server.address.host} without security: anyone who can reach the ports can read and change every record.` +
      ` Enable users (security { enable-security true } with ${ADMIN_PASSWORD_ENV}) and TLS (tls { cert-file ... key-file ... }), or listen on 127.0.0.1 (docs/security.md)`,
  )
}

function isLoopback(host: string): boolean {
  return host === '::1' || host === 'localhost' || host.startsWith('127.') || host === '::ffff:127.0.0.1'
}

/** The log destinations in force; the log file's directory is created if missing. */
function openLog(flags: ServerFlags, config: DaemonConfig, fromCli: (name: string) => boolean): LogSink {
  const file = flags.logFile ?? config.logging.file?.path
  if (file !== undefined) {
    const dir = path.dirname(file)
    makeDirectory({ dir, what: `the directory ${dir} of the log file ${file}`, choose: 'choose another --log-file (logging { file PATH } in the config)' })
  }
  return openLogSink({
    console: fromCli('logLevel') || config.logging.console === undefined ? flags.logLevel : config.logging.console,
    ...(file === undefined ? {} : { file: { path: file, level: config.logging.file?.level ?? 'info' } }),
  })
}

/**
 * Checks the pidfile, prepares the directories the server writes in, starts it, and writes the pidfile once it
 * listens. Every failure is a message that says what is wrong and what to do.
 */
async function start(options: ServerOptions, pidfile: string | undefined, log: LogSink): Promise<TallyServer> {
  if (pidfile !== undefined) {
    const warning = checkPidfile(pidfile)
    if (warning !== undefined) log.warn(warning)
    const dir = path.dirname(pidfile)
    prepareDirectory({ dir, what: `the directory ${dir} of the pidfile ${pidfile}`, choose: 'choose another --pidfile (pidfile in the config)' })
  }
  const d = DEFAULT_SERVER_OPTIONS
  const target = { host: options.host ?? d.host, port: options.port ?? d.port, aerospikePort: options.aerospikePort ?? null, dataDir: options.dataDir ?? d.dataDir }
  const storage = options.storage ?? d.storage
  if ((options.namespaces ?? [{}]).some((ns) => (ns.storage ?? storage) === 'disk'))
    prepareDirectory({ dir: target.dataDir, what: `the data directory ${target.dataDir}`, choose: 'choose another --data-dir (data-dir in the config)' })
  let server: TallyServer
  try {
    server = await startServer({ ...options, log })
  } catch (err) {
    throw explainStartupError(err, target)
  }
  try {
    if (pidfile !== undefined) writePidfile(pidfile)
  } catch (err) {
    await server.close()
    throw explainStartupError(err, target)
  }
  return server
}

/** Sends `report` to the daemonizing parent, if there is one, and resolves once it is sent. */
function tellParent(report: DaemonReport): Promise<void> {
  return new Promise((resolve) => (process.send === undefined ? resolve() : process.send(report, undefined, undefined, () => resolve())))
}

// Starts this command again, detached, with its output in the log file; returns once the child listens.
async function daemonize(flags: ServerFlags, config: DaemonConfig): Promise<void> {
  const logFile = flags.logFile ?? config.logging.file?.path ?? 'tally.log'
  const args = process.argv.slice(2).filter((a) => a !== '--daemon')
  if (flags.logFile === undefined && config.logging.file === undefined) args.push('--log-file', logFile)
  const child = fork(process.argv[1]!, args, {
    detached: true,
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    env: { ...process.env, [DAEMON_CHILD]: '1' },
  })
  const listening = await new Promise<string>((resolve, reject) => {
    child.once('message', (m: DaemonReport) => {
      if ('listening' in m) resolve(m.listening)
      else reject(new Error(m.logged ? `${m.failed}; see ${logFile}` : m.failed))
    })
    // 'close' comes after every message the child sent: one that had its say was heard first.
    child.once('close', (code) => reject(new Error(`the server exited (${code}) before listening; see ${logFile}`)))
  })
  child.unref()
  child.disconnect()
  process.stdout.write(listening)
  process.stdout.write(`tally server running as process ${child.pid}, logging to ${logFile}\n`)
}

