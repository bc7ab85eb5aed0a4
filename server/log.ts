// Leveled log lines with timestamps, to stderr and/or a log file. The file can be reopened (on SIGHUP), so that
// logrotate can move it away. Nothing else in the server prints, but for the readiness line.
import fs from 'node:fs'
import { describeSystemError } from './system-errors.js'

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
  /** Writes a line to the log file only, whatever its level: for what the terminal is told another way. */
  fileOnly(level: Exclude<LogLevel, 'silent'>, message: string): void
  /** Closes and reopens the log file (after logrotate moved it); if it cannot, throws and keeps the old one. */
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

// Opens the log file for appending, and tries a write of nothing, which a file that takes no writes (such as one
// in /proc) refuses at once rather than after the server has started.
function openLogFile(path: string): number {
  let fd: number
  try {
    fd = fs.openSync(path, 'a')
  } catch (err) {
    throw new Error(`cannot open the log file ${path}: ${describeSystemError(err)}`)
  }
  try {
    fs.writeSync(fd, '')
  } catch (err) {
    fs.closeSync(fd)
    throw new Error(`cannot write the log file ${path}: ${describeSystemError(err)}`)
  }
  return fd
}

/**
 * A logger to stderr and/or a file (appended to, created if missing). Throws if the file cannot be opened or
 * written. A write that fails later (a full disk) does not stop the server: it is reported once on stderr, and
 * the file is left alone until it is reopened.
 */
export function openLogSink(destinations: LogDestinations): LogSink {
  const file = destinations.file
  let fd = file === undefined ? -1 : openLogFile(file.path)
  let failing = false
  const consoleAt = LOG_LEVELS[destinations.console ?? 'silent']
  const fileAt = file === undefined ? LOG_LEVELS.silent : LOG_LEVELS[file.level]
  const line = (name: Exclude<LogLevel, 'silent'>, message: string): string => `${new Date().toISOString()} ${name.toUpperCase()} ${message}\n`
  const toFile = (text: string): void => {
    if (fd < 0 || failing) return
    try {
      fs.writeSync(fd, text)
    } catch (err) {
      failing = true
      process.stderr.write(line('error', `cannot write the log file ${file!.path}: ${describeSystemError(err)}; no more lines go there until it is reopened (SIGHUP)`))
    }
  }
  const at =
    (name: Exclude<LogLevel, 'silent'>) =>
    (message: string): void => {
      const level = LOG_LEVELS[name]
      if (level < consoleAt && level < fileAt) return
      const text = line(name, message)
      if (level >= consoleAt) process.stderr.write(text)
      if (level >= fileAt) toFile(text)
    }
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    fileOnly: (name, message) => toFile(line(name, message)),
    reopen() {
      if (file === undefined) return
      const next = openLogFile(file.path)
      fs.closeSync(fd)
      fd = next
      failing = false
    },
    close() {
      if (fd >= 0) fs.closeSync(fd)
      fd = -1
    },
  }
}

/** A logger that drops everything. */
export const silentLogger: Logger = createLogger('silent')
