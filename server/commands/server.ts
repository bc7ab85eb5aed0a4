// `tally server`: the daemon. Settings come from defaults, then the config file (--config), then command-line flags.
// Foreground by default (for systemd); --daemon detaches, and the parent exits once the child listens.
// SIGTERM/SIGINT shut down cleanly; SIGHUP reopens the log file.
import { fork } from 'node:child_process'
import type { Command } from 'commander'
import { loadConfig, type DaemonConfig } from '../config/load.js'
import { openLogSink, type LogLevel, type LogSink } from '../log.js'
import { checkPidfile, removePidfile, writePidfile } from '../pidfile.js'
import { DEFAULT_SERVER_OPTIONS, startServer, type ServerOptions } from '../server.js'
import { SERVER_VERSION } from '../version.js'
import { bytes, logLevel, milliseconds, port, storage, timeoutMs } from './args.js'

interface ServerFlags {
  config?: string
  host: string
  port: number
  storage: 'memory' | 'disk'
  dataDir: string
  flushMs?: number
  segmentBytes: number
  snapshotLogBytes: number
  answerBufferBytes: number
  answerBufferTotalBytes: number
  frameBufferTotalBytes: number
  frameTimeoutMs: number
  logLevel: LogLevel
  logFile?: string
  pidfile?: string
  daemon: boolean
}

/** Set in the environment of the child a daemonizing parent starts. */
const DAEMON_CHILD = 'TALLY_DAEMON_CHILD'

export function addServerCommand(program: Command): void {
  program
    .command('server')
    .description('run the Tally server (in the foreground unless --daemon)')
    .option('--config <file>', 'config file (Aerospike block style); flags given here override it')
    .option('--host <host>', 'address to listen on', DEFAULT_SERVER_OPTIONS.host)
    .option('--port <port>', 'TCP port (0 picks a free one)', port, DEFAULT_SERVER_OPTIONS.port)
    .option('--storage <kind>', 'where namespaces keep records unless configured: disk or memory', storage, DEFAULT_SERVER_OPTIONS.storage)
    .option('--data-dir <dir>', 'directory of the log and snapshots (disk storage)', DEFAULT_SERVER_OPTIONS.dataDir)
    .option('--flush-ms <ms>', 'answer writes before they are fsynced, and fsync at most this late (default: commit-to-device)', milliseconds)
    .option('--segment-bytes <bytes>', 'size at which a log segment is closed and the next begun', bytes, DEFAULT_SERVER_OPTIONS.segmentBytes)
    .option('--snapshot-log-bytes <bytes>', 'log size after which a snapshot retires the log it covers', bytes, DEFAULT_SERVER_OPTIONS.snapshotLogBytes)
    .option('--answer-buffer-bytes <bytes>', 'answer bytes held for one connection before it is not read', bytes, DEFAULT_SERVER_OPTIONS.maxAnswerBufferBytes)
    .option('--answer-buffer-total-bytes <bytes>', 'answer bytes held for all connections; past it clients that do not read are closed', bytes, DEFAULT_SERVER_OPTIONS.maxTotalAnswerBufferBytes)
    .option('--frame-buffer-total-bytes <bytes>', 'bytes buffered for unfinished frames over all connections', bytes, DEFAULT_SERVER_OPTIONS.maxTotalFrameBufferBytes)
    .option('--frame-timeout-ms <ms>', 'close a connection that leaves a frame unfinished this long (0: never)', timeoutMs, DEFAULT_SERVER_OPTIONS.frameTimeoutMs)
    .option('--log-level <level>', 'level of the lines written to stderr: debug, info, warn, error or silent', logLevel, 'info' as LogLevel)
    .option('--log-file <file>', 'also write log lines to this file (reopened on SIGHUP)')
    .option('--pidfile <file>', 'write the process id here once listening; removed on shutdown')
    .option('--daemon', 'detach from the terminal; output goes to the log file', false)
    .action(async (flags: ServerFlags, command: Command) => {
      const fromCli = (name: string): boolean => command.getOptionValueSource(name) === 'cli'
      const config: DaemonConfig = flags.config === undefined ? { server: { namespaces: [] }, logging: {} } : loadConfig(flags.config)
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
  pick('storage', 'storage', flags.storage)
  pick('dataDir', 'dataDir', flags.dataDir)
  pick('segmentBytes', 'segmentBytes', flags.segmentBytes)
  pick('snapshotLogBytes', 'snapshotLogBytes', flags.snapshotLogBytes)
  pick('answerBufferBytes', 'maxAnswerBufferBytes', flags.answerBufferBytes)
  pick('answerBufferTotalBytes', 'maxTotalAnswerBufferBytes', flags.answerBufferTotalBytes)
  pick('frameBufferTotalBytes', 'maxTotalFrameBufferBytes', flags.frameBufferTotalBytes)
  pick('frameTimeoutMs', 'frameTimeoutMs', flags.frameTimeoutMs)
  if (flags.flushMs !== undefined) {
    options.commitToDevice = false
    options.flushMs = flags.flushMs
  }
  if (config.tickerIntervalMs !== undefined) options.tickerIntervalMs = config.tickerIntervalMs
  return options
}

async function run(flags: ServerFlags, config: DaemonConfig, fromCli: (name: string) => boolean): Promise<void> {
  const logFile = flags.logFile ?? config.logging.file?.path
  const log: LogSink = openLogSink({
    console: fromCli('logLevel') || config.logging.console === undefined ? flags.logLevel : config.logging.console,
    ...(logFile === undefined ? {} : { file: { path: logFile, level: config.logging.file?.level ?? 'info' } }),
  })
  const pidfile = flags.pidfile ?? config.pidfile
  if (pidfile !== undefined) checkPidfile(pidfile)
  const server = await startServer({ ...mergedOptions(flags, config, fromCli), log })
  const { host, port } = server.address
  if (pidfile !== undefined) writePidfile(pidfile)
  process.stdout.write(`listening on ${host}:${port}\n`)
  process.send?.({ listening: `${host}:${port}` }) // to a daemonizing parent, which then lets go
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
    log.reopen()
    log.info('SIGHUP: log file reopened')
  })
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
    child.once('message', (m: { listening?: string }) => (m.listening ? resolve(m.listening) : reject(new Error('unexpected message'))))
    child.once('exit', (code) => reject(new Error(`the server exited (${code}) before listening; see ${logFile}`)))
  })
  child.unref()
  child.disconnect()
  process.stdout.write(`listening on ${listening}\n`)
  process.stdout.write(`tally server running as process ${child.pid}, logging to ${logFile}\n`)
}

