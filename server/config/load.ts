// What the config file means: every setting Tally knows, where it may appear, and how it maps onto server options.
// An unknown or invalid setting stops startup with `file:line: what is wrong`; an Aerospike setting Tally does not
// support is named as such, with the Tally setting to use where there is one.
import fs from 'node:fs'
import type { LogLevel } from '../log.js'
import type { ServerOptions } from '../server.js'
import type { NamespaceConfig } from '../store/namespace.js'
import { DEFAULT_NAMESPACE } from '../store/store.js'
import { describeSystemError } from '../system-errors.js'
import { NAME_PATTERN } from '../cluster/etcd-keys.js'
import { ConfigError, parseConfig, type Block, type Setting } from './parse.js'
import { bool, count, duration, filePath, host, integer, logLevel, MAX_TIMER_MS, portOrOff, seconds, size, type Range } from './values.js'

/** Everything a config file can say: server options, and what only the daemon uses. */
export interface DaemonConfig {
  server: ServerOptions & { namespaces: Partial<NamespaceConfig>[] }
  pidfile?: string
  /** Log destinations and levels: `console` writes to stderr. */
  logging: { console?: LogLevel; file?: { path: string; level: LogLevel } }
  tickerIntervalMs?: number
}

type Namespace = Partial<NamespaceConfig>
type Apply<T> = (values: string[], target: T) => void

const K = 1024
const DAY_MS = 86_400_000
const TEN_YEARS_MS = 3650 * DAY_MS
// Periodic work: 0 turns it off; the longest period fits a timer with room to spare.
const PERIOD = (minMs: number): Range => ({ min: minMs, max: DAY_MS, off: true })

// Every setting, by the block it goes in: its rule (with its range) and where its value goes. A flag of `tally
// server` that stands for a setting is checked by the same rule (`ruleOf`).
const SERVICE: Record<string, Apply<DaemonConfig>> = {
  // Aerospike's service port, as in an Aerospike config: the Aerospike listener (Tally's own is network service).
  port: (v, c) => (c.server.aerospikePort = portOrOff(v)),
  pidfile: (v, c) => (c.pidfile = filePath(v)),
  'data-dir': (v, c) => (c.server.dataDir = filePath(v)),
  'proto-fd-max': (v, c) => (c.server.maxConnections = integer(1, 1_000_000)(v)),
  'proto-fd-idle-ms': (v, c) => (c.server.idleTimeoutMs = integer(0, MAX_TIMER_MS)(v)),
  'in-flight-max': (v, c) => (c.server.maxInFlight = integer(1, 1_000_000)(v)),
  'answer-buffer-max': (v, c) => (c.server.maxAnswerBufferBytes = size({ min: 64 * K, max: K ** 3 })(v)),
  'answer-buffer-total-max': (v, c) => (c.server.maxTotalAnswerBufferBytes = size({ min: K ** 2, max: K ** 4 })(v)),
  'frame-buffer-total-max': (v, c) => (c.server.maxTotalFrameBufferBytes = size({ min: K ** 2, max: K ** 4 })(v)),
  'frame-timeout-ms': (v, c) => (c.server.frameTimeoutMs = integer(0, MAX_TIMER_MS)(v)),
  'batch-max-requests': (v, c) => (c.server.maxBatchKeys = integer(1, 100_000)(v)),
  'max-frame-size': (v, c) => (c.server.maxFrameBytes = size({ min: 64 * K, max: K ** 3 })(v)),
  'ticker-interval': (v, c) => (c.tickerIntervalMs = duration('s', PERIOD(1000))(v)),
  'segment-size': (v, c) => (c.server.segmentBytes = size({ min: 64 * K, max: 16 * K ** 3 })(v)),
  'snapshot-log-size': (v, c) => (c.server.snapshotLogBytes = size({ min: 64 * K, max: K ** 4 })(v)),
  'write-window-max': (v, c) => (c.server.maxWriteWindowEntries = count({ min: K, max: K ** 3, off: true })(v)),
  'write-window-age': (v, c) => (c.server.writeWindowAgeMs = duration('s', { min: 1000, max: DAY_MS })(v)),
  'metrics-port': (v, c) => (c.server.metricsPort = integer(0, 65535)(v)),
  'slowlog-threshold-ms': (v, c) => (c.server.slowLogThresholdMs = integer(0, MAX_TIMER_MS)(v)),
  'slowlog-max-entries': (v, c) => (c.server.slowLogMaxEntries = integer(1, 100_000)(v)),
}

