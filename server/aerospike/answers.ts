// The bins an Aerospike answer carries for an operation's result (reference §5): a get's bins, an operate's reads
// (and, with respond-all-ops, an empty entry for every other op but touch). Metadata: the record's generation and
// its void time, seconds from 2010-01-01.
import { OP as AS_OP } from '../../protocol/aerospike/constants.js'
import type { OpInput } from '../../protocol/aerospike/message.js'
import type { AsRequest } from '../../protocol/aerospike/record-request.js'
import { voidTimeOf, type AsResponseInput } from '../../protocol/aerospike/record-response.js'
import { OP, type RecordResult, type Request } from '../../protocol/messages.js'

const NO_OPS: readonly OpInput[] = Object.freeze([])

/** The answer to `as`, served as `request`, with `result`, at `nowMs`. */
export function answerOf(as: AsRequest, request: Request, result: RecordResult, nowMs: number): AsResponseInput {
  return { resultCode: 0, gen: result.gen, voidTime: voidTimeOf(result.ttl, nowMs), ops: opsOf(as, request, result) }
}

function opsOf(as: AsRequest, request: Request, result: RecordResult): readonly OpInput[] {
  if (request.op === OP.GET) return binsOf(result.payload as unknown[])
  if (request.op === OP.OPERATE) return operateOps(as, result.payload as unknown[])
  return NO_OPS
}

/** Flat bins [name, value, ...] as READ entries. */
export function binsOf(bins: unknown[]): OpInput[] {
  const ops = new Array<OpInput>(bins.length >> 1)
  for (let i = 0; i < bins.length; i += 2) ops[i >> 1] = { op: AS_OP.READ, name: bins[i] as string, value: bins[i + 1] }
  return ops
}

// `reads` holds the value of each READ op in order, null for a missing bin. Without respond-all-ops only bins
// that exist are answered; with it every op but touch has its entry, empty except for reads of existing bins.
function operateOps(as: AsRequest, reads: unknown[]): OpInput[] {
  const ops: OpInput[] = []
  let r = 0
  for (const op of as.ops) {
    if (op.op === AS_OP.READ) {
      const value = reads[r++]
      if (value !== null) ops.push({ op: AS_OP.READ, name: op.name, value })
      else if (as.respondAllOps) ops.push({ op: AS_OP.READ, name: op.name })
    } else if (as.respondAllOps && op.op !== AS_OP.TOUCH) {
      ops.push({ op: op.op, name: op.name })
    }
  }
  return ops
}
