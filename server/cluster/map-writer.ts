// The leader's one job: when the roster changes, compute the partition map (rendezvous.ts) and write it to etcd in
// small transactions, each fenced by the leader's election key, so that a node that lost the election writes
// nothing. Chunks first, then the head; a map is read only when every chunk carries the head's generation. The new
// generation is above every generation found in etcd, so it never goes back, whoever writes it and whenever.
import type { Etcd3 } from 'etcd3'
import { MAX_MAP_NODES } from '../../protocol/cluster-map.js'
import { PARTITIONS } from '../../protocol/partitions.js'
import { KEYS, MAP_CHUNK_PARTITIONS, MAP_CHUNKS, parseJson, type MapChunk, type MapMeta } from './etcd-keys.js'
import { rendezvousOwners } from './rendezvous.js'

/**
 * Writes a new map if the roster differs from the map's (or the map is incomplete) and the roster has reached
 * `firstMapNodes` (for the first map). Resolves to the generation written, undefined if none was needed, or 'fenced'
 * if `leaderKey` no longer holds the election.
 */
export async function writeMapIfChanged(etcd: Etcd3, prefix: string, leaderKey: string, leaderId: string, firstMapNodes: number): Promise<number | 'fenced' | undefined> {
  const roster = Object.keys(await etcd.getAll().prefix(prefix + KEYS.roster).strings()).map((k) => k.slice(prefix.length + KEYS.roster.length)).sort()
  const metaText = await etcd.get(prefix + KEYS.mapMeta).string()
  const meta = metaText === null ? undefined : parseJson<MapMeta>(KEYS.mapMeta, metaText)
  const chunks = Object.entries(await etcd.getAll().prefix(prefix + KEYS.mapChunks).strings()).map(([k, text]) => parseJson<MapChunk>(k, text))
  if (meta === undefined && roster.length < firstMapNodes) return undefined
  const complete = meta !== undefined && chunks.length === MAP_CHUNKS && chunks.every((c) => c.generation === meta.generation)
  if (complete && meta.nodes.join(',') === roster.join(',')) return undefined
  if (roster.length > MAX_MAP_NODES) throw new Error(`a map holds at most ${MAX_MAP_NODES} nodes; the roster has ${roster.length}`)
  const generation = Math.max(meta?.generation ?? 0, ...chunks.map((c) => c.generation)) + 1
  const owners = rendezvousOwners(roster)
  // A partition keeps its epoch while its owner stays the same node.
  const previousOwner = new Array<string | undefined>(PARTITIONS)
  const previousEpoch = new Uint32Array(PARTITIONS)
  if (complete)
    for (const c of chunks)
      c.owners.forEach((owner, i) => {
        previousOwner[c.first + i] = meta.nodes[owner]
        previousEpoch[c.first + i] = c.epochs[i]!
      })
  const fenced = (): ReturnType<Etcd3['if']> => etcd.if(leaderKey, 'Create', '>', 0)
  for (let k = 0; k < MAP_CHUNKS; k++) {
    const first = k * MAP_CHUNK_PARTITIONS
    const chunk: MapChunk = { generation, first, owners: [], epochs: [] }
    for (let p = first; p < first + MAP_CHUNK_PARTITIONS; p++) {
      chunk.owners.push(owners[p]!)
      chunk.epochs.push(previousOwner[p] === roster[owners[p]!] ? previousEpoch[p]! : generation)
    }
    const result = await fenced().then(etcd.put(`${prefix}${KEYS.mapChunks}${k}`).value(JSON.stringify(chunk))).commit()
    if (!result.succeeded) return 'fenced'
  }
  const head: MapMeta = { generation, nodes: roster, leader: leaderId, writtenMs: Date.now() }
  const result = await fenced().then(etcd.put(prefix + KEYS.mapMeta).value(JSON.stringify(head))).commit()
  return result.succeeded ? generation : 'fenced'
}
