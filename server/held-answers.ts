// Answers waiting for the log: a batch's answers are held until its changes are durable. After a storage failure,
// the requests whose changes it undid are answered with the storage error instead.
import { SERVER_MESSAGE_ID } from '../protocol/messages.js'
import { FrameWriter } from '../protocol/msgpack-writer.js'
import { writeErrorResponse } from '../protocol/response-codec.js'
import type { BatchTally } from './metrics/batch-tally.js'
import type { LogFailure } from './persist/log-writer.js'

/**
 * One batch's answers waiting for the log. `marks` holds, per request, [id, end of its answer in `bytes`, log
 * position after it], so that a failure can be traced to the requests whose changes it undid. `start` and `tally`
 * are for the latency histograms.
 */
export interface Held {
  bytes: Buffer
  marks: number[]
  position: number // log position before the first request
  done: boolean
  failure: LogFailure | undefined
  start: number
  tally: BatchTally
}

/**
 * A held batch after a storage failure: requests whose logged changes were undone are answered with the error;
 * the others (reads, memory namespaces, acknowledged changes) keep their answers.
 */
export function withFailures(held: Held, failure: LogFailure): Buffer {
  const { bytes, marks } = held
  const w = new FrameWriter(bytes.length + marks.length * 32)
  let answerStart = 0
  let before = held.position
  for (let k = 0; k < marks.length; k += 3) {
    const [id, answerEnd, after] = [marks[k]!, marks[k + 1]!, marks[k + 2]!]
    if (id !== SERVER_MESSAGE_ID && undoneWithin(failure.undone, before, after)) {
      w.begin()
      writeErrorResponse(w, id, failure.error.code, `not applied: ${failure.error.message}`)
      w.end()
    } else {
      w.raw(bytes.subarray(answerStart, answerEnd))
    }
    answerStart = answerEnd
    before = after
  }
  return w.take()
}

/** True if a position in `undone` (ascending) lies in (from, to]. */
function undoneWithin(undone: number[], from: number, to: number): boolean {
  let lo = 0
  let hi = undone.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (undone[mid]! <= from) lo = mid + 1
    else hi = mid
  }
  return lo < undone.length && undone[lo]! <= to
}
