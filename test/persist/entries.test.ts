// Log entries: checksums known to be right, round trips, and every way a tail can be torn or flipped.
import t from 'tap'
import { Double } from '../../protocol/types.js'
import { crc32c } from '../../server/persist/crc32c.js'
import { ENTRY, EntryWriter, readEntries, type Entry } from '../../server/persist/entries.js'

const digest = Buffer.alloc(20, 9)
const state = { set: 's', userKey: 'k' as const, gen: 7, voidMs: 1_800_000_000_000, bins: ['n', 5, 'big', 2n ** 60n, 'd', new Double(2), 'l', [1, 'x'], 'm', new Map([['a', 1]])] }

function sample(): Buffer {
  const w = new EntryWriter()
  w.marker(ENTRY.SEGMENT, 3, 12345)
  w.begin()
  w.recordBody('test', digest, state)
  w.end()
  w.begin()
  w.deleteBody('test', digest)
  w.end()
  return w.take()
}

function read(bytes: Buffer, end = bytes.length): { entries: Entry[]; validBytes: number; problem: string | undefined } {
  const entries: Entry[] = []
  const result = readEntries(bytes, end, (e) => entries.push(e))
  return { entries, ...result }
}

t.test('CRC-32C check value', async (t) => {
  t.equal(crc32c(Buffer.from('123456789')).toString(16), 'e3069283')
  t.equal(crc32c(Buffer.alloc(0)), 0)
  t.equal(crc32c(Buffer.from('xx123456789yy'), 2, 11).toString(16), 'e3069283')
})

t.test('entries round-trip', async (t) => {
  const bytes = sample()
  const { entries, validBytes, problem } = read(bytes)
  t.equal(problem, undefined)
  t.equal(validBytes, bytes.length)
  t.same(entries[0], { type: ENTRY.SEGMENT, seq: 3, previousValidBytes: 12345 })
  t.match(entries[1], { type: ENTRY.WRITE, ns: 'test', set: 's', userKey: 'k', gen: 7, voidMs: 1_800_000_000_000 })
  const bins = (entries[1] as { bins: unknown[] }).bins
  t.same(bins.slice(0, 4), ['n', 5, 'big', 2n ** 60n])
  t.ok(bins[5] instanceof Double && (bins[5] as Double).value === 2, 'a Double stays a Double')
  t.same(bins[7], [1, 'x'])
  t.same(bins[9], new Map([['a', 1]]))
  t.same((entries[1] as unknown as { digest: Buffer }).digest, digest)
  t.match(entries[2], { type: ENTRY.DELETE, ns: 'test' })
})

t.test('a tail cut at any byte keeps every whole entry before it', async (t) => {
  const bytes = sample()
  const ends: number[] = []
  let at = 0
  while (at < bytes.length) {
    at += 8 + bytes.readUInt32BE(at)
    ends.push(at)
  }
  for (let cut = 0; cut < bytes.length; cut++) {
    const { validBytes, problem, entries } = read(bytes, cut)
    const whole = ends.filter((e) => e <= cut)
    t.equal(validBytes, whole.at(-1) ?? 0, `cut at ${cut}`)
    t.equal(entries.length, whole.length)
    if (!ends.includes(cut) && cut > 0) t.ok(problem, `cut at ${cut} is reported`)
  }
})

t.test('a flipped bit anywhere in the last entry is caught', async (t) => {
  const bytes = sample()
  let at = 0
  let last = 0
  while (at < bytes.length) {
    last = at
    at += 8 + bytes.readUInt32BE(at)
  }
  let caught = 0
  for (let i = last; i < bytes.length; i++) {
    for (const bit of [0x01, 0x80]) {
      const copy = Buffer.from(bytes)
      copy[i]! ^= bit
      const { validBytes, problem } = read(copy)
      if (validBytes === last && problem !== undefined) caught++
    }
  }
  t.equal(caught, (bytes.length - last) * 2)
})
