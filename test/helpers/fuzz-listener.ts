// Fuzzing a listener over TCP: connections send fuzzed frames in batches and read one answer per frame, from a
// seeded generator; then the checks every listener owes: an answer each, never status 1, mostly status 4, nothing
// in the error log, and the server still serving.
import type { Test } from 'tap'
import type { Logger } from '../../server/log.js'
import type { TallyServer } from '../../server/index.js'
import { STATUS } from '../../protocol/status.js'
import { seededRandom } from './fuzz.js'
import { testClient, uniqueKey } from './server.js'

/** A logger that keeps its error lines. */
export function errorLogger(): Logger & { errors: string[] } {
  const errors: string[] = []
  return { errors, debug() {}, info() {}, warn() {}, error: (line) => errors.push(line) }
}

/** One connection of a fuzz run: it sends a batch of frames and reads, in order, the result codes of each answer. */
export interface FuzzConnection {
  send(frames: Buffer[]): void
  /** The result codes of the answer to `frame` (a batch answer holds several). */
  answer(frame: Buffer): Promise<number[]>
}

/** A fuzz run of `connections` x `frames`, written `batch` frames at a time. */
export interface FuzzListenerOptions {
  server: TallyServer
  /** The server's logger: its error lines must stay empty. */
  log: { errors: string[] }
  connections: number
  /** Frames per connection: a multiple of `batch`. */
  frames: number
  batch: number
  connect(): Promise<FuzzConnection>
  fuzzedFrame(random: () => number): Buffer
  /** More than this share of the result codes must be status 4. */
  minParameterShare: number
}

/** Runs the connections side by side, checks what every listener owes, and returns the count of each result code. */
export async function fuzzListener(t: Test, options: FuzzListenerOptions): Promise<Map<number, number>> {
  const seed = Date.now() >>> 0
  t.comment(`seed ${seed}`)
  const random = seededRandom(seed)
  const codes = new Map<number, number>()
  let answers = 0
  await Promise.all(
    Array.from({ length: options.connections }, async () => {
      const connection = await options.connect()
      for (let sent = 0; sent < options.frames; sent += options.batch) {
        const frames = Array.from({ length: options.batch }, () => options.fuzzedFrame(random))
        connection.send(frames)
        for (const frame of frames) {
          const found = await connection.answer(frame)
          answers++
          for (const code of found) codes.set(code, (codes.get(code) ?? 0) + 1)
        }
      }
    }),
  )
  t.comment(`result codes: ${JSON.stringify(Object.fromEntries(codes))}`)
  t.equal(answers, options.connections * options.frames, 'one answer per frame')
  t.equal(codes.get(STATUS.SERVER_ERROR) ?? 0, 0, 'no internal errors')
  t.ok((codes.get(STATUS.PARAMETER) ?? 0) > answers * options.minParameterShare, `more than ${options.minParameterShare} of them status 4`)
  t.same(options.log.errors, [], 'nothing in the error log')
  const client = await testClient(t, options.server)
  t.equal(await client.increment(uniqueKey(), 'n', 1), 1, 'the server still answers')
  return codes
}
