// Info commands, as Aerospike's asinfo knows them: `status`, `build`, `namespaces`, `namespace/<ns>`, `sets/<ns>`,
// `bins/<ns>`, `statistics`, `latencies`, `get-config`, Tally's `slowlog`, and those the Aerospike clients ask while
// connecting and tending (`node`, `replicas`, `peers-clear-std`, ...). Values are `key=value;key=value` text,
// Aerospike's format, so that operators (and their scripts) read them the same way. Both listeners answer with these
// same values.
import { describeValue } from '../protocol/errors.js'
import { STATUS } from '../protocol/status.js'
import { clusterValue, COMPATIBLE_BUILD, type AerospikeService } from './aerospike/cluster-info.js'
import { MAX_BIN_NAMES } from './store/bin-names.js'
import type { Namespace } from './store/namespace.js'
import type { Store } from './store/store.js'
import { latenciesValue, slowLogValue } from './metrics/info-values.js'
import { dataInfoValue } from './info-data.js'
import type { ServerStats } from './stats.js'
import { SERVER_VERSION } from './version.js'
import type { WindowStats } from './window/write-window.js'
import type { ClusterNode } from './cluster/cluster-node.js'

/** What the info commands read from a running server. */
export interface InfoSource {
  store: Store
  stats: ServerStats
  connections(): number
  /** Answer bytes held for clients, and bytes received but not yet cut into frames, over all connections. */
  buffers(): { answerBytes: number; frameBytes: number }
  /** Service settings in force, by their config names. */
  serviceConfig: () => Record<string, string | number | boolean>
  /** Network settings in force (Tally's listener), by their config names: `service.address`, `service.port`. */
  networkConfig: () => Record<string, string | number | boolean>
  /** Where the Aerospike listener is, once it listens; undefined when it is off. */
  aerospike: () => AerospikeService
  /** Space on the data directory's file system, when there are disk namespaces. */
  storageSpace: () => { freeBytes: number; totalBytes: number } | undefined
  /** The window of answers to write tokens. */
  window: () => WindowStats
  /** The server's cluster membership; undefined for a server on its own. */
  cluster: () => ClusterNode | undefined
}

const UNKNOWN = 'ERROR:4:unrecognized command'

const pairs = (values: Record<string, string | number | boolean>): string =>
  Object.entries(values)
    .map(([k, v]) => `${k}=${v}`)
    .join(';')

/** The value of one info command. */
export function infoValue(source: InfoSource, command: string): string {
  const { store } = source
  if (command === 'status') return 'ok'
  if (command === 'build') return COMPATIBLE_BUILD
  if (command === 'version') return `Tally ${SERVER_VERSION}`
  if (command === 'edition') return 'Tally'
  if (command === 'namespaces') return store.namespaces.map((ns) => ns.name).join(';')
  if (command === 'statistics') return pairs(statistics(source))
  if (command === 'latencies' || command.startsWith('latencies:')) return latenciesValue(source.stats.ops, command.slice(10))
  if (command === 'slowlog') return slowLogValue(source.stats.slowLog)
  if (command === 'cluster' || command === 'cluster-map') {
    const cluster = source.cluster()
    if (cluster === undefined) return 'ERROR:4:this server is not a cluster node'
    return command === 'cluster' ? cluster.view.summary(cluster.forwarded) : cluster.view.clientMap()
  }
  if (command === 'sets') return store.namespaces.map(sets).filter((s) => s !== '').join(';')
  if (command.startsWith('sets/')) return setsOf(store, command.slice(5))
  if (command === 'bins') return store.namespaces.map((ns) => `${ns.name}:${bins(ns)}`).join(';')
  if (command.startsWith('bins/')) return withNamespace(store, command.slice(5), bins)
  if (command.startsWith('namespace/')) return withNamespace(store, command.slice(10), (ns) => pairs({ ...namespaceStats(ns, source), ...namespaceConfig(ns) }))
  if (command === 'get-config' || command === 'get-config:context=service') return pairs(source.serviceConfig())
  if (command === 'get-config:context=network') return pairs(source.networkConfig())
  const nsConfig = /^get-config:context=namespace;id=(.+)$/.exec(command)
  if (nsConfig) return withNamespace(store, nsConfig[1]!, (ns) => pairs(namespaceConfig(ns)))
  return dataInfoValue(store, source.stats.opCounts, command) ?? clusterValue(command, store.namespaces.map((ns) => ns.name), source.aerospike(), source.cluster()?.view) ?? UNKNOWN
}

// `sets/<ns>` or `sets/<ns>/<set>`.
function setsOf(store: Store, params: string): string {
  const slash = params.indexOf('/')
  if (slash < 0) return withNamespace(store, params, sets)
  const name = params.slice(slash + 1)
  return withNamespace(store, params.slice(0, slash), (ns) => {
    const set = ns.sets().find((s) => s.name === name)
    return set === undefined ? `ERROR:${STATUS.NOT_FOUND}:set ${describeValue(name)} holds no records` : `objects=${set.objects}`
  })
}

/** Aerospike's `bins/<ns>` value: `bin_names=N,bin_names_quota=Q,name,name,...`. */
function bins(ns: Namespace): string {
  const names = ns.binNames()
  return [`bin_names=${names.length}`, `bin_names_quota=${MAX_BIN_NAMES}`, ...names].join(',')
}

