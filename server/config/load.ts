// What the config file means: every setting Tally knows, where it may appear, and how it maps onto server options.
// An unknown or invalid setting stops startup with `file:line: what is wrong`; an Aerospike setting Tally does not
// support is named as such, with the Tally setting to use where there is one.
import fs from 'node:fs'
import type { LogLevel } from '../log.js'
import type { ServerOptions } from '../server.js'
import type { NamespaceConfig } from '../store/namespace.js'
import { ConfigError, parseConfig, type Block, type Setting } from './parse.js'
import { bool, duration, integer, size, text } from './values.js'

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

const MAX_TTL_MS = 315_360_000_000

const SERVICE: Record<string, Apply<DaemonConfig>> = {
  pidfile: (v, c) => (c.pidfile = text(v)),
  'data-dir': (v, c) => (c.server.dataDir = text(v)),
  'proto-fd-max': (v, c) => (c.server.maxConnections = integer(1, 1_000_000)(v)),
  'proto-fd-idle-ms': (v, c) => (c.server.idleTimeoutMs = integer(0, 2 ** 31 - 1)(v)),
  'in-flight-max': (v, c) => (c.server.maxInFlight = integer(1, 1_000_000)(v)),
  'answer-buffer-max': (v, c) => (c.server.maxAnswerBufferBytes = rangeCheck(size(v), 64 * 1024, 1024 ** 3, 'between 64K and 1G')),
  'answer-buffer-total-max': (v, c) => (c.server.maxTotalAnswerBufferBytes = rangeCheck(size(v), 1024 ** 2, 1024 ** 4, 'between 1M and 1T')),
  'frame-buffer-total-max': (v, c) => (c.server.maxTotalFrameBufferBytes = rangeCheck(size(v), 1024 ** 2, 1024 ** 4, 'between 1M and 1T')),
  'frame-timeout-ms': (v, c) => (c.server.frameTimeoutMs = integer(0, 2 ** 31 - 1)(v)),
  'batch-max-requests': (v, c) => (c.server.maxBatchKeys = integer(1, 100_000)(v)),
  'max-frame-size': (v, c) => (c.server.maxFrameBytes = rangeCheck(size(v), 64 * 1024, 1024 ** 3, 'between 64K and 1G')),
  'ticker-interval': (v, c) => (c.tickerIntervalMs = duration('s')(v)),
  'segment-size': (v, c) => (c.server.segmentBytes = rangeCheck(size(v), 64 * 1024, 16 * 1024 ** 3, 'between 64K and 16G')),
  'snapshot-log-size': (v, c) => (c.server.snapshotLogBytes = rangeCheck(size(v), 64 * 1024, 1024 ** 4, 'between 64K and 1T')),
}

const NETWORK_SERVICE: Record<string, Apply<DaemonConfig>> = {
  address: (v, c) => (c.server.host = text(v) === 'any' ? '0.0.0.0' : text(v)),
  port: (v, c) => (c.server.port = integer(0, 65535)(v)),
}

// Settings about memory use; allowed in the namespace or in its storage-engine block.
const MEMORY: Record<string, Apply<Namespace>> = {
  'data-size': (v, ns) => (ns.dataSizeBytes = size(v)),
  'stop-writes-used-pct': (v, ns) => (ns.stopWritesUsedPct = integer(1, 100)(v)),
  'evict-used-pct': (v, ns) => (ns.evictUsedPct = integer(0, 100)(v)),
}

const NAMESPACE: Record<string, Apply<Namespace>> = {
  'default-ttl': (v, ns) => (ns.defaultTtlSec = rangeCheck(duration('s')(v), 0, MAX_TTL_MS, 'at most 10 years') / 1000),
  'nsup-period': (v, ns) => (ns.nsupPeriodMs = duration('s')(v)),
  'max-record-size': (v, ns) => (ns.maxRecordBytes = rangeCheck(size(v), 1024, 8 * 1024 ** 2, 'between 1K and 8M')),
  ...MEMORY,
}

const DEVICE: Record<string, Apply<Namespace>> = {
  'commit-to-device': (v, ns) => (ns.commitToDevice = bool(v)),
  'flush-ms': (v, ns) => (ns.flushMs = integer(1, 3_600_000)(v)),
  ...MEMORY,
}

const LEVELS: Record<string, LogLevel> = { critical: 'error', warning: 'warn', info: 'info', debug: 'debug', detail: 'debug', error: 'error', warn: 'warn' }

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
  tls: '', xdr: '', cluster: 'Tally runs as a single node', security: '', 'mod-lua': '', set: '', 'storage-engine pmem': '',
}

function rangeCheck(n: number, min: number, max: number, what: string): number {
  if (n < min || n > max) throw new Error(`must be ${what}`)
  return n
}

/** Reads and checks a config file. Throws ConfigError naming the file and line of the first problem. */
export function loadConfig(file: string): DaemonConfig {
  let source: string
  try {
    source = fs.readFileSync(file, 'utf8')
  } catch (err) {
    throw new ConfigError(file, 0, `cannot read the file: ${(err as Error).message}`)
  }
  return interpretConfig(parseConfig(source, file), file)
}

/** Turns a parsed file into options. */
export function interpretConfig(root: Block, file: string): DaemonConfig {
  const config: DaemonConfig = { server: { namespaces: [] }, logging: {} }
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
      const apply = table[node.name]
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
      case 'logging':
        settings(block, 'logging', {}, config, (inner) => logging(inner, config, fail, unknown))
        break
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
  if (ns.evictUsedPct !== undefined && ns.stopWritesUsedPct !== undefined && ns.evictUsedPct > 0 && ns.evictUsedPct >= ns.stopWritesUsedPct)
    fail(block, `namespace ${name}: evict-used-pct (${ns.evictUsedPct}) must be below stop-writes-used-pct (${ns.stopWritesUsedPct})`)
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
    const [context, name] = (node as Setting).values
    if (context !== 'any' || name === undefined || LEVELS[name] === undefined)
      fail(node, `expected 'context any LEVEL' with LEVEL one of ${Object.keys(LEVELS).join(', ')} (Tally logs every context alike)`)
    level = LEVELS[name!]!
  }
  if (block.name === 'console') config.logging.console = level
  else config.logging.file = { path: block.args[0]!, level }
}

// Exported for the reference page and tests: every setting Tally knows, by context.
export const KNOWN_SETTINGS = {
  service: Object.keys(SERVICE),
  'network service': Object.keys(NETWORK_SERVICE),
  namespace: Object.keys(NAMESPACE),
  'storage-engine memory': Object.keys(MEMORY),
  'storage-engine device': Object.keys(DEVICE),
}

