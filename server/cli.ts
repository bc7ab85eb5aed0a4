#!/usr/bin/env node
// The `tally` command: `tally server` runs the daemon in the foreground, `tally bench` loads one.
import { Command, InvalidArgumentError } from 'commander'
import { addBenchCommand } from '../bench/command.js'
import { createLogger, LOG_LEVELS, type LogLevel } from './log.js'
import { DEFAULT_SERVER_OPTIONS, startServer } from './server.js'
import { SERVER_VERSION } from './version.js'

function port(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be an integer from 0 to 65535')
  return n
}

function storage(value: string): 'memory' | 'disk' {
  if (value !== 'memory' && value !== 'disk') throw new InvalidArgumentError('memory or disk')
  return value
}

function milliseconds(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number of milliseconds >= 1')
  return n
}

function bytes(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1024) throw new InvalidArgumentError('must be a whole number of bytes >= 1024')
  return n
}

interface ServerFlags {
  host: string
  port: number
  storage: 'memory' | 'disk'
  dataDir: string
  flushMs?: number
  segmentBytes: number
  snapshotLogBytes: number
  logLevel: LogLevel
}

function logLevel(value: string): LogLevel {
  if (!(value in LOG_LEVELS)) throw new InvalidArgumentError(`one of ${Object.keys(LOG_LEVELS).join(', ')}`)
  return value as LogLevel
}

const program = new Command('tally').version(SERVER_VERSION).description('Tally: a key-value record store with atomic counters')

program
  .command('server')
  .description('run the Tally server in the foreground')
  .option('--host <host>', 'address to listen on', DEFAULT_SERVER_OPTIONS.host)
  .option('--port <port>', 'TCP port (0 picks a free one)', port, DEFAULT_SERVER_OPTIONS.port)
  .option('--storage <kind>', 'where records live: disk (logged, restored on restart) or memory', storage, DEFAULT_SERVER_OPTIONS.storage)
  .option('--data-dir <dir>', 'directory of the log and snapshots (disk storage)', DEFAULT_SERVER_OPTIONS.dataDir)
  .option('--flush-ms <ms>', 'answer writes before they are fsynced, and fsync at most this late (default: commit-to-device)', milliseconds)
  .option('--segment-bytes <bytes>', 'size at which a log segment is closed and the next begun', bytes, DEFAULT_SERVER_OPTIONS.segmentBytes)
  .option('--snapshot-log-bytes <bytes>', 'log size after which a snapshot retires the log it covers', bytes, DEFAULT_SERVER_OPTIONS.snapshotLogBytes)
  .option('--log-level <level>', 'debug, info, warn, error or silent', logLevel, 'info' as LogLevel)
  .action(async (options: ServerFlags) => {
    const log = createLogger(options.logLevel)
    const commit = options.flushMs === undefined ? {} : { commitToDevice: false, flushMs: options.flushMs }
    const server = await startServer({
      host: options.host,
      port: options.port,
      storage: options.storage,
      dataDir: options.dataDir,
      segmentBytes: options.segmentBytes,
      snapshotLogBytes: options.snapshotLogBytes,
      ...commit,
      log,
    })
    const { host, port } = server.address
    process.stdout.write(`listening on ${host}:${port}\n`)
    log.info(`tally ${SERVER_VERSION} serving namespaces ${server.core.store.namespaces.map((ns) => ns.name).join(', ')}`)
    let stopping = false
    const stop = (signal: string): void => {
      if (stopping) return
      stopping = true
      log.info(`${signal}: shutting down`)
      server.close().then(() => {
        log.info('shutdown complete')
        process.exit(0)
      })
    }
    process.on('SIGINT', () => stop('SIGINT'))
    process.on('SIGTERM', () => stop('SIGTERM'))
  })

addBenchCommand(program)

program.parseAsync().catch((err: Error) => {
  process.stderr.write(`tally: ${err.message}\n`)
  process.exit(1)
})
