// A record's partition must be the one Aerospike's clients compute, or they would send it to another node; lists of
// partitions (arrays and text) are checked alike wherever they come from.
import t from 'tap'
import { computeDigest } from '../../protocol/digest.js'
import { checkPartitions, parsePartitions, partitionOf, PARTITIONS } from '../../protocol/partitions.js'
import { CLIENT_STATUS, STATUS } from '../../protocol/status.js'

t.test("partition ids are Aerospike's: first two digest bytes, little-endian, 12 bits", async (t) => {
  t.equal(PARTITIONS, 4096)
  t.equal(partitionOf(Buffer.from([0x34, 0x12])), 0x234)
  t.equal(partitionOf(Buffer.from([0xff, 0xff])), 0xfff)
  t.equal(partitionOf(Buffer.from([0x00, 0x10])), 0)
  t.equal(partitionOf(Buffer.from([9, 9, 0x34, 0x12]), 2), 0x234, 'at an offset')
  // set demo, key "k1": digest b747f585... -> 0x47b7 & 0xfff
  t.equal(partitionOf(computeDigest('demo', 'k1')), 0x7b7)
})

t.test('keys spread evenly over the partitions', async (t) => {
  const counts = new Uint32Array(PARTITIONS)
  const keys = 40_960
  for (let i = 0; i < keys; i++) counts[partitionOf(computeDigest('s', i))]!++
  const most = Math.max(...counts)
  const empty = counts.filter((c) => c === 0).length
  t.ok(most < 40, `no partition holds more than 4x its share (most: ${most})`)
  t.ok(empty < 10, `almost no partition is empty (${empty})`)
})

t.test('a list of partitions: integers from 0 to 4095, none twice, or status 4 naming the first that is not', async (t) => {
  t.same(checkPartitions([4095, 0, 17], 'scan'), [4095, 0, 17], 'kept in their order')
  t.same(checkPartitions([], 'scan'), [])
  const all = Array.from({ length: PARTITIONS }, (_, p) => p)
  t.equal(checkPartitions(all, 'scan').length, PARTITIONS, 'all of them')
  const cases: [unknown[], string][] = [
    [[1, 4096], 'scan: partition 4096 is not an integer from 0 to 4095'],
    [[-1], 'scan: partition -1 is not an integer from 0 to 4095'],
    [[1.5], 'scan: partition 1.5 is not an integer from 0 to 4095'],
    [['7'], 'scan: partition 7 is not an integer from 0 to 4095'],
    [[null], 'scan: partition null is not an integer from 0 to 4095'],
    [[NaN], 'scan: partition null is not an integer from 0 to 4095'],
    [['x'.repeat(1000)], `scan: partition ${'x'.repeat(32)}… is not an integer from 0 to 4095`],
    [[5, 6, 5], 'scan: partition 5 is listed twice'],
    [[...all, 0], 'scan: 4097 partitions listed, more than the 4096 there are'],
  ]
  for (const [ids, message] of cases) t.throws(() => checkPartitions(ids, 'scan'), { code: STATUS.PARAMETER, message }, message)
  t.throws(() => checkPartitions([1, 1], 'scan', CLIENT_STATUS.PARAMETER), { code: CLIENT_STATUS.PARAMETER }, "the client's own code")
  t.throws(() => checkPartitions([1, 1], ''), { message: 'partition 1 is listed twice' }, 'no name: no prefix')
})

t.test('a partition list as text: ids and FIRST-LAST ranges, comma-separated, or status 4 naming the part', async (t) => {
  t.same(parsePartitions('0-4095', 'p'), Array.from({ length: PARTITIONS }, (_, p) => p))
  t.same(parsePartitions('1,5,7-9', 'p'), [1, 5, 7, 8, 9])
  t.same(parsePartitions('4095, 0 ,17-17', 'p'), [4095, 0, 17], 'spaces around the parts, a range of one')
  const cases: [string, string][] = [
    ['', "p: '' is neither a partition id nor a range FIRST-LAST"],
    ['1,,2', "p: '' is neither a partition id nor a range FIRST-LAST"],
    ['1,x', "p: 'x' is neither a partition id nor a range FIRST-LAST"],
    ['-1', "p: '-1' is neither a partition id nor a range FIRST-LAST"],
    ['1-2-3', "p: '1-2-3' is neither a partition id nor a range FIRST-LAST"],
    ['1.5', "p: '1.5' is neither a partition id nor a range FIRST-LAST"],
    ['9'.repeat(100), `p: ${'9'.repeat(100)} goes past partition 4095`],
    ['4096', 'p: 4096 goes past partition 4095'],
    ['5-4096', 'p: 5-4096 goes past partition 4095'],
    ['9-7', 'p: the range 9-7 ends before it starts'],
    ['1,5,7-9,8', 'p: partition 8 is listed twice'],
    ['0-4095,0-4095', 'p: partition 0 is listed twice'],
    [`${'0-4095,'.repeat(10_000)}1`, 'p: partition 0 is listed twice'],
  ]
  for (const [text, message] of cases) t.throws(() => parsePartitions(text, 'p'), { code: STATUS.PARAMETER, message }, message.slice(0, 80))
  t.equal(cases.length, 13)
})
