// A node's view of its cluster: the partition map it last adopted and the members it sees alive. Routing asks it
// who owns a partition; info and `tally cluster status` print it.
import { encodeClusterMap, NO_OWNER, type ClusterMap } from '../../protocol/cluster-map.js'
import { PARTITIONS } from '../../protocol/partitions.js'
import type { MapChunk, MapMeta, Member } from './etcd-keys.js'

/** Who serves a partition, for this node. */
export const WHERE = { HERE: 0, ELSEWHERE: 1, DOWN: 2, NO_MAP: 3 } as const

export class ClusterView {
  readonly name: string
  readonly selfId: string
  generation = 0
  /** The map's roster (MapMeta.nodes). */
  nodes: string[] = []
  owners = new Uint8Array(PARTITIONS).fill(NO_OWNER)
  epochs = new Uint32Array(PARTITIONS)
  members = new Map<string, Member>()
  #self = NO_OWNER

  constructor(name: string, selfId: string) {
    this.name = name
    this.selfId = selfId
  }

  /** Adopts a complete map: every chunk carries the head's generation, which is newer than ours. */
  adopt(meta: MapMeta, chunks: MapChunk[]): boolean {
    if (meta.generation <= this.generation || chunks.some((c) => c.generation !== meta.generation)) return false
    const owners = new Uint8Array(PARTITIONS).fill(NO_OWNER)
    const epochs = new Uint32Array(PARTITIONS)
    for (const chunk of chunks) {
      owners.set(chunk.owners, chunk.first)
      epochs.set(chunk.epochs, chunk.first)
    }
    this.generation = meta.generation
    this.nodes = meta.nodes
    this.owners = owners
    this.epochs = epochs
    this.#self = meta.nodes.indexOf(this.selfId)
    return true
  }

  /** Where partition `p` is served from this node's point of view. */
  where(p: number): number {
    const owner = this.owners[p]!
    if (owner === this.#self) return WHERE.HERE
    if (owner === NO_OWNER) return WHERE.NO_MAP
    return this.members.has(this.nodes[owner]!) ? WHERE.ELSEWHERE : WHERE.DOWN
  }

  /** The id of partition `p`'s owner (undefined before the first map). */
  ownerOf(p: number): string | undefined {
    return this.nodes[this.owners[p]!]
  }

  /** Partitions each node of the map owns. */
  ownedCounts(): Map<string, number> {
    const counts = new Map(this.nodes.map((id) => [id, 0]))
    for (const owner of this.owners) if (owner !== NO_OWNER) counts.set(this.nodes[owner]!, counts.get(this.nodes[owner]!)! + 1)
    return counts
  }

  /** The map as clients read it (info `cluster-map`). */
  clientMap(): string {
    const map: ClusterMap = {
      generation: this.generation,
      nodes: this.nodes.map((id) => {
        const m = this.members.get(id)
        return { id, address: m === undefined ? undefined : { host: m.host, port: m.port } }
      }),
      owners: this.owners,
    }
    return encodeClusterMap(map)
  }

  /** info `cluster`: the cluster, the map generation, and per node its state, addresses and partitions owned. */
  summary(forwarded: number): string {
    const counts = this.ownedCounts()
    const ids = [...new Set([...this.nodes, ...this.members.keys()])].sort()
    const nodes = ids.map((id) => {
      const m = this.members.get(id)
      const where = m === undefined ? 'down' : `up:${m.host}:${m.port}:${m.aerospikePort ?? 'off'}`
      return `${id}/${where}/${counts.get(id) ?? 0}`
    })
    return `name=${this.name};node-id=${this.selfId};generation=${this.generation};forwarded=${forwarded};nodes=${nodes.join(',')}`
  }
}
