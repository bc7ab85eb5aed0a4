// Answers waiting for the log: a batch's answers are held until its changes are durable. After a storage failure,
// the requests whose changes it undid are answered with the storage error instead, in their protocol's form.
import { TallyError } from '../protocol/errors.js'
import { SERVER_MESSAGE_ID } from '../protocol/messages.js'
import type { BatchTally } from './metrics/batch-tally.js'
import type { LogFailure } from './persist/log-writer.js'

/**
 * One batch's answers waiting for the log. `marks` holds, per request, [tag, end of its answer in `bytes`, log
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

/** Writes the answer that replaces a request's when its change was undone (connection.ts `Wire`). */
export interface FailedAnswers {
  failedAnswer(tag: number, error: TallyError): Uint8Array
}

/**
 * A held batch after a storage failure: requests whose logged changes were undone are answered with the error;
 * the others (reads, memory namespaces, acknowledged changes) keep their answers.
 */
export function withFailures(held: Held, failure: LogFailure, answers: FailedAnswers): Buffer {
  const { bytes, marks } = held
  const error = new TallyError(failure.error.code, `not applied: ${failure.error.message}`)
  const parts: Uint8Array[] = []
  let answerStart = 0
  let before = held.position
  for (let k = 0; k < marks.length; k += 3) {
    const [tag, answerEnd, after] = [marks[k]!, marks[k + 1]!, marks[k + 2]!]
    if (tag !== SERVER_MESSAGE_ID && undoneWithin(failure.undone, before, after)) parts.push(answers.failedAnswer(tag, error))
    else parts.push(bytes.subarray(answerStart, answerEnd))
    answerStart = answerEnd
    before = after
  }
  return Buffer.concat(parts)
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
