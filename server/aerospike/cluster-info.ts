// The info values an Aerospike client needs to see Tally as a cluster of one node that owns every partition
// (reference §2.3): its node name, constant generations, no peers, the replicas map, the build it speaks for.
import { createHash } from 'node:crypto'
import os from 'node:os'
import { parseInfoCommand } from '../../protocol/aerospike/info.js'

/**
 * The Aerospike server build whose protocol Tally answers for: at least 6.0 (the clients then batch with
 * "batch-any") and below 8.1 (from which they expect user-agent-set and more).
 */
export const COMPATIBLE_BUILD = '7.1.0.0'

/** Clients partition keys into 4096 partitions; Tally owns them all. */
const PARTITIONS = 4096
/** One bit per partition, all set, base64 (684 characters). */
const ALL_PARTITIONS = Buffer.alloc(PARTITIONS / 8, 0xff).toString('base64')
/** Tally's partition map and peer list never change. */
const GENERATION = '1'
/** What the listener does, in Aerospike's words (`features`). */
const FEATURES = 'batch-any;batch-index;float;peers;pipelining;replicas;replicas-all;replicas-master'

/** Where the Aerospike listener is, and whether it speaks TLS; undefined when it is off. */
export type AerospikeService = { address: string; port: number; tls?: boolean } | undefined

/**
 * The value of a cluster info command, or undefined if `command` is not one. `namespaces`: the namespaces' names.
 */
export function clusterValue(command: string, namespaces: readonly string[], service: AerospikeService): string | undefined {
  const { name } = parseInfoCommand(command)
  switch (name) {
    case 'node':
      return nodeName(service)
    case 'partition-generation':
    case 'peers-generation':
    case 'rebalance-generation':
      return GENERATION
    case 'partitions':
      return String(PARTITIONS)
    case 'replicas':
      return namespaces.map((ns) => `${ns}:0,1,${ALL_PARTITIONS}`).join(';')
    case 'replicas-all':
      return namespaces.map((ns) => `${ns}:1,${ALL_PARTITIONS}`).join(';')
    case 'replicas-master':
      return namespaces.map((ns) => `${ns}:${ALL_PARTITIONS}`).join(';')
    case 'peers-clear-std':
    case 'peers-clear-alt':
    case 'peers-tls-std':
    case 'peers-tls-alt':
      return `${GENERATION},${service?.port ?? ''},[]`
    // A client asks for the addresses of the kind it speaks: a listener with TLS has no clear ones, and the reverse.
    case 'service':
    case 'service-clear-std':
    case 'service-clear-alt':
      return service?.tls === true ? '' : serviceAddresses(service)
    case 'service-tls-std':
    case 'service-tls-alt':
      return service?.tls === true ? serviceAddresses(service) : ''
    case 'services':
    case 'services-alumni':
    case 'services-alternate':
      return ''
    case 'cluster-name':
      return 'null'
    case 'user-agent-set':
      return 'ok'
    case 'features':
      return FEATURES
    default:
      return undefined
  }
}

/**
 * A node name as Aerospike's (hexadecimal, under 20 characters), stable for a listener's address and port on this
 * host, so that servers on one machine differ and a restarted one keeps its name.
 */
export function nodeName(service: AerospikeService): string {
  const where = `${os.hostname()}/${service?.address ?? ''}/${service?.port ?? ''}`
  return createHash('sha256').update(where).digest('hex').slice(0, 15).toUpperCase()
}

// `host:port` of the listener; one per IPv4 address of the machine when it listens on all of them.
function serviceAddresses(service: AerospikeService): string {
  if (service === undefined) return ''
  if (service.address !== '0.0.0.0' && service.address !== '::') return `${hostPort(service.address)}:${service.port}`
  const addresses = Object.values(os.networkInterfaces())
    .flat()
    .filter((a) => a !== undefined && a.family === 'IPv4' && !a.internal)
    .map((a) => `${a!.address}:${service.port}`)
  return addresses.join(';')
}

const hostPort = (address: string): string => (address.includes(':') ? `[${address}]` : address)
