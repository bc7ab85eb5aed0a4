// Bad input on the Aerospike listener: fuzzed frames (every captured request with bytes changed, cut short or grown:
// bad field and op sizes, unknown ops, wrong particle types) each get one answer, never status 1; broken framing
// (random bytes, a bad or oversized header, a header cut short) closes only that connection; a request refused
// changes nothing; and the other clients are served all along.
import t from 'tap'
import { OP, PARTICLE, PROTO_TYPE } from '../../../protocol/aerospike/constants.js'
import { decodeMessage, readMessage } from '../../../protocol/aerospike/message.js'
import { writeProtoHeader } from '../../../protocol/aerospike/proto.js'
import { encodeRequest } from '../../../protocol/aerospike/record-request.js'
import { decodeResponse } from '../../../protocol/aerospike/record-response.js'
import { computeDigest } from '../../../protocol/digest.js'
import { STATUS } from '../../../protocol/status.js'
import { INFO_REQUESTS, LOGIN, REQUESTS } from '../../protocol/aerospike/captured.js'
import { ProtoReader, rawAsSocket } from '../../helpers/aerospike.js'
import { seededRandom } from '../../helpers/fuzz.js'
import { errorLogger, fuzzListener } from '../../helpers/fuzz-listener.js'
import { testServer } from '../../helpers/server.js'

const TEMPLATES = [...Object.values(REQUESTS), ...Object.values(INFO_REQUESTS), LOGIN].map((hex) => Buffer.from(hex, 'hex'))

/** A template frame with its body changed: bytes replaced, cut short or grown; the header says the new length. */
function fuzzedFrame(random: () => number): Buffer {
  const template = TEMPLATES[Math.floor(random() * TEMPLATES.length)]!
  let body = Buffer.from(template.subarray(8))
  const r = random()
  if (r < 0.15) body = body.subarray(0, Math.floor(random() * body.length))
  else if (r < 0.3) body = Buffer.concat([body, Buffer.from(Array.from({ length: 1 + Math.floor(random() * 40) }, () => Math.floor(random() * 256)))])
  const changes = r < 0.3 ? 0 : 1 + Math.floor(random() * 4)
  for (let i = 0; i < changes && body.length > 0; i++) {
    const at = Math.floor(random() * body.length)
    // Sizes and counts are where decoders go wrong: now and then a whole u32 of 0xff, 0 or a small number.
    if (random() < 0.3 && at + 4 <= body.length) body.writeUInt32BE([0xffff_ffff, 0, 1, 7, 0x8000_0000][Math.floor(random() * 5)]!, at)
    else body[at] = Math.floor(random() * 256)
  }
  const frame = Buffer.alloc(8 + body.length)
  writeProtoHeader(frame, 0, template[1] as 1 | 2 | 3 | 4, body.length)
  body.copy(frame, 8)
  return frame
}

t.test('fuzzed frames: one answer each, of the request type, never status 1; the server goes on', async (t) => {
  const log = errorLogger()
  const server = await testServer(t, { aerospikePort: 0, log })
  let wrongType = 0
  await fuzzListener(t, {
    server,
    log,
    connections: 4,
    frames: 1500,
    batch: 50,
    minParameterShare: 1 / 4,
    fuzzedFrame,
    connect: async () => {
      const socket = await rawAsSocket(t, server.aerospikeAddress!.port)
      const reader = new ProtoReader(socket)
      return {
        send: (frames) => socket.write(Buffer.concat(frames)),
        answer: async (frame) => {
          const answer = await reader.next()
          if (answer === null) throw new Error('the connection closed')
          const expected = frame[1] === PROTO_TYPE.COMPRESSED ? PROTO_TYPE.MESSAGE : frame[1]
          if (answer.type !== expected) wrongType++
          return answer.type === PROTO_TYPE.MESSAGE ? resultCodes(answer.body) : answer.type === PROTO_TYPE.ADMIN ? [answer.body[1]!] : [0]
        },
      }
    },
  })
  t.equal(wrongType, 0, 'each of the type asked (info, admin, message)')
})

/** The result codes of every AS_MSG in an answer's body (a batch answer holds several). */
function resultCodes(body: Buffer): number[] {
  const codes: number[] = []
  for (let at = 0; at < body.length; ) {
    const { message, end } = readMessage(body, at, body.length)
    codes.push(message.resultCode)
    at = end
  }
  return codes
}

