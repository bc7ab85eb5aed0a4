// One request of each kind, as the connection sends it: how its fields are written and how its answer is read
// into the result the API returns (PROTOCOL.md §3-§5).
import { writeBatchGetRequest, writeBatchOperateRequest, type BatchOperateEntry } from '../protocol/batch-request.js'
import { TallyError } from '../protocol/errors.js'
import type { OpCode, UserAdminRequest } from '../protocol/messages.js'
import type { MsgpackReader } from '../protocol/msgpack-reader.js'
import type { FrameWriter } from '../protocol/msgpack-writer.js'
import { RECORD_HEADER_FIELDS, TOKEN_FIELD, writeRecordHeader } from '../protocol/record-request.js'
import { writeAuthRequest, writeInfoRequest, writeUserAdminRequest } from '../protocol/request-codec.js'
import { setField, writeToken } from '../protocol/request-fields.js'
import { readBatchOperateResponse, readBatchResponse, readInfoResponse } from '../protocol/response-codec.js'
import { STATUS } from '../protocol/status.js'
import { Double, type Bins, type Key, type RecordMeta, type Value } from '../protocol/types.js'
import type { Call } from './connection.js'
import type { ResolvedPolicy } from './options.js'
import type { ClientToken } from './write-tokens.js'

import type { RoutedCall } from './router.js'
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
  token: ClientToken | undefined

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

  /** The record whose partition's owner serves the call (client/router.ts). */
  get routeKey(): Key {
    return this.key
  }

  encode(w: FrameWriter, id: number): void {
    const { key, policy, args, token } = this
    // A token goes after every argument of the op, missing ones sent as nil (PROTOCOL.md §3.1).
    const count = token === undefined ? args.length : TOKEN_FIELD[this.op]! - RECORD_HEADER_FIELDS + 1
    writeRecordHeader(w, id, this.op, count, key.ns, setField(key), key.digest, policy.sendKey ? key.key : null, this.ttl, this.gen, policy.flags)
    for (let i = 0; i < args.length; i++) w.value(args[i])
    if (token === undefined) return
    for (let i = args.length; i < count - 1; i++) w.nil()
    writeToken(w, token)
  }
}

/** A BATCH_GET of `keys`, reading `bins` (null: all); resolves to one record (or null) per key. */
export function batchGetCall(keys: Key[], bins: string[] | null, sendKey: boolean): RoutedCall {
  return {
    routeKey: keys[0],
    isWrite: false,
    resolve: noop,
    reject: noop,
    deadline: 0,
    encode(w: FrameWriter, id: number): void {
      writeBatchGetRequest(w, id, keys, bins, sendKey)
    },
    decode(r: MsgpackReader, fields: number): (TallyRecord | null)[] {
      return readBatchResponse(r, fields).map((item, i) => {
        if (item.found) return { key: keys[i]!, bins: binsFromList(item.bins), gen: item.gen, ttl: item.ttl }
        if (item.status === STATUS.NOT_FOUND) return null
        throw new TallyError(item.status, `batch key ${i} (${keys[i]}): ${item.message}`)
      })
    },
  }
}

function noop(): void {}

/** One record's answer in a BATCH_OPERATE: its metadata after the batch, and the values of its read ops. */
export interface BatchOperateAnswer extends RecordMeta {
  results: unknown[]
}

/** A BATCH_OPERATE of `entries`; resolves to one answer per entry. A failure carries the failed entry's `index`. */
export function batchOperateCall(entries: BatchOperateEntry[]): RoutedCall {
  return {
    routeKey: entries[0]?.key,
    isWrite: true,
    resolve: noop,
    reject: noop,
    deadline: 0,
    token: undefined,
    encode(w: FrameWriter, id: number): void {
      writeBatchOperateRequest(w, id, entries, this.token)
    },
    decode(r: MsgpackReader, fields: number): BatchOperateAnswer[] {
      return readBatchOperateResponse(r, fields).map(({ gen, ttl, payload }) => ({ gen, ttl, results: (payload as unknown[]).map(fromWire) }))
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
      writeInfoRequest(w, id, commands)
    },
    decode(r: MsgpackReader, fields: number): Record<string, string> {
      const values: Record<string, string> = {}
      for (const [command, value] of readInfoResponse(r, fields)) values[command] = value
      return values
    },
  }
}

/** AUTH, as `user` with `credential`; resolves to the user's name and roles. */
export function authCall(user: string, credential: string): Call {
  return {
    isWrite: false,
    resolve: noop,
    reject: noop,
    deadline: 0,
    encode(w: FrameWriter, id: number): void {
      writeAuthRequest(w, id, user, credential)
    },
    decode: readInfoPairs,
  }
}

/** USER_ADMIN; resolves to `{ user: roles }` for `list`, `{}` for the others. */
export function userAdminCall(request: Omit<UserAdminRequest, 'op' | 'id'>): Call {
  return {
    isWrite: request.command !== 'list',
    resolve: noop,
    reject: noop,
    deadline: 0,
    encode(w: FrameWriter, id: number): void {
      writeUserAdminRequest(w, id, request)
    },
    decode: readInfoPairs,
  }
}

function readInfoPairs(r: MsgpackReader, fields: number): Record<string, string> {
  const values: Record<string, string> = {}
  for (const [name, value] of readInfoResponse(r, fields)) values[name] = value
  return values
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

// A record answer is `[id, 0, gen, ttl]`, then the op's payload when it has one (PROTOCOL.md §5.1); fields after
// the payload are left unread, so a later version can add them.
const PAYLOAD_FIELD = 4

/** `gen, ttl` */
export const readMeta: Decoder<RecordMeta> = (r, fields) => {
  if (fields < PAYLOAD_FIELD) throw new Error(`a record answer has ${fields} fields, not [id, status, gen, ttl, ...]`)
  return { gen: Number(r.int()), ttl: Number(r.int()) }
}

/** `gen, ttl, value`: the value (null when the answer carries none). */
export const readValue: Decoder<unknown> = (r, fields) => {
  readMeta(r, fields)
  return fields > PAYLOAD_FIELD ? fromWire(r.value()) : null
}

/** `gen, ttl, bins`: a record. */
export function readRecord(r: MsgpackReader, fields: number, key: Key): TallyRecord {
  const { gen, ttl } = readMeta(r, fields)
  const bins: Bins = {}
  const count = fields > PAYLOAD_FIELD ? r.array() : 0
  for (let i = 0; i < count; i += 2) setBinProperty(bins, r.str(), fromWire(r.value()) as Value)
  return { key, bins, gen, ttl }
}

/** Object bins from the wire's flat list of names and values. */
/** Bins as an object, from their flat wire form. */
export function binsFromList(list: unknown[]): Bins {
  const bins: Bins = {}
  for (let i = 0; i < list.length; i += 2) setBinProperty(bins, String(list[i]), fromWire(list[i + 1]) as Value)
  return bins
}

/** A record whose integer bins are also picked out: its counters (doubles arrive as `Double`, so 2.0 is not one). */
export interface RecordWithCounters {
  record: TallyRecord
  counters: Map<string, number | bigint>
}

/** `gen, ttl, bins`: a record and its counters. */
export function readRecordWithCounters(key: Key): Decoder<RecordWithCounters> {
  return (r, fields) => {
    const { gen, ttl } = readMeta(r, fields)
    const count = fields > PAYLOAD_FIELD ? r.array() : 0
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
