// The operation table: one handler per request op code. Adding an operation means adding its file, its line here,
// its test, and its section in PROTOCOL.md.
import { TallyError } from '../../protocol/errors.js'
import { STATUS } from '../../protocol/status.js'
import { OP, type BatchItem, type InfoResult, type OpCode, type RecordResult, type Request } from '../../protocol/messages.js'
import { batchGet } from './batch-get.js'
import { batchOperate } from './batch-operate.js'
import type { OpContext } from './context.js'
import { exists } from './exists.js'
import { get } from './get.js'
import { increment } from './increment.js'
import { info } from './info.js'
import { operate } from './operate.js'
import { peer } from './peer.js'
import { put } from './put.js'
import { remove } from './remove.js'
import { restore } from './restore.js'
import { securityNotEnabled } from './security.js'
import { touch } from './touch.js'
import { truncate } from './truncate.js'

type Result = RecordResult | BatchItem[] | InfoResult | RecordResult[]
type Handler<R extends Request> = (context: OpContext, request: R) => Result
/** SCAN streams its answer and is run by the connection's scans (server/scans/), not by this table. */
type TableOp = Exclude<OpCode, typeof OP.SCAN>
type HandlerTable = { [Code in TableOp]: Handler<Extract<Request, { op: Code }>> }

export const OPERATIONS: HandlerTable = {
  [OP.PUT]: put,
  [OP.GET]: get,
  [OP.EXISTS]: exists,
  [OP.REMOVE]: remove,
  [OP.TOUCH]: touch,
  [OP.INCREMENT]: increment,
  [OP.OPERATE]: operate,
  [OP.BATCH_GET]: batchGet,
  [OP.INFO]: info,
  [OP.BATCH_OPERATE]: batchOperate,
  [OP.TRUNCATE]: truncate,
  [OP.RESTORE]: restore,
  [OP.AUTH]: securityNotEnabled,
  [OP.USER_ADMIN]: securityNotEnabled,
  [OP.PEER]: peer,
}

/** Runs a decoded request through its handler. Throws TallyError for a failed operation. */
export function runOperation(context: OpContext, request: Request): Result {
  if (request.op === OP.SCAN) throw new TallyError(STATUS.UNSUPPORTED_FEATURE, 'SCAN is not served here')
  return (OPERATIONS[request.op] as Handler<Request>)(context, request)
}

export type { OpContext, OpLimits } from './context.js'
