// A node's side of etcd (docs/cluster.md): registers the node under a lease, keeps its view of the members and of
// the partition map up to date from watches, and campaigns in the cluster's election; while leader, it writes the
// map (map-writer.ts). etcd is the only place anything is agreed; nodes never vote among themselves.
import type { Campaign, Etcd3, Lease, Namespace, Watcher } from 'etcd3'
import type { Logger } from '../log.js'
import { clusterPrefix, KEYS, parseJson, type ClusterConfig, type MapChunk, type MapMeta, type Member } from './etcd-keys.js'
import { writeMapIfChanged } from './map-writer.js'
import { ClusterView } from './view.js'

/** Options of a cluster node. CLI flags (`--cluster`, `--etcd`, `--node-id`) map one-to-one onto these. */
export interface ClusterOptions {
  /** The cluster's name, as given to `tally cluster init`. */
  name: string
  /** etcd endpoints, `http://host:port`. */
  etcd: string[]
  /** This node's id, stable across restarts: the map is computed over ids. */
  nodeId: string
  /** Seconds the node's registration outlives it if it dies without deregistering. */
  leaseTtlS?: number
  /**
   * A file holding the secret every node of the cluster shares (docs/cluster.md "Security"); nodes then prove it to
   * each other on their PEER connections. Required with security.
   */
  peerSecretFile?: string
}

export const DEFAULT_CLUSTER = { leaseTtlS: 5 } as const

/**
 * Opens an etcd client on `endpoints` (shared with `tally cluster init` and `status`). etcd3 (gRPC and protobuf) is
 * loaded only then: it takes a quarter of a second, which every other start of the CLI and the server would pay.
 */
export async function etcdClient(endpoints: string[]): Promise<Etcd3> {
  const { Etcd3 } = await import('etcd3')
  return new Etcd3({ hosts: endpoints, dialTimeout: 3000 })
}

export class Coordinator {
  readonly view: ClusterView
  /** Called after the view changed (a new map, a member up or down). */
  onChange: (() => void) | undefined
  readonly #etcd: Etcd3
  readonly #ns: Namespace
  readonly #lease: Lease
  readonly #log: Logger
  readonly #config: ClusterConfig
  readonly #leaseTtlS: number
  readonly #watchers: Watcher[] = []
  #campaign: Campaign | undefined
  #leading = false
  #closed = false
  #refreshing: Promise<void> = Promise.resolve()

  private constructor(etcd: Etcd3, ns: Namespace, lease: Lease, leaseTtlS: number, config: ClusterConfig, view: ClusterView, log: Logger) {
    this.#leaseTtlS = leaseTtlS
    this.#etcd = etcd
    this.#ns = ns
    this.#lease = lease
    this.#config = config
    this.view = view
    this.#log = log
  }

  /** Registers `self` in the cluster and starts watching; rejects if the cluster is not initialised or the id is taken. */
  static async start(options: ClusterOptions, self: Omit<Member, 'id' | 'startedMs'>, log: Logger): Promise<Coordinator> {
    const etcd = await etcdClient(options.etcd)
    const ns = etcd.namespace(clusterPrefix(options.name))
    try {
      const configText = await ns.get(KEYS.config).string()
      if (configText === null) throw new Error(`cluster '${options.name}' is not initialised in etcd (tally cluster init --name ${options.name})`)
      const config = parseJson<ClusterConfig>(KEYS.config, configText)
      const leaseTtlS = options.leaseTtlS ?? DEFAULT_CLUSTER.leaseTtlS
      const lease = ns.lease(leaseTtlS)
      const leaseId = await lease.grant()
      const member: Member = { id: options.nodeId, ...self, startedMs: Date.now() }
      const registered = await ns
        .if(KEYS.members + options.nodeId, 'Create', '==', 0)
        .then(ns.put(KEYS.members + options.nodeId).value(JSON.stringify(member)).lease(leaseId), ns.put(KEYS.roster + options.nodeId).value(JSON.stringify({ firstMs: member.startedMs })))
        .commit()
      if (!registered.succeeded) {
        await lease.revoke()
        throw new Error(`node id '${options.nodeId}' is already registered in cluster '${options.name}' by a live node`)
      }
      const coordinator = new Coordinator(etcd, ns, lease, leaseTtlS, config, new ClusterView(options.name, options.nodeId), log)
      lease.on('lost', (err) => log.error(`cluster: lost the etcd lease (${err.message}); this node is seen as down until it restarts`))
      await coordinator.#watch()
      coordinator.#campaignForLeader(options.nodeId)
      return coordinator
    } catch (err) {
      etcd.close()
      throw err
    }
  }

