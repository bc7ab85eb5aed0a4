// The window of write tokens on its own: rings that grow while their answers are young and reuse slots once they
// are old, late writes, answers pending durability and undone by the log, and a snapshot's chunks read back whole.
import t from 'tap'
import type { RecordResult, WriteToken } from '../../protocol/messages.js'
import { FrameWriter } from '../../protocol/msgpack-writer.js'
import { STATUS, TALLY_STATUS } from '../../protocol/status.js'
import { Double } from '../../protocol/types.js'
import { decodeEntry, ENTRY, ENTRY_HEADER_BYTES, EntryWriter } from '../../server/persist/entries.js'
import type { LogFailure } from '../../server/persist/log-writer.js'
import { ManualClock } from '../../server/store/clock.js'
import { WriteWindow } from '../../server/window/write-window.js'
import { seededRandom } from '../helpers/fuzz.js'
import { createUnpacker } from '../helpers/msgpackr.js'

const unpacker = createUnpacker({ mapsAsObjects: true })
const token = (seq: number, resent = false, clientLo = 7): WriteToken => ({ clientHi: 1, clientLo, seq, resent, settledBelow: 0 })

/** Runs `token` through the window as dispatch does: its answer replayed (decoded), or `result` remembered. */
function write(window: WriteWindow, w: FrameWriter, tok: WriteToken, result: RecordResult): unknown[] | 'applied' {
  w.take()
  if (window.replay(tok, 9, w)) return unpacker.unpack(w.lastBody()) as unknown[]
  w.begin()
  w.array(3)
  w.number(9)
  w.end()
  window.remember(tok, result, w)
  return 'applied'
}

t.test('answers are found after the ring grows; slots are reused once their answers are older than the age', async (t) => {
  const clock = new ManualClock()
  const window = new WriteWindow({ maxEntries: 1 << 20, maxAgeMs: 1000 }, clock)
  const w = new FrameWriter()
  let applied = 0
  for (let seq = 1; seq <= 5000; seq++) if (write(window, w, token(seq), { gen: seq & 0xffff, ttl: -1, payload: seq * 3 }) === 'applied') applied++
  t.equal(applied, 5000)
  let found = 0
  for (let seq = 1; seq <= 5000; seq++) {
    const answer = write(window, w, token(seq, true), { gen: 0, ttl: 0, payload: 0 })
    if (Array.isArray(answer) && answer[4] === seq * 3 && answer[2] === (seq & 0xffff)) found++
  }
  t.equal(found, 5000, 'every answer, after growing from 64 slots to 8192')
  t.match(window.stats(), { entries: 5000, clients: 1, hits: 5000, evicted: 0 })
  // Steady writing at 1000 writes per 100 ms with an age of 1 s: the ring holds about 10,000 answers, no more.
  for (let seq = 5001; seq <= 60_000; seq++) {
    if (seq % 1000 === 0) clock.advance(100)
    write(window, w, token(seq), { gen: 1, ttl: -1, payload: new Double(seq + 0.5) })
  }
  const { entries, bytes, evicted, expired } = window.stats()
  t.equal(evicted, 0, 'nothing young was dropped')
  t.ok(expired >= 60_000 - 16_384 - 1, `old answers went: ${expired}`)
  t.ok(entries >= 10_000 && entries <= 16_384, `${entries} answers held`)
  t.ok(bytes <= 16_384 * 15, `${bytes} bytes`)
  t.same(write(window, w, token(59_000, true), { gen: 0, ttl: 0 }), [9, 0, 1, -1, 59_000.5], 'a double, as it was')
  t.throws(() => write(window, w, token(100, true), { gen: 0, ttl: 0 }), { code: TALLY_STATUS.OUTCOME_UNKNOWN }, 'an old one')
  t.equal(write(window, w, token(100, false), { gen: 0, ttl: 0 }), 'applied', 'unless never sent before')
})

