// One server per data directory: a LOCK file holding the owner's pid. A lock left by a process that no longer
// runs (killed, crashed) is taken over; one held by a live process stops startup.
import fs from 'node:fs'
import path from 'node:path'
import { processAlive as alive } from '../pidfile.js'

const heldHere = new Set<string>() // directories locked by this process


/** Locks `dir` for this process; returns the function that releases it. Throws if another server holds it. */
export function lockDataDir(dir: string): () => void {
  const real = fs.realpathSync(dir)
  const file = path.join(real, 'LOCK')
  if (heldHere.has(real)) throw new Error(`data directory ${dir} is already in use by a server in this process`)
  let fd: number
  try {
    fd = fs.openSync(file, 'wx')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    const owner = Number.parseInt(fs.readFileSync(file, 'utf8'), 10)
    if (Number.isInteger(owner) && owner !== process.pid && alive(owner))
      throw new Error(`data directory ${dir} is in use by process ${owner}; if that is not a Tally server, remove ${file}`)
    fd = fs.openSync(file, 'w') // left by a process that is gone
  }
  fs.writeSync(fd, `${process.pid}\n`)
  fs.fsyncSync(fd)
  fs.closeSync(fd)
  heldHere.add(real)
  return () => {
    heldHere.delete(real)
    fs.rmSync(file, { force: true })
  }
}
