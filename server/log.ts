// Leveled log lines with timestamps, written to a stream (stderr by default). Nothing else in the server prints.

export const LOG_LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const
export type LogLevel = keyof typeof LOG_LEVELS

export interface Logger {
  debug(message: string): void
  info(message: string): void
  warn(message: string): void
  error(message: string): void
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

/** A logger that drops everything. */
export const silentLogger: Logger = createLogger('silent')
