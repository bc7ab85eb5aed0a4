// Damage in every position of a data directory: bit flips, zeroed ranges, damaged headers, deleted, reordered and
// duplicated segments, damaged snapshots. Each is either refused at startup with a precise message that names the
// file and changes nothing, or, for a true torn tail, recovered with every acknowledged write. Then `check` and
// `repair` on the same damage: repair keeps every entry that verifies and names what it dropped.
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { connect, Key } from '../../client/index.js'
import { walkDataDir } from '../../server/persist/data-dir-reader.js'
import { ENTRY, EntryWriter } from '../../server/persist/entries.js'
import { repairDataDir } from '../../server/persist/repair.js'
import { startServer } from '../../server/index.js'
import { runCli } from '../helpers/cli.js'
import { recordingLogger, segments, tempDataDir } from '../helpers/data-dir.js'
import type { Teardown } from '../helpers/server.js'

const RECORDS = 800
const key = (i: number): Key => new Key('test', 'd', `k${i}`)
const value = (i: number): string => `v${i}-${'x'.repeat(40)}`

/** A data directory holding RECORDS acknowledged records in several 16 KiB segments; with a snapshot half way. */
async function pristine(t: Teardown, withSnapshot: boolean): Promise<string> {
  const dir = tempDataDir(t)
  const server = await startServer({ host: '127.0.0.1', port: 0, storage: 'disk', dataDir: dir, segmentBytes: 16 * 1024, nsupPeriodMs: 0 })
  const client = await connect({ hosts: `127.0.0.1:${server.address.port}` })
  for (let i = 0; i < RECORDS; i++) {
    await client.put(key(i), { v: value(i) })
    if (withSnapshot && i === RECORDS / 2) await server.core.persistence!.snapshot()
  }
  await client.close()
  await server.close()
  return dir
}

/** Starts a server on `dir`, reads every record back, stops it: the values found (null if missing). */
async function restart(dir: string): Promise<{ values: (string | null)[]; lines: string[] }> {
  const { lines, log } = recordingLogger()
  const server = await startServer({ host: '127.0.0.1', port: 0, storage: 'disk', dataDir: dir, nsupPeriodMs: 0, log })
  const client = await connect({ hosts: `127.0.0.1:${server.address.port}` })
  try {
    const records = await client.batchGet(Array.from({ length: RECORDS }, (_, i) => key(i)))
    return { values: records.map((r) => (r === null ? null : (r.bins.v as string))), lines }
  } finally {
    await client.close()
    await server.close()
  }
}

/** Every byte of every file in `dir`, to show that a refused start changed nothing. */
function contents(dir: string): Map<string, Buffer> {
  return new Map(fs.readdirSync(dir).filter((f) => f !== 'LOCK').map((f) => [f, fs.readFileSync(path.join(dir, f))]))
}

function copyOf(t: Teardown, from: string): string {
  const dir = tempDataDir(t)
  fs.cpSync(from, dir, { recursive: true })
  return dir
}

/** The start offsets of the entries of `file`. */
function entryStarts(file: string): number[] {
  const bytes = fs.readFileSync(file)
  const starts: number[] = []
  for (let at = 0; at + 8 <= bytes.length; at += 8 + bytes.readUInt32BE(at)) starts.push(at)
  return starts
}

function flip(file: string, offset: number): void {
  const bytes = fs.readFileSync(file)
  bytes[offset]! ^= 0x04
  fs.writeFileSync(file, bytes)
}

type Damage = (dir: string) => void
const snapshotOf = (dir: string): string => path.join(dir, fs.readdirSync(dir).find((f) => f.startsWith('snapshot-'))!)
const pick = (dir: string, position: 'first' | 'middle' | 'last'): string => {
  const files = segments(dir)
  return position === 'first' ? files[0]! : position === 'last' ? files.at(-1)! : files[files.length >> 1]!
}