t.test('a client that says which writes it settled keeps a ring the size of what it has open, however fast it writes', async (t) => {
  const clock = new ManualClock()
  const window = new WriteWindow({ maxEntries: 1 << 24, maxAgeMs: 60_000 }, clock)
  const w = new FrameWriter()
  const open = 300 // writes in flight: the oldest unanswered is 300 behind the newest
  const tok = (seq: number, resent = false): WriteToken => ({ ...token(seq, resent), settledBelow: Math.max(0, seq - open) })
  let applied = 0
  for (let seq = 1; seq <= 1_000_000; seq++) if (write(window, w, tok(seq), { gen: 1, ttl: -1, payload: seq }) === 'applied') applied++
  t.equal(applied, 1_000_000)
  const { entries, bytes, evicted, expired } = window.stats()
  t.equal(bytes, 512 * 15, 'a ring of 512 slots: the 300 open writes and the block of 128 being reused')
  t.equal(evicted, 0, 'nothing unsettled was dropped')
  t.equal(entries + expired, 1_000_000, `${entries} held, ${expired} settled and dropped`)
  let found = 0
  for (let seq = 1_000_000 - open + 1; seq <= 1_000_000; seq++) {
    const answer = write(window, w, tok(seq, true), { gen: 0, ttl: 0 })
    if (Array.isArray(answer) && answer[4] === seq) found++
  }
  t.equal(found, open, 'every open write retried gets its first answer')
  t.throws(() => write(window, w, tok(1_000_000 - 2000, true), { gen: 0, ttl: 0 }), { code: TALLY_STATUS.OUTCOME_UNKNOWN }, 'a settled one, resent all the same: not applied again')
  // A first attempt held up on its way while its retry was answered, and the client's settledBelow moved past it:
  // the slot is long reused, and the late attempt must not be applied a second time.
  t.throws(() => write(window, w, tok(1_000_000 - 2000, false), { gen: 0, ttl: 0 }), { code: TALLY_STATUS.OUTCOME_UNKNOWN }, 'a settled one arriving late as a first attempt: not applied again')
  // A client of the older form, without settledBelow, on the same window: its answers are kept for the age.
  for (let seq = 1; seq <= 5000; seq++) write(window, w, token(seq, false, 8), { gen: 1, ttl: -1, payload: seq })
  t.same(write(window, w, token(1, true, 8), { gen: 0, ttl: 0 }), [9, 0, 1, -1, 1], 'kept while young')
})

t.test("a client pushed out for room keeps its settledBelow in its tombstone: a late first attempt of a settled write is not applied", async (t) => {
  const window = new WriteWindow({ maxEntries: 1024, maxAgeMs: 60_000 }, new ManualClock())
  const w = new FrameWriter()
  const settled = (seq: number, clientLo: number): WriteToken => ({ ...token(seq, false, clientLo), settledBelow: Math.max(0, seq - 10) })
  for (let seq = 1; seq <= 100; seq++) write(window, w, settled(seq, 1), { gen: 1, ttl: -1, payload: seq })
  // Another client's writes, all open, take the whole window: the first client is pushed out.
  for (let seq = 1; seq <= 1024; seq++) write(window, w, token(seq, false, 2), { gen: 1, ttl: -1, payload: seq })
  t.match(window.stats(), { clients: 1 }, 'the first client is gone')
  t.throws(() => write(window, w, settled(50, 1), { gen: 0, ttl: 0 }), { code: TALLY_STATUS.OUTCOME_UNKNOWN }, 'below its settledBelow: not applied')
  t.throws(() => write(window, w, token(95, true, 1), { gen: 0, ttl: 0 }), { code: TALLY_STATUS.OUTCOME_UNKNOWN }, 'a resent one it may have answered: unknown')
  t.equal(write(window, w, settled(101, 1), { gen: 1, ttl: -1, payload: 101 }), 'applied', 'its next write goes on')
})

t.test('late writes behind many after them are kept; one too late to keep is never applied twice', async (t) => {
  const window = new WriteWindow({ maxEntries: 128, maxAgeMs: 60_000 }, new ManualClock())
  const w = new FrameWriter()
  write(window, w, token(200), { gen: 1, ttl: -1 })
  t.equal(write(window, w, token(150), { gen: 2, ttl: -1 }), 'applied', 'within the ring')
  t.equal(write(window, w, token(100), { gen: 3, ttl: -1 }), 'applied', 'behind it: the ring grows to reach it')
  t.same(write(window, w, token(100, true), { gen: 0, ttl: 0 }), [9, 0, 3, -1])
  t.equal(write(window, w, token(1), { gen: 4, ttl: -1 }), 'applied', 'too far behind to keep: applied...')
  t.throws(() => write(window, w, token(1, true), { gen: 0, ttl: 0 }), { code: TALLY_STATUS.OUTCOME_UNKNOWN }, '...and its retry is not')
})

