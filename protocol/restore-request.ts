// RESTORE on the wire (PROTOCOL.md §4.13): `[id, 13, policy, records]`, each record
// `[ns, set, digest, key, gen, voidMs, bins]`; the client writes it, the server reads it into a typed request.
import { OP, RESTORE_POLICY, type RestoreItem, type RestorePolicyCode, type RestoreRequest } from './messages.js'
import { KIND } from './msgpack-format.js'
import type { MsgpackReader } from './msgpack-reader.js'
import type { FrameWriter } from './msgpack-writer.js'
import { readBinList } from './record-request.js'
import { bad, intField, readAddress } from './request-fields.js'
import type { UserKey } from './types.js'

/** A record to restore, as the client sends it: `set` `''` for none, `key` null when none is stored. */
export interface RestoreRecord {
  digest: Uint8Array
  set: string
  key: UserKey | null
  gen: number
  voidMs: number
  bins: unknown[]
}

/** RESTORE of `records` into namespace `ns`, under `policy`. */
export function writeRestoreRequest(w: FrameWriter, id: number, ns: string, records: readonly RestoreRecord[], policy: RestorePolicyCode): void {
  w.array(4)
  w.number(id)
  w.number(OP.RESTORE)
  w.number(policy)
  w.array(records.length)
  for (const record of records) {
    w.array(7)
    w.str(ns)
    w.str(record.set)
    w.bin(record.digest)
    w.value(record.key)
    w.number(record.gen)
    w.number(record.voidMs)
    w.value(record.bins)
  }
}

/** Reads a RESTORE whose array of `fields` has been read up to its op code; at most `maxRecords` records. */
export function readRestoreRequest(r: MsgpackReader, id: number, fields: number, maxRecords: number): [RestoreRequest, number] {
  if (fields < 4) throw bad(`RESTORE: expected 4 fields, got ${fields}`)
  const restorePolicy = intField(r, 0, RESTORE_POLICY.NEWER, 'RESTORE: policy must be 0 (skip), 1 (replace) or 2 (newer)') as RestorePolicyCode
  if (r.kind() !== KIND.ARRAY) throw bad('RESTORE: records must be an array')
  const count = r.array()
  if (count === 0 || count > maxRecords) throw bad(`RESTORE: 1 to ${maxRecords} records, not ${count}`)
  const records: RestoreItem[] = []
  for (let i = 0; i < count; i++) {
    const where = `RESTORE: record ${i}`
    if (r.kind() !== KIND.ARRAY || r.array() !== 7) throw bad(`${where} must be [ns, set, digest, key, gen, voidMs, bins]`)
    const address = readAddress(r, where, false)
    if (address.set === null) throw bad(`${where}: the set must be a string ("" for none)`)
    const recordGen = intField(r, 1, 0xffff, `${where}: generation must be an integer from 1 to 65535`)
    const voidMs = intField(r, 0, Number.MAX_SAFE_INTEGER, `${where}: void time must be a non-negative integer (ms since the epoch, 0 = never)`)
    if (r.kind() !== KIND.ARRAY) throw bad(`${where}: bins must be an array of name, value pairs`)
    records.push({ address, recordGen, voidMs, bins: readBinList(r, where) })
  }
  return [{ op: OP.RESTORE, id, restorePolicy, records }, 4]
}
