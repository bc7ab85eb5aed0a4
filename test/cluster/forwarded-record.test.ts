// A request from Aerospike's listener forwarded as a Tally request: every request the official client was captured
// sending that Tally serves reads back, through Tally's encoder and decoder, as the same typed request (values,
// policies, keys); the owner's answers read back as the result the operations gave, doubles and maps included,
// and its errors as the same status and generation.
import t from 'tap'
import { decodeRequest as decodeAsRequest } from '../../protocol/aerospike/record-request.js'
import { TallyError } from '../../protocol/errors.js'
import { BIN_OP, OP, type RecordResult, type Request } from '../../protocol/messages.js'
import { MsgpackReader } from '../../protocol/msgpack-reader.js'
import { FrameWriter } from '../../protocol/msgpack-writer.js'
import { writeRecordRequest, type RecordRequest } from '../../protocol/record-request.js'
import { decodeRequest } from '../../protocol/request-codec.js'
import { writeErrorResponse, writeRecordResponse } from '../../protocol/response-codec.js'
import { STATUS } from '../../protocol/status.js'
import { Double, EXISTS, GEN_POLICY } from '../../protocol/types.js'
import { requestOf } from '../../server/aerospike/requests.js'
import { forwardRecord, resultOf } from '../../server/cluster/forwarded-record.js'
import type { PeerLink } from '../../server/cluster/peer-link.js'
import { REQUESTS } from '../protocol/aerospike/captured.js'
import { hex } from '../protocol/aerospike/wire-helpers.js'

const reader = new MsgpackReader({ mapsAsObjects: false })

/** The request as the owner decodes it after the forwarding node wrote it. */
function roundTrip(request: RecordRequest): Request {
  const w = new FrameWriter(64)
  w.begin()
  writeRecordRequest(w, request.id, request)
  w.end()
  const frame = w.take()
  return decodeRequest(reader.reset(frame, 4, frame.length))
}

// A bin op's absent value is nil on the wire, and either stands for "no value" to the operations; a digest is bytes,
// whichever class holds them.
function withoutNulls(request: Request): Request {
  const same = 'address' in request ? { ...request, address: { ...request.address, digest: Buffer.from(request.address.digest) } } : request
  return 'ops' in same ? { ...same, ops: same.ops.map((op) => ({ ...op, value: op.value ?? undefined, initial: op.initial ?? undefined })) } : same
}

t.test("the official client's requests arrive at the owner as they were decoded here", async (t) => {
  let served = 0
  for (const [name, text] of Object.entries(REQUESTS)) {
    const body = hex(text).subarray(8)
    let request: RecordRequest
    try {
      request = { ...requestOf(decodeAsRequest(body)), id: 9 }
    } catch {
      continue // refused where it arrives (16 or 4): never forwarded
    }
    served++
    const back = roundTrip(request)
    t.strictSame(withoutNulls(back), withoutNulls(request), name)
  }
  t.ok(served >= 20, `${served} captured requests served`)
})

t.test('every op, policy and value kind', async (t) => {
  const address = { ns: 'test', set: 's', digest: Buffer.alloc(20, 7), userKey: 'k' }
  const policy = { ttl: -1, gen: 4, exists: EXISTS.update, genPolicy: GEN_POLICY.eq, commitMaster: true, deleteMissingOk: true }
  const base = { id: 70000, address, policy, token: undefined }
  const values = [new Double(2), new Map<unknown, unknown>([['a', [1, new Double(1.5)]]]), -(2n ** 63n), Buffer.from([1, 2]), true, null]
  const requests: RecordRequest[] = [
    { ...base, op: OP.PUT, bins: values.flatMap((v, i) => [`b${i}`, v]) },
    { ...base, op: OP.GET, binNames: null },
    { ...base, op: OP.GET, binNames: ['a', 'b'] },
    { ...base, op: OP.EXISTS, address: { ...address, set: null, userKey: null } },
    { ...base, op: OP.REMOVE, policy: { ...policy, ttl: null } },
    { ...base, op: OP.TOUCH, policy: { ...policy, ttl: 0 } },
    { ...base, op: OP.INCREMENT, bin: 'n', offset: undefined, initial: undefined },
    { ...base, op: OP.INCREMENT, bin: 'n', offset: new Double(0.5), initial: undefined },
    { ...base, op: OP.INCREMENT, bin: 'n', offset: 3, initial: 10 },
    { ...base, op: OP.OPERATE, ops: [{ op: BIN_OP.INCR, bin: 'n', value: 1, initial: 5 }, { op: BIN_OP.READ, bin: 'n', value: undefined, initial: undefined }] },
  ]
  for (const request of requests) t.strictSame(withoutNulls(roundTrip(request)), withoutNulls(request), `op ${request.op}`)
})

/** An answer frame, as `write` writes it. */
function answer(write: (w: FrameWriter) => void): Uint8Array {
  const w = new FrameWriter(64)
  w.begin()
  write(w)
  w.end()
  return w.take()
}

t.test("the owner's answers read back as its results and errors", async (t) => {
  const results: RecordResult[] = [
    { gen: 3, ttl: -1 },
    { gen: 1, ttl: 100, payload: ['d', new Double(2), 'm', new Map<unknown, unknown>([['k', [new Double(0.5), 2n ** 62n]]]), 'b', Buffer.from('xy')] },
    { gen: 2, ttl: 5, payload: [7, null] },
  ]
  for (const result of results) t.strictSame(resultOf(answer((w) => writeRecordResponse(w, 1, result))), result)
  t.ok((resultOf(answer((w) => writeRecordResponse(w, 1, results[1]!))).payload as unknown[])[1] instanceof Double, 'a whole double stays a Double')

  let thrown: unknown
  try {
    resultOf(answer((w) => writeErrorResponse(w, 1, STATUS.GENERATION, 'generation 4, not 3', 4)))
  } catch (err) {
    thrown = err
  }
  t.ok(thrown instanceof TallyError, 'an error answer throws')
  t.same([(thrown as TallyError).code, (thrown as TallyError).gen, (thrown as TallyError).message], [STATUS.GENERATION, 4, 'generation 4, not 3'], 'status, generation and message')
})

t.test('a request the forwarder cannot write is refused with 4, and the next one is written whole', async (t) => {
  const sent: Uint8Array[] = []
  // A link that answers every request OK, keeping what it was sent.
  const link = {
    forward: async (body: Uint8Array) => {
      sent.push(Buffer.from(body))
      return answer((w) => writeRecordResponse(w, 1, { gen: 1, ttl: -1, payload: undefined }))
    },
  } as unknown as PeerLink
  let deep: unknown = 1
  for (let i = 0; i < 80; i++) deep = [deep]
  const put = (value: unknown): RecordRequest => ({ id: 1, op: OP.PUT, address: { ns: 'test', set: 's', digest: Buffer.alloc(20, 3), userKey: null }, policy: { ttl: null, gen: 0, exists: 0, genPolicy: 0, commitMaster: false, deleteMissingOk: false }, token: undefined, bins: ['b', value] })
  await t.rejects(forwardRecord(link, put(deep)), { code: STATUS.PARAMETER, message: /cannot be forwarded.*nest deeper/ })
  t.equal(sent.length, 0, 'nothing sent')
  t.match(await forwardRecord(link, put(7)), { gen: 1, ttl: -1 })
  t.equal(sent.length, 1)
  t.match(decodeRequest(reader.reset(Buffer.from(sent[0]!))), { id: 1, op: OP.PUT, address: { ns: 'test', set: 's' }, bins: ['b', 7] }, 'the next request, whole and alone')
})