// TLS on both listeners (docs/security.md).
const TLS: Record<string, Apply<DaemonConfig>> = {
  'cert-file': (v, c) => (tlsOf(c).certFile = filePath(v)),
  'key-file': (v, c) => (tlsOf(c).keyFile = filePath(v)),
  'ca-file': (v, c) => (tlsOf(c).caFile = filePath(v)),
  'authenticate-client': (v, c) => (tlsOf(c).authenticateClient = bool(v)),
}

// Users and roles (docs/security.md). admin-password is a secret: a file that holds it must not be world-readable.
const SECURITY: Record<string, Apply<DaemonConfig>> = {
  'enable-security': (v, c) => (securityOf(c).enabled = bool(v)),
  'admin-user': (v, c) => (securityOf(c).adminUser = oneValue(v)),
  'admin-password': (v, c) => (securityOf(c).adminPassword = oneValue(v)),
  'session-ttl': (v, c) => (securityOf(c).sessionTtlSec = integer(60, 864_000)(v)),
}

/** Settings whose values are secrets: `info` never shows them, and their file must be private. */
export const SECRET_SETTINGS: ReadonlySet<string> = new Set(['admin-password'])

function securityOf(c: DaemonConfig): NonNullable<ServerOptions['security']> {
  return (c.server.security ??= { enabled: false })
}

function oneValue(values: string[]): string {
  if (values.length !== 1 || values[0] === '') throw new Error('expected one value without spaces')
  return values[0]!
}

function tlsOf(c: DaemonConfig): NonNullable<ServerOptions['tls']> {
  return (c.server.tls ??= { certFile: '', keyFile: '' })
}

// The cluster block (docs/cluster.md): name, etcd and node-id, and the peer secret's file (required with security).
type ClusterSettings = { name?: string; etcd?: string[]; nodeId?: string; peerSecretFile?: string }
const clusterName = (what: string) => (v: string[]): string => {
  if (v.length !== 1 || !NAME_PATTERN.test(v[0]!)) throw new Error(`${what} must be 1 to 32 letters, digits, - or _`)
  return v[0]!
}
const CLUSTER: Record<string, Apply<ClusterSettings>> = {
  name: (v, c) => (c.name = clusterName('the cluster name')(v)),
  'node-id': (v, c) => (c.nodeId = clusterName('node-id')(v)),
  etcd: (v, c) => (c.etcd = v.flatMap((u) => u.split(',')).filter((u) => u !== '')),
  'peer-secret-file': (v, c) => (c.peerSecretFile = filePath(v)),
}

const NETWORK_SERVICE: Record<string, Apply<DaemonConfig>> = {
  address: (v, c) => (c.server.host = host(v)),
  port: (v, c) => (c.server.port = integer(0, 65535)(v)),
}

// Settings about memory use; allowed in the namespace or in its storage-engine block.
const MEMORY: Record<string, Apply<Namespace>> = {
  'data-size': (v, ns) => (ns.dataSizeBytes = size({ min: 0, max: 16 * K ** 4 })(v)),
  'stop-writes-used-pct': (v, ns) => (ns.stopWritesUsedPct = integer(1, 100)(v)),
  'evict-used-pct': (v, ns) => (ns.evictUsedPct = integer(0, 100)(v)),
}