t.test('an answer pending durability: retries are busy; once durable they are answered; once undone the write is new', async (t) => {
  const window = new WriteWindow({ maxEntries: 1 << 16, maxAgeMs: 60_000 }, new ManualClock())
  let position = 0
  let durable: ((failure: LogFailure | undefined) => void) | undefined
  window.attach({ get position() { return position }, barrier: () => new Promise((resolve) => (durable = resolve)) })
  const w = new FrameWriter()
  const logged = (tok: WriteToken, result: RecordResult): unknown => {
    w.take()
    if (window.replay(tok, 9, w)) return unpacker.unpack(w.lastBody())
    position += 10 // the write appends its log entry
    w.begin()
    w.end()
    window.remember(tok, result, w)
    return 'applied'
  }
  t.equal(logged(token(1), { gen: 1, ttl: -1, payload: 1 }), 'applied')
  t.equal(logged(token(2), { gen: 2, ttl: -1, payload: 2 }), 'applied')
  t.throws(() => logged(token(1, true), { gen: 0, ttl: 0 }), { code: STATUS.KEY_BUSY, message: /not yet durable/ })
  await new Promise((resolve) => setImmediate(resolve)) // the window takes its barrier
  window.undone(20) // a storage failure undid write 2 (its entry ended at 20)
  durable!(undefined)
  await new Promise((resolve) => setImmediate(resolve))
  t.same(logged(token(1, true), { gen: 0, ttl: 0 }), [9, 0, 1, -1, 1], 'durable: answered')
  t.equal(logged(token(2, true), { gen: 3, ttl: -1, payload: 3 }), 'applied', 'undone: applied now, once')
  t.equal(window.stats().busy, 1)
})

t.test("a snapshot's chunks, read back, give the same window; tombstones too", async (t) => {
  const clock = new ManualClock()
  const window = new WriteWindow({ maxEntries: 4096, maxAgeMs: 60_000 }, clock)
  const w = new FrameWriter()
  const results: RecordResult[] = [{ gen: 1, ttl: -1 }, { gen: 2, ttl: 30, payload: 2 ** 40 }, { gen: 3, ttl: -1, payload: new Double(2) }, { gen: 4, ttl: 5, payload: [] }, { gen: 5, ttl: -1, payload: ['x', 2n ** 62n] }]
  for (let seq = 1; seq <= 3000; seq++) write(window, w, token(seq, false, seq % 3), results[seq % results.length]!)
  // A client pushed out for room leaves a tombstone.
  write(window, w, token(1, false, 99), { gen: 1, ttl: -1 })
  for (let c = 100; c < 200; c++) write(window, w, token(5, false, c), { gen: 1, ttl: -1 })
  const restored = new WriteWindow({ maxEntries: 4096, maxAgeMs: 60_000 }, clock)
  const e = new EntryWriter()
  let chunks = 0
  for (const chunk of window.chunks(500)) {
    e.window(chunk)
    chunks++
  }
  const bytes = e.take()
  for (let at = 0; at < bytes.length; ) {
    const end = at + ENTRY_HEADER_BYTES + bytes.readUInt32BE(at)
    const entry = decodeEntry(bytes, at + ENTRY_HEADER_BYTES, end)
    if (entry.type !== ENTRY.WINDOW) throw new Error('not a window entry')
    restored.restoreLost(entry.clientHi, entry.clientLo, entry.lost)
    for (const { seq, answer } of entry.answers) restored.restore(entry.clientHi, entry.clientLo, seq, answer)
    at = end
  }
  t.ok(chunks > 3, `${chunks} chunks`)
  let same = 0
  let held = 0
  for (let seq = 1; seq <= 3000; seq++) {
    const tok = token(seq, true, seq % 3)
    let before: unknown
    try {
      before = write(window, w, tok, { gen: 0, ttl: 0 })
    } catch (err) {
      before = (err as { code: number }).code
    }
    let after: unknown
    try {
      after = write(restored, w, tok, { gen: 0, ttl: 0 })
    } catch (err) {
      after = (err as { code: number }).code
    }
    if (Array.isArray(before)) held++
    if (JSON.stringify(before, (_, v) => (typeof v === 'bigint' ? String(v) : v)) === JSON.stringify(after, (_, v) => (typeof v === 'bigint' ? String(v) : v))) same++
  }
  t.equal(same, 3000, `every retry answered alike (${held} from the window)`)
  t.throws(() => write(restored, w, token(1, true, 99), { gen: 0, ttl: 0 }), { code: TALLY_STATUS.OUTCOME_UNKNOWN }, 'the tombstone came back')
})

