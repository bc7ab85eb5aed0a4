// Requests on many records (PROTOCOL.md §4.8, §4.10): BATCH_GET `[id, 8, keys, binNames]` and BATCH_OPERATE
// `[id, 10, items]`. The client writes them; the server reads them into typed requests.
import { TallyError } from './errors.js'
import { ARRAY_BYTES, BATCH_ITEM_BYTES, BATCH_KEY_BYTES } from './memory-cost.js'
import { OP, type BatchGetRequest, type BatchOperateItem, type BatchOperateRequest, type RecordAddress } from './messages.js'
import { KIND } from './msgpack-format.js'
import type { MsgpackReader } from './msgpack-reader.js'
import type { FrameWriter } from './msgpack-writer.js'
import { bad, readAddress, readBinOps, readPolicy, readStrings, readToken, writeAddress, writeToken, type SentToken } from './request-fields.js'
import type { Key } from './types.js'

/** One record's part of a BATCH_OPERATE, as the client sends it: `ops` in their wire form (PROTOCOL.md §4.7). */
export interface BatchOperateEntry {
  key: Key
  ops: unknown[][]
  ttl: number | null
  gen: number
  sendKey: boolean
  flags: number
}

const BATCH_OPERATE_ITEM_FIELDS = 8 // ns, set, digest, userKey, ttl, gen, flags, ops

/** `[id, 8, keys, binNames]`: each key `[ns, set, digest, userKey]`; `binNames` null reads every bin. */
export function writeBatchGetRequest(w: FrameWriter, id: number, keys: readonly Key[], binNames: readonly string[] | null, sendKey: boolean): void {
  w.array(4)
  w.number(id)
  w.number(OP.BATCH_GET)
  w.array(keys.length)
  for (const key of keys) {
    w.array(4)
    writeAddress(w, key, sendKey)
  }
  w.value(binNames)
}

/**
 * Reads a BATCH_GET after its id and op code; returns the request and how many of its `fields` were read. More
 * than `maxKeys` keys are refused before any is read.
 */
export function readBatchGetRequest(r: MsgpackReader, id: number, fields: number, maxKeys: number): [BatchGetRequest, number] {
  if (fields < 3 || r.kind() !== KIND.ARRAY) throw bad('BATCH_GET: keys must be an array')
  const count = r.array()
  if (count > maxKeys) throw bad(`BATCH_GET: ${count} keys, more than the limit of ${maxKeys}`)
  r.charge(ARRAY_BYTES + count * BATCH_KEY_BYTES)
  const addresses: RecordAddress[] = []
  for (let i = 0; i < count; i++) addresses.push(readBatchKey(r, i))
  const binNames = fields > 3 ? readStrings(r, 'BATCH_GET: bin names') : null
  return [{ op: OP.BATCH_GET, id, addresses, binNames }, Math.min(fields, 4)]
}

function readBatchKey(r: MsgpackReader, index: number): RecordAddress {
  if (r.kind() !== KIND.ARRAY) throw bad(`BATCH_GET: key ${index} must be an array [ns, set, digest, userKey]`)
  const fields = r.array()
  if (fields < 3) throw bad(`BATCH_GET: key ${index} must be an array [ns, set, digest, userKey]`)
  const address = readAddress(r, `BATCH_GET key ${index}`, false, fields > 3)
  for (let i = 4; i < fields; i++) r.value()
  return address
}

/** `[id, 10, items, token?]`: each item `[ns, set, digest, userKey, ttl, gen, flags, ops]`. */
export function writeBatchOperateRequest(w: FrameWriter, id: number, entries: readonly BatchOperateEntry[], token?: SentToken): void {
  w.array(token === undefined ? 3 : 4)
  w.number(id)
  w.number(OP.BATCH_OPERATE)
  w.array(entries.length)
  for (const { key, ops, ttl, gen, sendKey, flags } of entries) {
    w.array(BATCH_OPERATE_ITEM_FIELDS)
    writeAddress(w, key, sendKey)
    w.value(ttl)
    w.number(gen)
    w.number(flags)
    w.value(ops)
  }
  if (token !== undefined) writeToken(w, token)
}

/**
 * Reads a BATCH_OPERATE after its id and op code; returns the request and how many of its `fields` were read. More
 * than `maxItems` items are refused before any is read.
 */
export function readBatchOperateRequest(r: MsgpackReader, id: number, fields: number, maxItems: number): [BatchOperateRequest, number] {
  if (fields < 3 || r.kind() !== KIND.ARRAY) throw bad('BATCH_OPERATE: items must be an array')
  const count = r.array()
  if (count > maxItems) throw bad(`BATCH_OPERATE: ${count} records, more than the limit of ${maxItems}`)
  r.charge(ARRAY_BYTES + count * BATCH_ITEM_BYTES)
  const items: BatchOperateItem[] = []
  for (let i = 0; i < count; i++) {
    try {
      items.push(readBatchItem(r, i))
    } catch (err) {
      // A malformed item is named by its position, as a failing one is.
      throw err instanceof TallyError ? new TallyError(err.code, err.message, { index: i }) : err
    }
  }
  const token = fields > 3 ? readToken(r, 'BATCH_OPERATE') : undefined
  return [{ op: OP.BATCH_OPERATE, id, items, token }, token === undefined ? 3 : 4]
}

function readBatchItem(r: MsgpackReader, index: number): BatchOperateItem {
  const where = `BATCH_OPERATE item ${index}`
  if (r.kind() !== KIND.ARRAY) throw bad(`${where} must be an array [ns, set, digest, userKey, ttl, gen, flags, ops]`)
  const fields = r.array()
  if (fields < BATCH_OPERATE_ITEM_FIELDS) throw bad(`${where} must be an array [ns, set, digest, userKey, ttl, gen, flags, ops]`)
  const address = readAddress(r, where, false)
  const policy = readPolicy(r, where)
  const ops = readBinOps(r, where)
  for (let i = BATCH_OPERATE_ITEM_FIELDS; i < fields; i++) r.value()
  return { address, policy, ops }
}
