// A record's partition must be the one Aerospike's clients compute, or they would send it to another node.
import t from 'tap'
import { computeDigest } from '../../protocol/digest.js'
import { partitionOf, PARTITIONS } from '../../protocol/partitions.js'

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
