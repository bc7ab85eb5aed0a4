// Client options and per-call policies: one interface and one defaults object each, checked once at the edge.
import { TallyError } from '../protocol/errors.js'
import { encodeFlags } from '../protocol/messages.js'
import { CLIENT_STATUS } from '../protocol/status.js'
import { COMMIT_LEVEL, EXISTS, GEN_POLICY, KEY_POLICY, type CommitLevel, type ExistsPolicy, type GenPolicy, type KeyPolicy, type WriteMeta } from '../protocol/types.js'

/** Per-call policy. Every field is optional; the client's defaults fill the rest. */
export interface Policy {
  /** Deadline for the whole call, retries included. 0 = none. */
  totalTimeoutMs?: number
  /** Deadline for one attempt; when it passes and retries remain, the call is tried again. 0 = use the total. */
  socketTimeoutMs?: number
  /**
   * Further attempts after a timed-out or dropped attempt (and, for writes, after a busy answer). Default 2. A write
   * is retried by default only to a server that keeps write tokens, which applies it once however often it is sent
   * (PROTOCOL.md §3.1); to another, only when this is set, and a retry may then apply it twice. 0: no retries.
   */
  maxRetries?: number
  exists?: ExistsPolicy
  gen?: GenPolicy
  key?: KeyPolicy
  commitLevel?: CommitLevel
}

/** Where a server listens. */
export interface HostAddress {
  host: string
  port: number
}

/**
 * TLS to the server (docs/security.md), as node:tls takes it: PEM contents, not file names. `ca`: the CAs that sign
 * the server's certificate (default: Node's trusted roots); `cert` and `key`: this client's certificate, for a
 * server that asks for one (mutual TLS); `servername`: the name the server's certificate must carry (default: the
 * host).
 */
export interface ClientTlsOptions {
  ca?: string | Buffer | (string | Buffer)[]
  cert?: string | Buffer
  key?: string | Buffer
  servername?: string
}

/** Options of `connect`. */
export interface ClientOptions {
  /** Seed addresses: `'host:port'`, a comma-separated list, or an array. Tried in order; the first that answers is used. */
  hosts: string | (string | HostAddress)[]
  /** Connections kept open to the server; requests go to the least busy one. */
  poolSize?: number
  /** How long to wait for a connection and the server's hello. */
  connectTimeoutMs?: number
  /** Longest wait between reconnect attempts after a connection drops (the delay doubles up to this). */
  maxReconnectDelayMs?: number
  /** Most requests waiting for an answer at once; further calls fail with QUEUE_FULL (-11). */
  maxPendingRequests?: number
  /** Defaults for every call's policy. */
  policy?: Policy
  /** Connect with TLS; absent: plain TCP. */
  tls?: ClientTlsOptions
  /** Log in as this user on every connection (a server with security enabled); needs `password`. */
  user?: string
  /** The user's password. Only its bcrypt credential is sent (docs/security.md). */
  password?: string
  /**
   * Against a cluster (docs/cluster.md): learn the partition map and send each request straight to its partition's
   * owner. False: every request goes to the seed connected to, which forwards what it does not own.
   */
  routing?: boolean
}

export const DEFAULT_PORT = 3100

export const DEFAULT_CLIENT_OPTIONS = {
  poolSize: 2,
  connectTimeoutMs: 1000,
  maxReconnectDelayMs: 2000,
  maxPendingRequests: 100_000,
  routing: true,
} as const

/** The policy every call starts from. `maxRetries` is absent: it defaults per kind of call and server. */
export const DEFAULT_POLICY = {
  totalTimeoutMs: 1000,
  socketTimeoutMs: 0,
  exists: 'ignore',
  gen: 'ignore',
  key: 'digest',
  commitLevel: 'all',
} as const satisfies Policy

export const DEFAULT_READ_RETRIES = 2
/** Retries of a write sent with a token (the server keeps a window); without one, writes are not retried by default. */
export const DEFAULT_WRITE_RETRIES = 2

/** A policy with every field filled in and the wire flags precomputed. */
export interface ResolvedPolicy {
  totalTimeoutMs: number
  socketTimeoutMs: number
  maxRetries: number
  /** Retries of a write sent without a token, to a server that keeps no window: only those the policy asks for. */
  retriesWithoutToken: number
  sendKey: boolean
  flags: number
}

