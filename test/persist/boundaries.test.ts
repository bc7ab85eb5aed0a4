// No read size changes what is recovered: segments of many sizes, read in chunks that put entries across every
// boundary, give the same records; a segment over 8 MiB whose entry ends exactly at the 8 MiB read boundary is
// read to its end.
import fs from 'node:fs'
import t from 'tap'
import { connect, Key, ops } from '../../client/index.js'
import { startServer } from '../../server/index.js'
import { walkDataDir } from '../../server/persist/data-dir-reader.js'
import { ENTRY, EntryWriter, type Entry } from '../../server/persist/entries.js'
import { READ_CHUNK_BYTES } from '../../server/persist/entry-file.js'
import { segmentFile } from '../../server/persist/files.js'
import { tempDataDir } from '../helpers/data-dir.js'

/** The records `dir` holds, as replaying it gives them, read `chunk` bytes at a time. */
function replay(dir: string, chunk: number): Map<string, string> {
  const records = new Map<string, string>()
  const apply = (entry: Entry): void => {
    if (entry.type === ENTRY.WRITE) records.set(Buffer.from(entry.digest).toString('hex'), JSON.stringify(entry.bins, (_k, v) => (typeof v === 'bigint' ? String(v) : v)))
    else if (entry.type === ENTRY.DELETE) records.delete(Buffer.from(entry.digest).toString('hex'))
    else if (entry.type === ENTRY.BATCH) entry.entries.forEach(apply)
    else if (entry.type === ENTRY.TOKEN) apply(entry.change) // a write sent with a token (PROTOCOL.md §3.1)
  }
  const walk = walkDataDir(dir, { onChange: apply, readChunkBytes: chunk })
  if (walk.problems.length > 0) throw new Error(walk.problems.join('\n'))
  return records
}

t.test('segments of many sizes, read with many read sizes, give the same records', async (t) => {
  for (const segmentBytes of [1500, 7777, 40_000]) {
    const dir = tempDataDir(t)
    const server = await startServer({ host: '127.0.0.1', port: 0, storage: 'disk', dataDir: dir, segmentBytes, nsupPeriodMs: 0 })
    const client = await connect({ hosts: `127.0.0.1:${server.address.port}` })
    const expected = new Map<number, string>()
    let seed = segmentBytes
    const random = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n)
    for (let i = 0; i < 400; i++) {
      const k = random(120)
      const key = new Key('test', 'b', k)
      const action = random(10)
      if (action === 0 && expected.has(k)) {
        await client.remove(key)
        expected.delete(k)
      } else if (action === 1) {
        const other = new Key('test', 'b', 1000 + k)
        await client.batchOperate([{ key, ops: [ops.write('v', `batch-${i}`)] }, { key: other, ops: [ops.write('v', `batch-${i}`)] }])
        expected.set(k, `batch-${i}`)
        expected.set(1000 + k, `batch-${i}`)
      } else {
        const v = `${i}-${'x'.repeat(random(3) === 0 ? random(20_000) : random(200))}`
        await client.put(key, { v })
        expected.set(k, v)
      }
    }
    await client.close()
    await server.close()
    const reference = replay(dir, READ_CHUNK_BYTES)
    t.equal(reference.size, expected.size, `segments of ${segmentBytes} bytes: every record`)
    let same = 0
    const chunks = [1, 2, 3, 5, 8, 13, 64, 100, 257, 1000, 4096, 8191, 65536]
    for (const chunk of chunks) {
      const records = replay(dir, chunk)
      if (records.size === reference.size && [...records].every(([k, v]) => reference.get(k) === v)) same++
      else t.fail(`segments of ${segmentBytes} bytes read ${chunk} at a time differ`)
    }
    t.equal(same, chunks.length, `segments of ${segmentBytes} bytes: the same records whatever the read size`)
  }
})

t.test('an entry that ends exactly at the 8 MiB read boundary: everything after it is recovered', async (t) => {
  const dir = tempDataDir(t)
  const w = new EntryWriter(READ_CHUNK_BYTES + 1024 * 1024)
  w.marker(ENTRY.SEGMENT, 1, 0)
  const record = (i: number, pad: number, into = w): void => {
    into.begin()
    into.recordBody('test', new Key('test', 'big', i).digest, { set: 'big', userKey: undefined, gen: 1, voidMs: 0, bins: ['v', i, 'pad', 'p'.repeat(pad)] })
    into.end()
  }
  let i = 0
  while (w.length < READ_CHUNK_BYTES - 70_000) record(i++, 60_000)
  // One entry sized so that it ends exactly at the boundary; a pad of 1,000 to 65,535 bytes has a fixed overhead.
  const scratch = new EntryWriter(4096)
  record(i, 1000, scratch)
  const overhead = scratch.length - 1000
  record(i++, READ_CHUNK_BYTES - w.length - overhead)
  t.equal(w.length, READ_CHUNK_BYTES, 'an entry ends exactly at 8 MiB')
  const beyond = i
  for (let j = 0; j < 50; j++) record(i++, 100)
  fs.writeFileSync(segmentFile(dir, 1), w.take())

  const server = await startServer({ host: '127.0.0.1', port: 0, storage: 'disk', dataDir: dir, nsupPeriodMs: 0 })
  const client = await connect({ hosts: `127.0.0.1:${server.address.port}` })
  t.teardown(async () => {
    await client.close()
    await server.close()
  })
  const found = await client.batchSelect(Array.from({ length: i }, (_, j) => new Key('test', 'big', j)), ['v'])
  t.equal(found.filter((r, j) => r?.bins.v === j).length, i, `all ${i} records, ${i - beyond} of them after the boundary`)
})
