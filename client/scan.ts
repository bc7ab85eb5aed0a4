// client.scan(): a namespace's or a set's records as an async iterator, streamed partition by partition (PROTOCOL.md
// §4.11). The server sends a few frames ahead of what has been read and no more: each frame taken off the queue
// grants it one more, so a caller that stops reading holds at most `framesAhead` frames here and stops the server.
import { PARTITIONS } from '../protocol/digest.js'
import { checkPartitions } from '../protocol/partitions.js'
import { TallyError } from '../protocol/errors.js'
import type { ScanSpec } from '../protocol/messages.js'
import { readScanFrame, SCAN_LIMITS, writeScanMore, writeScanRequest, type ScanFrame, type ScanRecordData } from '../protocol/scan-codec.js'
import { CLIENT_STATUS } from '../protocol/status.js'
import { FLOATS } from '../protocol/msgpack-format.js'
import { MsgpackReader } from '../protocol/msgpack-reader.js'
import { Key, type Bins, type Value } from '../protocol/types.js'
import { binsFromList, setBinProperty, type TallyRecord } from './calls.js'
import type { FrameWriter } from '../protocol/msgpack-writer.js'
import type { Call, Connection } from './connection.js'

/** Partitions `begin` to `begin + count - 1`. */
export interface PartitionRange {
  begin: number
  count: number
}

/** What a scan reads and how fast. */
export interface ScanOptions {
  /** Bins to read (missing ones are left out); all when omitted, none (metadata only) when empty. */
  bins?: string[]
  /** Most records per second the server sends; 0: no limit. */
  recordsPerSecond?: number
  /** Partitions to scan, as a list of ids (0-4095) or a range; all 4096 when omitted. `scan.partitionsLeft` resumes. */
  partitions?: number[] | PartitionRange
  /** Most records in one answer frame. */
  recordsPerFrame?: number
  /** Frames the server may send ahead of what has been read: what a scan holds in memory is about this many frames. */
  framesAhead?: number
  /**
   * Values exactly as stored, for copying records elsewhere (a backup): every double a `Double` (so 2.0 stays a
   * double), maps as `Map`s (so integer keys stay integers). Otherwise values come as `get` returns them.
   */
  exactValues?: boolean
}

export const DEFAULT_SCAN_OPTIONS = {
  recordsPerSecond: 0,
  recordsPerFrame: 500,
  framesAhead: 4,
} as const

/** A record as a scan returns it: its key (with the user key when one is stored, and the digest), bins and meta. */
export type ScanRecord = TallyRecord

/** Gets a connection for the scan (the client's pool). */
export type ConnectionSource = () => Promise<Connection>

/**
 * A scan of a namespace or a set, iterated once with `for await`. Records come partition by partition; each record
 * is returned once, unless it is deleted and written again while the scan runs. Leaving the loop early stops the
 * scan on the server. After a failure (a lost connection, say), `partitionsLeft` names what to scan again: the
 * partitions not done, some of whose records may already have been returned.
 */
export class Scan implements AsyncIterable<ScanRecord> {
  readonly namespace: string
  readonly set: string | null
  readonly #spec: ScanSpec
  readonly #connect: ConnectionSource
  readonly #done = new Set<number>()
  readonly #exact: boolean
  #started = false

  /** @internal Use `client.scan()`. */
  constructor(connect: ConnectionSource, namespace: string, set: string | null, options: ScanOptions) {
    this.namespace = namespace
    this.set = set
    this.#connect = connect
    this.#spec = toSpec(namespace, set, options)
    this.#exact = options.exactValues === true
  }

