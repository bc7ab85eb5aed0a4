// SCAN (PROTOCOL.md §4.11): the request that starts a scan, the one that lets it send more frames (or stops it),
// and the answer frames it streams, each writer beside its reader. A scan answers one request id with many frames.
import { DIGEST_BYTES, PARTITIONS } from './digest.js'
import { ARRAY_BYTES, SLOT_BYTES } from './memory-cost.js'
import { OP, type ScanRequest, type ScanSpec } from './messages.js'
import { checkPartitions } from './partitions.js'
import { KIND } from './msgpack-format.js'
import type { MsgpackReader } from './msgpack-reader.js'
import type { FrameWriter, MsgpackWriter } from './msgpack-writer.js'
import { bad, intField, readStrings } from './request-fields.js'
import { STATUS } from './status.js'
import type { UserKey } from './types.js'

/** Bounds of a scan's flow control: frames sent ahead of the client's reading, records in one frame. */
export const SCAN_LIMITS = {
  maxFramesAhead: 16,
  maxRecordsPerFrame: 10_000,
  /** Above this many records per second a rate is no limit; 0 also means none. */
  maxRecordsPerSecond: 1_000_000_000,
} as const

/** `[id, 11, ns, set, binNames, partitions, recordsPerSecond, framesAhead, recordsPerFrame]`: starts a scan. */
export function writeScanRequest(w: FrameWriter, id: number, spec: ScanSpec): void {
  w.array(9)
  w.number(id)
  w.number(OP.SCAN)
  w.str(spec.ns)
  w.value(spec.set)
  w.value(spec.binNames)
  w.value(spec.partitions)
  w.number(spec.recordsPerSecond)
  w.number(spec.framesAhead)
  w.number(spec.recordsPerFrame)
}

/** `[id, 11, frames]`: the scan `id` may send `frames` more frames; 0 stops it (its last frame follows). */
export function writeScanMore(w: FrameWriter, id: number, frames: number): void {
  w.array(3)
  w.number(id)
  w.number(OP.SCAN)
  w.number(frames)
}

/** Reads a SCAN after its id and op code; returns the request and how many of its `fields` were read. */
export function readScanRequest(r: MsgpackReader, id: number, fields: number): [ScanRequest, number] {
  if (fields === 3 && r.kind() === KIND.INT) {
    const frames = intField(r, 0, SCAN_LIMITS.maxFramesAhead, `SCAN: frames must be an integer from 0 to ${SCAN_LIMITS.maxFramesAhead}`)
    return [{ op: OP.SCAN, id, spec: null, frames }, 3]
  }
  if (fields < 9) throw bad('SCAN: expected [id, 11, ns, set, binNames, partitions, recordsPerSecond, framesAhead, recordsPerFrame] or [id, 11, frames]')
  if (r.kind() !== KIND.STR) throw bad('SCAN: namespace must be a non-empty string')
  const ns = r.str()
  if (ns.length === 0) throw bad('SCAN: namespace must be a non-empty string')
  let set: string | null = null
  if (!r.nil()) {
    if (r.kind() !== KIND.STR) throw bad('SCAN: set must be a string or nil')
    set = r.str()
  }
  const binNames = readStrings(r, 'SCAN: bin names')
  const partitions = readPartitions(r)
  const max = SCAN_LIMITS
  const recordsPerSecond = intField(r, 0, max.maxRecordsPerSecond, `SCAN: recordsPerSecond must be an integer from 0 to ${max.maxRecordsPerSecond}`)
  const framesAhead = intField(r, 1, max.maxFramesAhead, `SCAN: framesAhead must be an integer from 1 to ${max.maxFramesAhead}`)
  const recordsPerFrame = intField(r, 1, max.maxRecordsPerFrame, `SCAN: recordsPerFrame must be an integer from 1 to ${max.maxRecordsPerFrame}`)
  const spec: ScanSpec = { ns, set, binNames, partitions, recordsPerSecond, framesAhead, recordsPerFrame }
  return [{ op: OP.SCAN, id, spec, frames: framesAhead }, 9]
}

