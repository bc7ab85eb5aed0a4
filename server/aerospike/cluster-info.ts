// The info values an Aerospike client needs to see Tally as a cluster of one node that owns every partition
// (reference §2.3): its node name, constant generations, no peers, the replicas map, the build it speaks for.
import { createHash } from 'node:crypto'
import os from 'node:os'
import { parseInfoCommand } from '../../protocol/aerospike/info.js'
import { PARTITIONS } from '../../protocol/partitions.js'
import { WHERE, type ClusterView } from '../cluster/view.js'

/**
 * The Aerospike server build whose protocol Tally answers for: at least 6.0 (the clients then batch with
 * "batch-any") and below 8.1 (from which they expect user-agent-set and more).
 */
export const COMPATIBLE_BUILD = '7.1.0.0'

/** One bit per partition, all set, base64 (684 characters): a server on its own owns every partition. */
const ALL_PARTITIONS = Buffer.alloc(PARTITIONS / 8, 0xff).toString('base64')
/** Tally's partition map and peer list never change. */
const GENERATION = '1'
/** What the listener does, in Aerospike's words (`features`). */
const FEATURES = 'batch-any;batch-index;float;peers;pipelining;replicas;replicas-all;replicas-master'

/** Where the Aerospike listener is, and whether it speaks TLS; undefined when it is off. */
export type AerospikeService = { address: string; port: number; tls?: boolean } | undefined

/**
 * The value of a cluster info command, or undefined if `command` is not one. `namespaces`: the namespaces' names.
 * `cluster`: the node's view when it is a node of a Tally cluster, whose map the answers then give.
 */
export function clusterValue(command: string, namespaces: readonly string[], service: AerospikeService, cluster?: ClusterView): string | undefined {
  const { name } = parseInfoCommand(command)
  if (cluster !== undefined) {
    const value = clusterNodeValue(name, namespaces, service, cluster)
    if (value !== undefined) return value
  }
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
 * The answers that differ on a node of a Tally cluster (docs/cluster.md): its name comes from its node id (so each
 * node can name its peers), the partition generation is the map's, the peers are the other live nodes' Aerospike
 * listeners, and `replicas` sets the bits of the partitions this node owns (one copy: replica count 1).
 */
function clusterNodeValue(name: string, namespaces: readonly string[], service: AerospikeService, cluster: ClusterView): string | undefined {
  switch (name) {
    case 'node':
      return clusterNodeName(cluster.name, cluster.selfId)
    case 'partition-generation':
    case 'rebalance-generation':
      return String(cluster.generation)
    case 'peers-generation':
      return String(peersGeneration(cluster))
    case 'peers-clear-std':
    case 'peers-clear-alt': {
      const peers = [...cluster.members.values()]
        .filter((m) => m.id !== cluster.selfId && m.aerospikePort !== null)
        .sort((a, b) => (a.id < b.id ? -1 : 1))
        .map((m) => `[${clusterNodeName(cluster.name, m.id)},,[${hostPort(m.host)}:${m.aerospikePort}]]`)
      return `${peersGeneration(cluster)},${service?.port ?? ''},[${peers.join(',')}]`
    }
    case 'replicas':
    case 'replicas-all':
    case 'replicas-master': {
      const bits = Buffer.alloc(PARTITIONS / 8)
      for (let p = 0; p < PARTITIONS; p++) if (cluster.where(p) === WHERE.HERE) bits[p >> 3]! |= 0x80 >> (p & 7)
      const map = bits.toString('base64')
      const head = name === 'replicas' ? '0,1,' : name === 'replicas-all' ? '1,' : ''
      return namespaces.map((ns) => `${ns}:${head}${map}`).join(';')
    }
    default:
      return undefined
  }
}

/** The Aerospike node name of cluster node `id`: hexadecimal, 15 characters, the same wherever it is computed. */
export function clusterNodeName(cluster: string, id: string): string {
  return createHash('sha256').update(`${cluster}/${id}`).digest('hex').slice(0, 15).toUpperCase()
}

// Changes whenever the live members or their addresses change; clients ask for the peers again when it does.
function peersGeneration(cluster: ClusterView): number {
  const members = [...cluster.members.values()].map((m) => `${m.id}@${m.host}:${m.aerospikePort}`).sort()
  return createHash('sha256').update(members.join(',')).digest().readUInt32BE(0) >>> 1
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
