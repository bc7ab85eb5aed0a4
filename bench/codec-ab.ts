// A/B of the codec and digest behind the increment path, each part on its own: Tally's msgpack reader and writer
// against msgpackr at its fastest settings, and its plain-JS RIPEMD-160 against node:crypto, on the messages an
// increment really sends and answers. One process, variants interleaved, medians (docs/PERFORMANCE.md).
//   node dist/bench/codec-ab.js [--reps 7] [--messages 200000] [--json]
import { getHashes } from 'node:crypto'
import { isNativeAccelerationEnabled, Packr, RESERVE_START_SPACE, Unpackr } from 'msgpackr'
import { readValue } from '../client/calls.js'
import { FRAME_HEADER_BYTES } from '../protocol/frame.js'
import { OP, type IncrementRequest, type RecordAddress, type RecordPolicy } from '../protocol/messages.js'
import { MsgpackReader } from '../protocol/msgpack-reader.js'
import { FrameWriter } from '../protocol/msgpack-writer.js'
import { writeRecordHeader } from '../protocol/record-request.js'
import { decodeRequest } from '../protocol/request-codec.js'
import { readResponseHead, writeRecordResponse } from '../protocol/response-codec.js'
import { Double, Key } from '../protocol/types.js'
import { abRatios, keptValue, option, type Variant } from './ab.js'
import { checkDigests, createHashDigests, oneShotDigests, oursDigests } from './digest-variants.js'

const REPS = Number(option('reps', '7'))
const MESSAGES = Number(option('messages', '200000'))
/** Requests the client coalesces into one write, and answers the server sends in one: a busy connection's tick. */
const PER_WRITE = 32
const KEYS = 1024

// What `client.increment(key, 'b', 1)` sends with the default policy, over `tally bench`'s keys.
const keys = Array.from({ length: KEYS }, (_, i) => new Key('test', 'bench', i))
const ARGS = ['b', 1, null] as const

// msgpackr as a msgpackr-based Tally would set it up: no records (the messages are arrays, not objects), 64-bit
// integers exact as bigint, byte strings as views of the frame (no copy).
const packr = new Packr({ useRecords: false })
const serverUnpackr = new Unpackr({ useRecords: false, mapsAsObjects: false, int64AsType: 'bigint' })
const clientUnpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'bigint' })

let sink = 0

// ---- client: encode an increment request ------------------------------------------------------------------

function oursEncodeRequest(n: number): number {
  const w = new FrameWriter()
  for (let i = 0; i < n; i++) {
    const key = keys[i & (KEYS - 1)]!
    w.begin()
    writeRecordHeader(w, i + 1, OP.INCREMENT, ARGS.length, key.ns, key.set, key.digest, null, null, 0, 0)
    for (let a = 0; a < ARGS.length; a++) w.value(ARGS[a])
    w.end()
    if ((i & (PER_WRITE - 1)) === PER_WRITE - 1) sink += w.take().length
  }
  return sink
}

const requestArray = (id: number, key: Key): unknown[] => [id, OP.INCREMENT, key.ns, key.set, key.digest, null, null, 0, 0, ARGS[0], ARGS[1], ARGS[2]]

/** `pack` returns each message on its own; it is copied behind a length into the write's buffer. */
function msgpackrEncodeRequestCopy(n: number): number {
  const w = new FrameWriter()
  for (let i = 0; i < n; i++) {
    w.push(packr.pack(requestArray(i + 1, keys[i & (KEYS - 1)]!)))
    if ((i & (PER_WRITE - 1)) === PER_WRITE - 1) sink += w.take().length
  }
  return sink
}

/** `pack` into one reused buffer, with the frame header's 4 bytes reserved in front: frames built in place. */
function msgpackrEncodeRequestInPlace(n: number): number {
  return packInPlace(n, (i) => requestArray(i + 1, keys[i & (KEYS - 1)]!))
}

const arena = Buffer.allocUnsafe(256 * 1024)
function packInPlace(n: number, message: (i: number) => unknown): number {
  const frames: Buffer[] = []
  packr.useBuffer(arena)
  for (let i = 0; i < n; i++) {
    const frame = packr.pack(message(i), RESERVE_START_SPACE | FRAME_HEADER_BYTES)
    frame.writeUInt32BE(frame.length - FRAME_HEADER_BYTES, 0)
    frames.push(frame)
    if (frames.length === PER_WRITE) {
      // msgpackr leaves gaps between messages (it word-aligns each), so one write needs them joined.
      sink += Buffer.concat(frames).length
      frames.length = 0
      packr.useBuffer(arena)
    }
  }
  return sink
}

// ---- server: decode an increment request ------------------------------------------------------------------

/** Frames as the server finds them in what it read: one buffer, frame after frame. */
function framed(encode: (w: FrameWriter, i: number) => void, count: number): { buf: Buffer; starts: Int32Array; ends: Int32Array } {
  const w = new FrameWriter()
  const starts = new Int32Array(count)
  const ends = new Int32Array(count)
  for (let i = 0; i < count; i++) {
    starts[i] = w.length + FRAME_HEADER_BYTES
    w.begin()
    encode(w, i)
    w.end()
    ends[i] = w.length
  }
  return { buf: w.take(), starts, ends }
}

