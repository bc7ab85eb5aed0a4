// What a cluster keeps in etcd (docs/cluster.md), under /tally/<cluster>/: its config (written once), the roster of
// node ids ever registered, each live node's addresses under its lease, the leader election, and the partition map
// in chunks of MAP_CHUNK_PARTITIONS, each stamped with the map generation it belongs to.
import { PARTITIONS } from '../../protocol/partitions.js'

/** Prefix of everything one cluster keeps in etcd. */
export const clusterPrefix = (name: string): string => `/tally/${name}/`

export const KEYS = {
  config: 'config',
  roster: 'roster/',
  members: 'members/',
  election: 'leader',
  mapMeta: 'map/meta',
  mapChunks: 'map/chunk/',
} as const

/** Partitions per map chunk: one etcd transaction each, small beside etcd's request limit. */
export const MAP_CHUNK_PARTITIONS = 512
export const MAP_CHUNKS = PARTITIONS / MAP_CHUNK_PARTITIONS

/** Names of clusters and nodes: they become etcd keys and appear in the map (PROTOCOL.md §4.9). */
export const NAME_PATTERN = /^[A-Za-z0-9_-]{1,32}$/

/** `tally cluster init` writes this once. `nodes`: the roster size at which the leader writes the first map. */
export interface ClusterConfig {
  name: string
  nodes: number
  createdMs: number
}

/** A live node's addresses, under its lease. */
export interface Member {
  id: string
  host: string
  port: number
  aerospikePort: number | null
  startedMs: number
}

/** The map's head, written last: which generation the chunks must carry to be the map, and its roster. */
export interface MapMeta {
  generation: number
  nodes: string[]
  leader: string
  writtenMs: number
}

/**
 * One chunk of the map: the owner (index into MapMeta.nodes) and epoch of partitions [first, first + 512). A
 * partition's epoch is the generation at which its owner last changed; a later step's writes carry it.
 */
export interface MapChunk {
  generation: number
  first: number
  owners: number[]
  epochs: number[]
}

/** Parses a JSON value from etcd; throws naming the key. */
export function parseJson<T>(key: string, text: string): T {
  try {
    return JSON.parse(text) as T
  } catch (err) {
    throw new Error(`etcd key ${key} does not hold JSON: ${(err as Error).message}`)
  }
}
