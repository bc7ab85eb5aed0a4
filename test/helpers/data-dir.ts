// Temporary data directories for persistence tests, removed when the test ends.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Teardown } from './server.js'

export function tempDataDir(t: Teardown): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-data-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** The log segment files of `dir`, oldest first. */
export function segments(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.startsWith('log-'))
    .sort()
    .map((f) => path.join(dir, f))
}

/** A logger that keeps its lines, for checking what the server reported. */
export function recordingLogger(): { lines: string[]; log: { debug(m: string): void; info(m: string): void; warn(m: string): void; error(m: string): void } } {
  const lines: string[] = []
  const at = (level: string) => (message: string) => void lines.push(`${level} ${message}`)
  return { lines, log: { debug: at('DEBUG'), info: at('INFO'), warn: at('WARN'), error: at('ERROR') } }
}