const requests = framed((w, i) => {
  const key = keys[i]!
  writeRecordHeader(w, i + 1, OP.INCREMENT, ARGS.length, key.ns, key.set, key.digest, null, null, 0, 0)
  for (const arg of ARGS) w.value(arg)
}, KEYS)

function oursDecodeRequest(n: number): number {
  const r = new MsgpackReader({ mapsAsObjects: false })
  const { buf, starts, ends } = requests
  for (let i = 0; i < n; i++) {
    const at = i & (KEYS - 1)
    sink += decodeRequest(r.reset(buf, starts[at], ends[at])).id
  }
  return sink
}

function msgpackrDecodeRequest(n: number): number {
  const { buf, starts, ends } = requests
  for (let i = 0; i < n; i++) {
    const at = i & (KEYS - 1)
    sink += toIncrement(serverUnpackr.unpack(buf, { start: starts[at], end: ends[at] })).id
  }
  return sink
}

/** msgpackr alone, with no checks and no typed request: a floor the real thing cannot reach. */
function msgpackrUnpackOnly(n: number): number {
  const { buf, starts, ends } = requests
  for (let i = 0; i < n; i++) {
    const at = i & (KEYS - 1)
    sink += (serverUnpackr.unpack(buf, { start: starts[at], end: ends[at] }) as unknown[]).length
  }
  return sink
}

