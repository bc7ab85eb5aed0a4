// The digest index against a Map model: random inserts and removes, including colliding slot runs.
import { randomBytes } from 'node:crypto'
import t from 'tap'
import { DigestIndex } from '../../server/store/digest-index.js'
import { RecordTable } from '../../server/store/record-table.js'

function add(table: RecordTable, index: DigestIndex, digest: Buffer): number {
  const id = table.allocate()
  table.setDigest(id, digest)
  table.write(id, 1, 0, ['b', 1], 9)
  index.insert(id)
  return id
}

t.test('agrees with a Map through 60,000 random inserts and removes', async (t) => {
  const table = new RecordTable()
  const index = new DigestIndex(table)
  const model = new Map<string, number>()
  const live: Buffer[] = []
  // Half the digests share a partition, so that partition's table grows and shifts a lot.
  const digest = (): Buffer => {
    const d = randomBytes(20)
    if (Math.random() < 0.5) d[0] = d[1] = 0
    return d
  }
  let mismatches = 0
  for (let step = 0; step < 60_000; step++) {
    if (live.length > 0 && Math.random() < 0.4) {
      const at = Math.floor(Math.random() * live.length)
      const d = live[at]!
      live[at] = live[live.length - 1]!
      live.pop()
      const id = index.find(d)
      if (id !== model.get(d.toString('hex'))) mismatches++
      index.remove(id)
      table.release(id)
      model.delete(d.toString('hex'))
    } else {
      const d = digest()
      if (index.find(d) !== -1) mismatches++
      model.set(d.toString('hex'), add(table, index, d))
      live.push(d)
    }
  }
  t.equal(mismatches, 0)
  for (const d of live) if (index.find(d) !== model.get(d.toString('hex'))) mismatches++
  t.equal(mismatches, 0, 'every live digest is found with its id')
  t.equal(table.size, live.length)
})

t.test('record ids are reused and a released record holds nothing', async (t) => {
  const table = new RecordTable()
  const a = table.allocate()
  table.write(a, 3, 1000, ['x', 'y'], 2)
  table.setUserKey(a, 'key')
  table.release(a)
  t.notOk(table.isLive(a))
  const b = table.allocate()
  t.equal(b, a)
  t.equal(table.userKey(b), undefined)
  t.equal(table.gen(b), 0)
  t.equal(table.size, 1)
})