t.test('fuzz: a write applied once is never applied again while its client may retry it, whatever the order and timing', async (t) => {
  const seed = Number(process.env.SEED ?? Date.now()) >>> 0
  t.comment(`seed ${seed}`)
  const random = seededRandom(seed)
  const clock = new ManualClock()
  const AGE = 1000
  // A small window and many clients: rings grow, wrap, expire and are pushed out for room.
  const window = new WriteWindow({ maxEntries: 2048, maxAgeMs: AGE }, clock)
  const w = new FrameWriter()
  const CLIENTS = 40
  const next = new Array<number>(CLIENTS).fill(1)
  const applied = new Map<string, { at: number; gen: number }>() // client:seq -> when first applied, and its answer
  let retries = 0
  let replayed = 0
  let unknown = 0
  let twice = 0
  for (let step = 0; step < 60_000; step++) {
    const c = Math.floor(random() * CLIENTS)
    if (random() < 0.005) clock.advance(Math.floor(random() * 300))
    // A new write, now and then a late one (behind writes sent after it), or a retry of an earlier one.
    let seq: number
    let resent = false
    const r = random()
    if (r < 0.6 || next[c] === 1) seq = next[c]!++
    else if (r < 0.7) seq = Math.max(1, next[c]! - 1 - Math.floor(random() * 600)) // late, first attempt (maybe a dup)
    else {
      seq = Math.max(1, next[c]! - 1 - Math.floor(random() ** 3 * 5000))
      resent = true
      retries++
    }
    const key = `${c}:${seq}`
    const first = applied.get(key)
    if (!resent && first !== undefined) continue // a first attempt is sent once
    try {
      const answer = write(window, w, token(seq, resent, c), { gen: 1 + (step & 0xfff), ttl: -1 })
      if (answer === 'applied') {
        if (first !== undefined && clock.nowMs() - first.at <= AGE) twice++
        // Once its client has been silent past the age, a retry is past the window and may apply again (§3.1):
        // later retries then get that answer.
        applied.set(key, { at: clock.nowMs(), gen: 1 + (step & 0xfff) })
      } else {
        replayed++
        if (first === undefined || answer[2] !== first.gen) twice++ // an answer for a write that was not applied, or another's
      }
    } catch (err) {
      if ((err as { code: number }).code !== TALLY_STATUS.OUTCOME_UNKNOWN) throw err
      unknown++
    }
  }
  t.comment(`${retries} retries: ${replayed} answered from the window, ${unknown} unknown; ${JSON.stringify(window.stats())}`)
  t.equal(twice, 0, 'no write applied twice, no wrong answer')
  t.ok(replayed > 1000 && unknown > 100 && window.stats().evicted > 0, 'both outcomes seen, and clients pushed out for room')
})

t.test("the count bound sees rings grow: a grown ring's slots count in bytes, and push out other clients for room", async (t) => {
  const clock = new ManualClock(0)
  const window = new WriteWindow({ maxEntries: 2048, maxAgeMs: 60_000 }, clock)
  const w = new FrameWriter()
  for (let seq = 1; seq <= 1000; seq++) write(window, w, token(seq, false, 1), { gen: 1, ttl: -1, payload: seq })
  t.equal(window.stats().bytes, 1024 * 15, 'the ring grew to 1024 slots of 15 bytes')
  for (let seq = 1; seq <= 1000; seq++) write(window, w, token(seq, false, 2), { gen: 1, ttl: -1, payload: seq })
  t.match(window.stats(), { clients: 2, entries: 2000, evicted: 0 }, 'two rings of 1024 slots fit in 2048')
  write(window, w, token(1001, false, 2), { gen: 1, ttl: -1, payload: 0 })
  write(window, w, token(1030, false, 2), { gen: 1, ttl: -1, payload: 0 })
  t.match(window.stats(), { clients: 1, entries: 1002, evicted: 1000, bytes: 2048 * 15 }, 'the second ring grows to 2048 slots: the first client is pushed out')
  t.throws(() => write(window, w, token(5, true, 1), { gen: 1, ttl: -1, payload: 0 }), { code: TALLY_STATUS.OUTCOME_UNKNOWN }, "a retry of the first client's write: outcome unknown")
})

