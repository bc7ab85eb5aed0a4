// SCAN's messages: the start and more requests read back as written and as a foreign encoder writes them, every bad
// field is status 4 naming it, random mutations never throw anything else; answer frames read back as msgpack says.
import t from 'tap'
import { partitionOf } from '../../protocol/digest.js'
import { TallyError } from '../../protocol/errors.js'
import { OP, type ScanRequest, type ScanSpec } from '../../protocol/messages.js'
import { MsgpackReader } from '../../protocol/msgpack-reader.js'
import { FrameWriter, MsgpackWriter } from '../../protocol/msgpack-writer.js'
import { decodeRequest } from '../../protocol/request-codec.js'
import { readResponseHead } from '../../protocol/response-codec.js'
import { readScanFrame, SCAN_LIMITS, writeScanFrame, writeScanMore, writeScanRecord, writeScanRequest } from '../../protocol/scan-codec.js'
import { STATUS } from '../../protocol/status.js'
import { Double } from '../../protocol/types.js'
import { mutate, seededRandom } from '../helpers/fuzz.js'
import { createPacker, createUnpacker } from '../helpers/msgpackr.js'

const packer = createPacker()
const unpacker = createUnpacker({ mapsAsObjects: true })
const reader = new MsgpackReader({ mapsAsObjects: false })
const decode = (message: unknown): ScanRequest => decodeRequest(reader.reset(Buffer.from(packer.pack(message)))) as ScanRequest
const spec: ScanSpec = { ns: 'test', set: 'users', binNames: ['a', 'b'], partitions: [5, 0, 4095], recordsPerSecond: 1000, framesAhead: 4, recordsPerFrame: 500 }
const start = [3, OP.SCAN, 'test', 'users', ['a', 'b'], [5, 0, 4095], 1000, 4, 500]

function body(write: (w: FrameWriter) => void): Buffer {
  const w = new FrameWriter()
  w.begin()
  write(w)
  w.end()
  return w.take().subarray(4)
}

t.test('partition ids are Aerospike\'s: the first two digest bytes little-endian, 12 bits', async (t) => {
  t.equal(partitionOf(Buffer.from('b747f5854d0b33259928d0cfab7fad81d6abfbf6', 'hex')), 1975)
  t.equal(partitionOf(Buffer.from('7a7e97c9928be59ec21e441643031a7d48f2ccc6', 'hex')), 3706)
  t.equal(partitionOf(Buffer.from([0xff, 0x0f])), 4095)
  t.equal(partitionOf(Buffer.from([0x00, 0x10])), 0)
})

t.test('the start and more requests: written as msgpack says, read back as written', async (t) => {
  t.same(unpacker.unpack(body((w) => writeScanRequest(w, 3, spec))), start)
  t.same(unpacker.unpack(body((w) => writeScanMore(w, 3, 2))), [3, OP.SCAN, 2])
  t.same(decode(start), { op: OP.SCAN, id: 3, spec, frames: 4 })
  t.same(decode([3, OP.SCAN, 0]), { op: OP.SCAN, id: 3, spec: null, frames: 0 })
  const whole = { ...spec, set: null, binNames: null, partitions: null }
  t.same(decode([3, OP.SCAN, 'test', null, null, null, 0, 1, 1]).spec, { ...whole, recordsPerSecond: 0, framesAhead: 1, recordsPerFrame: 1 })
  t.same(decode([...start, 'a later field']).spec, spec)
})