// Damage that must stop startup, by position; the message must match.
const REFUSED: [string, boolean, Damage, RegExp][] = []
for (const position of ['first', 'middle', 'last'] as const) {
  REFUSED.push(
    [`a flipped bit in the middle of the ${position} segment`, false, (dir) => {
      const file = pick(dir, position)
      const starts = entryStarts(file)
      flip(file, starts[starts.length >> 1]! + 20)
    }, /log segment .*log-\d+\.tally is damaged at byte \d+ of \d+: an entry whose checksum does not match; \d+ valid entries follow it/],
    [`a flipped bit just after the header of the ${position} segment`, false, (dir) => {
      const file = pick(dir, position)
      flip(file, entryStarts(file)[1]! + 9)
    }, /is damaged at byte \d+ of \d+: .*; \d+ valid entries follow it/],
    [`4 KiB of zeros in the middle of the ${position} segment`, false, (dir) => {
      const file = pick(dir, position)
      const bytes = fs.readFileSync(file)
      const from = bytes.length >> 2
      bytes.fill(0, from, from + Math.min(4096, bytes.length >> 1))
      fs.writeFileSync(file, bytes)
    }, /is damaged at byte \d+ of \d+: .*; \d+ valid entries follow it/],
    [`a flipped bit in the header of the ${position} segment`, false, (dir) => flip(pick(dir, position), 10), position === 'first' ? /log-0000000001\.tally is damaged at byte 0/ : /(has no valid header|is damaged at byte 0)/],
  )
}
REFUSED.push(
  ['the first segment deleted', false, (dir) => fs.rmSync(pick(dir, 'first')), /log segments 1 to 1 are missing/],
  ['a middle segment deleted', false, (dir) => fs.rmSync(pick(dir, 'middle')), /log segment \d+ is missing/],
  ['the last segment deleted', false, (dir) => fs.rmSync(pick(dir, 'last')), /says the log goes on in segment \d+, which is missing/],
  ['two segments swapped', false, (dir) => {
    const [a, b] = [segments(dir)[1]!, segments(dir)[2]!]
    fs.renameSync(a, `${a}.x`)
    fs.renameSync(b, a)
    fs.renameSync(`${a}.x`, b)
  }, /holds segment \d+ \(its header says so\)/],
  ['a segment duplicated after the last', false, (dir) => {
    const files = segments(dir)
    fs.copyFileSync(files[1]!, files.at(-1)!.replace(/\d{10}/, (n) => String(Number(n) + 1).padStart(10, '0')))
  }, /holds segment 2 \(its header says so\)/],
  ['a flipped bit in the snapshot', true, (dir) => {
    const file = snapshotOf(dir)
    flip(file, entryStarts(file)[100]! + 30)
  }, /snapshot .*snapshot-\d+\.tally is damaged at byte \d+ of \d+: an entry whose checksum does not match; \d+ valid entries follow it/],
  ['a truncated snapshot', true, (dir) => fs.truncateSync(snapshotOf(dir), fs.statSync(snapshotOf(dir)).size - 100), /snapshot .* is damaged at byte \d+/],
  ['a snapshot with its end cut off whole', true, (dir) => {
    const file = snapshotOf(dir)
    fs.truncateSync(file, entryStarts(file).at(-1)!)
  }, /snapshot .* has no end entry: it is incomplete/],
  ['the snapshot deleted', true, (dir) => fs.rmSync(snapshotOf(dir)), /log segments 1 to \d+ are missing, and there is no snapshot/],
)

t.test('damage that stops startup: refused with a precise message, nothing changed; check and repair handle it', async (t) => {
  const plain = await pristine(t, false)
  const snapshotted = await pristine(t, true)
  t.ok(segments(plain).length >= 5, `${segments(plain).length} segments`)
  let repaired = 0
  for (const [name, withSnapshot, damage, message] of REFUSED) {
    const dir = copyOf(t, withSnapshot ? snapshotted : plain)
    damage(dir)
    const before = contents(dir)
    await t.rejects(restart(dir), { name: 'RecoveryError', message }, `${name}: refused`)
    await t.rejects(restart(dir), { message: /tally check --data-dir .*tally repair --data-dir/ }, `${name}: the message says what to do`)
    t.same(contents(dir), before, `${name}: nothing changed`)
    const walk = walkDataDir(dir)
    t.ok(walk.problems.some((p) => message.test(p)), `${name}: check finds it`)

    const report = repairDataDir(dir)
    t.ok(report.repaired, `${name}: repaired`)
    t.ok(fs.existsSync(path.join(report.asideDir!, 'original')), `${name}: the originals are kept aside`)
    t.same(walkDataDir(dir).problems, [], `${name}: check is clean after repair`)
    const { values } = await restart(dir)
    const missing = values.map((v, i) => (v === value(i) ? -1 : i)).filter((i) => i >= 0)
    const affected = new Set(report.recordsAffected)
    const unexplained = missing.filter((i) => !affected.has(`test:${key(i).digest.toString('hex')}`))
    // Records are only lost where the report says: named, or inside a missing segment or unreadable bytes.
    const bound = report.missingSegments.length > 0 || report.copiesDropped.length > 0 ? RECORDS : report.dropped.reduce((n, d) => n + Math.ceil((d.to - d.from) / 40), 0)
    if (unexplained.length > bound) t.fail(`${name}: ${unexplained.length} records lost that the report does not account for`)
    if (missing.length > 0 && report.dropped.length === 0 && report.missingSegments.length === 0) t.fail(`${name}: records lost with nothing reported dropped`)
    repaired++
  }
  t.equal(repaired, REFUSED.length, 'every case refused, checked and repaired')
})

