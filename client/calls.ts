// One request of each kind, as the connection sends it: how its fields are written and how its answer is read
// into the result the API returns (PROTOCOL.md §3-§5).
import { OP, type OpCode } from '../protocol/messages.js'
import type { MsgpackReader } from '../protocol/msgpack-reader.js'
import type { FrameWriter } from '../protocol/msgpack-writer.js'
import { writeRecordHeader } from '../protocol/request-codec.js'
import { STATUS } from '../protocol/status.js'
import { TallyError } from '../protocol/errors.js'
import { Double, type Bins, type Key, type RecordMeta, type Value } from '../protocol/types.js'
import type { Call } from './connection.js'
import type { ResolvedPolicy } from './options.js'

/** A record as read: its key, bins, and metadata. */
export interface TallyRecord extends RecordMeta {
  key: Key
  bins: Bins
}

/** How an answer's payload becomes a call's result; the reader stands after `[id, status`. */
export type Decoder<T> = (r: MsgpackReader, fields: number) => T

/** A single-record request: the header from key, meta and policy, then `args`, each written as a value. */
export class RecordCall<T> implements Call {
  resolve: (result: unknown) => void = noop
  reject: (err: TallyError) => void = noop
  deadline = 0

  constructor(
    readonly op: OpCode,
    readonly key: Key,
    readonly ttl: number | null,
    readonly gen: number,
    readonly policy: ResolvedPolicy,
    readonly isWrite: boolean,
    readonly args: unknown[],
    readonly decode: Decoder<T>,
  ) {}

  encode(w: FrameWriter, id: number): void {
    const { key, policy, args } = this
    writeRecordHeader(w, id, this.op, args.length, key.ns, setField(key), key.digest, policy.sendKey ? key.key : null, this.ttl, this.gen, policy.flags)
    for (let i = 0; i < args.length; i++) w.value(args[i])
  }
}

/** A BATCH_GET of `keys`, reading `bins` (null: all). */
export function batchGetCall(keys: Key[], bins: string[] | null, sendKey: boolean): Call {
  return {
    isWrite: false,
    resolve: noop,
    reject: noop,
    deadline: 0,
    encode(w: FrameWriter, id: number): void {
      w.array(4)
      w.number(id)
      w.number(OP.BATCH_GET)
      w.array(keys.length)
      for (const key of keys) {
        w.array(4)
        writeAddress(w, key, sendKey)
      }
      w.value(bins)
    },
    decode(r: MsgpackReader): (TallyRecord | null)[] {
      const count = r.array()
      const records: (TallyRecord | null)[] = []
      for (let i = 0; i < count; i++) {
        const fields = r.array()
        const status = Number(r.int())
        if (status === STATUS.OK) records.push(readRecord(r, keys[i]!))
        else if (status === STATUS.NOT_FOUND) {
          for (let f = 1; f < fields; f++) r.value()
          records.push(null)
        } else {
          throw new TallyError(status, `batch key ${i} (${keys[i]}): ${String(fields > 1 ? r.value() : '')}`)
        }
      }
      return records
    },
  }
}

function noop(): void {}

/** One record's part of a batchOperate, as the client sends it. */
export interface BatchOperateEntry {
  key: Key
  ops: unknown[][]
  ttl: number | null
  gen: number
  sendKey: boolean
  flags: number
}

/** One record's answer in a BATCH_OPERATE: its metadata after the batch, and the values of its read ops. */
export interface BatchOperateAnswer extends RecordMeta {
  results: unknown[]
}

/** A BATCH_OPERATE of `entries`; resolves to one answer per entry. A failure carries the failed entry's `index`. */
export function batchOperateCall(entries: BatchOperateEntry[]): Call {
  return {
    isWrite: true,
    resolve: noop,
    reject: noop,
    deadline: 0,
    encode(w: FrameWriter, id: number): void {
      w.array(3)
      w.number(id)
      w.number(OP.BATCH_OPERATE)
      w.array(entries.length)
      for (const { key, ops, ttl, gen, sendKey, flags } of entries) {
        w.array(8)
        writeAddress(w, key, sendKey)
        w.value(ttl)
        w.number(gen)
        w.number(flags)
        w.value(ops)
      }
    },
    decode(r: MsgpackReader): BatchOperateAnswer[] {
      const count = r.array()
      const out: BatchOperateAnswer[] = []
      for (let i = 0; i < count; i++) {
        r.array()
        const gen = Number(r.int())
        const ttl = Number(r.int())
        out.push({ gen, ttl, results: (r.value() as unknown[]).map(fromWire) })
      }
      return out
    },
  }
}

