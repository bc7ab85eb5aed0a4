// Log entries and the file reader: checksums known to be right, round trips, read sizes that put entries across
// every boundary, and every way a file can be cut, flipped or zeroed, each told apart from a torn tail.
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { Double } from '../../protocol/types.js'
import { crc32c } from '../../server/persist/crc32c.js'
import { ENTRY, EntryWriter, type Entry } from '../../server/persist/entries.js'
import { scanEntryFile, type ScanResult } from '../../server/persist/entry-file.js'
import { tempDataDir } from '../helpers/data-dir.js'

const digest = Buffer.alloc(20, 9)
const state = { set: 's', userKey: 'k' as const, gen: 7, voidMs: 1_800_000_000_000, bins: ['n', 5, 'big', 2n ** 60n, 'd', new Double(2), 'l', [1, 'x'], 'm', new Map([['a', 1]])] }

/** A segment header, then `records` writes of varied sizes, then a delete. */
function sample(records = 2): Buffer {
  const w = new EntryWriter()
  w.marker(ENTRY.SEGMENT, 3, 12345)
  for (let i = 0; i < records; i++) {
    w.begin()
    w.recordBody('test', digest, { ...state, bins: [...state.bins, 'pad', 'x'.repeat(i * 7)] })
    w.end()
  }
  w.begin()
  w.deleteBody('test', digest)
  w.end()
  return w.take()
}

/** End offsets of the entries in `bytes`. */
function entryEnds(bytes: Buffer): number[] {
  const ends: number[] = []
  for (let at = 0; at < bytes.length; ) ends.push((at += 8 + bytes.readUInt32BE(at)))
  return ends
}

let dir = ''
t.before(() => void (dir = tempDataDir(t)))
let files = 0
function scan(bytes: Buffer, chunkBytes?: number): ScanResult & { seen: Entry[]; after: number } {
  const file = path.join(dir, `f${files++}`)
  fs.writeFileSync(file, bytes)
  const seen: Entry[] = []
  let after = 0
  // Digests are views of the reader's buffer: keeping one means copying it.
  const keep = (e: Entry): Entry => ('digest' in e ? { ...e, digest: Buffer.from(e.digest) } : e)
  const result = scanEntryFile(file, bytes.length, (e, _o, _e, afterDamage) => (afterDamage ? after++ : seen.push(keep(e))), chunkBytes)
  fs.rmSync(file)
  return { ...result, seen, after }
}

t.test('CRC-32C check value', async (t) => {
  t.equal(crc32c(Buffer.from('123456789')).toString(16), 'e3069283')
  t.equal(crc32c(Buffer.alloc(0)), 0)
  t.equal(crc32c(Buffer.from('xx123456789yy'), 2, 11).toString(16), 'e3069283')
})

t.test('entries round-trip', async (t) => {
  const bytes = sample(1)
  const { seen, validBytes, damages } = scan(bytes)
  t.same(damages, [])
  t.equal(validBytes, bytes.length)
  t.same(seen[0], { type: ENTRY.SEGMENT, seq: 3, previousValidBytes: 12345 })
  t.match(seen[1], { type: ENTRY.WRITE, ns: 'test', set: 's', userKey: 'k', gen: 7, voidMs: 1_800_000_000_000 })
  const bins = (seen[1] as { bins: unknown[] }).bins
  t.same(bins.slice(0, 4), ['n', 5, 'big', 2n ** 60n])
  t.ok(bins[5] instanceof Double && (bins[5] as Double).value === 2, 'a Double stays a Double')
  t.same(bins[7], [1, 'x'])
  t.same(bins[9], new Map([['a', 1]]))
  t.same((seen[1] as unknown as { digest: Buffer }).digest, digest)
  t.match(seen[2], { type: ENTRY.DELETE, ns: 'test' })
})

t.test('every read size gives the same entries, with entries ending exactly at read boundaries', async (t) => {
  const bytes = sample(12)
  const ends = entryEnds(bytes)
  const whole = scan(bytes)
  t.equal(whole.seen.length, ends.length)
  let boundaryHits = 0
  for (let chunk = 1; chunk <= bytes.length + 1; chunk++) {
    const result = scan(bytes, chunk)
    if (result.seen.length !== ends.length || result.validBytes !== bytes.length || result.damages.length !== 0) t.fail(`read size ${chunk}`)
    if (ends.some((end) => end % chunk === 0 && end < bytes.length)) boundaryHits++
  }
  t.ok(boundaryHits > 10, `${boundaryHits} read sizes put an entry's end on a boundary`)
  t.same(scan(bytes, 7).seen, whole.seen)
})

t.test('a tail cut at any byte is a torn tail; whole entries before it are kept', async (t) => {
  const bytes = sample(3)
  const ends = entryEnds(bytes)
  let torn = 0
  for (let cut = 1; cut < bytes.length; cut++) {
    const { validBytes, damages, seen } = scan(bytes.subarray(0, cut), 16)
    const before = ends.filter((e) => e <= cut)
    t.equal(validBytes, before.at(-1) ?? 0, `cut at ${cut}`)
    t.equal(seen.length, before.length)
    if (ends.includes(cut)) t.same(damages, [], `cut at ${cut} is an entry boundary`)
    else if (damages.length === 1 && damages[0]!.torn && damages[0]!.offset === validBytes) torn++
  }
  t.equal(torn, bytes.length - 1 - (ends.length - 1), 'every cut inside an entry is a torn tail')
})

t.test('a flipped bit anywhere is damage, never a torn tail, and the entries after it are counted', async (t) => {
  const bytes = sample(4)
  const ends = entryEnds(bytes)
  let checked = 0
  for (let i = 0; i < bytes.length; i++) {
    const entry = ends.findIndex((end) => i < end)
    for (const bit of [0x01, 0x10, 0x80]) {
      const copy = Buffer.from(bytes)
      copy[i]! ^= bit
      const { damages, after, validBytes } = scan(copy, 32)
      const start = entry === 0 ? 0 : ends[entry - 1]!
      if (damages.length === 0 || damages[0]!.torn || damages[0]!.offset !== start || validBytes !== start) t.fail(`byte ${i} bit ${bit}: ${JSON.stringify(damages)}`)
      else if (after !== ends.length - entry - 1) t.fail(`byte ${i} bit ${bit}: ${after} entries after, expected ${ends.length - entry - 1}`)
      else checked++
    }
  }
  t.equal(checked, bytes.length * 3)
})

t.test('zeros: at the end a torn tail, in the middle damage with the entries after it counted', async (t) => {
  const bytes = sample(4)
  const ends = entryEnds(bytes)
  const tail = scan(Buffer.concat([bytes, Buffer.alloc(4096)]))
  t.equal(tail.damages.length, 1)
  t.ok(tail.damages[0]!.torn)
  t.match(tail.damages[0]!.problem, /4096 zero bytes/)
  t.equal(tail.seen.length, ends.length)

  const middle = Buffer.from(bytes)
  middle.fill(0, ends[1]!, ends[2]!)
  const result = scan(middle)
  t.equal(result.damages.length, 1)
  t.notOk(result.damages[0]!.torn)
  t.equal(result.damages[0]!.offset, ends[1])
  t.equal(result.damages[0]!.resumeAt, ends[2])
  t.equal(result.after, ends.length - 3)
})
