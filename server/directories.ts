// Creating the directories the server writes in, as mkdir -p does but one level at a time, with messages that
// say which directory could not be made and what to do.
import fs from 'node:fs'
import path from 'node:path'
import { describeSystemError, systemErrorCode } from './system-errors.js'

/** A directory the server needs, for messages: what it is (path included), and how to choose another. */
export interface Place {
  dir: string
  /** Such as `the data directory ./data`. */
  what: string
  /** Such as `choose another --data-dir (data-dir in the config)`. */
  choose: string
}

// Walks up from `dir` to the nearest existing ancestor; returns the missing directories, outermost first.
function missingDirectories(place: Place): string[] {
  const missing: string[] = []
  for (let at = path.resolve(place.dir); ; at = path.dirname(at)) {
    let stat: fs.Stats | undefined
    try {
      stat = fs.statSync(at)
    } catch (err) {
      const code = systemErrorCode(err)
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new Error(`cannot create ${place.what}: ${at}: ${describeSystemError(err)}`)
    }
    if (stat?.isDirectory()) return missing.reverse()
    if (stat !== undefined) {
      if (missing.length === 0) throw new Error(`${place.what} exists but is not a directory; ${place.choose}`)
      throw new Error(`cannot create ${place.what}: ${at} is not a directory; ${place.choose}`)
    }
    missing.push(at)
    if (path.dirname(at) === at) return missing.reverse()
  }
}

/**
 * Creates the directory of `place` and its missing parents, one at a time (Node's recursive mkdir never returns
 * where a parent refuses new entries, as /proc does). Throws a message saying which directory could not be made.
 */
export function makeDirectory(place: Place): void {
  for (const dir of missingDirectories(place)) {
    try {
      fs.mkdirSync(dir)
    } catch (err) {
      const code = systemErrorCode(err)
      if (code === 'EEXIST' && fs.statSync(dir).isDirectory()) continue // made meanwhile by someone else
      const parent = path.dirname(dir)
      const why =
        code === 'ENOENT'
          ? `${parent} does not allow it; ${place.choose}`
          : code === 'EACCES' || code === 'EPERM'
            ? `permission denied in ${parent}; create it (mkdir -p ${place.dir}) and give it to the server's user, or ${place.choose}`
            : `${describeSystemError(err)}; ${place.choose}`
      throw new Error(`cannot create ${place.what}: ${why}`)
    }
  }
}

