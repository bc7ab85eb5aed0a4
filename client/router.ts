// Routing by partition against a cluster (docs/cluster.md): the client reads the partition map from a node
// (info `cluster-map`, PROTOCOL.md §4.9), keeps a pool per node, and sends each request to its partition's owner.
// It reads the map again every `refreshIntervalMs`, and at once after an answer that says the map moved on (7, 11).
import { decodeClusterMap, NO_OWNER, type ClusterMap } from '../protocol/cluster-map.js'
import { partitionOf } from '../protocol/partitions.js'
import type { Key } from '../protocol/types.js'
import type { Call } from './connection.js'
import { Pool, type PoolOptions } from './pool.js'

/** A call that says which record routes it (a batch: its first record). */
export interface RoutedCall extends Call {
  readonly routeKey?: Key
}

/** Reads `cluster-map` through a pool; rejects when the node cannot say. */
export type MapReader = (pool: Pool) => Promise<string>

export class Router {
  readonly #seed: Pool
  readonly #options: PoolOptions
  readonly #read: MapReader
  readonly #pools = new Map<string, Pool>() // by `id@host:port`
  #map: ClusterMap
  #byOwner: (Pool | undefined)[] = []
  #timer: NodeJS.Timeout
  #refreshing: Promise<void> | undefined
  #closed = false

  private constructor(seed: Pool, options: PoolOptions, read: MapReader, map: ClusterMap, refreshIntervalMs: number) {
    this.#seed = seed
    this.#options = options
    this.#read = read
    this.#map = map
    this.#adopt(map)
    this.#timer = setInterval(() => void this.refresh(), refreshIntervalMs)
    this.#timer.unref()
  }

  /** A router if the seed's server is a cluster node (it answers `cluster-map`), else undefined. */
  static async open(seed: Pool, options: PoolOptions, read: MapReader, refreshIntervalMs: number): Promise<Router | undefined> {
    const value = await read(seed)
    if (value.startsWith('ERROR')) return undefined
    return new Router(seed, options, read, decodeClusterMap(value), refreshIntervalMs)
  }

  /** The map's generation. */
  get generation(): number {
    return this.#map.generation
  }

  /** The pool of the node owning the call's record; the seed's for calls of no record, or when the owner is down. */
  poolFor(call: RoutedCall): Pool {
    const key = call.routeKey
    if (key === undefined) return this.#seed
    return this.#byOwner[this.#map.owners[partitionOf(key.digest)]!] ?? this.#seed
  }

  /** The owner's index in the map of `key` (NO_OWNER before a map), to split a batch by owner. */
  ownerOf(key: Key): number {
    return this.#map.owners[partitionOf(key.digest)] ?? NO_OWNER
  }

  /** Reads the map again (one read at a time); adopts it if its generation or its nodes' addresses changed. */
  refresh(): Promise<void> {
    this.#refreshing ??= (async () => {
      try {
        const map = decodeClusterMap(await this.#read(this.#seed))
        if (!this.#closed && map.generation >= this.#map.generation) this.#adopt(map)
      } catch {
        // The seed may be down: the next refresh tries again.
      } finally {
        this.#refreshing = undefined
      }
    })()
    return this.#refreshing
  }

  #adopt(map: ClusterMap): void {
    this.#map = map
    const wanted = new Set<string>()
    this.#byOwner = map.nodes.map((node) => {
      if (node.address === undefined) return undefined
      const name = `${node.id}@${node.address.host}:${node.address.port}`
      wanted.add(name)
      let pool = this.#pools.get(name)
      if (pool === undefined) {
        pool = new Pool([node.address], this.#options)
        pool.start().catch(() => {}) // its requests wait for it; a node that never answers fails them with CONNECTION
        this.#pools.set(name, pool)
      }
      return pool
    })
    for (const [name, pool] of this.#pools)
      if (!wanted.has(name)) {
        this.#pools.delete(name)
        void pool.close()
      }
  }

  /** Requests in flight over the nodes' pools. */
  get inFlight(): number {
    let sum = 0
    for (const pool of this.#pools.values()) sum += pool.inFlight
    return sum
  }

  async close(): Promise<void> {
    this.#closed = true
    clearInterval(this.#timer)
    await Promise.all([...this.#pools.values()].map((pool) => pool.close()))
  }
}
