// msgpack's first bytes and what kind of value each starts, and Tally's rules on top of msgpack (PROTOCOL.md §1):
// the ext type of a double, what floats decode to, how deep lists and maps may nest.

/** What the next value is. */
export const KIND = { NIL: 0, BOOL: 1, INT: 2, FLOAT: 3, STR: 4, BIN: 5, ARRAY: 6, MAP: 7, EXT: 8, INVALID: 9 } as const
export type Kind = (typeof KIND)[keyof typeof KIND]

/** msgpack ext type of a `Double` (PROTOCOL.md §1). */
export const EXT_DOUBLE = 1

/** What msgpack floats (float32, float64) and ext type 1 decode to. */
export const FLOATS = {
  /**
   * A float is a plain number, ext type 1 a `Double`. For log entries: before integers over 32 bits were written as
   * msgpack integers they were written as float64, and an integral number in a bin is an integer.
   */
  NUMBERS: 0,
  /** Every float is a `Double`, whatever its value, as is ext type 1: a double stays a double (requests). */
  DOUBLES: 1,
  /**
   * A `Double` when read as a value on its own (a bin, a read result), a plain number inside a list or map: the
   * client's API gives numbers, and tells doubles from integers only where it must (a bin that is a counter).
   */
  DOUBLES_AT_TOP: 2,
} as const
export type Floats = (typeof FLOATS)[keyof typeof FLOATS]
/** Lists and maps nest at most this deep; deeper input is refused rather than risk the stack. */
export const MAX_DEPTH = 64

/** The kind of value each first byte starts. */
export const KINDS = new Uint8Array(256)
for (let b = 0; b < 256; b++) KINDS[b] = kindOfByte(b)

function kindOfByte(b: number): Kind {
  if (b <= 0x7f || b >= 0xe0) return KIND.INT
  if (b <= 0x8f) return KIND.MAP
  if (b <= 0x9f) return KIND.ARRAY
  if (b <= 0xbf) return KIND.STR
  switch (b) {
    case 0xc0:
      return KIND.NIL
    case 0xc2:
    case 0xc3:
      return KIND.BOOL
    case 0xc4:
    case 0xc5:
    case 0xc6:
      return KIND.BIN
    case 0xca:
    case 0xcb:
      return KIND.FLOAT
    case 0xd9:
    case 0xda:
    case 0xdb:
      return KIND.STR
    case 0xdc:
    case 0xdd:
      return KIND.ARRAY
    case 0xde:
    case 0xdf:
      return KIND.MAP
    default:
      if (b >= 0xcc && b <= 0xd3) return KIND.INT
      if ((b >= 0xc7 && b <= 0xc9) || (b >= 0xd4 && b <= 0xd8)) return KIND.EXT
      return KIND.INVALID
  }
}

/** `valueEnd` found the bytes end before the value does. */
export const TRUNCATED = -1
/** `valueEnd` found a byte that starts no msgpack value. */
export const NOT_MSGPACK = -2

/**
 * Where the msgpack value starting at `bytes[start]` ends, without decoding it: an offset, TRUNCATED if it runs past
 * `end`, or NOT_MSGPACK. Iterative, so any nesting is fine; nothing is allocated.
 */
export function valueEnd(bytes: Uint8Array, start: number, end: number): number {
  let at = start
  let pending = 1 // values still to skip
  const uint = (n: number): number => {
    let v = 0
    for (let i = 0; i < n; i++) v = v * 256 + bytes[at + 1 + i]!
    return v
  }
  while (pending > 0) {
    if (at >= end) return TRUNCATED
    const b = bytes[at]!
    pending--
    let head = 1 // bytes of the value's header
    let body = 0 // bytes after the header
    if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) head = 1
    else if (b <= 0x8f) pending += 2 * (b & 0x0f)
    else if (b <= 0x9f) pending += b & 0x0f
    else if (b <= 0xbf) body = b & 0x1f
    else {
      const width = HEADER_WIDTH[b]!
      if (width === 0) return NOT_MSGPACK
      if (at + width > end) return TRUNCATED
      head = width
      const n = b >= 0xd4 && b <= 0xd8 ? 0 : uint(LENGTH_BYTES[b]!)
      if (b === 0xdc || b === 0xdd) pending += n
      else if (b === 0xde || b === 0xdf) pending += 2 * n
      else body = b >= 0xd4 && b <= 0xd8 ? 1 << (b - 0xd4) : FIXED_BODY[b]! + n
    }
    at += head + body
  }
  return at > end ? TRUNCATED : at
}

// Per first byte from 0xc4 on: the header's size (type byte, length, ext type; 0: not msgpack), how many of its
// bytes give a length, and the size of a fixed body (numbers).
const HEADER_WIDTH = new Uint8Array(256)
const LENGTH_BYTES = new Uint8Array(256)
const FIXED_BODY = new Uint8Array(256)
for (const [b, width, length, fixed] of [
  [0xc4, 2, 1, 0], [0xc5, 3, 2, 0], [0xc6, 5, 4, 0], // bin 8/16/32
  [0xc7, 3, 1, 0], [0xc8, 4, 2, 0], [0xc9, 6, 4, 0], // ext 8/16/32: length, then the type byte
  [0xca, 1, 0, 4], [0xcb, 1, 0, 8], // float 32/64
  [0xcc, 1, 0, 1], [0xcd, 1, 0, 2], [0xce, 1, 0, 4], [0xcf, 1, 0, 8], // uint 8-64
  [0xd0, 1, 0, 1], [0xd1, 1, 0, 2], [0xd2, 1, 0, 4], [0xd3, 1, 0, 8], // int 8-64
  [0xd4, 2, 0, 0], [0xd5, 2, 0, 0], [0xd6, 2, 0, 0], [0xd7, 2, 0, 0], [0xd8, 2, 0, 0], // fixext 1-16: the type byte
  [0xd9, 2, 1, 0], [0xda, 3, 2, 0], [0xdb, 5, 4, 0], // str 8/16/32
  [0xdc, 3, 2, 0], [0xdd, 5, 4, 0], // array 16/32
  [0xde, 3, 2, 0], [0xdf, 5, 4, 0], // map 16/32
] as const) {
  HEADER_WIDTH[b] = width
  LENGTH_BYTES[b] = length
  FIXED_BODY[b] = fixed
}
