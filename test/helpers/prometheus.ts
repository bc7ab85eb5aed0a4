// A strict reader of Prometheus' text exposition format (version 0.0.4), for tests of GET /metrics: it throws at the
// first line a Prometheus server would reject or misread, and checks what a scrape relies on beyond syntax: one TYPE
// per family before its samples, families not interleaved, no series twice, counters not negative, histogram
// buckets cumulative and ending at +Inf with the count.

export interface PromSample {
  name: string
  labels: Record<string, string>
  value: number
}

export interface PromFamily {
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped'
  help: string | undefined
  samples: PromSample[]
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped'])

/** Families by name. Throws `line N: what is wrong`. */
export function parsePrometheus(text: string): Map<string, PromFamily> {
  const families = new Map<string, PromFamily>()
  const series = new Set<string>()
  const closed = new Set<string>() // families whose samples have ended
  let current: string | undefined
  if (!text.endsWith('\n')) throw new Error('the text does not end with a newline')
  text.slice(0, -1).split('\n').forEach((line, i) => {
    const fail = (what: string): never => {
      throw new Error(`line ${i + 1}: ${what}: ${JSON.stringify(line)}`)
    }
    if (line.trim() === '') return
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line)
    if (meta !== null) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string]
      if (!NAME.test(name)) fail('bad metric name')
      const family = families.get(name) ?? { type: 'untyped', help: undefined, samples: [] }
      if (family.samples.length > 0) fail(`${kind} after samples of ${name}`)
      if (kind === 'TYPE') {
        if (!TYPES.has(rest)) fail('unknown type')
        if (families.has(name) && family.type !== 'untyped') fail('a second TYPE')
        family.type = rest as PromFamily['type']
      } else {
        if (family.help !== undefined) fail('a second HELP')
        family.help = rest
      }
      families.set(name, family)
      return
    }
    if (line.startsWith('#')) return
    const sample = parseSample(line, fail)
    const familyName = familyOf(sample.name, families)
    const family = families.get(familyName) ?? fail(`no TYPE before the first sample of ${familyName}`)
    if (current !== familyName) {
      if (closed.has(familyName)) fail(`samples of ${familyName} are not together`)
      if (current !== undefined) closed.add(current)
      current = familyName
    }
    const key = `${sample.name}{${Object.entries(sample.labels).sort().map(([k, v]) => `${k}=${v}`).join(',')}}`
    if (series.has(key)) fail('the same series twice')
    series.add(key)
    if (family.type === 'counter' && !(sample.value >= 0)) fail('a counter below 0')
    family.samples.push(sample)
  })
  for (const [name, family] of families) if (family.type === 'histogram') checkHistogram(name, family)
  return families
}

function parseSample(line: string, fail: (what: string) => never): PromSample {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)( -?\d+)?$/.exec(line) ?? fail('not a sample')
  const labels: Record<string, string> = {}
  let rest = m[2] === undefined ? '' : m[2].slice(1, -1)
  while (rest !== '') {
    const label = /^([^=]*)="((?:[^"\\]|\\[\\"n])*)"(,|$)/.exec(rest) ?? fail('bad labels')
    if (!LABEL.test(label[1]!)) fail(`bad label name ${label[1]}`)
    if (Object.hasOwn(labels, label[1]!)) fail(`label ${label[1]} twice`)
    labels[label[1]!] = label[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c))
    rest = rest.slice(label[0].length)
  }
  const text = m[3]!
  const value = text === '+Inf' ? Infinity : text === '-Inf' ? -Infinity : text === 'NaN' ? NaN : Number(text)
  if (!/^[-+]?(\d+\.?\d*([eE][-+]?\d+)?|\.\d+([eE][-+]?\d+)?|Inf|NaN)$/.test(text)) fail('bad value')
  return { name: m[1]!, labels, value }
}

// A histogram's samples are NAME_bucket, NAME_sum and NAME_count.
function familyOf(sample: string, families: Map<string, PromFamily>): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    const base = sample.slice(0, -suffix.length)
    if (sample.endsWith(suffix) && families.get(base)?.type === 'histogram') return base
  }
  return sample
}

function checkHistogram(name: string, family: PromFamily): void {
  const groups = new Map<string, PromSample[]>()
  for (const s of family.samples) {
    const { le, ...rest } = s.labels
    const key = JSON.stringify(rest)
    if (!groups.has(key)) groups.set(key, [])
    groups.get(key)!.push(s)
    if (s.name === `${name}_bucket` && le === undefined) throw new Error(`${name}: a bucket without le`)
  }
  for (const [labels, samples] of groups) {
    const buckets = samples.filter((s) => s.name === `${name}_bucket`)
    const count = samples.find((s) => s.name === `${name}_count`)
    if (samples.find((s) => s.name === `${name}_sum`) === undefined || count === undefined) throw new Error(`${name}${labels}: no _sum or _count`)
    const bounds = buckets.map((b) => (b.labels.le === '+Inf' ? Infinity : Number(b.labels.le)))
    if (bounds.at(-1) !== Infinity) throw new Error(`${name}${labels}: the last bucket is not +Inf`)
    for (let i = 1; i < buckets.length; i++) {
      if (!(bounds[i]! > bounds[i - 1]!)) throw new Error(`${name}${labels}: bucket bounds not increasing`)
      if (buckets[i]!.value < buckets[i - 1]!.value) throw new Error(`${name}${labels}: bucket counts not cumulative`)
    }
    if (buckets.at(-1)!.value !== count.value) throw new Error(`${name}${labels}: the +Inf bucket is not the count`)
  }
}

/** The value of the one sample of `family` whose labels include `labels`; throws if there is not exactly one. */
export function sampleValue(families: Map<string, PromFamily>, name: string, labels: Record<string, string> = {}, family = name): number {
  const matches = (families.get(family)?.samples ?? []).filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
  if (matches.length !== 1) throw new Error(`${matches.length} samples of ${name} ${JSON.stringify(labels)}`)
  return matches[0]!.value
}