// Nil (every partition), or distinct partition ids in the order to scan them (checked by checkPartitions).
function readPartitions(r: MsgpackReader): number[] | null {
  if (r.nil()) return null
  const what = `SCAN: partitions must be nil or an array of distinct integers from 0 to ${PARTITIONS - 1}`
  if (r.kind() !== KIND.ARRAY) throw bad(what)
  const count = r.array()
  if (count > PARTITIONS) throw bad(`SCAN: ${count} partitions listed, more than the ${PARTITIONS} there are`)
  r.charge(ARRAY_BYTES + count * SLOT_BYTES)
  const partitions = new Array<number>(count)
  for (let i = 0; i < count; i++) {
    if (r.kind() !== KIND.INT) throw bad(what)
    partitions[i] = Number(r.int())
  }
  return checkPartitions(partitions, 'SCAN')
}

/** One record of a scan, as it travels. `set` '' is no set; `userKey` null when no key is stored. */
export interface ScanRecordData {
  digest: Uint8Array
  set: string
  userKey: UserKey | null
  gen: number
  ttl: number
  bins: unknown[]
}

/** One record of a scan frame, `[digest, set, userKey, gen, ttl, bins]`, written on its own (see writeScanFrame). */
export function writeScanRecord(w: MsgpackWriter, record: ScanRecordData): void {
  w.array(6)
  w.bin(record.digest)
  w.str(record.set)
  w.value(record.userKey)
  w.number(record.gen)
  w.number(record.ttl)
  w.value(record.bins)
}

/**
 * `[id, 0, records, partitionsDone, done]`: `count` records already written by writeScanRecord (so that a frame can
 * be cut at a size while it is filled), the partitions whose every record has now been sent, done on the last frame.
 */
export function writeScanFrame(w: FrameWriter, id: number, count: number, records: Uint8Array, partitionsDone: readonly number[], done: boolean): void {
  w.array(5)
  w.number(id)
  w.number(STATUS.OK)
  w.array(count)
  w.raw(records)
  w.value(partitionsDone)
  w.bool(done)
}

/** A scan frame, read after its head `[id, 0` (`fields`: the answer's length). */
export interface ScanFrame {
  records: ScanRecordData[]
  partitionsDone: number[]
  done: boolean
}

/** Reads a scan frame's fields after its head; throws an Error naming what is malformed. */
export function readScanFrame(r: MsgpackReader, fields: number): ScanFrame {
  if (fields < 5 || r.kind() !== KIND.ARRAY) throw new Error('a SCAN answer must be [id, 0, records, partitionsDone, done]')
  const count = r.array()
  const records: ScanRecordData[] = []
  for (let i = 0; i < count; i++) records.push(readScanRecord(r, i))
  const partitionsDone = r.value()
  if (!Array.isArray(partitionsDone) || !partitionsDone.every((p) => Number.isInteger(p) && p >= 0 && p < PARTITIONS))
    throw new Error('a SCAN answer: partitionsDone must be an array of partition ids')
  const done = r.value()
  if (typeof done !== 'boolean') throw new Error('a SCAN answer: done must be a boolean')
  for (let i = 5; i < fields; i++) r.value()
  return { records, partitionsDone: partitionsDone as number[], done }
}

function readScanRecord(r: MsgpackReader, index: number): ScanRecordData {
  const fields = r.kind() === KIND.ARRAY ? r.array() : 0
  if (fields < 6) throw new Error(`a SCAN answer: record ${index} must be [digest, set, userKey, gen, ttl, bins]`)
  const digest = r.bin(true)
  if (digest.length !== DIGEST_BYTES) throw new Error(`a SCAN answer: record ${index} has a digest of ${digest.length} bytes`)
  const set = r.str()
  const userKey = r.value() as UserKey | null
  const gen = Number(r.int())
  const ttl = Number(r.int())
  if (r.kind() !== KIND.ARRAY) throw new Error(`a SCAN answer: record ${index} bins must be an array`)
  const count = r.array()
  const bins = new Array<unknown>(count)
  for (let i = 0; i < count; i++) bins[i] = r.value()
  for (let i = 6; i < fields; i++) r.value()
  return { digest, set, userKey, gen, ttl, bins }
}