const NAMESPACE: Record<string, Apply<Namespace>> = {
  'default-ttl': (v, ns) => (ns.defaultTtlSec = seconds({ min: 0, max: TEN_YEARS_MS })(v)),
  'nsup-period': (v, ns) => (ns.nsupPeriodMs = duration('s', PERIOD(100))(v)),
  'max-record-size': (v, ns) => (ns.maxRecordBytes = size({ min: K, max: 8 * K ** 2 })(v)),
  ...MEMORY,
}

const DEVICE: Record<string, Apply<Namespace>> = {
  'commit-to-device': (v, ns) => (ns.commitToDevice = bool(v)),
  'flush-ms': (v, ns) => (ns.flushMs = integer(1, 3_600_000)(v)),
  ...MEMORY,
}

// Aerospike settings a config copied from Aerospike may hold, with the Tally setting to use where one exists.
const AEROSPIKE: Record<string, string> = {
  'replication-factor': 'Tally runs as a single node',
  'memory-size': "use 'data-size'",
  'high-water-memory-pct': "use 'evict-used-pct'",
  'high-water-disk-pct': "use 'evict-used-pct'",
  'stop-writes-pct': "use 'stop-writes-used-pct'",
  'allow-ttl-without-nsup': 'Tally always accepts TTLs',
  'flush-max-ms': "use 'flush-ms'",
  'work-directory': "use 'data-dir' in the service block",
  file: "Tally keeps a log in 'data-dir' (service block)",
  device: "Tally keeps a log in 'data-dir' (service block)",
  filesize: 'Tally files grow as needed',
  'data-in-memory': 'Tally always keeps data in memory',
  'write-block-size': '', 'defrag-lwm-pct': '', 'post-write-queue': '', 'scheduler-mode': '', compression: '',
  'strong-consistency': '', 'conflict-resolution-policy': '', 'nsup-hist-period': '', 'index-type': '', 'sindex-type': '',
  'partition-tree-sprigs': '', 'enable-benchmarks-read': '', 'enable-benchmarks-write': '', 'single-bin': '',
  user: '', group: '', 'paxos-single-replica-limit': '', 'service-threads': '', 'transaction-queues': '',
  'transaction-threads-per-queue': '', 'migrate-threads': '', 'node-id': '', 'node-id-interface': '', 'cluster-name': '',
  'feature-key-file': '', 'proto-slow-netio-sleep-ms': '', 'access-address': '', 'alternate-access-address': '',
  heartbeat: 'Tally runs as a single node', fabric: 'Tally runs as a single node', info: "use 'tally info' over the service port",
  xdr: '', cluster: 'Tally runs as a single node', 'mod-lua': '', set: '', 'storage-engine pmem': '',
}

/** A config that says nothing: every setting at its default. */
export function emptyConfig(): DaemonConfig {
  return { server: { namespaces: [] }, logging: {} }
}

const FLAG_TABLES = { service: SERVICE, tls: TLS, security: SECURITY, 'network service': NETWORK_SERVICE, namespace: NAMESPACE, 'storage-engine device': DEVICE }
type FlagContext = keyof typeof FLAG_TABLES
type Target<C extends FlagContext> = C extends 'service' | 'tls' | 'security' | 'network service' ? DaemonConfig : Namespace

/**
 * The rule of a config-file setting, for the command-line flag that stands for it: the same values pass, with the
 * same messages. `read` takes the value from what the setting set.
 */
export function ruleOf<C extends FlagContext, T>(context: C, name: string, read: (target: Target<C>) => T): (values: string[]) => T {
  const table = FLAG_TABLES[context] as Record<string, Apply<Target<C>>>
  if (!Object.hasOwn(table, name)) throw new Error(`no setting '${name}' in ${context}`)
  return (values) => {
    const target = (context === 'service' || context === 'tls' || context === 'security' || context === 'network service' ? emptyConfig() : {}) as Target<C>
    table[name]!(values, target)
    return read(target)
  }
}