/** An INFO request for `commands`; resolves to their values by name. */
export function infoCall(commands: string[]): Call {
  return {
    isWrite: false,
    resolve: noop,
    reject: noop,
    deadline: 0,
    encode(w: FrameWriter, id: number): void {
      w.array(3)
      w.number(id)
      w.number(OP.INFO)
      w.value(commands)
    },
    decode(r: MsgpackReader): Record<string, string> {
      const values: Record<string, string> = {}
      const count = r.array()
      for (let i = 0; i < count; i++) {
        r.array()
        const command = r.str()
        values[command] = r.str()
      }
      return values
    },
  }
}

/** A batch item's `ns, set, digest, userKey` (PROTOCOL.md §3); the user key only when it is sent. */
function writeAddress(w: FrameWriter, key: Key, sendKey: boolean): void {
  w.str(key.ns)
  const set = setField(key)
  if (set === null) w.nil()
  else w.str(set)
  w.bin(key.digest)
  w.value(sendKey ? key.key : null)
}

/** The set field of a request: '' for "no set", nil for a digest-only key whose set is unknown. */
function setField(key: Key): string | null {
  return key.set ?? (key.key === null ? null : '')
}

/** Doubles arrive as `Double` so their type survives; the application gets plain numbers. */
export function fromWire(value: unknown): unknown {
  return value instanceof Double ? value.value : value
}

// A bin (or counter) called __proto__ must become an own property, not the object's prototype.
export function setBinProperty<T>(bins: Record<string, T>, name: string, value: T): void {
  if (name === '__proto__') Object.defineProperty(bins, name, { value, enumerable: true, writable: true, configurable: true })
  else bins[name] = value
}

/** `gen, ttl` */
export const readMeta: Decoder<RecordMeta> = (r) => ({ gen: Number(r.int()), ttl: Number(r.int()) })

/** `gen, ttl, value`: the value. */
export const readValue: Decoder<unknown> = (r) => {
  r.int()
  r.int()
  return fromWire(r.value())
}

/** `gen, ttl, bins`: a record. */
export function readRecord(r: MsgpackReader, key: Key): TallyRecord {
  const gen = Number(r.int())
  const ttl = Number(r.int())
  const count = r.array()
  const bins: Bins = {}
  for (let i = 0; i < count; i += 2) setBinProperty(bins, r.str(), fromWire(r.value()) as Value)
  return { key, bins, gen, ttl }
}

/** A record whose integer bins are also picked out: its counters (doubles arrive as `Double`, so 2.0 is not one). */
export interface RecordWithCounters {
  record: TallyRecord
  counters: Map<string, number | bigint>
}

/** `gen, ttl, bins`: a record and its counters. */
export function readRecordWithCounters(key: Key): Decoder<RecordWithCounters> {
  return (r) => {
    const gen = Number(r.int())
    const ttl = Number(r.int())
    const count = r.array()
    const bins: Bins = {}
    const counters = new Map<string, number | bigint>()
    for (let i = 0; i < count; i += 2) {
      const name = r.str()
      const value = r.value()
      if (typeof value === 'number' || typeof value === 'bigint') counters.set(name, value)
      setBinProperty(bins, name, fromWire(value) as Value)
    }
    return { record: { key, bins, gen, ttl }, counters }
  }
}

/** Object bins as the wire's flat list of names and values. */
export function binsToList(bins: Bins, param: (message: string) => Error): unknown[] {
  if (typeof bins !== 'object' || bins === null || Array.isArray(bins)) throw param('bins must be an object of name: value')
  const list: unknown[] = []
  for (const name of Object.keys(bins)) {
    const value = bins[name]
    if (value === undefined) throw param(`bin '${name}' is undefined (write null to delete a bin)`)
    list.push(name, value)
  }
  return list
}
