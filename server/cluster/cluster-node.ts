// A server's membership of a cluster: the coordinator (etcd), and the routing of each request by its partition.
// Partitions this node owns are served here; those of another live node are forwarded to it once over a peer link,
// whichever listener the request came on, and its answer relayed; those of a down node, or before the first map, are
// refused with status 11. A Tally batch whose records belong to several nodes is refused with status 16 (the Tally
// client splits reads by owner).
import { TallyError } from '../../protocol/errors.js'
import { OP, type PeerRequest, type RecordAddress, type RecordResult, type Request } from '../../protocol/messages.js'
import { partitionOf } from '../../protocol/partitions.js'
import type { RecordRequest } from '../../protocol/record-request.js'
import { STATUS } from '../../protocol/status.js'
import type { Logger } from '../log.js'
import type { User } from '../security/users.js'
import { ThrottledWarning } from '../throttled-warning.js'
import { Coordinator, type ClusterOptions } from './coordinator.js'
import type { Member } from './etcd-keys.js'
import { forwardRecord } from './forwarded-record.js'
import { checkPeerProof, peerProof, readPeerSecret } from './peer-auth.js'
import { PeerLink, type PeerLogin } from './peer-link.js'
import { ClusterView, WHERE } from './view.js'

export type { ClusterOptions } from './coordinator.js'

export class ClusterNode {
  readonly options: ClusterOptions
  /** Requests forwarded to their partition's owner. */
  forwarded = 0
  #coordinator: Coordinator | undefined
  #view: ClusterView
  readonly #links = new Map<string, PeerLink>()
  readonly #secret: Buffer | undefined
  #refusals: ThrottledWarning | undefined

  /** Reads the peer secret file, if the options name one; throws an Error saying what is wrong with it. */
  constructor(options: ClusterOptions) {
    this.options = options
    this.#view = new ClusterView(options.name, options.nodeId) // empty until started: every partition answers 11
    this.#secret = options.peerSecretFile === undefined ? undefined : readPeerSecret(options.peerSecretFile)
  }

  /** True when the nodes prove themselves with a peer secret: every Tally hello of this node then carries a nonce. */
  get peerSecret(): boolean {
    return this.#secret !== undefined
  }

  /**
   * Accepts a PEER on a connection whose hello carried `nonce`; with a peer secret, throws NOT_AUTHENTICATED (80)
   * unless the PEER proves its sender holds it.
   */
  admitPeer(request: PeerRequest, nonce: Uint8Array | undefined): void {
    if (this.#secret !== undefined) checkPeerProof(this.#secret, this.options.name, this.options.nodeId, request, nonce)
  }

  get view(): ClusterView {
    return this.#view
  }

  /** Registers in etcd with this node's addresses and follows the map. */
  async start(self: Omit<Member, 'id' | 'startedMs'>, log: Logger): Promise<void> {
    const coordinator = await Coordinator.start(this.options, self, log)
    this.#coordinator = coordinator
    this.#view = coordinator.view
    coordinator.onChange = () => this.#dropStaleLinks()
    this.#refusals = new ThrottledWarning(log, (n, s) => `cluster: ${n} more PEER connections refused by other nodes in the last ${s} s`)
  }

  /**
   * Routes a request (dispatch.ts `Forward`): false to serve it here; true when it was forwarded, its answer then
   * given to `defer`. Throws TallyError 11 (owner down, no map), 16 (a batch spanning nodes), or 7 for a request
   * forwarded to this node (`fromPeer`) that its map does not give it.
   */
  route(request: Request, body: Uint8Array, fromPeer: boolean, defer: (answer: Promise<Uint8Array>) => void, user?: User): boolean {
    const link = this.#ownerLink(request, fromPeer)
    if (link === undefined) return false
    defer(link.forward(body, request.id, user))
    return true
  }

  /**
   * Routes a single-record request decoded from another protocol (Aerospike's listener): undefined to serve it
   * here; else its result from its partition's owner, to which it goes once as the Tally request it stands for, over
   * the same link as `route`'s. Throws as `route` does (11 for a down owner); the promise rejects with the owner's
   * TallyError.
   */
  forward(request: RecordRequest, user?: User): Promise<RecordResult> | undefined {
    const link = this.#ownerLink(request, false)
    return link === undefined ? undefined : forwardRecord(link, request, user)
  }

  // The link to the owner of the request's partition, counting the request as forwarded; undefined if it is here.
  #ownerLink(request: Request, fromPeer: boolean): PeerLink | undefined {
    const p = this.#partitionOf(request)
    if (p < 0) return undefined
    const view = this.#view
    const where = view.where(p)
    if (where === WHERE.HERE) return undefined
    if (where === WHERE.NO_MAP) throw new TallyError(STATUS.UNAVAILABLE, `cluster '${view.name}' has no partition map yet`)
    const owner = view.ownerOf(p)!
    if (where === WHERE.DOWN) throw new TallyError(STATUS.UNAVAILABLE, `partition ${p} is unavailable: its owner, node ${owner}, is down`)
    if (fromPeer) throw new TallyError(STATUS.CLUSTER_CHANGE, `partition ${p} belongs to node ${owner} in map generation ${view.generation}, not to this node`)
    this.forwarded++
    return this.#linkTo(owner)
  }

