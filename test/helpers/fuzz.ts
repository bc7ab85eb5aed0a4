// Fuzzed requests: a valid request of every kind, with one field somewhere in it (the id, the op code, a key
// field, a flag, an op of a list, a batch item, an info command, ...) replaced, dropped or added, from a seeded
// generator so that a failure can be replayed.
import { computeDigest } from '../../protocol/digest.js'
import { BIN_OP, OP } from '../../protocol/messages.js'
import { Double } from '../../protocol/types.js'

/** A seeded generator of numbers in [0, 1) (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = Math.imul(a ^ (a >>> 15), 1 | a)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

const digest = computeDigest('fuzz', 'k')
/** The client id of the write tokens in fuzzed requests. */
const CLIENT = Buffer.from('f022c11e00000001', 'hex')
const other = computeDigest('fuzz', 'j')

let deep: unknown = 1
for (let i = 0; i < 40; i++) deep = [deep]

/** Values that are wrong somewhere: every msgpack type, edges of every integer width, odd strings and shapes. */
const ODD_VALUES: readonly unknown[] = [
  null, true, false, 0, 1, -1, 7, 255, 256, 65535, 65536, 2 ** 31, 2 ** 32 - 1, 2 ** 32, -(2 ** 31), 5e9, 2 ** 53, 1.5,
  -0.5, NaN, Infinity, -Infinity, 2n ** 63n - 1n, 2n ** 63n, -(2n ** 63n), 2n ** 64n - 1n, '', 'x', 'test', 'fuzz',
  'a'.repeat(16), 'é', '__proto__', 'constructor', 'toString', 'x'.repeat(3000), digest, Buffer.alloc(0), Buffer.alloc(19),
  Buffer.alloc(21), Buffer.alloc(3000, 1), new Double(2), new Double(NaN), [], [1], [[]], {}, { a: 1 }, new Map([[1, 2]]),
  new Map<unknown, unknown>([[[1], {}]]), new Date(0), deep, ['n', 1], [[BIN_OP.READ, 'n'], [BIN_OP.INCR, 'n', 1]],
  'namespace/test', 'namespace/__proto__', 'sets/fuzz', 'get-config:context=namespace;id=constructor', 'latencies:x',
]

const OPS: readonly unknown[][] = [
  [BIN_OP.READ, 'n'],
  [BIN_OP.WRITE, 'n', 5],
  [BIN_OP.INCR, 'n', 1],
  [BIN_OP.INCR, 'n', 1, 10],
  [BIN_OP.APPEND, 's', 'x'],
  [BIN_OP.PREPEND, 's', 'y'],
  [BIN_OP.TOUCH, ''],
  [BIN_OP.DELETE, ''],
]

/** A well-formed request of each kind (PROTOCOL.md §3-§4), with id 1. */
export function requestTemplates(random: () => number): unknown[][] {
  const op = (): unknown[] => OPS[Math.floor(random() * OPS.length)]!
  const head = (code: number): unknown[] => [1, code, 'test', 'fuzz', digest, null, null, 0, 0]
  const token = (): unknown[] => [CLIENT, 1 + Math.floor(random() * 1000), random() < 0.5]
  return [
    [...head(OP.PUT), ['n', 1, 's', 'x']],
    [...head(OP.GET), null],
    [...head(OP.GET), ['n']],
    [1, OP.EXISTS, 'test', 'fuzz', digest, 'k', 60, 0, 0],
    head(OP.REMOVE),
    [1, OP.TOUCH, 'test', 'fuzz', digest, null, 60, 0, 0],
    [...head(OP.INCREMENT), 'n', 1, null],
    [...head(OP.OPERATE), [op(), op()]],
    [1, OP.BATCH_GET, [['test', 'fuzz', digest, null], ['test', null, other]], null],
    [1, OP.INFO, ['status', 'namespace/test', 'sets/test', 'statistics', 'get-config', 'latencies']],
    [1, OP.BATCH_OPERATE, [['test', 'fuzz', digest, null, null, 0, 0, [op()]], ['test', 'fuzz', other, null, 60, 0, 0x40, [op()]]]],
    [...head(OP.PUT), ['n', 1], token()],
    [...head(OP.REMOVE), token()],
    [...head(OP.INCREMENT), 'n', 1, null, token()],
    [...head(OP.OPERATE), [op(), op()], token()],
    [1, OP.BATCH_OPERATE, [['test', 'fuzz', digest, null, null, 0, 0, [op()]]], token()],
  ]
}

/** A random odd value, now and then a list or map of them. */
export function oddValue(random: () => number): unknown {
  const r = random()
  if (r < 0.1) return Array.from({ length: Math.floor(random() * 5) }, () => oddValue(random))
  if (r < 0.15) return new Map([[oddValue(random), oddValue(random)]])
  return ODD_VALUES[Math.floor(random() * ODD_VALUES.length)]
}

/** `message` with one field, at any depth, replaced by an odd value, or a list cut short or made longer. */
export function mutate(message: unknown, random: () => number, depth = 0): unknown {
  if (!Array.isArray(message) || depth > 3) return oddValue(random)
  const copy = message.slice()
  const r = random()
  if (r < 0.1 && copy.length > 0) copy.length = Math.floor(random() * copy.length)
  else if (r < 0.2) copy.push(oddValue(random))
  else {
    const at = Math.floor(random() * Math.max(1, copy.length))
    copy[at] = random() < 0.5 ? oddValue(random) : mutate(copy[at], random, depth + 1)
  }
  return copy
}

/** A fuzzed request: a template of a random kind, mutated once or more. */
export function fuzzedRequest(random: () => number): unknown[] {
  const templates = requestTemplates(random)
  let message = templates[Math.floor(random() * templates.length)] as unknown
  const mutations = 1 + Math.floor(random() * 3)
  for (let i = 0; i < mutations; i++) message = mutate(message, random)
  return message as unknown[]
}
