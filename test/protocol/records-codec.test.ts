// TRUNCATE and RESTORE on the wire: what the client writes the server reads back (whole and as golden bytes), and
// every malformed field is status 4 naming it.
import t from 'tap'
import { computeDigest } from '../../protocol/digest.js'
import { TallyError } from '../../protocol/errors.js'
import { OP, RESTORE_POLICY, type Request } from '../../protocol/messages.js'
import { MsgpackReader } from '../../protocol/msgpack-reader.js'
import { FrameWriter } from '../../protocol/msgpack-writer.js'
import { writeRestoreRequest } from '../../protocol/restore-request.js'
import { decodeRequest as decodeFrom, writeTruncateRequest } from '../../protocol/request-codec.js'
import { STATUS } from '../../protocol/status.js'
import { Double } from '../../protocol/types.js'
import { createPacker } from '../helpers/msgpackr.js'

const reader = new MsgpackReader({ mapsAsObjects: false })
const packer = createPacker()
const decodeBytes = (bytes: Buffer): Request => decodeFrom(reader.reset(bytes))
const decode = (message: unknown): Request => decodeBytes(Buffer.from(packer.pack(message)))

function written(write: (w: FrameWriter) => void): Buffer {
  const w = new FrameWriter()
  w.begin()
  write(w)
  w.end()
  return w.take().subarray(4) // the frame's body
}

t.test('TRUNCATE: golden bytes, both ways', async (t) => {
  const set = written((w) => writeTruncateRequest(w, 7, 'test', 'cats'))
  t.equal(set.toString('hex'), '94070ca474657374a463617473', '[7, 12, "test", "cats"]')
  t.same(decodeBytes(set), { op: OP.TRUNCATE, id: 7, ns: 'test', set: 'cats' })
  const all = written((w) => writeTruncateRequest(w, 7, 'test', null))
  t.equal(all.toString('hex'), '94070ca474657374c0')
  t.same(decodeBytes(all), { op: OP.TRUNCATE, id: 7, ns: 'test', set: null })
})

t.test('RESTORE: what the client writes the server reads, byte for byte', async (t) => {
  const digest = computeDigest('s', 'k')
  const record = { digest, set: 's', key: 'k', gen: 42, voidMs: 1_800_000_000_000, bins: ['d', new Double(2), 'n', 1] }
  const bytes = written((w) => writeRestoreRequest(w, 9, 'test', [record], RESTORE_POLICY.SKIP))
  t.match(decodeFrom(new MsgpackReader({ mapsAsObjects: false }).reset(bytes)), {
    op: OP.RESTORE,
    id: 9,
    restorePolicy: RESTORE_POLICY.SKIP,
    records: [{ address: { ns: 'test', set: 's', userKey: 'k' }, recordGen: 42, voidMs: 1_800_000_000_000 }],
  })
  // [9, 13, 0, [["test", "s", digest, "k", 42, void time as uint64, bins with the double as ext type 1]]]
  const golden = `94090d0091 97a474657374a173c414${digest.toString('hex')}a16b` + '2acf000001a3185c500094a164d7014000000000000000a16e01'
  t.equal(bytes.toString('hex'), golden.replace(' ', ''))
})

t.test('malformed TRUNCATE and RESTORE fields are status 4, named', async (t) => {
  const digest = Buffer.alloc(20, 1)
  const restore = (...fields: unknown[]): unknown[] => [7, OP.RESTORE, 0, [['test', 's', digest, null, ...fields]]]
  const cases: [unknown, RegExp][] = [
    [[7, OP.TRUNCATE, 'test'], /TRUNCATE: expected 4 fields/],
    [[7, OP.TRUNCATE, '', null], /TRUNCATE: namespace/],
    [[7, OP.TRUNCATE, 5, null], /TRUNCATE: namespace/],
    [[7, OP.TRUNCATE, 'test', 5], /TRUNCATE: set must be a string or nil/],
    [[7, OP.RESTORE, 0], /RESTORE: expected 4 fields/],
    [[7, OP.RESTORE, 3, []], /RESTORE: policy/],
    [[7, OP.RESTORE, 0, 'records'], /RESTORE: records must be an array/],
    [[7, OP.RESTORE, 0, []], /RESTORE: 1 to .+ records, not 0/],
    [[7, OP.RESTORE, 0, [['test', 's', digest, null, 1, 0]]], /RESTORE: record 0 must be \[ns, set, digest, key, gen, voidMs, bins\]/],
    [[7, OP.RESTORE, 0, [['test', null, digest, null, 1, 0, ['a', 1]]]], /RESTORE: record 0: the set must be a string/],
    [[7, OP.RESTORE, 0, [['test', 's', Buffer.alloc(3), null, 1, 0, ['a', 1]]]], /RESTORE: record 0: digest/],
    [restore(0, 0, ['a', 1]), /RESTORE: record 0: generation/],
    [restore(65536, 0, ['a', 1]), /RESTORE: record 0: generation/],
    [restore(1, -1, ['a', 1]), /RESTORE: record 0: void time/],
    [restore(1, 'x', ['a', 1]), /RESTORE: record 0: void time/],
    [restore(1, 0, 'bins'), /RESTORE: record 0: bins must be an array/],
    [restore(1, 0, ['a']), /RESTORE: record 0: bins must be name, value pairs/],
    [restore(1, 0, [1, 1]), /RESTORE: record 0: bin name 0 is not a string/],
  ]
  for (const [message, problem] of cases) {
    const err = (() => {
      try {
        decode(message)
      } catch (e) {
        return e
      }
    })()
    t.type(err, TallyError, String(problem))
    t.equal((err as TallyError).code, STATUS.PARAMETER, String(problem))
    t.match((err as TallyError).message, problem)
  }
})