t.test('true torn tails and unstarted segments are recovered with every acknowledged write', async (t) => {
  const plain = await pristine(t, false)
  const half = new EntryWriter(256)
  half.begin()
  half.recordBody('test', key(0).digest, { set: 'd', userKey: undefined, gen: 9, voidMs: 0, bins: ['v', 'torn'] })
  half.end()
  const partial = half.take().subarray(0, 30)
  const header = new EntryWriter(64)
  header.marker(ENTRY.SEGMENT, 99, 0)
  const cases: [string, Damage, RegExp][] = [
    ['an incomplete entry after the last', (dir) => fs.appendFileSync(pick(dir, 'last'), partial), /torn tail at byte \d+ of \d+ .*cut off 30 bytes/],
    ['a torn entry header', (dir) => fs.appendFileSync(pick(dir, 'last'), partial.subarray(0, 5)), /a torn entry header \(5 bytes\)/],
    ['zeros after the last entry', (dir) => fs.appendFileSync(pick(dir, 'last'), Buffer.alloc(4096)), /4096 zero bytes/],
    ['a new segment with a partial header', (dir) => fs.writeFileSync(next(dir), header.take().subarray(0, 7)), /has no whole header \(7 bytes\).*removed/],
    ['a new empty segment', (dir) => fs.writeFileSync(next(dir), Buffer.alloc(0)), /has no whole header \(0 bytes\).*removed/],
  ]
  for (const [name, damage, warning] of cases) {
    const dir = copyOf(t, plain)
    damage(dir)
    t.same(walkDataDir(dir).problems, [], `${name}: check says the server starts`)
    const { values, lines } = await restart(dir)
    t.equal(values.filter((v, i) => v === value(i)).length, RECORDS, `${name}: every acknowledged write is there`)
    t.match(lines.join('\n'), warning, `${name}: reported`)
    const again = await restart(dir)
    t.notMatch(again.lines.join('\n'), /WARN/, `${name}: the next start has nothing to report`)
  }
})

const next = (dir: string): string => pick(dir, 'last').replace(/\d{10}/, (n) => String(Number(n) + 1).padStart(10, '0'))

t.test('tally check and tally repair on the command line', async (t) => {
  const dir = copyOf(t, await pristine(t, false))
  const clean = await runCli(['check', '--data-dir', dir])
  t.equal(clean.code, 0, clean.stderr)
  t.match(clean.stdout, /result: the server starts on this directory/)
  const nothing = await runCli(['repair', '--data-dir', dir])
  t.match(nothing.stdout, /nothing to repair/)
  const file = pick(dir, 'middle')
  flip(file, entryStarts(file)[6]! - 1) // the last byte of entry 5: its last value, so the entry can still be made out
  const damaged = await runCli(['check', '--data-dir', dir])
  t.equal(damaged.code, 1)
  t.match(damaged.stdout, new RegExp(`${path.basename(file)}: \\d+ bytes, \\d+ entries, \\d+ record changes, DAMAGED bytes \\d+-\\d+: an entry whose checksum does not match`))
  t.match(damaged.stdout, /result: damaged/)
  const repair = await runCli(['repair', '--data-dir', dir])
  t.equal(repair.code, 0, repair.stderr)
  t.match(repair.stdout, /kept: \d+ entries that verify; the repaired directory holds 799 records/)
  t.match(repair.stdout, /dropped: .*log-\d+\.tally bytes \d+-\d+ \(\d+ bytes\): an entry whose checksum does not match; saved at 0 in .*damaged\.bin/)
  t.match(repair.stdout, /records they changed, whose latest change may be lost: 1/)
  const report = fs.readFileSync(/full report, with every record affected: (\S+)/.exec(repair.stdout)![1]!, 'utf8')
  t.match(report, /records affected:\n {2}test:[0-9a-f]{40}/)
  t.equal((await runCli(['check', '--data-dir', dir])).code, 0)
  const { values } = await restart(dir)
  t.equal(values.filter((v, i) => v === value(i)).length, RECORDS - 1, 'all but the damaged entry')
})