  /** True while this node is the cluster's leader (the one that writes the map). */
  get leading(): boolean {
    return this.#leading
  }

  async #watch(): Promise<void> {
    for (const prefix of [KEYS.members, 'map/', KEYS.roster]) {
      const watcher = await this.#ns.watch().prefix(prefix).create()
      watcher.on('data', () => this.#refresh(prefix === KEYS.roster))
      watcher.on('error', (err) => this.#log.warn(`cluster: etcd watch on ${prefix} failed: ${err.message}`))
      this.#watchers.push(watcher)
    }
    await this.#refresh(true)
  }

  // Reads members and map again (one refresh at a time, in order); the leader then rewrites the map if the roster grew.
  #refresh(rosterChanged: boolean): Promise<void> {
    this.#refreshing = this.#refreshing.then(async () => {
      if (this.#closed) return
      try {
        await this.#readState()
        if (rosterChanged && this.#leading) await this.#writeMap()
      } catch (err) {
        if (!this.#closed) this.#log.warn(`cluster: reading etcd failed: ${(err as Error).message}`)
      }
    })
    return this.#refreshing
  }

  async #readState(): Promise<void> {
    const members = await this.#ns.getAll().prefix(KEYS.members).strings()
    const view = this.view
    view.members = new Map(Object.entries(members).map(([key, text]) => [key.slice(KEYS.members.length), parseJson<Member>(key, text)]))
    const metaText = await this.#ns.get(KEYS.mapMeta).string()
    if (metaText !== null) {
      const meta = parseJson<MapMeta>(KEYS.mapMeta, metaText)
      if (meta.generation > view.generation) {
        const chunks = Object.entries(await this.#ns.getAll().prefix(KEYS.mapChunks).strings()).map(([key, text]) => parseJson<MapChunk>(key, text))
        if (view.adopt(meta, chunks)) this.#log.info(`cluster: adopted partition map generation ${meta.generation} (${meta.nodes.length} nodes)`)
      }
    }
    this.onChange?.()
  }

  #campaignForLeader(nodeId: string): void {
    const campaign = this.#ns.election(KEYS.election, this.#leaseTtlS).campaign(nodeId)
    this.#campaign = campaign
    campaign.on('elected', () => {
      this.#leading = true
      this.#log.info('cluster: elected leader; this node writes the partition map')
      void this.#refresh(true)
    })
    campaign.on('error', (err) => {
      this.#leading = false
      if (!this.#closed) this.#log.warn(`cluster: the election failed (${(err as Error).message}); no longer leader`)
    })
  }

  async #writeMap(): Promise<void> {
    const campaign = this.#campaign
    if (campaign === undefined) return
    const prefix = clusterPrefix(this.view.name)
    const written = await writeMapIfChanged(this.#etcd, prefix, await campaign.getCampaignKey(), this.view.selfId, this.#config.nodes)
    if (written === 'fenced') this.#leading = false
    else if (written !== undefined) this.#log.info(`cluster: wrote partition map generation ${written}`)
  }

  /** Leaves the election, deregisters (the node is seen down at once), and closes the etcd client. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await Promise.allSettled(this.#watchers.map((w) => w.cancel()))
    await this.#refreshing
    await Promise.allSettled([this.#campaign?.resign(), this.#lease.revoke()])
    this.#etcd.close()
  }
}