  /** Partitions whose every record has been returned, in the order they were finished. */
  get partitionsDone(): number[] {
    return [...this.#done]
  }

  /** Partitions asked for and not yet done: `client.scan(ns, set, { partitions: scan.partitionsLeft })` resumes. */
  get partitionsLeft(): number[] {
    const asked = this.#spec.partitions ?? Array.from({ length: PARTITIONS }, (_, p) => p)
    return asked.filter((p) => !this.#done.has(p))
  }

  [Symbol.asyncIterator](): AsyncIterator<ScanRecord> {
    if (this.#started) throw new TallyError(CLIENT_STATUS.CLIENT_ERROR, 'a scan is iterated once; start another for another pass')
    this.#started = true
    return this.#run()
  }

  async *#run(): AsyncGenerator<ScanRecord> {
    const connection = await this.#connect()
    const stream = new ScanStream(this.#spec, this.#exact)
    const answered = connection.request(stream, Infinity).then(
      () => stream.end(undefined),
      (err: TallyError) => stream.end(err),
    )
    try {
      for (let frame = await stream.next(); frame !== undefined; frame = await stream.next()) {
        if (!frame.done) connection.post((w) => writeScanMore(w, stream.id, 1))
        for (const record of frame.records) yield this.#record(record)
        for (const p of frame.partitionsDone) this.#done.add(p)
      }
    } finally {
      if (!stream.ended) connection.post((w) => writeScanMore(w, stream.id, 0)) // left early: the server stops
      await answered
    }
  }

  #record(data: ScanRecordData): ScanRecord {
    const key = new Key(this.namespace, data.set || null, data.userKey, data.digest)
    return { key, bins: this.#exact ? exactBins(data.bins) : binsFromList(data.bins), gen: data.gen, ttl: data.ttl }
  }
}

// The request and its frames as the connection sees them; frames queue here until the iterator takes them.
class ScanStream implements Call {
  readonly isWrite = false
  resolve: (result: unknown) => void = noop
  reject: (err: TallyError) => void = noop
  deadline = Infinity
  id = 0
  ended = false
  readonly #spec: ScanSpec
  // With exact values, frames are read again by a reader of their own: the connection's turns nested doubles into
  // numbers and maps into objects, as the rest of the API returns them.
  readonly #exactReader: MsgpackReader | undefined
  readonly #frames: ScanFrame[] = []
  #failure: TallyError | undefined
  #wake: (() => void) | undefined

  constructor(spec: ScanSpec, exact: boolean) {
    this.#spec = spec
    this.#exactReader = exact ? new MsgpackReader({ mapsAsObjects: false, floats: FLOATS.DOUBLES }) : undefined
  }

  encode(w: FrameWriter, id: number): void {
    this.id = id
    writeScanRequest(w, id, this.#spec)
  }

  decode(): unknown {
    return undefined
  }

  onFrame(r: MsgpackReader, fields: number): boolean {
    const frame = readScanFrame(this.#exactReader?.reset(r.buf, r.pos, r.end) ?? r, fields)
    this.#frames.push(frame)
    this.#wakeUp()
    return frame.done
  }

  /** The call is settled: by its last frame, or by `err`. */
  end(err: TallyError | undefined): void {
    this.ended = true
    this.#failure = err
    this.#wakeUp()
  }

  /** The next frame; undefined after the last; throws the scan's failure. */
  async next(): Promise<ScanFrame | undefined> {
    for (;;) {
      const frame = this.#frames.shift()
      if (frame !== undefined) return frame
      if (this.#failure !== undefined) throw this.#failure
      if (this.ended) return undefined
      await new Promise<void>((resolve) => (this.#wake = resolve))
    }
  }

  #wakeUp(): void {
    const wake = this.#wake
    this.#wake = undefined
    wake?.()
  }
}

function noop(): void {}

// Flat bins as an object, values untouched.
function exactBins(list: unknown[]): Bins {
  const bins: Bins = {}
  for (let i = 0; i < list.length; i += 2) setBinProperty(bins, String(list[i]), list[i + 1] as Value)
  return bins
}

function param(message: string): TallyError {
  return new TallyError(CLIENT_STATUS.PARAMETER, message)
}

function intOption(value: number | undefined, fallback: number, min: number, max: number, name: string): number {
  const v = value ?? fallback
  if (!(Number.isInteger(v) && v >= min && v <= max)) throw param(`${name} must be an integer from ${min} to ${max}`)
  return v
}

/** Checks a scan's options once, at the edge, and puts them in their wire form. */
function toSpec(ns: string, set: string | null, options: ScanOptions): ScanSpec {
  if (typeof ns !== 'string' || ns.length === 0) throw param('scan: namespace must be a non-empty string')
  if (set !== null && typeof set !== 'string') throw param('scan: set must be a string, or null for the whole namespace')
  if (typeof options !== 'object' || options === null) throw param('scan: options must be an object')
  const { bins } = options
  if (bins !== undefined && !(Array.isArray(bins) && bins.every((b) => typeof b === 'string'))) throw param('scan: bins must be an array of strings')
  const d = DEFAULT_SCAN_OPTIONS
  return {
    ns,
    set,
    binNames: bins ?? null,
    partitions: partitionList(options.partitions),
    recordsPerSecond: intOption(options.recordsPerSecond, d.recordsPerSecond, 0, SCAN_LIMITS.maxRecordsPerSecond, 'scan: recordsPerSecond'),
    framesAhead: intOption(options.framesAhead, d.framesAhead, 1, SCAN_LIMITS.maxFramesAhead, 'scan: framesAhead'),
    recordsPerFrame: intOption(options.recordsPerFrame, d.recordsPerFrame, 1, SCAN_LIMITS.maxRecordsPerFrame, 'scan: recordsPerFrame'),
  }
}

function partitionList(partitions: ScanOptions['partitions']): number[] | null {
  if (partitions === undefined) return null
  if (Array.isArray(partitions)) return [...checkPartitions(partitions, 'scan', CLIENT_STATUS.PARAMETER)]
  const { begin, count } = partitions ?? {}
  if (!(Number.isInteger(begin) && Number.isInteger(count) && begin >= 0 && count >= 0 && begin + count <= PARTITIONS))
    throw param(`scan: a partition range is { begin, count } within 0 to ${PARTITIONS - 1}`)
  return Array.from({ length: count }, (_, i) => begin + i)
}
