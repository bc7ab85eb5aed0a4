// Aerospike's protocol as a connection speaks it (connection.ts `Wire`): proto frames cut by the codec, each
// answered by its type: info (the same values as Tally's INFO), admin (52: security is not enabled), messages
// (record requests and batch reads, run through the same operations, or on a cluster node forwarded to the owner of
// their partition), compressed messages (answered plain).
import { decodeAdmin, encodeAdmin, type AdminMessage } from '../../protocol/aerospike/admin.js'
import { FIELD, INFO1, MSG, PROTO_TYPE } from '../../protocol/aerospike/constants.js'
import { decodeInfoRequest, encodeInfoResponse, infoError } from '../../protocol/aerospike/info.js'
import { decodeMessage } from '../../protocol/aerospike/message.js'
import { inflateMessage, ProtoDecoder, type ProtoFrame } from '../../protocol/aerospike/proto.js'
import { decodeRequest, type AsRequest } from '../../protocol/aerospike/record-request.js'
import { encodeResponse, writeResponseFrame, type AsResponseInput } from '../../protocol/aerospike/record-response.js'
import { RESULT, resultCodeOf } from '../../protocol/aerospike/result-codes.js'
import { WireWriter } from '../../protocol/aerospike/wire.js'
import { TallyError } from '../../protocol/errors.js'
import { OP, SERVER_MESSAGE_ID, type InfoResult, type RecordResult, type Request } from '../../protocol/messages.js'
import { STATUS } from '../../protocol/status.js'
import type { ConnectionContext, Wire } from '../connection.js'
import { countOutcome } from '../dispatch.js'
import type { BatchTally } from '../metrics/batch-tally.js'
import { runOperation } from '../ops/index.js'
import { answerOf } from './answers.js'
import { serveBatch } from './batch.js'
import { failureOf } from './failures.js'
import { requestOf, unsupportedField } from './requests.js'
import { Session } from '../security/session.js'
import { serveAdmin } from './admin.js'

/** The tag of a record request's answer: replaced by an error answer if the log undoes its change. */
const RECORD_TAG = 1
/** Field types that only scans, queries and UDF requests carry: a message holding one is refused with 16. */
const NOT_SERVED_FIELDS: ReadonlySet<number> = new Set([
  FIELD.TRID, FIELD.SOCKET_TIMEOUT, FIELD.RECS_PER_SEC, FIELD.PID_ARRAY, FIELD.DIGEST_ARRAY, FIELD.MAX_RECORDS, FIELD.BVAL_ARRAY,
  FIELD.INDEX_NAME, FIELD.INDEX_RANGE, FIELD.INDEX_CONTEXT, FIELD.INDEX_EXPRESSION, FIELD.INDEX_TYPE,
  FIELD.UDF_PACKAGE_NAME, FIELD.UDF_FUNCTION, FIELD.UDF_ARGLIST, FIELD.UDF_OP, FIELD.QUERY_BINLIST,
])

export class AerospikeWire implements Wire {
  readonly greeting = undefined
  paused = false
  onResume: (() => void) | undefined
  readonly #context: ConnectionContext
  readonly #decoder: ProtoDecoder
  readonly #writer = new WireWriter(4096)
  readonly #session: Session | undefined
  #frame: ProtoFrame | null = null

  /** `peer`: the client's address, for the log. */
  constructor(context: ConnectionContext, peer: string) {
    this.#context = context
    this.#decoder = new ProtoDecoder(context.limits.maxFrameBytes)
    this.#session = context.security === undefined ? undefined : new Session(context.security, peer)
  }

  get bufferedBytes(): number {
    return this.#decoder.bufferedBytes
  }

  get nextFrameBytes(): number {
    return this.#decoder.nextFrameBytes
  }

  get answerBytes(): number {
    return this.#writer.pos
  }

  push(chunk: Buffer): void {
    this.#decoder.push(chunk)
  }

  nextFrame(): boolean {
    this.#frame = this.#decoder.next()
    return this.#frame !== null
  }

  serve(tally: BatchTally): number {
    const { type, body } = this.#frame!
    if (type === PROTO_TYPE.MESSAGE) return this.#message(body, tally)
    if (type === PROTO_TYPE.INFO) this.#info(body)
    else if (type === PROTO_TYPE.ADMIN) this.#admin(body)
    else return this.#compressed(body, tally)
    return SERVER_MESSAGE_ID
  }

  takeAnswers(): Buffer {
    return this.#writer.take()
  }

