// The frame a connection is in the middle of receiving: its room in the frame budget shared by all connections,
// and how long it has stayed unfinished (for the frame timeout).
import { TallyError } from '../protocol/errors.js'
import { STATUS } from '../protocol/status.js'
import type { BudgetUser, FrameBudget } from './budgets.js'

/** What is known of the frame being received (FrameDecoder, ProtoDecoder, a connection's Wire). */
export interface FrameProgress {
  readonly bufferedBytes: number
  readonly nextFrameBytes: number
}

/** Frames up to this size (about one read of a socket) are read without reserving room in the frame budget. */
const FREE_FRAME_BYTES = 64 * 1024

/**
 * Frames are told apart by `frame`, the number of frames the connection had received before this one, so that a
 * frame finishing and the next one starting is never taken for one frame waiting.
 */
export class UnfinishedFrame {
  readonly #budget: FrameBudget
  readonly #user: BudgetUser
  readonly #decoder: FrameProgress
  #reserved = 0 // bytes of the budget reserved for the frame...
  #reservedFor = -1 // ...numbered so
  #waitedFor = -1 // the frame numbered so had to wait for room
  #timedFor = -1 // the frame numbered so is being timed...
  #since = 0 // ...since then

  constructor(budget: FrameBudget, user: BudgetUser, decoder: FrameProgress) {
    this.#budget = budget
    this.#user = user
    this.#decoder = decoder
  }

  /**
   * Whether the rest of the frame may be read: a frame over FREE_FRAME_BYTES first reserves its whole size, so
   * that every reservation can finish without more room; without room it waits in line (false), and the budget
   * calls the connection's `granted` once it has some.
   */
  mayRead(frame: number): boolean {
    const need = this.#decoder.nextFrameBytes
    if (need <= this.#decoder.bufferedBytes || need <= FREE_FRAME_BYTES) {
      this.release()
      return true
    }
    if (this.#reserved > 0 && this.#reservedFor === frame) return true
    this.release()
    if (!this.#budget.reserve(this.#user, need)) {
      this.#waitedFor = frame
      return false
    }
    this.granted(need, frame)
    return true
  }

  /** `bytes` were reserved for the frame numbered `frame`. */
  granted(bytes: number, frame: number): void {
    this.#reserved = bytes
    this.#reservedFor = frame
  }

  /** Gives back the room reserved. */
  release(): void {
    if (this.#reserved === 0) return
    const bytes = this.#reserved
    this.#reserved = 0
    this.#budget.release(bytes)
  }

  /** The connection reads no more: gives back its room and its place in line. */
  close(): void {
    this.#budget.forget(this.#user)
    this.release()
  }

  /**
   * The error to close the connection with if the frame numbered `frame` has stayed unfinished for `timeoutMs`
   * (status 8 if it had to wait for room, else 9); undefined otherwise. Timing starts when first asked.
   */
  expired(frame: number, now: number, timeoutMs: number): TallyError | undefined {
    const { bufferedBytes, nextFrameBytes: need } = this.#decoder
    if (need <= bufferedBytes) {
      this.#timedFor = -1
      return undefined
    }
    if (this.#timedFor !== frame) {
      this.#timedFor = frame
      this.#since = now
      return undefined
    }
    if (now - this.#since < timeoutMs) return undefined
    if (this.#waitedFor === frame)
      return new TallyError(STATUS.OUT_OF_SPACE, `no room to receive a frame of ${need} bytes in ${timeoutMs} ms: the unfinished frames of all clients fill frame-buffer-total-max (${this.#budget.limit} bytes)`)
    return new TallyError(STATUS.TIMEOUT, `a frame stayed unfinished for ${timeoutMs} ms (${bufferedBytes} of ${need} bytes received)`)
  }
}