t.test('broken framing closes that connection only; the others are served', async (t) => {
  const server = await testServer(t, { aerospikePort: 0, maxFrameBytes: 1024 * 1024 })
  const port = server.aerospikeAddress!.port
  const healthy = await rawAsSocket(t, port)
  const healthyReader = new ProtoReader(healthy)
  const random = seededRandom(7)
  const cases: [string, Buffer][] = [
    ['random bytes', Buffer.from(Array.from({ length: 64 }, () => Math.floor(random() * 256)))],
    ['version 3', Buffer.from('0303000000000000', 'hex')],
    ['type 5', Buffer.from('0205000000000000', 'hex')],
    ['a body over the limit', Buffer.from('0203000000200000', 'hex')],
    ['a 48-bit length', Buffer.from('0203ffffffffffff', 'hex')],
  ]
  let closed = 0
  for (const [what, bytes] of cases) {
    const socket = await rawAsSocket(t, port)
    const reader = new ProtoReader(socket)
    socket.write(bytes)
    let frames = 0
    for (let answer = await reader.next(); answer !== null; answer = await reader.next()) {
      frames++
      t.equal(decodeMessage(answer.body).resultCode, STATUS.PARAMETER, `${what}: an error answer`)
    }
    closed++
    t.ok(frames <= 1, `${what}: then closed`)
    healthy.write(Buffer.from(INFO_REQUESTS.TEND, 'hex'))
    t.equal((await healthyReader.next())?.type, PROTO_TYPE.INFO, `${what}: another client is served`)
  }
  t.equal(closed, cases.length)
  // A header cut short, then the end: the frame will never be whole.
  const cut = await rawAsSocket(t, port)
  const cutReader = new ProtoReader(cut)
  cut.end(Buffer.from(REQUESTS.GET, 'hex').subarray(0, 5))
  const last = await cutReader.next()
  t.equal(decodeMessage(last!.body).resultCode, STATUS.PARAMETER, 'a frame cut short by the end of the stream: 4')
  t.equal(await cutReader.next(), null, 'then closed')
})

t.test('a request refused for one bad op changes nothing, whether it fails decoding or running', async (t) => {
  const server = await testServer(t, { aerospikePort: 0 })
  const socket = await rawAsSocket(t, server.aerospikeAddress!.port)
  const reader = new ProtoReader(socket)
  const digest = computeDigest('h', 'one')
  // `particle`: the particle type the bytes of a write of bin 'x' are sent as, whatever they hold.
  const send = async (ops: Parameters<typeof encodeRequest>[0]['ops'], read = false, particle?: number) => {
    const frame = encodeRequest({ ns: 'test', set: 'h', digest, write: !read, read, readAll: read, ops })
    if (particle !== undefined) frame[frame.indexOf(Buffer.from([OP.WRITE, PARTICLE.BLOB, 0, 1, 0x78])) + 1] = particle
    socket.write(frame)
    return decodeResponse((await reader.next())!.body)
  }
  t.equal((await send([{ op: OP.WRITE, name: 's', value: 'text' }, { op: OP.WRITE, name: 'n', value: 1 }])).resultCode, 0)
  const raw = (bytes: number[]) => [{ op: OP.INCR, name: 'n', value: 1 }, { op: OP.WRITE, name: 'x', value: Buffer.from(bytes) }]
  const wrongParticles: [string, number[], number][] = [
    ['an integer particle of 3 bytes', [1, 2, 3], PARTICLE.INTEGER],
    ['a float particle of 4 bytes', [1, 2, 3, 4], PARTICLE.FLOAT],
    ['a string that is not UTF-8', [0xff, 0xfe], PARTICLE.STRING],
    ['a bool of 2', [2], PARTICLE.BOOL],
    ['a list that is not msgpack', [0xc1], PARTICLE.LIST],
    ['a map particle holding a list', [0x91, 1], PARTICLE.MAP],
    ['an unknown particle type', [1], 99],
  ]
  for (const [what, bytes, particle] of wrongParticles) t.equal((await send(raw(bytes), false, particle)).resultCode, STATUS.PARAMETER, what)
  const bad: [string, Parameters<typeof encodeRequest>[0]['ops'], number][] = [
    ['an unknown op code', [{ op: OP.INCR, name: 'n', value: 1 }, { op: 6, name: 'n', value: 1 }], STATUS.PARAMETER],
    ['an increment of a string bin', [{ op: OP.INCR, name: 'n', value: 1 }, { op: OP.INCR, name: 's', value: 1 }], STATUS.INCOMPATIBLE_TYPE],
    ['an increment that overflows', [{ op: OP.INCR, name: 'n', value: 1 }, { op: OP.INCR, name: 'n', value: 2n ** 63n - 1n }], STATUS.OP_NOT_APPLICABLE],
    ['a bin name over 15 bytes', [{ op: OP.INCR, name: 'n', value: 1 }, { op: OP.WRITE, name: 'x'.repeat(16), value: 1 }], STATUS.BIN_NAME],
    ['a string increment', [{ op: OP.INCR, name: 'n', value: 1 }, { op: OP.INCR, name: 'n', value: 'one' }], STATUS.PARAMETER],
  ]
  for (const [what, ops, code] of bad) t.equal((await send(ops)).resultCode, code, what)
  const record = await send(undefined, true)
  t.same([record.gen, record.ops.map((o) => [o.name, o.value])], [1, [['s', 'text'], ['n', 1]]], 'the record is as it was')
})
