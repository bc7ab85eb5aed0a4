// RIPEMD-160 in plain JS. Keys are short, and for one 64-byte block this is several times faster than
// node:crypto's createHash, whose per-call setup dominates at this size (docs/PERFORMANCE.md). Checked against
// node:crypto on random inputs in test/protocol/digest.test.ts.

// prettier-ignore
const R_LEFT = Uint8Array.from([
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 7, 4, 13, 1, 10, 6, 15, 3, 12, 0, 9, 5, 2, 14, 11, 8,
  3, 10, 14, 4, 9, 15, 8, 1, 2, 7, 0, 6, 13, 11, 5, 12, 1, 9, 11, 10, 0, 8, 12, 4, 13, 3, 7, 15, 14, 5, 6, 2,
  4, 0, 5, 9, 7, 12, 2, 10, 14, 1, 3, 8, 11, 6, 15, 13,
])
// prettier-ignore
const R_RIGHT = Uint8Array.from([
  5, 14, 7, 0, 9, 2, 11, 4, 13, 6, 15, 8, 1, 10, 3, 12, 6, 11, 3, 7, 0, 13, 5, 10, 14, 15, 8, 12, 4, 9, 1, 2,
  15, 5, 1, 3, 7, 14, 6, 9, 11, 8, 12, 2, 10, 0, 4, 13, 8, 6, 4, 1, 3, 11, 15, 0, 5, 12, 2, 13, 9, 7, 10, 14,
  12, 15, 10, 4, 1, 5, 8, 7, 6, 2, 13, 14, 0, 3, 9, 11,
])
// prettier-ignore
const S_LEFT = Uint8Array.from([
  11, 14, 15, 12, 5, 8, 7, 9, 11, 13, 14, 15, 6, 7, 9, 8, 7, 6, 8, 13, 11, 9, 7, 15, 7, 12, 15, 9, 11, 7, 13, 12,
  11, 13, 6, 7, 14, 9, 13, 15, 14, 8, 13, 6, 5, 12, 7, 5, 11, 12, 14, 15, 14, 15, 9, 8, 9, 14, 5, 6, 8, 6, 5, 12,
  9, 15, 5, 11, 6, 8, 13, 12, 5, 12, 13, 14, 11, 8, 5, 6,
])
// prettier-ignore
const S_RIGHT = Uint8Array.from([
  8, 9, 9, 11, 13, 15, 15, 5, 7, 7, 8, 11, 14, 14, 12, 6, 9, 13, 15, 7, 12, 8, 9, 11, 7, 7, 12, 7, 6, 15, 13, 11,
  9, 7, 15, 11, 8, 6, 6, 14, 12, 13, 5, 14, 13, 13, 7, 5, 15, 5, 8, 11, 14, 14, 6, 14, 6, 9, 12, 9, 12, 5, 15, 8,
  8, 5, 12, 9, 12, 5, 14, 6, 8, 13, 6, 5, 15, 13, 11, 11,
])

const words = new Int32Array(16)
const state = new Int32Array(5)

