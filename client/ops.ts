// Builders for `client.operate()`: each returns one op of the ordered list applied atomically to a record.
import { BIN_OP, type BinOpCode } from '../protocol/messages.js'
import type { Double, Value } from '../protocol/types.js'

/** An increment amount: an int64 (number or bigint) or a double. */
export type Numeric = number | bigint | Double

/** One op of an `operate` call. Build it with `ops.*`. */
export interface Operation {
  readonly op: BinOpCode
  readonly bin: string
  readonly value?: Value
  readonly initialValue?: Numeric
}

/** Op builders for `client.operate(key, [ops.incr('n', 1), ops.read('n')])`. */
export const ops = {
  /** Reads a bin; its value (or null) appears in the result, as it stands after the ops before it. */
  read: (bin: string): Operation => ({ op: BIN_OP.READ, bin }),
  /** Sets a bin; `null` deletes it. */
  write: (bin: string, value: Value): Operation => ({ op: BIN_OP.WRITE, bin, value }),
  /** Adds `offset` to a numeric bin; a missing bin starts at `initialValue` if given, else at `offset`. */
  incr: (bin: string, offset: Numeric, initialValue?: Numeric): Operation =>
    initialValue === undefined ? { op: BIN_OP.INCR, bin, value: offset } : { op: BIN_OP.INCR, bin, value: offset, initialValue },
  /** Appends a string to a string bin, or bytes to a bytes bin. */
  append: (bin: string, value: string | Uint8Array): Operation => ({ op: BIN_OP.APPEND, bin, value }),
  /** Prepends a string to a string bin, or bytes to a bytes bin. */
  prepend: (bin: string, value: string | Uint8Array): Operation => ({ op: BIN_OP.PREPEND, bin, value }),
  /** Renews the record's TTL (from the call's meta) and bumps its generation; the record must exist. */
  touch: (): Operation => ({ op: BIN_OP.TOUCH, bin: '' }),
  /** Deletes one bin. */
  deleteBin: (bin: string): Operation => ({ op: BIN_OP.WRITE, bin, value: null }),
  /** Deletes the whole record (ops after it may write new bins). */
  deleteRecord: (): Operation => ({ op: BIN_OP.DELETE, bin: '' }),
} as const

/** The wire form of an op: `[code, bin, value, initialValue]`, trailing nils left out. */
export function encodeOperation(operation: Operation): unknown[] {
  const { op, bin, value, initialValue } = operation
  if (initialValue !== undefined) return [op, bin, value, initialValue]
  if (value !== undefined) return [op, bin, value]
  return [op, bin]
}
