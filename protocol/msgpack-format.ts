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