function param(message: string): TallyError {
  return new TallyError(CLIENT_STATUS.PARAMETER, message)
}

function checkMs(name: string, value: unknown): void {
  if (value !== undefined && (typeof value !== 'number' || !(value >= 0))) throw param(`${name} must be a number of ms >= 0`)
}

function checkEnum(name: string, value: unknown, table: object): void {
  if (value !== undefined && !Object.hasOwn(table, value as string))
    throw param(`${name} must be one of ${Object.keys(table).map((k) => `'${k}'`).join(', ')}, not ${JSON.stringify(value)}`)
}

/** Throws PARAMETER (-2) for a policy field of the wrong type or value. */
export function checkPolicy(policy: Policy): void {
  if (typeof policy !== 'object' || policy === null) throw param('policy must be an object')
  checkMs('totalTimeoutMs', policy.totalTimeoutMs)
  checkMs('socketTimeoutMs', policy.socketTimeoutMs)
  if (policy.maxRetries !== undefined && !(Number.isInteger(policy.maxRetries) && policy.maxRetries >= 0))
    throw param('maxRetries must be an integer >= 0')
  checkEnum('exists', policy.exists, EXISTS)
  checkEnum('gen', policy.gen, GEN_POLICY)
  checkEnum('key', policy.key, KEY_POLICY)
  checkEnum('commitLevel', policy.commitLevel, COMMIT_LEVEL)
}

/** Throws PARAMETER (-2) for metadata of the wrong type. Ranges (such as a TTL over 10 years) are the server's call. */
export function checkMeta(meta: WriteMeta): void {
  if (typeof meta !== 'object' || meta === null) throw param('meta must be an object')
  if (meta.ttl !== undefined && !Number.isInteger(meta.ttl)) throw param('meta.ttl must be an integer number of seconds')
  if (meta.gen !== undefined && !(Number.isInteger(meta.gen) && meta.gen >= 0 && meta.gen <= 0xffff))
    throw param('meta.gen must be an integer from 0 to 65535')
}

/** Merges a call's policy over the client's defaults. */
export function resolvePolicy(defaults: Policy, policy: Policy | undefined, isWrite: boolean): ResolvedPolicy {
  if (policy !== undefined) checkPolicy(policy)
  const p = policy === undefined ? defaults : { ...defaults, ...policy }
  return {
    totalTimeoutMs: p.totalTimeoutMs ?? DEFAULT_POLICY.totalTimeoutMs,
    socketTimeoutMs: p.socketTimeoutMs ?? DEFAULT_POLICY.socketTimeoutMs,
    maxRetries: p.maxRetries ?? (isWrite ? DEFAULT_WRITE_RETRIES : DEFAULT_READ_RETRIES),
    retriesWithoutToken: p.maxRetries ?? (isWrite ? 0 : DEFAULT_READ_RETRIES),
    sendKey: p.key === 'send',
    flags: encodeFlags(EXISTS[p.exists ?? 'ignore'], GEN_POLICY[p.gen ?? 'ignore'], p.commitLevel === 'master'),
  }
}

/** Parses `hosts` into addresses; throws INVALID_HOST (-4) for one that cannot be read. */
export function parseHosts(hosts: ClientOptions['hosts']): HostAddress[] {
  const list = typeof hosts === 'string' ? hosts.split(',') : hosts
  if (!Array.isArray(list) || list.length === 0) throw new TallyError(CLIENT_STATUS.INVALID_HOST, 'hosts must name at least one server')
  return list.map((entry) => {
    if (typeof entry === 'object' && entry !== null) return checkHost(entry.host, entry.port)
    const text = String(entry).trim()
    const match = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(text)
    if (match === null) throw new TallyError(CLIENT_STATUS.INVALID_HOST, `cannot read host '${text}' (expected host:port)`)
    return checkHost(match[1] ?? match[2]!, match[3] === undefined ? DEFAULT_PORT : Number(match[3]))
  })
}

function checkHost(host: unknown, port: unknown): HostAddress {
  if (typeof host !== 'string' || host.length === 0 || !Number.isInteger(port) || (port as number) < 1 || (port as number) > 65535)
    throw new TallyError(CLIENT_STATUS.INVALID_HOST, `invalid host ${JSON.stringify({ host, port })}`)
  return { host, port: port as number }
}