function withNamespace(store: Store, name: string, value: (ns: Namespace) => string): string {
  const ns = store.findNamespace(name)
  return ns === undefined ? `ERROR:20:namespace ${describeValue(name)} does not exist` : value(ns)
}

function namespaceStats(ns: Namespace, source: InfoSource): Record<string, string | number | boolean> {
  const space = ns.config.storage === 'disk' ? source.storageSpace() : undefined
  return {
    objects: ns.objects,
    expired_objects: ns.expiredObjects,
    evicted_objects: ns.evictedObjects,
    data_used_bytes: ns.usedBytes,
    data_used_pct: +ns.usedPct.toFixed(2),
    stop_writes: ns.stopWrites || ns.writeBlock !== undefined,
    stop_writes_reason: stopWritesReason(ns),
    ...(space === undefined ? {} : { device_available_pct: availablePct(space) }),
    truncated_objects: ns.truncatedObjects,
    truncating: ns.truncating,
    ...ns.requestStats,
  }
}

/** Why a namespace refuses writes: its memory budget, a full disk, another storage error, a lost lock, or none. */
function stopWritesReason(ns: Namespace): string {
  const block = ns.writeBlock
  if (block?.code === STATUS.OUT_OF_SPACE) return 'disk-full'
  if (block?.code === STATUS.FORBIDDEN) return 'data-dir-lock-lost'
  if (block !== undefined) return 'storage-error'
  return ns.stopWrites ? 'memory' : 'none'
}

const availablePct = (space: { freeBytes: number; totalBytes: number }): number => (space.totalBytes > 0 ? Math.floor((space.freeBytes * 100) / space.totalBytes) : 0)

function namespaceConfig(ns: Namespace): Record<string, string | number | boolean> {
  const c = ns.config
  return {
    'default-ttl': c.defaultTtlSec,
    'nsup-period': c.nsupPeriodMs / 1000,
    'max-record-size': c.maxRecordBytes,
    'storage-engine': c.storage === 'disk' ? 'device' : 'memory',
    'data-size': c.dataSizeBytes,
    'stop-writes-used-pct': c.stopWritesUsedPct,
    'evict-used-pct': c.evictUsedPct,
    'commit-to-device': c.storage === 'disk' && c.commitToDevice,
    'flush-ms': c.flushMs,
    'replication-factor': 1,
    'strong-consistency': false,
    'allow-ttl-without-nsup': true,
  }
}

function sets(ns: Namespace): string {
  return ns
    .sets()
    .map((set) => `ns=${ns.name}:set=${set.name}:objects=${set.objects}`)
    .join(';')
}

function statistics(source: InfoSource): Record<string, string | number | boolean> {
  const { store, stats } = source
  const totals: Record<string, number> = {}
  for (const ns of store.namespaces) for (const [k, v] of Object.entries(ns.requestStats)) totals[k] = (totals[k] ?? 0) + v
  const memory = process.memoryUsage()
  const buffers = source.buffers()
  return {
    objects: store.namespaces.reduce((n, ns) => n + ns.objects, 0),
    expired_objects: store.namespaces.reduce((n, ns) => n + ns.expiredObjects, 0),
    evicted_objects: store.namespaces.reduce((n, ns) => n + ns.evictedObjects, 0),
    data_used_bytes: store.namespaces.reduce((n, ns) => n + ns.usedBytes, 0),
    stop_writes: store.namespaces.some((ns) => ns.stopWrites || ns.writeBlock !== undefined),
    ...storageStatistics(source),
    client_connections: source.connections(),
    client_connections_opened: stats.clientConnectionsOpened,
    client_connections_closed: stats.clientConnectionsClosed,
    client_connections_refused: stats.clientConnectionsRefused,
    tls_handshake_failures: stats.tlsHandshakeFailures,
    login_successes: stats.loginSuccesses,
    login_failures: stats.loginFailures,
    client_frame_timeouts: stats.clientFrameTimeouts,
    client_slow_readers_closed: stats.clientSlowReadersClosed,
    client_answer_buffer_bytes: buffers.answerBytes,
    client_frame_buffer_bytes: buffers.frameBytes,
    ...windowStatistics(source.window()),
    slow_ops: stats.slowLog.count,
    uptime: Math.floor((Date.now() - stats.started) / 1000),
    heap_used_bytes: memory.heapUsed,
    rss_bytes: memory.rss,
    ...totals,
  }
}

function windowStatistics(w: WindowStats): Record<string, number> {
  return {
    write_window_entries: w.entries,
    write_window_clients: w.clients,
    write_window_bytes: w.bytes,
    write_window_hits: w.hits,
    write_window_unknown: w.unknown,
    write_window_busy: w.busy,
    write_window_evicted: w.evicted,
    write_window_expired: w.expired,
  }
}

function storageStatistics(source: InfoSource): Record<string, number> {
  const space = source.storageSpace()
  return space === undefined ? {} : { storage_free_bytes: space.freeBytes, storage_total_bytes: space.totalBytes, device_available_pct: availablePct(space) }
}