const fail = (what: string): never => {
  throw new Error(`bad request: ${what}`)
}
const isInt = (v: unknown, min: number, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max

/** The checks `decodeRequest` makes of an increment, made of the array msgpackr returns (as Tally did before). */
function toIncrement(message: unknown): IncrementRequest {
  if (!Array.isArray(message) || message.length < 10) return fail('not an array of 10 fields')
  const [id, op, ns, set, digest, userKey, ttl, gen, flags, bin, offset, initial] = message
  if (!isInt(id, 1, 0xffff_ffff) || op !== OP.INCREMENT) return fail('id or op')
  if (typeof ns !== 'string' || ns.length === 0 || (set !== null && typeof set !== 'string')) return fail('ns or set')
  if (!(digest instanceof Uint8Array) || digest.length !== 20) return fail('digest')
  if (userKey !== null && typeof userKey !== 'string' && typeof userKey !== 'number' && typeof userKey !== 'bigint' && !(userKey instanceof Uint8Array)) return fail('user key')
  if ((ttl !== null && !isInt(ttl, -(2 ** 31), 2 ** 32 - 1)) || !isInt(gen, 0, 0xffff) || !isInt(flags, 0, 0xff)) return fail('policy')
  if (typeof bin !== 'string') return fail('bin')
  const address: RecordAddress = { ns, set, digest, userKey }
  const policy: RecordPolicy = { ttl, gen, exists: (flags & 7) as RecordPolicy['exists'], genPolicy: ((flags >> 3) & 3) as RecordPolicy['genPolicy'], commitMaster: (flags & 0x20) !== 0, deleteMissingOk: (flags & 0x40) !== 0 }
  return { id, address, policy, token: undefined, op: OP.INCREMENT, bin, offset, initial: initial ?? undefined }
}

// ---- server: encode the answer, [id, 0, gen, ttl, value] -------------------------------------------------

const answerOf = (i: number): { gen: number; ttl: number; payload: number } => ({ gen: 1 + (i & 1023), ttl: -1, payload: 1 + (i & 0xffff) })

function oursEncodeAnswer(n: number): number {
  const w = new FrameWriter()
  for (let i = 0; i < n; i++) {
    w.begin()
    writeRecordResponse(w, i + 1, answerOf(i))
    w.end()
    if ((i & (PER_WRITE - 1)) === PER_WRITE - 1) sink += w.take().length
  }
  return sink
}

const answerArray = (i: number): unknown[] => [i + 1, 0, 1 + (i & 1023), -1, 1 + (i & 0xffff)]

function msgpackrEncodeAnswerCopy(n: number): number {
  const w = new FrameWriter()
  for (let i = 0; i < n; i++) {
    w.push(packr.pack(answerArray(i)))
    if ((i & (PER_WRITE - 1)) === PER_WRITE - 1) sink += w.take().length
  }
  return sink
}

function msgpackrEncodeAnswerInPlace(n: number): number {
  return packInPlace(n, answerArray)
}

// ---- client: decode the answer ---------------------------------------------------------------------------

const answers = framed((w, i) => writeRecordResponse(w, i + 1, answerOf(i)), KEYS)

function oursDecodeAnswer(n: number): number {
  const r = new MsgpackReader({ mapsAsObjects: true })
  const head = { id: 0, status: 0, fields: 0 }
  const { buf, starts, ends } = answers
  for (let i = 0; i < n; i++) {
    const at = i & (KEYS - 1)
    readResponseHead(r.reset(buf, starts[at], ends[at]), head)
    sink += head.id + (readValue(r, head.fields) as number)
  }
  return sink
}

function msgpackrDecodeAnswer(n: number): number {
  const { buf, starts, ends } = answers
  for (let i = 0; i < n; i++) {
    const at = i & (KEYS - 1)
    const message = clientUnpackr.unpack(buf, { start: starts[at], end: ends[at] }) as unknown[]
    if (!Array.isArray(message) || message.length < 2 || typeof message[0] !== 'number' || typeof message[1] !== 'number') return fail('answer')
    const value = message[4]
    sink += message[0] + ((value instanceof Double ? value.value : value) as number)
  }
  return sink
}

// ---- the run ------------------------------------------------------------------------------------------------

/** Every variant must read and write the same messages, or the comparison means nothing. */
function checkAgreement(): void {
  const ours = new FrameWriter()
  ours.begin()
  writeRecordHeader(ours, 7, OP.INCREMENT, ARGS.length, 'test', 'bench', keys[7]!.digest, null, null, 0, 0)
  for (const arg of ARGS) ours.value(arg)
  ours.end()
  const theirs = new FrameWriter()
  theirs.push(packr.pack(requestArray(7, keys[7]!)))
  if (!ours.take().equals(theirs.take())) throw new Error('msgpackr encodes the increment request differently')
  const decoded = decodeRequest(new MsgpackReader({ mapsAsObjects: false }).reset(requests.buf, requests.starts[7], requests.ends[7]))
  const viaMsgpackr = toIncrement(serverUnpackr.unpack(requests.buf, { start: requests.starts[7], end: requests.ends[7] }))
  const plain = (req: IncrementRequest): string => JSON.stringify({ ...req, address: { ...req.address, digest: Buffer.from(req.address.digest).toString('hex') } })
  if (decoded.op !== OP.INCREMENT || plain(decoded) !== plain(viaMsgpackr)) throw new Error(`the two request decoders disagree: ${plain(decoded as IncrementRequest)} ${plain(viaMsgpackr)}`)
  checkDigests()
}

const STEPS: { step: string; variants: Variant[] }[] = [
  {
    step: 'client: encode an increment request',
    variants: [
      { name: 'Tally', run: oursEncodeRequest },
      { name: 'msgpackr pack, copied into the write', run: msgpackrEncodeRequestCopy },
      { name: 'msgpackr pack in place (reused buffer, reserved header)', run: msgpackrEncodeRequestInPlace },
    ],
  },
  {
    step: 'server: decode it into a checked request',
    variants: [
      { name: 'Tally', run: oursDecodeRequest },
      { name: 'msgpackr unpack + the same checks', run: msgpackrDecodeRequest },
      { name: 'msgpackr unpack alone (no checks: a floor)', run: msgpackrUnpackOnly },
    ],
  },
  {
    step: 'server: encode the answer',
    variants: [
      { name: 'Tally', run: oursEncodeAnswer },
      { name: 'msgpackr pack, copied into the write', run: msgpackrEncodeAnswerCopy },
      { name: 'msgpackr pack in place (reused buffer, reserved header)', run: msgpackrEncodeAnswerInPlace },
    ],
  },
  {
    step: 'client: decode the answer',
    variants: [
      { name: 'Tally', run: oursDecodeAnswer },
      { name: 'msgpackr unpack + head checks', run: msgpackrDecodeAnswer },
    ],
  },
  {
    step: 'digest of a key (half integer keys, half 11-character strings)',
    variants: [
      { name: 'Tally (plain-JS RIPEMD-160)', run: oursDigests },
      { name: "node:crypto createHash('ripemd160')", run: createHashDigests },
      { name: "node:crypto hash('ripemd160', bytes)", run: oneShotDigests },
    ],
  },
]

function main(): void {
  if (!getHashes().includes('ripemd160')) throw new Error("this Node's OpenSSL has no ripemd160: createHash('ripemd160') is not available")
  checkAgreement()
  const log = (line: string): void => void process.stderr.write(`[codec-ab] ${line}\n`)
  log(`node ${process.version}, msgpackr native string extraction ${isNativeAccelerationEnabled ? 'on' : 'off'}; ${REPS} reps x ${MESSAGES} messages per variant`)
  const results = STEPS.map(({ step, variants }) => {
    const rows = abRatios(variants, REPS, MESSAGES)
    log(`${step}: ${rows.map((r) => `${r.name} ${r.nsPerOp.toFixed(0)} ns${r.ratio === 1 ? '' : ` (${r.ratio.toFixed(2)}x)`}`).join('; ')}`)
    return { step, rows }
  })
  if (option('json', '') !== '') console.log(JSON.stringify({ node: process.version, native: isNativeAccelerationEnabled, results, kept: (sink ^ keptValue()) & 1 }))
  else for (const { step, rows } of results) for (const r of rows) console.log(`| ${step} | ${r.name} | ${r.nsPerOp.toFixed(0)} ns | ${r.ratio.toFixed(2)} |`)
}

main()