/** Reads and checks a config file. Throws ConfigError naming the file and line of the first problem. */
export function loadConfig(file: string): DaemonConfig {
  let source: string
  try {
    source = fs.readFileSync(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const problem = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a directory' : `cannot be read: ${describeSystemError(err)}`
    throw new Error(`the config file ${file} ${problem}; give --config the path of a config file (an example: packaging/tally.conf)`)
  }
  const config = interpretConfig(parseConfig(source, file), file)
  if (config.server.security?.adminPassword !== undefined) refuseIfWorldReadable(file)
  return config
}

// A secret in a file anyone on the machine can read is no secret: the start is refused until it is private.
function refuseIfWorldReadable(file: string): void {
  const mode = fs.statSync(file).mode
  if ((mode & 0o004) !== 0)
    throw new Error(`the config file ${file} holds admin-password and anyone can read it (mode ${(mode & 0o777).toString(8)}): chmod o-r ${file}, or give the password in TALLY_ADMIN_PASSWORD instead`)
}

/** Turns a parsed file into options. */
export function interpretConfig(root: Block, file: string): DaemonConfig {
  const config = emptyConfig()
  const fail = (node: Setting | Block, problem: string): never => {
    throw new ConfigError(file, node.line, problem)
  }
  const unknown = (node: Setting | Block, context: string): never => {
    const name = node.kind === 'block' && node.name === 'storage-engine' ? `storage-engine ${node.args[0]}` : node.name
    if (Object.hasOwn(AEROSPIKE, name)) {
      const hint = AEROSPIKE[name]
      return fail(node, `'${name}' is an Aerospike setting Tally does not support${hint ? `: ${hint}` : ''}`)
    }
    return fail(node, `unknown setting '${name}' in ${context}`)
  }
  // Applies each setting of `block` from `table`; blocks inside go to `onBlock`.
  const settings = <T>(block: Block, context: string, table: Record<string, Apply<T>>, target: T, onBlock?: (b: Block) => void): void => {
    const seen = new Map<string, number>()
    for (const node of block.children) {
      if (node.kind === 'block') {
        if (onBlock === undefined) unknown(node, context)
        else onBlock(node)
        continue
      }
      const apply = Object.hasOwn(table, node.name) ? table[node.name] : undefined
      if (apply === undefined) unknown(node, context)
      if (seen.has(node.name)) fail(node, `'${node.name}' is set twice in ${context} (first at line ${seen.get(node.name)})`)
      seen.set(node.name, node.line)
      try {
        apply!(node.values, target)
      } catch (err) {
        fail(node, `${node.name}: ${(err as Error).message}`)
      }
    }
  }
  const names = new Set<string>()
  for (const node of root.children) {
    if (node.kind === 'setting') unknown(node, 'the top level')
    const block = node as Block
    switch (block.name) {
      case 'service':
        settings(block, 'service', SERVICE, config)
        break
      case 'network':
        settings(block, 'network', {}, config, (inner) => {
          if (inner.name !== 'service') unknown(inner, 'network')
          settings(inner, 'network service', NETWORK_SERVICE, config)
        })
        break
      case 'tls':
        settings(block, 'tls', TLS, config)
        if (!config.server.tls?.certFile || !config.server.tls.keyFile) fail(block, 'tls needs a cert-file and a key-file')
        break
      case 'security':
        settings(block, 'security', SECURITY, config)
        break
      case 'logging':
        settings(block, 'logging', {}, config, (inner) => logging(inner, config, fail, unknown))
        break
      case 'cluster': {
        const cluster: ClusterSettings = {}
        settings(block, 'cluster', CLUSTER, cluster)
        if (cluster.name === undefined || cluster.nodeId === undefined || cluster.etcd === undefined || cluster.etcd.length === 0)
          fail(block, 'the cluster block needs name, etcd and node-id')
        config.server.cluster = { name: cluster.name!, etcd: cluster.etcd!, nodeId: cluster.nodeId! }
        if (cluster.peerSecretFile !== undefined) config.server.cluster.peerSecretFile = cluster.peerSecretFile
        break
      }
      case 'namespace': {
        const name = block.args[0]
        if (name === undefined || block.args.length > 1 || !/^[A-Za-z0-9_-]{1,31}$/.test(name))
          fail(block, 'a namespace needs one name of up to 31 letters, digits, - or _')
        if (names.has(name!)) fail(block, `namespace '${name}' is defined twice`)
        names.add(name!)
        config.server.namespaces.push(namespace(block, name!, settings, fail, unknown))
        break
      }
      default:
        unknown(block, 'the top level')
    }
  }
  return config
}

type Settings = <T>(block: Block, context: string, table: Record<string, Apply<T>>, target: T, onBlock?: (b: Block) => void) => void
type Fail = (node: Setting | Block, problem: string) => never

function namespace(block: Block, name: string, settings: Settings, fail: Fail, unknown: (node: Block, context: string) => never): Namespace {
  const ns: Namespace = { name }
  let engine: Block | undefined
  settings(block, `namespace ${name}`, NAMESPACE, ns, (inner) => {
    if (inner.name !== 'storage-engine') unknown(inner, `namespace ${name}`)
    if (engine !== undefined) fail(inner, `namespace ${name} has a second storage-engine (first at line ${engine.line})`)
    engine = inner
    const kind = inner.args[0]
    if (kind === 'memory') {
      ns.storage = 'memory'
      settings(inner, 'storage-engine memory', MEMORY, ns)
    } else if (kind === 'device') {
      ns.storage = 'disk'
      settings(inner, 'storage-engine device', DEVICE, ns)
    } else {
      unknown(inner, `namespace ${name} (storage-engine is memory or device)`)
    }
  })
  // Checked on the values in force: a setting left out has its default.
  const evict = ns.evictUsedPct ?? DEFAULT_NAMESPACE.evictUsedPct
  const stop = ns.stopWritesUsedPct ?? DEFAULT_NAMESPACE.stopWritesUsedPct
  if (evict > 0 && evict >= stop)
    fail(block, `namespace ${name}: evict-used-pct (${evict}) must be below stop-writes-used-pct (${stop}${ns.stopWritesUsedPct === undefined ? ', the default' : ''})`)
  if ((ns.evictUsedPct !== undefined || ns.stopWritesUsedPct !== undefined) && !ns.dataSizeBytes)
    fail(block, `namespace ${name}: evict-used-pct and stop-writes-used-pct need a data-size`)
  return ns
}

function logging(block: Block, config: DaemonConfig, fail: Fail, unknown: (node: Block, context: string) => never): void {
  if (block.name !== 'console' && block.name !== 'file') unknown(block, 'logging')
  if (block.name === 'file' && block.args.length !== 1) fail(block, 'a log file block needs its path: file /var/log/tally.log { ... }')
  let level: LogLevel = 'info'
  for (const node of block.children) {
    if (node.kind === 'block' || node.name !== 'context') fail(node, `logging ${block.name} takes 'context any LEVEL'`)
    const [context, ...name] = (node as Setting).values
    try {
      if (context !== 'any') throw new Error(`the context is '${context ?? ''}'`)
      level = logLevel(name)
    } catch (err) {
      fail(node, `expected 'context any LEVEL' (Tally logs every context alike): ${(err as Error).message}`)
    }
  }
  if (block.name === 'console') config.logging.console = level
  else config.logging.file = { path: block.args[0]!, level }
}

// Exported for the reference page and tests: every setting Tally knows, by context.
export const KNOWN_SETTINGS = {
  service: Object.keys(SERVICE),
  tls: Object.keys(TLS),
  security: Object.keys(SECURITY),
  'network service': Object.keys(NETWORK_SERVICE),
  namespace: Object.keys(NAMESPACE),
  'storage-engine memory': Object.keys(MEMORY),
  'storage-engine device': Object.keys(DEVICE),
}

