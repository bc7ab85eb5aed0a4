// Helpers for the Aerospike codec tests: frames fed in chunks (down to one byte at a time), a seeded random
// source, and a fuzz loop that counts how each input ended: decoded, refused with status 4, or anything else.
import { TallyError } from '../../../protocol/errors.js'
import { ProtoDecoder, type ProtoFrame } from '../../../protocol/aerospike/proto.js'
import { STATUS } from '../../../protocol/status.js'

/** Bytes from hex. */
export function hex(text: string): Buffer {
  return Buffer.from(text, 'hex')
}

/** The frames in `bytes`, fed to a decoder `chunkBytes` at a time (1: byte by byte); bodies are copied. */
export function framesOf(bytes: Buffer, chunkBytes = bytes.length, decoder = new ProtoDecoder()): ProtoFrame[] {
  const frames: ProtoFrame[] = []
  for (let at = 0; at < bytes.length; at += chunkBytes) {
    decoder.push(Buffer.from(bytes.subarray(at, at + chunkBytes)))
    for (let frame = decoder.next(); frame !== null; frame = decoder.next()) frames.push({ type: frame.type, body: Buffer.from(frame.body) })
  }
  return frames
}

/** A seeded pseudo-random source in [0, 1) (mulberry32), so that a failing round can be replayed. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let x = state
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 0x1_0000_0000
  }
}

/** `count` inputs of random bytes, each up to `maxBytes` long. */
export function randomInputs(random: () => number, count: number, maxBytes: number): Buffer[] {
  return Array.from({ length: count }, () => randomBytes(random, Math.floor(random() * (maxBytes + 1))))
}

function randomBytes(random: () => number, length: number): Buffer {
  const bytes = Buffer.allocUnsafe(length)
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(random() * 256)
  return bytes
}

/** `count` damaged copies of `golden`: bytes changed, cut short, extended, or a 32-bit length made extreme. */
export function mutations(random: () => number, golden: Buffer, count: number): Buffer[] {
  const out: Buffer[] = []
  for (let i = 0; i < count; i++) {
    const bytes = Buffer.from(golden)
    const at = Math.floor(random() * Math.max(1, bytes.length))
    switch (i % 5) {
      case 0:
        for (let n = 1 + Math.floor(random() * 3); n > 0; n--) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256)
        out.push(bytes)
        break
      case 1:
        out.push(bytes.subarray(0, at))
        break
      case 2:
        out.push(Buffer.concat([bytes, randomBytes(random, 1 + Math.floor(random() * 16))]))
        break
      case 3:
        if (at + 4 <= bytes.length) bytes.writeUInt32BE([0, 1, 0xffffffff, 0x7fffffff][i % 4]!, at)
        out.push(bytes)
        break
      default:
        bytes[at] = [0, 0xff, 1, 0x80][i % 4]!
        out.push(bytes)
    }
  }
  return out
}

/** How a batch of inputs ended. `other` counts exceptions that are not TallyError(4): there must be none. */
export interface FuzzOutcome {
  inputs: number
  decoded: number
  refused: number
  other: number
  otherErrors: string[]
}

/** Runs `decode` over every input and counts the outcomes. */
export function fuzz(inputs: readonly Buffer[], decode: (bytes: Buffer) => unknown): FuzzOutcome {
  const outcome: FuzzOutcome = { inputs: 0, decoded: 0, refused: 0, other: 0, otherErrors: [] }
  for (const input of inputs) {
    outcome.inputs++
    try {
      decode(input)
      outcome.decoded++
    } catch (err) {
      if (err instanceof TallyError && err.code === STATUS.PARAMETER && err.message.length > 0) outcome.refused++
      else {
        outcome.other++
        if (outcome.otherErrors.length < 5) outcome.otherErrors.push(`${input.toString('hex')}: ${String(err)}`)
      }
    }
  }
  return outcome
}