t.test('fuzz: clients that say what they settled, with answers lost, writes given up and first attempts held up behind their retries: none applied twice', async (t) => {
  const seed = Number(process.env.SEED ?? Date.now()) >>> 0
  t.comment(`seed ${seed}`)
  const random = seededRandom(seed)
  const clock = new ManualClock()
  // Room for every client's open writes: nothing is pushed out, so every outcome is exact.
  const window = new WriteWindow({ maxEntries: 1 << 20, maxAgeMs: 60_000 }, clock)
  const w = new FrameWriter()
  const CLIENTS = 8
  interface Client {
    next: number
    open: Set<number> // sent (or about to be), not settled
    held: number[] // first attempts held up on their way
  }
  const clients: Client[] = Array.from({ length: CLIENTS }, () => ({ next: 1, open: new Set(), held: [] }))
  const applied = new Map<string, number>() // client:seq -> its answer's gen
  let twice = 0
  let wrong = 0
  let unknown = 0
  let replayed = 0
  const settledBelow = (c: Client): number => (c.open.size === 0 ? c.next : Math.min(...c.open))
  const send = (ci: number, seq: number, resent: boolean, step: number): void => {
    const c = clients[ci]!
    const key = `${ci}:${seq}`
    let answer: unknown[] | 'applied'
    try {
      answer = write(window, w, { ...token(seq, resent, ci), settledBelow: Math.min(settledBelow(c), seq) }, { gen: 1 + (step & 0xfff), ttl: -1 })
    } catch (err) {
      if ((err as { code: number }).code !== TALLY_STATUS.OUTCOME_UNKNOWN) throw err
      unknown++
      c.open.delete(seq) // the client gives it up, in doubt
      return
    }
    if (answer === 'applied') {
      if (applied.has(key)) twice++
      applied.set(key, 1 + (step & 0xfff))
    } else {
      replayed++
      if (answer[2] !== applied.get(key)) wrong++
    }
    if (random() < 0.8) c.open.delete(seq) // the answer reached the client; else it was lost, and the write stays open
  }
  for (let step = 0; step < 100_000; step++) {
    if (random() < 0.001) clock.advance(Math.floor(random() * 1000))
    const ci = Math.floor(random() * CLIENTS)
    const c = clients[ci]!
    const r = random()
    if (r < 0.5 || c.open.size === 0) {
      const seq = c.next++
      c.open.add(seq)
      if (random() < 0.05) c.held.push(seq) // its first attempt is held up
      else send(ci, seq, false, step)
    } else if (r < 0.75) {
      const open = [...c.open]
      send(ci, open[Math.floor(random() * open.length)]!, true, step) // a retry of an open write
    } else if (r < 0.95 && c.held.length > 0) {
      send(ci, c.held.splice(Math.floor(random() * c.held.length), 1)[0]!, false, step) // a held-up first attempt arrives
    } else if (c.open.size > 0 && random() < 0.1) {
      const open = [...c.open]
      c.open.delete(open[Math.floor(random() * open.length)]!) // given up: never sent again
    }
  }
  t.comment(`${applied.size} applied, ${replayed} answered from the window, ${unknown} unknown; ${JSON.stringify(window.stats())}`)
  t.equal(twice, 0, 'no write applied twice')
  t.equal(wrong, 0, 'no retry answered with another answer')
  t.ok(replayed > 1000 && unknown > 10, 'both outcomes seen: answered from the window, and held-up attempts of settled writes refused')
  t.ok(window.stats().bytes < 8 * 64 * 1024 * 15, `the rings stay small: ${window.stats().bytes} bytes`)
})
