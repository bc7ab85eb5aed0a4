// The partition map as clients read it (PROTOCOL.md §4.9, info `cluster-map`): the map's generation, its nodes with
// their Tally addresses (none while a node is down), and the owner of each of the 4096 partitions.
import { PARTITIONS } from './partitions.js'

/** A node of the map: its id, and where its Tally protocol listens while it is up. */
export interface MapNode {
  id: string
  address: { host: string; port: number } | undefined
}

/** Who owns what. `owners[p]` indexes `nodes`; NO_OWNER while the map is not yet made. */
export interface ClusterMap {
  generation: number
  nodes: MapNode[]
  owners: Uint8Array
}

/** `owners` value of a partition that has no owner (before the first map). */
export const NO_OWNER = 0xff
/** Most nodes a map can name (owners are one byte each). */
export const MAX_MAP_NODES = 255

/** `generation=G;nodes=id@host:port,id@-,...;owners=<base64 of one byte per partition>`. */
export function encodeClusterMap(map: ClusterMap): string {
  const nodes = map.nodes.map((n) => `${n.id}@${n.address === undefined ? '-' : `${n.address.host}:${n.address.port}`}`)
  return `generation=${map.generation};nodes=${nodes.join(',')};owners=${Buffer.from(map.owners).toString('base64')}`
}

/** Reads a `cluster-map` value; throws an Error naming what is wrong. */
export function decodeClusterMap(text: string): ClusterMap {
  const fields = new Map(text.split(';').map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]))
  const generation = Number(fields.get('generation'))
  if (!Number.isSafeInteger(generation) || generation < 0) throw new Error(`bad map generation in '${text.slice(0, 64)}'`)
  const nodeList = fields.get('nodes') ?? ''
  const nodes = nodeList === '' ? [] : nodeList.split(',').map(readNode)
  const owners = new Uint8Array(Buffer.from(fields.get('owners') ?? '', 'base64'))
  if (owners.length !== PARTITIONS) throw new Error(`the map has ${owners.length} owners, not ${PARTITIONS}`)
  for (const owner of owners) if (owner !== NO_OWNER && owner >= nodes.length) throw new Error(`the map names node ${owner} of ${nodes.length}`)
  return { generation, nodes, owners }
}

function readNode(text: string): MapNode {
  const at = text.lastIndexOf('@')
  const id = text.slice(0, at)
  const where = text.slice(at + 1)
  if (at <= 0) throw new Error(`bad map node '${text}'`)
  if (where === '-') return { id, address: undefined }
  const colon = where.lastIndexOf(':')
  const port = Number(where.slice(colon + 1))
  if (colon <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`bad address of map node '${text}'`)
  return { id, address: { host: where.slice(0, colon), port } }
}