  // The partition a request addresses; -1 for requests served where they arrive (INFO, PEER, logins and users; a
  // scan or a truncate, which act on this node's records only). A batch's records must all belong to one node: the
  // partition of its first record stands for them.
  #partitionOf(request: Request): number {
    const op = request.op
    if (op === OP.INFO || op === OP.PEER || op === OP.SCAN || op === OP.TRUNCATE || op === OP.AUTH || op === OP.USER_ADMIN) return -1
    if (op === OP.RESTORE) return this.#batchPartition(request.records.map((record) => record.address))
    if (request.op === OP.BATCH_GET) return this.#batchPartition(request.addresses)
    if (request.op === OP.BATCH_OPERATE) return this.#batchPartition(request.items.map((item) => item.address))
    return partitionOf(request.address.digest)
  }

  #batchPartition(addresses: RecordAddress[]): number {
    if (addresses.length === 0) return -1
    const view = this.#view
    const first = partitionOf(addresses[0]!.digest)
    const owner = view.owners[first]
    for (const address of addresses)
      if (view.owners[partitionOf(address.digest)] !== owner)
        throw new TallyError(STATUS.UNSUPPORTED_FEATURE, `the batch's records belong to several cluster nodes; a batch must stay within one node's partitions (docs/cluster.md)`)
    return first
  }

  #linkTo(id: string): PeerLink {
    const member = this.#view.members.get(id)!
    let link = this.#links.get(id)
    if (link === undefined || link.closed || link.host !== member.host || link.port !== member.port) {
      link?.close()
      link = new PeerLink(member.host, member.port, this.#login(id))
      link.onRefused = (message) => this.#refusals?.note(`cluster: ${message}; are the nodes' peer secrets the same?`)
      this.#links.set(id, link)
    }
    return link
  }

  // How this node proves itself on its link to node `to`, when the cluster has a peer secret.
  #login(to: string): PeerLogin | undefined {
    const secret = this.#secret
    if (secret === undefined) return undefined
    const { name, nodeId } = this.options
    return { node: nodeId, proof: (nonce) => peerProof(secret, name, nodeId, to, nonce) }
  }

  #dropStaleLinks(): void {
    for (const [id, link] of this.#links)
      if (!this.#view.members.has(id)) {
        link.close()
        this.#links.delete(id)
      }
  }

  /** Closes peer links and leaves the cluster (deregisters at once). */
  async close(): Promise<void> {
    this.#refusals?.flush()
    for (const link of this.#links.values()) link.close()
    this.#links.clear()
    await this.#coordinator?.close()
  }
}