t.test('each bad field is status 4 naming it', async (t) => {
  const cases: [unknown[], RegExp][] = [
    [[3, OP.SCAN, 17], /frames must be an integer from 0 to 16/],
    [[3, OP.SCAN, -1], /frames must be/],
    [[3, OP.SCAN, 'test'], /expected \[id, 11/],
    [[3, OP.SCAN, '', null, null, null, 0, 1, 1], /namespace must be a non-empty string/],
    [[3, OP.SCAN, 7, null, null, null, 0, 1, 1], /namespace must be/],
    [[3, OP.SCAN, 'test', 5, null, null, 0, 1, 1], /set must be a string or nil/],
    [[3, OP.SCAN, 'test', null, 'a', null, 0, 1, 1], /bin names must be an array of strings/],
    [[3, OP.SCAN, 'test', null, [1], null, 0, 1, 1], /bin names must be/],
    [[3, OP.SCAN, 'test', null, null, 'all', 0, 1, 1], /partitions must be nil or an array/],
    [[3, OP.SCAN, 'test', null, null, [4096], 0, 1, 1], /^SCAN: partition 4096 is not an integer from 0 to 4095$/],
    [[3, OP.SCAN, 'test', null, null, [-1], 0, 1, 1], /^SCAN: partition -1 is not an integer from 0 to 4095$/],
    [[3, OP.SCAN, 'test', null, null, [1.5], 0, 1, 1], /partitions must be/],
    [[3, OP.SCAN, 'test', null, null, [7, 7], 0, 1, 1], /^SCAN: partition 7 is listed twice$/],
    [[3, OP.SCAN, 'test', null, null, Array(4097).fill(0), 0, 1, 1], /^SCAN: 4097 partitions listed, more than the 4096 there are$/],
    [[3, OP.SCAN, 'test', null, null, [1, 70_000], 0, 1, 1], /^SCAN: partition 70000 is not an integer from 0 to 4095$/],
    [[3, OP.SCAN, 'test', null, null, null, -1, 1, 1], /recordsPerSecond must be/],
    [[3, OP.SCAN, 'test', null, null, null, 0, 0, 1], /framesAhead must be an integer from 1 to 16/],
    [[3, OP.SCAN, 'test', null, null, null, 0, 17, 1], /framesAhead must be/],
    [[3, OP.SCAN, 'test', null, null, null, 0, 1, 0], /recordsPerFrame must be an integer from 1 to 10000/],
    [[3, OP.SCAN, 'test', null, null, null, 0, 1, SCAN_LIMITS.maxRecordsPerFrame + 1], /recordsPerFrame must be/],
    [[3, OP.SCAN, 'test', null, null, null, 0, 1], /expected \[id, 11/],
  ]
  for (const [message, pattern] of cases) {
    let error: unknown
    try {
      decode(message)
    } catch (err) {
      error = err
    }
    t.ok(error instanceof TallyError && error.code === STATUS.PARAMETER, `status 4 for ${JSON.stringify(message).slice(0, 60)}`)
    t.match((error as Error).message, pattern)
  }
})

t.test('random mutations of a scan request decode or fail with status 4, nothing else', async (t) => {
  const seed = Date.now() >>> 0
  t.comment(`seed ${seed}`)
  const random = seededRandom(seed)
  let refused = 0
  for (let i = 0; i < 3000; i++) {
    let message: unknown = random() < 0.8 ? start : [3, OP.SCAN, 2]
    for (let m = 1 + Math.floor(random() * 3); m > 0; m--) message = mutate(message, random)
    try {
      decode(message)
    } catch (err) {
      if (!(err instanceof TallyError) || err.code !== STATUS.PARAMETER) t.fail(`${(err as Error).message} for ${String(message)}`)
      refused++
    }
  }
  t.ok(refused > 1000, `most mutations refused with status 4 (${refused})`)
})

t.test('an answer frame: written as msgpack says, read back as written', async (t) => {
  const digest = Buffer.alloc(20, 7)
  const records = new MsgpackWriter()
  writeScanRecord(records, { digest, set: 'users', userKey: 'k1', gen: 3, ttl: -1, bins: ['n', 1, 'd', new Double(2)] })
  writeScanRecord(records, { digest, set: '', userKey: null, gen: 1, ttl: 60, bins: [] })
  const frame = body((w) => writeScanFrame(w, 9, 2, records.take(), [1, 2], false))
  t.same(unpacker.unpack(frame), [9, 0, [[digest, 'users', 'k1', 3, -1, ['n', 1, 'd', new Double(2)]], [digest, '', null, 1, 60, []]], [1, 2], false])
  const r = new MsgpackReader({ mapsAsObjects: true }).reset(frame)
  const head = { id: 0, status: 0, fields: 0 }
  readResponseHead(r, head)
  t.same(head, { id: 9, status: 0, fields: 5 })
  const read = readScanFrame(r, head.fields)
  t.equal(read.records.length, 2)
  t.same(read.records[0], { digest, set: 'users', userKey: 'k1', gen: 3, ttl: -1, bins: ['n', 1, 'd', new Double(2)] })
  t.same(read.partitionsDone, [1, 2])
  t.equal(read.done, false)
  const last = Buffer.from(packer.pack([9, 0, [], [], true, 'a later field']))
  const lr = new MsgpackReader({ mapsAsObjects: true }).reset(last)
  readResponseHead(lr, head)
  t.same(readScanFrame(lr, head.fields), { records: [], partitionsDone: [], done: true })
  const bad = Buffer.from(packer.pack([9, 0, [[Buffer.alloc(3), '', null, 1, 1, []]], [], true]))
  const br = new MsgpackReader({ mapsAsObjects: true }).reset(bad)
  readResponseHead(br, head)
  t.throws(() => readScanFrame(br, head.fields), /digest of 3 bytes/)
})