  writeClosing(error: TallyError): void {
    writeResponseFrame(this.#writer, { resultCode: resultCodeOf(error.code) })
  }

  failedAnswer(_tag: number, error: TallyError): Uint8Array {
    return encodeResponse({ resultCode: resultCodeOf(error.code) })
  }

  #message(body: Buffer, tally: BatchTally): number {
    if (body.length > MSG.INFO1 && (body[MSG.INFO1]! & INFO1.BATCH) !== 0) {
      const forwarded = serveBatch(this.#context, body, this.#writer, tally, this.#session)
      if (forwarded !== undefined) this.#awaitAnswer(forwarded)
      return SERVER_MESSAGE_ID
    }
    const context = this.#context
    const writer = this.#writer
    const start = writer.pos
    let request: Request | undefined
    try {
      const as = decodeRequestOrRefuse(body)
      request = requestOf(as)
      this.#session?.check(request)
      const forwarded = context.cluster?.forward(request, this.#session?.user)
      if (forwarded !== undefined) {
        this.#relay(as, request, forwarded)
        return SERVER_MESSAGE_ID
      }
      const result = runOperation(context, request) as RecordResult
      this.#answer(answerOf(as, request, result, context.store.clock.nowMs()), start)
      countOutcome(context, request, result, STATUS.OK, tally)
    } catch (err) {
      const failure = this.#failed(err, start)
      if (request !== undefined) countOutcome(context, request, undefined, failure.code, tally, failure.index)
    }
    return RECORD_TAG
  }

  // The answer of a request sent to its partition's owner (server/cluster/), written when it comes.
  #relay(as: AsRequest, request: Request, forwarded: Promise<RecordResult>): void {
    const written = forwarded.then(
      (result) => {
        const start = this.#writer.pos
        try {
          this.#answer(answerOf(as, request, result, this.#context.store.clock.nowMs()), start)
        } catch (err) {
          this.#failed(err, start)
        }
      },
      (err: unknown) => void this.#failed(err, this.#writer.pos),
    )
    this.#awaitAnswer(written)
  }

  // Nothing more is read until an answer from another node is written, since Aerospike's answers carry no request
  // id and must come in order. The owner counted the request.
  #awaitAnswer(written: Promise<unknown>): void {
    this.paused = true
    void written.then(() => {
      this.paused = false
      this.onResume?.()
    })
  }

  // Replaces what was written from `start` on by the error answer for `err`.
  #failed(err: unknown, start: number): TallyError {
    this.#writer.pos = start
    const failure = failureOf(err, this.#context.log, 'an Aerospike request')
    writeResponseFrame(this.#writer, { resultCode: resultCodeOf(failure.code), gen: failure.gen ?? 0 })
    return failure
  }

  // An answer over the frame limit is refused (13), as dispatch.ts refuses Tally's; one that cannot be encoded is
  // the server's fault (1).
  #answer(answer: AsResponseInput, start: number): void {
    try {
      writeResponseFrame(this.#writer, answer)
    } catch (err) {
      throw new TallyError(STATUS.SERVER_ERROR, `cannot encode the answer: ${(err as Error).message}`)
    }
    const limit = this.#context.limits.maxFrameBytes
    if (this.#writer.pos - start > limit) throw new TallyError(STATUS.RECORD_TOO_BIG, `the answer exceeds the frame limit of ${limit} bytes`)
  }

  #compressed(body: Buffer, tally: BatchTally): number {
    let inner: Buffer
    try {
      inner = inflateMessage(body, this.#context.limits.maxFrameBytes)
    } catch (err) {
      writeResponseFrame(this.#writer, { resultCode: resultCodeOf(failureOf(err, this.#context.log, 'a compressed message').code) })
      return SERVER_MESSAGE_ID
    }
    return this.#message(inner, tally)
  }

  // Info values never hold a newline (it ends a line of the answer): one in a set's name is shown as a space.
  #info(body: Buffer): void {
    let commands: string[]
    try {
      commands = decodeInfoRequest(body)
    } catch (err) {
      this.#writer.bytes(encodeInfoResponse([['', infoError(STATUS.PARAMETER, (err as Error).message)]]))
      return
    }
    let answers: InfoResult
    try {
      const request = { op: OP.INFO, id: 0, commands } as const
      this.#session?.check(request)
      answers = runOperation(this.#context, request) as InfoResult
      this.#session?.redactInfo(answers)
      for (const answer of answers) answer[1] = answer[1].replace(/\n/g, ' ')
    } catch (err) {
      const failure = failureOf(err, this.#context.log, 'an Aerospike info request')
      answers = commands.map((command) => [command, infoError(failure.code, failure.message)])
    }
    this.#writer.bytes(encodeInfoResponse(answers))
  }

  // Without security every admin command (LOGIN, AUTHENTICATE, user and role commands) is answered 52, security not
  // enabled: the official clients then carry on without authenticating. With it, the answer comes once the
  // credential is checked (admin.ts), and nothing more is read until then.
  #admin(body: Buffer): void {
    let message: AdminMessage
    try {
      message = decodeAdmin(body)
    } catch {
      this.#writer.bytes(encodeAdmin({ result: RESULT.PARAMETER }))
      return
    }
    if (this.#session === undefined) {
      this.#writer.bytes(encodeAdmin({ result: RESULT.SECURITY_NOT_ENABLED }))
      return
    }
    this.paused = true
    void serveAdmin(this.#session, message, this.#context.log).then((answer) => {
      this.#writer.bytes(answer)
      this.paused = false
      this.onResume?.()
    })
  }
}

/**
 * The record request in `body`. A message that fails to decode and carries a scan, query or UDF field (a scan has
 * no digest, for one) is refused as unsupported (16) rather than as malformed.
 */
function decodeRequestOrRefuse(body: Buffer): ReturnType<typeof decodeRequest> {
  try {
    return decodeRequest(body)
  } catch (err) {
    let fields: number[] = []
    try {
      fields = decodeMessage(body).fields.map((f) => f.type)
    } catch {
      throw err
    }
    const notServed = fields.find((type) => NOT_SERVED_FIELDS.has(type))
    throw notServed === undefined ? err : unsupportedField(notServed)
  }
}
