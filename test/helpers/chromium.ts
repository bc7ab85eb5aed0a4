// Headless Chromium for tests of pages the project writes (Debian's `chromium` package; .ci/run installs it):
// open a local file with no network and return the DOM once its scripts have run.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'

/** The Chromium binary, or undefined if none is installed. */
export function findChromium(): string | undefined {
  const dirs = ['/usr/bin', ...(process.env.PATH ?? '').split(':')]
  for (const dir of dirs) for (const name of ['chromium', 'chromium-browser']) if (dir !== '' && fs.existsSync(path.join(dir, name))) return path.join(dir, name)
  return undefined
}

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync']

/** The DOM of `file` after its scripts ran, as Chromium serializes it; killed (by its pid) after `timeoutMs`. */
export async function dumpDom(chromium: string, file: string, timeoutMs = 90_000): Promise<string> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-chromium-'))
  try {
    const child = spawn(chromium, [...FLAGS, `--user-data-dir=${profile}`, '--dump-dom', pathToFileURL(file).href], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => (out += d))
    child.stderr.on('data', (d: Buffer) => (err += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
    clearTimeout(timer)
    if (code !== 0) throw new Error(`chromium exited ${code}:\n${err.slice(-2000)}`)
    return out
  } finally {
    fs.rmSync(profile, { recursive: true, force: true })
  }
}
