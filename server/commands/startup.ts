// Start-up of the daemon, made to fail clearly: the directories it writes in are created when missing (as mkdir -p
// does) and checked, and a raw Node error from opening the store or the port becomes a message naming the path or
// port and what to do.
import fs from 'node:fs'
import path from 'node:path'
import { makeDirectory, type Place } from '../directories.js'
import { describeSystemError, systemErrorCode } from '../system-errors.js'

/** Throws unless the server may create and change files in the directory of `place`. */
export function checkWritable(place: Place): void {
  try {
    fs.accessSync(place.dir, fs.constants.W_OK | fs.constants.X_OK)
  } catch (err) {
    const code = systemErrorCode(err)
    const remedy = code === 'EACCES' || code === 'EPERM' ? "give the server's user write access to it" : 'make it writable'
    throw new Error(`cannot write in ${place.what}: ${describeSystemError(err)}; ${remedy}, or ${place.choose}`)
  }
}

/** Creates the directory of `place` if it is missing, and checks that the server may write in it. */
export function prepareDirectory(place: Place): void {
  makeDirectory(place)
  checkWritable(place)
}

/** Where the server was to listen and keep its data, for the messages of `explainStartupError`. */
export interface StartupTarget {
  host: string
  port: number
  /** The Aerospike listener's port; null without one. */
  aerospikePort: number | null
  dataDir: string
}

const CHOOSE_PORT = 'choose another port with --port (port in the network service block of the config)'
const CHOOSE_AEROSPIKE_PORT = 'choose another port with --aerospike-port (port in the service block of the config), or off'

// `port`: the port that failed (Node's error says which).
function networkProblem(code: string, o: StartupTarget, port: number): string {
  const aerospike = port === o.aerospikePort && port !== o.port
  const choose = aerospike ? CHOOSE_AEROSPIKE_PORT : CHOOSE_PORT
  const what = aerospike ? `port ${port} (the Aerospike protocol's)` : `port ${port}`
  switch (code) {
    case 'EADDRINUSE':
      return `${what} on ${o.host} is in use (by another server?): stop what holds it, or ${choose}`
    case 'EADDRNOTAVAIL':
      return `${o.host} is not an address of this machine: choose another with --host (address in the network service block of the config)`
    case 'EACCES':
    case 'EPERM':
      return `${what} is privileged (below 1024): ${choose}, or give the server CAP_NET_BIND_SERVICE`
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the host name ${o.host} cannot be resolved: choose an IP address with --host`
    default:
      return `cannot listen on ${o.host}:${port}: ${code}`
  }
}

/** A raw Node error from opening the store or the port, as a message that says what to do; others pass unchanged. */
export function explainStartupError(err: unknown, o: StartupTarget): Error {
  const code = systemErrorCode(err)
  if (code === undefined) return err as Error
  const e = err as NodeJS.ErrnoException
  if (e.syscall === 'listen' || e.syscall === 'bind' || e.syscall === 'getaddrinfo') return new Error(networkProblem(code, o, (e as { port?: number }).port ?? o.port))
  if (e.path === undefined) return new Error(describeSystemError(err))
  const inData = !path.relative(path.resolve(o.dataDir), path.resolve(e.path)).startsWith('..')
  const verb = e.syscall === 'scandir' ? 'list' : (e.syscall ?? 'use')
  const hint =
    inData && (code === 'EACCES' || code === 'EPERM')
      ? `; give the server's user write access to the data directory and the files in it (chown -R), or choose another --data-dir`
      : ''
  return new Error(`cannot ${verb} ${e.path}: ${describeSystemError(err)}${hint}`)
}
