// Leveled log lines with timestamps, to stderr and/or a log file. The file can be reopened (on SIGHUP), so that
// logrotate can move it away. Nothing else in the server prints, but for the readiness line.
import fs from 'node:fs'

export const LOG_LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const
export type LogLevel = keyof typeof LOG_LEVELS

export interface Logger {
  debug(message: string): void
  info(message: string): void
  warn(message: string): void
  error(message: string): void
}

/** Where log lines go: stderr from `console` level up, a file from its level up. */
export interface LogDestinations {
  console?: LogLevel
  file?: { path: string; level: LogLevel }
}

/** A logger over its destinations, whose file can be reopened. */
export interface LogSink extends Logger {
  /** Closes and reopens the log file (after logrotate moved it). */
  reopen(): void
  close(): void
}

/** A logger writing `2026-01-01T00:00:00.000Z INFO message` lines at `level` and above. */
export function createLogger(level: LogLevel = 'info', write: (line: string) => void = (line) => process.stderr.write(line)): Logger {
  const threshold = LOG_LEVELS[level]
  const at =
    (name: Exclude<LogLevel, 'silent'>) =>
    (message: string): void => {
      if (LOG_LEVELS[name] >= threshold) write(`${new Date().toISOString()} ${name.toUpperCase()} ${message}\n`)
    }
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}

/** A logger to stderr and/or a file (appended to, created if missing). */
export function openLogSink(destinations: LogDestinations): LogSink {
  const file = destinations.file
  let fd = file === undefined ? -1 : fs.openSync(file.path, 'a')
  const consoleAt = LOG_LEVELS[destinations.console ?? 'silent']
  const fileAt = file === undefined ? LOG_LEVELS.silent : LOG_LEVELS[file.level]
  const at =
    (name: Exclude<LogLevel, 'silent'>) =>
    (message: string): void => {
      const level = LOG_LEVELS[name]
      if (level < consoleAt && level < fileAt) return
      const line = `${new Date().toISOString()} ${name.toUpperCase()} ${message}\n`
      if (level >= consoleAt) process.stderr.write(line)
      if (level >= fileAt && fd >= 0) fs.writeSync(fd, line)
    }
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    reopen() {
      if (file === undefined) return
      const next = fs.openSync(file.path, 'a')
      fs.closeSync(fd)
      fd = next
    },
    close() {
      if (fd >= 0) fs.closeSync(fd)
      fd = -1
    },
  }
}

/** A logger that drops everything. */
export const silentLogger: Logger = createLogger('silent')