// The two lines of 80 steps are independent until the end, so each runs on its own, as five groups of 16 steps
// with the group's round function written out: no branches inside the loops.
function compress(block: Uint8Array, at: number): void {
  const x = words
  for (let i = 0; i < 16; i++) {
    const o = at + i * 4
    x[i] = block[o]! | (block[o + 1]! << 8) | (block[o + 2]! << 16) | (block[o + 3]! << 24)
  }
  const h0 = state[0]!, h1 = state[1]!, h2 = state[2]!, h3 = state[3]!, h4 = state[4]!
  let a = h0, b = h1, c = h2, d = h3, e = h4, t = 0, s = 0, j = 0
  for (; j < 16; j++) {
    t = (a + (b ^ c ^ d) + x[R_LEFT[j]!]!) | 0
    s = S_LEFT[j]!
    t = (((t << s) | (t >>> (32 - s))) + e) | 0
    a = e; e = d; d = (c << 10) | (c >>> 22); c = b; b = t
  }
  for (; j < 32; j++) {
    t = (a + ((b & c) | (~b & d)) + x[R_LEFT[j]!]! + 0x5a827999) | 0
    s = S_LEFT[j]!
    t = (((t << s) | (t >>> (32 - s))) + e) | 0
    a = e; e = d; d = (c << 10) | (c >>> 22); c = b; b = t
  }
  for (; j < 48; j++) {
    t = (a + ((b | ~c) ^ d) + x[R_LEFT[j]!]! + 0x6ed9eba1) | 0
    s = S_LEFT[j]!
    t = (((t << s) | (t >>> (32 - s))) + e) | 0
    a = e; e = d; d = (c << 10) | (c >>> 22); c = b; b = t
  }
  for (; j < 64; j++) {
    t = (a + ((b & d) | (c & ~d)) + x[R_LEFT[j]!]! + 0x8f1bbcdc) | 0
    s = S_LEFT[j]!
    t = (((t << s) | (t >>> (32 - s))) + e) | 0
    a = e; e = d; d = (c << 10) | (c >>> 22); c = b; b = t
  }
  for (; j < 80; j++) {
    t = (a + (b ^ (c | ~d)) + x[R_LEFT[j]!]! + 0xa953fd4e) | 0
    s = S_LEFT[j]!
    t = (((t << s) | (t >>> (32 - s))) + e) | 0
    a = e; e = d; d = (c << 10) | (c >>> 22); c = b; b = t
  }
  const al = a, bl = b, cl = c, dl = d, el = e
  a = h0; b = h1; c = h2; d = h3; e = h4
  for (j = 0; j < 16; j++) {
    t = (a + (b ^ (c | ~d)) + x[R_RIGHT[j]!]! + 0x50a28be6) | 0
    s = S_RIGHT[j]!
    t = (((t << s) | (t >>> (32 - s))) + e) | 0
    a = e; e = d; d = (c << 10) | (c >>> 22); c = b; b = t
  }
  for (; j < 32; j++) {
    t = (a + ((b & d) | (c & ~d)) + x[R_RIGHT[j]!]! + 0x5c4dd124) | 0
    s = S_RIGHT[j]!
    t = (((t << s) | (t >>> (32 - s))) + e) | 0
    a = e; e = d; d = (c << 10) | (c >>> 22); c = b; b = t
  }
  for (; j < 48; j++) {
    t = (a + ((b | ~c) ^ d) + x[R_RIGHT[j]!]! + 0x6d703ef3) | 0
    s = S_RIGHT[j]!
    t = (((t << s) | (t >>> (32 - s))) + e) | 0
    a = e; e = d; d = (c << 10) | (c >>> 22); c = b; b = t
  }
  for (; j < 64; j++) {
    t = (a + ((b & c) | (~b & d)) + x[R_RIGHT[j]!]! + 0x7a6d76e9) | 0
    s = S_RIGHT[j]!
    t = (((t << s) | (t >>> (32 - s))) + e) | 0
    a = e; e = d; d = (c << 10) | (c >>> 22); c = b; b = t
  }
  for (; j < 80; j++) {
    t = (a + (b ^ c ^ d) + x[R_RIGHT[j]!]!) | 0
    s = S_RIGHT[j]!
    t = (((t << s) | (t >>> (32 - s))) + e) | 0
    a = e; e = d; d = (c << 10) | (c >>> 22); c = b; b = t
  }
  state[0] = (h1 + cl + d) | 0
  state[1] = (h2 + dl + e) | 0
  state[2] = (h3 + el + a) | 0
  state[3] = (h4 + al + b) | 0
  state[4] = (h0 + bl + c) | 0
}

let padded = new Uint8Array(128)

/** RIPEMD-160 of the first `length` bytes of `data`. */
export function ripemd160(data: Uint8Array, length = data.length): Buffer {
  state[0] = 0x67452301
  state[1] = 0xefcdab89 | 0
  state[2] = 0x98badcfe | 0
  state[3] = 0x10325476
  state[4] = 0xc3d2e1f0 | 0
  const whole = length - (length % 64)
  for (let at = 0; at < whole; at += 64) compress(data, at)
  // The tail, a 0x80 byte, zeros, and the bit length (little-endian) fill one or two final blocks.
  const rest = length - whole
  const blocks = rest < 56 ? 1 : 2
  if (padded.length < blocks * 64) padded = new Uint8Array(blocks * 64)
  padded.fill(0, 0, blocks * 64)
  padded.set(data.subarray(whole, length), 0)
  padded[rest] = 0x80
  const bits = length * 8
  const end = blocks * 64
  padded[end - 8] = bits & 0xff
  padded[end - 7] = (bits >>> 8) & 0xff
  padded[end - 6] = (bits >>> 16) & 0xff
  padded[end - 5] = (bits >>> 24) & 0xff
  padded[end - 4] = Math.floor(bits / 2 ** 32) & 0xff
  for (let at = 0; at < end; at += 64) compress(padded, at)
  const out = Buffer.allocUnsafe(20)
  for (let i = 0; i < 5; i++) out.writeInt32LE(state[i]!, i * 4)
  return out
}
