// RIPEMD-160 in plain JS. Keys are short, and for one 64-byte block this is about ten times faster than
// node:crypto's createHash, whose per-call setup dominates at this size (docs/PERFORMANCE.md). The 160 steps are
// written out in full, one line each: the left line, then the right line, with the five state words renamed
// from step to step instead of shifted. Checked against node:crypto in test/protocol/digest.test.ts.

const state = new Int32Array(5)
const words = new Int32Array(16)

function compress(block: Uint8Array, at: number): void {
  const w = words
  for (let i = 0, o = at; i < 16; i++, o += 4) w[i] = block[o]! | (block[o + 1]! << 8) | (block[o + 2]! << 16) | (block[o + 3]! << 24)
  const x0 = w[0]!, x1 = w[1]!, x2 = w[2]!, x3 = w[3]!, x4 = w[4]!, x5 = w[5]!, x6 = w[6]!, x7 = w[7]!
  const x8 = w[8]!, x9 = w[9]!, x10 = w[10]!, x11 = w[11]!, x12 = w[12]!, x13 = w[13]!, x14 = w[14]!, x15 = w[15]!
  const h0 = state[0]!, h1 = state[1]!, h2 = state[2]!, h3 = state[3]!, h4 = state[4]!
  let la = h0, lb = h1, lc = h2, ld = h3, le = h4
  let ra = h0, rb = h1, rc = h2, rd = h3, re = h4
  let t = 0
  t = la + (lb ^ lc ^ ld) + x0; la = ((t << 11) | (t >>> 21)) + le | 0; lc = (lc << 10) | (lc >>> 22)
  t = le + (la ^ lb ^ lc) + x1; le = ((t << 14) | (t >>> 18)) + ld | 0; lb = (lb << 10) | (lb >>> 22)
  t = ld + (le ^ la ^ lb) + x2; ld = ((t << 15) | (t >>> 17)) + lc | 0; la = (la << 10) | (la >>> 22)
  t = lc + (ld ^ le ^ la) + x3; lc = ((t << 12) | (t >>> 20)) + lb | 0; le = (le << 10) | (le >>> 22)
  t = lb + (lc ^ ld ^ le) + x4; lb = ((t << 5) | (t >>> 27)) + la | 0; ld = (ld << 10) | (ld >>> 22)
  t = la + (lb ^ lc ^ ld) + x5; la = ((t << 8) | (t >>> 24)) + le | 0; lc = (lc << 10) | (lc >>> 22)
  t = le + (la ^ lb ^ lc) + x6; le = ((t << 7) | (t >>> 25)) + ld | 0; lb = (lb << 10) | (lb >>> 22)
  t = ld + (le ^ la ^ lb) + x7; ld = ((t << 9) | (t >>> 23)) + lc | 0; la = (la << 10) | (la >>> 22)
  t = lc + (ld ^ le ^ la) + x8; lc = ((t << 11) | (t >>> 21)) + lb | 0; le = (le << 10) | (le >>> 22)
  t = lb + (lc ^ ld ^ le) + x9; lb = ((t << 13) | (t >>> 19)) + la | 0; ld = (ld << 10) | (ld >>> 22)
  t = la + (lb ^ lc ^ ld) + x10; la = ((t << 14) | (t >>> 18)) + le | 0; lc = (lc << 10) | (lc >>> 22)
  t = le + (la ^ lb ^ lc) + x11; le = ((t << 15) | (t >>> 17)) + ld | 0; lb = (lb << 10) | (lb >>> 22)
  t = ld + (le ^ la ^ lb) + x12; ld = ((t << 6) | (t >>> 26)) + lc | 0; la = (la << 10) | (la >>> 22)
  t = lc + (ld ^ le ^ la) + x13; lc = ((t << 7) | (t >>> 25)) + lb | 0; le = (le << 10) | (le >>> 22)
  t = lb + (lc ^ ld ^ le) + x14; lb = ((t << 9) | (t >>> 23)) + la | 0; ld = (ld << 10) | (ld >>> 22)
  t = la + (lb ^ lc ^ ld) + x15; la = ((t << 8) | (t >>> 24)) + le | 0; lc = (lc << 10) | (lc >>> 22)
  t = le + ((la & lb) | (~la & lc)) + x7 + 0x5a827999; le = ((t << 7) | (t >>> 25)) + ld | 0; lb = (lb << 10) | (lb >>> 22)
  t = ld + ((le & la) | (~le & lb)) + x4 + 0x5a827999; ld = ((t << 6) | (t >>> 26)) + lc | 0; la = (la << 10) | (la >>> 22)
  t = lc + ((ld & le) | (~ld & la)) + x13 + 0x5a827999; lc = ((t << 8) | (t >>> 24)) + lb | 0; le = (le << 10) | (le >>> 22)
  t = lb + ((lc & ld) | (~lc & le)) + x1 + 0x5a827999; lb = ((t << 13) | (t >>> 19)) + la | 0; ld = (ld << 10) | (ld >>> 22)
  t = la + ((lb & lc) | (~lb & ld)) + x10 + 0x5a827999; la = ((t << 11) | (t >>> 21)) + le | 0; lc = (lc << 10) | (lc >>> 22)
  t = le + ((la & lb) | (~la & lc)) + x6 + 0x5a827999; le = ((t << 9) | (t >>> 23)) + ld | 0; lb = (lb << 10) | (lb >>> 22)
  t = ld + ((le & la) | (~le & lb)) + x15 + 0x5a827999; ld = ((t << 7) | (t >>> 25)) + lc | 0; la = (la << 10) | (la >>> 22)
  t = lc + ((ld & le) | (~ld & la)) + x3 + 0x5a827999; lc = ((t << 15) | (t >>> 17)) + lb | 0; le = (le << 10) | (le >>> 22)
  t = lb + ((lc & ld) | (~lc & le)) + x12 + 0x5a827999; lb = ((t << 7) | (t >>> 25)) + la | 0; ld = (ld << 10) | (ld >>> 22)
  t = la + ((lb & lc) | (~lb & ld)) + x0 + 0x5a827999; la = ((t << 12) | (t >>> 20)) + le | 0; lc = (lc << 10) | (lc >>> 22)
  t = le + ((la & lb) | (~la & lc)) + x9 + 0x5a827999; le = ((t << 15) | (t >>> 17)) + ld | 0; lb = (lb << 10) | (lb >>> 22)
  t = ld + ((le & la) | (~le & lb)) + x5 + 0x5a827999; ld = ((t << 9) | (t >>> 23)) + lc | 0; la = (la << 10) | (la >>> 22)
  t = lc + ((ld & le) | (~ld & la)) + x2 + 0x5a827999; lc = ((t << 11) | (t >>> 21)) + lb | 0; le = (le << 10) | (le >>> 22)
  t = lb + ((lc & ld) | (~lc & le)) + x14 + 0x5a827999; lb = ((t << 7) | (t >>> 25)) + la | 0; ld = (ld << 10) | (ld >>> 22)
  t = la + ((lb & lc) | (~lb & ld)) + x11 + 0x5a827999; la = ((t << 13) | (t >>> 19)) + le | 0; lc = (lc << 10) | (lc >>> 22)
  t = le + ((la & lb) | (~la & lc)) + x8 + 0x5a827999; le = ((t << 12) | (t >>> 20)) + ld | 0; lb = (lb << 10) | (lb >>> 22)
  t = ld + ((le | ~la) ^ lb) + x3 + 0x6ed9eba1; ld = ((t << 11) | (t >>> 21)) + lc | 0; la = (la << 10) | (la >>> 22)
  t = lc + ((ld | ~le) ^ la) + x10 + 0x6ed9eba1; lc = ((t << 13) | (t >>> 19)) + lb | 0; le = (le << 10) | (le >>> 22)
  t = lb + ((lc | ~ld) ^ le) + x14 + 0x6ed9eba1; lb = ((t << 6) | (t >>> 26)) + la | 0; ld = (ld << 10) | (ld >>> 22)
  t = la + ((lb | ~lc) ^ ld) + x4 + 0x6ed9eba1; la = ((t << 7) | (t >>> 25)) + le | 0; lc = (lc << 10) | (lc >>> 22)
  t = le + ((la | ~lb) ^ lc) + x9 + 0x6ed9eba1; le = ((t << 14) | (t >>> 18)) + ld | 0; lb = (lb << 10) | (lb >>> 22)
  t = ld + ((le | ~la) ^ lb) + x15 + 0x6ed9eba1; ld = ((t << 9) | (t >>> 23)) + lc | 0; la = (la << 10) | (la >>> 22)
  t = lc + ((ld | ~le) ^ la) + x8 + 0x6ed9eba1; lc = ((t << 13) | (t >>> 19)) + lb | 0; le = (le << 10) | (le >>> 22)
  t = lb + ((lc | ~ld) ^ le) + x1 + 0x6ed9eba1; lb = ((t << 15) | (t >>> 17)) + la | 0; ld = (ld << 10) | (ld >>> 22)
  t = la + ((lb | ~lc) ^ ld) + x2 + 0x6ed9eba1; la = ((t << 14) | (t >>> 18)) + le | 0; lc = (lc << 10) | (lc >>> 22)
  t = le + ((la | ~lb) ^ lc) + x7 + 0x6ed9eba1; le = ((t << 8) | (t >>> 24)) + ld | 0; lb = (lb << 10) | (lb >>> 22)
  t = ld + ((le | ~la) ^ lb) + x0 + 0x6ed9eba1; ld = ((t << 13) | (t >>> 19)) + lc | 0; la = (la << 10) | (la >>> 22)
  t = lc + ((ld | ~le) ^ la) + x6 + 0x6ed9eba1; lc = ((t << 6) | (t >>> 26)) + lb | 0; le = (le << 10) | (le >>> 22)
  t = lb + ((lc | ~ld) ^ le) + x13 + 0x6ed9eba1; lb = ((t << 5) | (t >>> 27)) + la | 0; ld = (ld << 10) | (ld >>> 22)
  t = la + ((lb | ~lc) ^ ld) + x11 + 0x6ed9eba1; la = ((t << 12) | (t >>> 20)) + le | 0; lc = (lc << 10) | (lc >>> 22)
  t = le + ((la | ~lb) ^ lc) + x5 + 0x6ed9eba1; le = ((t << 7) | (t >>> 25)) + ld | 0; lb = (lb << 10) | (lb >>> 22)
  t = ld + ((le | ~la) ^ lb) + x12 + 0x6ed9eba1; ld = ((t << 5) | (t >>> 27)) + lc | 0; la = (la << 10) | (la >>> 22)
  t = lc + ((ld & la) | (le & ~la)) + x1 + 0x8f1bbcdc; lc = ((t << 11) | (t >>> 21)) + lb | 0; le = (le << 10) | (le >>> 22)
  t = lb + ((lc & le) | (ld & ~le)) + x9 + 0x8f1bbcdc; lb = ((t << 12) | (t >>> 20)) + la | 0; ld = (ld << 10) | (ld >>> 22)
  t = la + ((lb & ld) | (lc & ~ld)) + x11 + 0x8f1bbcdc; la = ((t << 14) | (t >>> 18)) + le | 0; lc = (lc << 10) | (lc >>> 22)
  t = le + ((la & lc) | (lb & ~lc)) + x10 + 0x8f1bbcdc; le = ((t << 15) | (t >>> 17)) + ld | 0; lb = (lb << 10) | (lb >>> 22)
  t = ld + ((le & lb) | (la & ~lb)) + x0 + 0x8f1bbcdc; ld = ((t << 14) | (t >>> 18)) + lc | 0; la = (la << 10) | (la >>> 22)
  t = lc + ((ld & la) | (le & ~la)) + x8 + 0x8f1bbcdc; lc = ((t << 15) | (t >>> 17)) + lb | 0; le = (le << 10) | (le >>> 22)
  t = lb + ((lc & le) | (ld & ~le)) + x12 + 0x8f1bbcdc; lb = ((t << 9) | (t >>> 23)) + la | 0; ld = (ld << 10) | (ld >>> 22)
  t = la + ((lb & ld) | (lc & ~ld)) + x4 + 0x8f1bbcdc; la = ((t << 8) | (t >>> 24)) + le | 0; lc = (lc << 10) | (lc >>> 22)
  t = le + ((la & lc) | (lb & ~lc)) + x13 + 0x8f1bbcdc; le = ((t << 9) | (t >>> 23)) + ld | 0; lb = (lb << 10) | (lb >>> 22)
  t = ld + ((le & lb) | (la & ~lb)) + x3 + 0x8f1bbcdc; ld = ((t << 14) | (t >>> 18)) + lc | 0; la = (la << 10) | (la >>> 22)
  t = lc + ((ld & la) | (le & ~la)) + x7 + 0x8f1bbcdc; lc = ((t << 5) | (t >>> 27)) + lb | 0; le = (le << 10) | (le >>> 22)
  t = lb + ((lc & le) | (ld & ~le)) + x15 + 0x8f1bbcdc; lb = ((t << 6) | (t >>> 26)) + la | 0; ld = (ld << 10) | (ld >>> 22)
  t = la + ((lb & ld) | (lc & ~ld)) + x14 + 0x8f1bbcdc; la = ((t << 8) | (t >>> 24)) + le | 0; lc = (lc << 10) | (lc >>> 22)
  t = le + ((la & lc) | (lb & ~lc)) + x5 + 0x8f1bbcdc; le = ((t << 6) | (t >>> 26)) + ld | 0; lb = (lb << 10) | (lb >>> 22)
  t = ld + ((le & lb) | (la & ~lb)) + x6 + 0x8f1bbcdc; ld = ((t << 5) | (t >>> 27)) + lc | 0; la = (la << 10) | (la >>> 22)
  t = lc + ((ld & la) | (le & ~la)) + x2 + 0x8f1bbcdc; lc = ((t << 12) | (t >>> 20)) + lb | 0; le = (le << 10) | (le >>> 22)
  t = lb + (lc ^ (ld | ~le)) + x4 + 0xa953fd4e; lb = ((t << 9) | (t >>> 23)) + la | 0; ld = (ld << 10) | (ld >>> 22)
  t = la + (lb ^ (lc | ~ld)) + x0 + 0xa953fd4e; la = ((t << 15) | (t >>> 17)) + le | 0; lc = (lc << 10) | (lc >>> 22)
  t = le + (la ^ (lb | ~lc)) + x5 + 0xa953fd4e; le = ((t << 5) | (t >>> 27)) + ld | 0; lb = (lb << 10) | (lb >>> 22)
  t = ld + (le ^ (la | ~lb)) + x9 + 0xa953fd4e; ld = ((t << 11) | (t >>> 21)) + lc | 0; la = (la << 10) | (la >>> 22)
  t = lc + (ld ^ (le | ~la)) + x7 + 0xa953fd4e; lc = ((t << 6) | (t >>> 26)) + lb | 0; le = (le << 10) | (le >>> 22)
  t = lb + (lc ^ (ld | ~le)) + x12 + 0xa953fd4e; lb = ((t << 8) | (t >>> 24)) + la | 0; ld = (ld << 10) | (ld >>> 22)
  t = la + (lb ^ (lc | ~ld)) + x2 + 0xa953fd4e; la = ((t << 13) | (t >>> 19)) + le | 0; lc = (lc << 10) | (lc >>> 22)
  t = le + (la ^ (lb | ~lc)) + x10 + 0xa953fd4e; le = ((t << 12) | (t >>> 20)) + ld | 0; lb = (lb << 10) | (lb >>> 22)
  t = ld + (le ^ (la | ~lb)) + x14 + 0xa953fd4e; ld = ((t << 5) | (t >>> 27)) + lc | 0; la = (la << 10) | (la >>> 22)
  t = lc + (ld ^ (le | ~la)) + x1 + 0xa953fd4e; lc = ((t << 12) | (t >>> 20)) + lb | 0; le = (le << 10) | (le >>> 22)
  t = lb + (lc ^ (ld | ~le)) + x3 + 0xa953fd4e; lb = ((t << 13) | (t >>> 19)) + la | 0; ld = (ld << 10) | (ld >>> 22)
  t = la + (lb ^ (lc | ~ld)) + x8 + 0xa953fd4e; la = ((t << 14) | (t >>> 18)) + le | 0; lc = (lc << 10) | (lc >>> 22)
  t = le + (la ^ (lb | ~lc)) + x11 + 0xa953fd4e; le = ((t << 11) | (t >>> 21)) + ld | 0; lb = (lb << 10) | (lb >>> 22)
  t = ld + (le ^ (la | ~lb)) + x6 + 0xa953fd4e; ld = ((t << 8) | (t >>> 24)) + lc | 0; la = (la << 10) | (la >>> 22)
  t = lc + (ld ^ (le | ~la)) + x15 + 0xa953fd4e; lc = ((t << 5) | (t >>> 27)) + lb | 0; le = (le << 10) | (le >>> 22)
  t = lb + (lc ^ (ld | ~le)) + x13 + 0xa953fd4e; lb = ((t << 6) | (t >>> 26)) + la | 0; ld = (ld << 10) | (ld >>> 22)
  t = ra + (rb ^ (rc | ~rd)) + x5 + 0x50a28be6; ra = ((t << 8) | (t >>> 24)) + re | 0; rc = (rc << 10) | (rc >>> 22)
  t = re + (ra ^ (rb | ~rc)) + x14 + 0x50a28be6; re = ((t << 9) | (t >>> 23)) + rd | 0; rb = (rb << 10) | (rb >>> 22)
  t = rd + (re ^ (ra | ~rb)) + x7 + 0x50a28be6; rd = ((t << 9) | (t >>> 23)) + rc | 0; ra = (ra << 10) | (ra >>> 22)
  t = rc + (rd ^ (re | ~ra)) + x0 + 0x50a28be6; rc = ((t << 11) | (t >>> 21)) + rb | 0; re = (re << 10) | (re >>> 22)
  t = rb + (rc ^ (rd | ~re)) + x9 + 0x50a28be6; rb = ((t << 13) | (t >>> 19)) + ra | 0; rd = (rd << 10) | (rd >>> 22)
  t = ra + (rb ^ (rc | ~rd)) + x2 + 0x50a28be6; ra = ((t << 15) | (t >>> 17)) + re | 0; rc = (rc << 10) | (rc >>> 22)
  t = re + (ra ^ (rb | ~rc)) + x11 + 0x50a28be6; re = ((t << 15) | (t >>> 17)) + rd | 0; rb = (rb << 10) | (rb >>> 22)
  t = rd + (re ^ (ra | ~rb)) + x4 + 0x50a28be6; rd = ((t << 5) | (t >>> 27)) + rc | 0; ra = (ra << 10) | (ra >>> 22)
  t = rc + (rd ^ (re | ~ra)) + x13 + 0x50a28be6; rc = ((t << 7) | (t >>> 25)) + rb | 0; re = (re << 10) | (re >>> 22)
  t = rb + (rc ^ (rd | ~re)) + x6 + 0x50a28be6; rb = ((t << 7) | (t >>> 25)) + ra | 0; rd = (rd << 10) | (rd >>> 22)
  t = ra + (rb ^ (rc | ~rd)) + x15 + 0x50a28be6; ra = ((t << 8) | (t >>> 24)) + re | 0; rc = (rc << 10) | (rc >>> 22)
  t = re + (ra ^ (rb | ~rc)) + x8 + 0x50a28be6; re = ((t << 11) | (t >>> 21)) + rd | 0; rb = (rb << 10) | (rb >>> 22)
  t = rd + (re ^ (ra | ~rb)) + x1 + 0x50a28be6; rd = ((t << 14) | (t >>> 18)) + rc | 0; ra = (ra << 10) | (ra >>> 22)
  t = rc + (rd ^ (re | ~ra)) + x10 + 0x50a28be6; rc = ((t << 14) | (t >>> 18)) + rb | 0; re = (re << 10) | (re >>> 22)
  t = rb + (rc ^ (rd | ~re)) + x3 + 0x50a28be6; rb = ((t << 12) | (t >>> 20)) + ra | 0; rd = (rd << 10) | (rd >>> 22)
  t = ra + (rb ^ (rc | ~rd)) + x12 + 0x50a28be6; ra = ((t << 6) | (t >>> 26)) + re | 0; rc = (rc << 10) | (rc >>> 22)
  t = re + ((ra & rc) | (rb & ~rc)) + x6 + 0x5c4dd124; re = ((t << 9) | (t >>> 23)) + rd | 0; rb = (rb << 10) | (rb >>> 22)
  t = rd + ((re & rb) | (ra & ~rb)) + x11 + 0x5c4dd124; rd = ((t << 13) | (t >>> 19)) + rc | 0; ra = (ra << 10) | (ra >>> 22)
  t = rc + ((rd & ra) | (re & ~ra)) + x3 + 0x5c4dd124; rc = ((t << 15) | (t >>> 17)) + rb | 0; re = (re << 10) | (re >>> 22)
  t = rb + ((rc & re) | (rd & ~re)) + x7 + 0x5c4dd124; rb = ((t << 7) | (t >>> 25)) + ra | 0; rd = (rd << 10) | (rd >>> 22)
  t = ra + ((rb & rd) | (rc & ~rd)) + x0 + 0x5c4dd124; ra = ((t << 12) | (t >>> 20)) + re | 0; rc = (rc << 10) | (rc >>> 22)
  t = re + ((ra & rc) | (rb & ~rc)) + x13 + 0x5c4dd124; re = ((t << 8) | (t >>> 24)) + rd | 0; rb = (rb << 10) | (rb >>> 22)
  t = rd + ((re & rb) | (ra & ~rb)) + x5 + 0x5c4dd124; rd = ((t << 9) | (t >>> 23)) + rc | 0; ra = (ra << 10) | (ra >>> 22)
  t = rc + ((rd & ra) | (re & ~ra)) + x10 + 0x5c4dd124; rc = ((t << 11) | (t >>> 21)) + rb | 0; re = (re << 10) | (re >>> 22)
  t = rb + ((rc & re) | (rd & ~re)) + x14 + 0x5c4dd124; rb = ((t << 7) | (t >>> 25)) + ra | 0; rd = (rd << 10) | (rd >>> 22)
  t = ra + ((rb & rd) | (rc & ~rd)) + x15 + 0x5c4dd124; ra = ((t << 7) | (t >>> 25)) + re | 0; rc = (rc << 10) | (rc >>> 22)
  t = re + ((ra & rc) | (rb & ~rc)) + x8 + 0x5c4dd124; re = ((t << 12) | (t >>> 20)) + rd | 0; rb = (rb << 10) | (rb >>> 22)
  t = rd + ((re & rb) | (ra & ~rb)) + x12 + 0x5c4dd124; rd = ((t << 7) | (t >>> 25)) + rc | 0; ra = (ra << 10) | (ra >>> 22)
  t = rc + ((rd & ra) | (re & ~ra)) + x4 + 0x5c4dd124; rc = ((t << 6) | (t >>> 26)) + rb | 0; re = (re << 10) | (re >>> 22)
  t = rb + ((rc & re) | (rd & ~re)) + x9 + 0x5c4dd124; rb = ((t << 15) | (t >>> 17)) + ra | 0; rd = (rd << 10) | (rd >>> 22)
  t = ra + ((rb & rd) | (rc & ~rd)) + x1 + 0x5c4dd124; ra = ((t << 13) | (t >>> 19)) + re | 0; rc = (rc << 10) | (rc >>> 22)
  t = re + ((ra & rc) | (rb & ~rc)) + x2 + 0x5c4dd124; re = ((t << 11) | (t >>> 21)) + rd | 0; rb = (rb << 10) | (rb >>> 22)
  t = rd + ((re | ~ra) ^ rb) + x15 + 0x6d703ef3; rd = ((t << 9) | (t >>> 23)) + rc | 0; ra = (ra << 10) | (ra >>> 22)
  t = rc + ((rd | ~re) ^ ra) + x5 + 0x6d703ef3; rc = ((t << 7) | (t >>> 25)) + rb | 0; re = (re << 10) | (re >>> 22)
  t = rb + ((rc | ~rd) ^ re) + x1 + 0x6d703ef3; rb = ((t << 15) | (t >>> 17)) + ra | 0; rd = (rd << 10) | (rd >>> 22)
  t = ra + ((rb | ~rc) ^ rd) + x3 + 0x6d703ef3; ra = ((t << 11) | (t >>> 21)) + re | 0; rc = (rc << 10) | (rc >>> 22)
  t = re + ((ra | ~rb) ^ rc) + x7 + 0x6d703ef3; re = ((t << 8) | (t >>> 24)) + rd | 0; rb = (rb << 10) | (rb >>> 22)
  t = rd + ((re | ~ra) ^ rb) + x14 + 0x6d703ef3; rd = ((t << 6) | (t >>> 26)) + rc | 0; ra = (ra << 10) | (ra >>> 22)
  t = rc + ((rd | ~re) ^ ra) + x6 + 0x6d703ef3; rc = ((t << 6) | (t >>> 26)) + rb | 0; re = (re << 10) | (re >>> 22)
  t = rb + ((rc | ~rd) ^ re) + x9 + 0x6d703ef3; rb = ((t << 14) | (t >>> 18)) + ra | 0; rd = (rd << 10) | (rd >>> 22)
  t = ra + ((rb | ~rc) ^ rd) + x11 + 0x6d703ef3; ra = ((t << 12) | (t >>> 20)) + re | 0; rc = (rc << 10) | (rc >>> 22)
  t = re + ((ra | ~rb) ^ rc) + x8 + 0x6d703ef3; re = ((t << 13) | (t >>> 19)) + rd | 0; rb = (rb << 10) | (rb >>> 22)
  t = rd + ((re | ~ra) ^ rb) + x12 + 0x6d703ef3; rd = ((t << 5) | (t >>> 27)) + rc | 0; ra = (ra << 10) | (ra >>> 22)
  t = rc + ((rd | ~re) ^ ra) + x2 + 0x6d703ef3; rc = ((t << 14) | (t >>> 18)) + rb | 0; re = (re << 10) | (re >>> 22)
  t = rb + ((rc | ~rd) ^ re) + x10 + 0x6d703ef3; rb = ((t << 13) | (t >>> 19)) + ra | 0; rd = (rd << 10) | (rd >>> 22)
  t = ra + ((rb | ~rc) ^ rd) + x0 + 0x6d703ef3; ra = ((t << 13) | (t >>> 19)) + re | 0; rc = (rc << 10) | (rc >>> 22)
  t = re + ((ra | ~rb) ^ rc) + x4 + 0x6d703ef3; re = ((t << 7) | (t >>> 25)) + rd | 0; rb = (rb << 10) | (rb >>> 22)
  t = rd + ((re | ~ra) ^ rb) + x13 + 0x6d703ef3; rd = ((t << 5) | (t >>> 27)) + rc | 0; ra = (ra << 10) | (ra >>> 22)
  t = rc + ((rd & re) | (~rd & ra)) + x8 + 0x7a6d76e9; rc = ((t << 15) | (t >>> 17)) + rb | 0; re = (re << 10) | (re >>> 22)
  t = rb + ((rc & rd) | (~rc & re)) + x6 + 0x7a6d76e9; rb = ((t << 5) | (t >>> 27)) + ra | 0; rd = (rd << 10) | (rd >>> 22)
  t = ra + ((rb & rc) | (~rb & rd)) + x4 + 0x7a6d76e9; ra = ((t << 8) | (t >>> 24)) + re | 0; rc = (rc << 10) | (rc >>> 22)
  t = re + ((ra & rb) | (~ra & rc)) + x1 + 0x7a6d76e9; re = ((t << 11) | (t >>> 21)) + rd | 0; rb = (rb << 10) | (rb >>> 22)
  t = rd + ((re & ra) | (~re & rb)) + x3 + 0x7a6d76e9; rd = ((t << 14) | (t >>> 18)) + rc | 0; ra = (ra << 10) | (ra >>> 22)
  t = rc + ((rd & re) | (~rd & ra)) + x11 + 0x7a6d76e9; rc = ((t << 14) | (t >>> 18)) + rb | 0; re = (re << 10) | (re >>> 22)
  t = rb + ((rc & rd) | (~rc & re)) + x15 + 0x7a6d76e9; rb = ((t << 6) | (t >>> 26)) + ra | 0; rd = (rd << 10) | (rd >>> 22)
  t = ra + ((rb & rc) | (~rb & rd)) + x0 + 0x7a6d76e9; ra = ((t << 14) | (t >>> 18)) + re | 0; rc = (rc << 10) | (rc >>> 22)
  t = re + ((ra & rb) | (~ra & rc)) + x5 + 0x7a6d76e9; re = ((t << 6) | (t >>> 26)) + rd | 0; rb = (rb << 10) | (rb >>> 22)
  t = rd + ((re & ra) | (~re & rb)) + x12 + 0x7a6d76e9; rd = ((t << 9) | (t >>> 23)) + rc | 0; ra = (ra << 10) | (ra >>> 22)
  t = rc + ((rd & re) | (~rd & ra)) + x2 + 0x7a6d76e9; rc = ((t << 12) | (t >>> 20)) + rb | 0; re = (re << 10) | (re >>> 22)
  t = rb + ((rc & rd) | (~rc & re)) + x13 + 0x7a6d76e9; rb = ((t << 9) | (t >>> 23)) + ra | 0; rd = (rd << 10) | (rd >>> 22)
  t = ra + ((rb & rc) | (~rb & rd)) + x9 + 0x7a6d76e9; ra = ((t << 12) | (t >>> 20)) + re | 0; rc = (rc << 10) | (rc >>> 22)
  t = re + ((ra & rb) | (~ra & rc)) + x7 + 0x7a6d76e9; re = ((t << 5) | (t >>> 27)) + rd | 0; rb = (rb << 10) | (rb >>> 22)
  t = rd + ((re & ra) | (~re & rb)) + x10 + 0x7a6d76e9; rd = ((t << 15) | (t >>> 17)) + rc | 0; ra = (ra << 10) | (ra >>> 22)
  t = rc + ((rd & re) | (~rd & ra)) + x14 + 0x7a6d76e9; rc = ((t << 8) | (t >>> 24)) + rb | 0; re = (re << 10) | (re >>> 22)
  t = rb + (rc ^ rd ^ re) + x12; rb = ((t << 8) | (t >>> 24)) + ra | 0; rd = (rd << 10) | (rd >>> 22)
  t = ra + (rb ^ rc ^ rd) + x15; ra = ((t << 5) | (t >>> 27)) + re | 0; rc = (rc << 10) | (rc >>> 22)
  t = re + (ra ^ rb ^ rc) + x10; re = ((t << 12) | (t >>> 20)) + rd | 0; rb = (rb << 10) | (rb >>> 22)
  t = rd + (re ^ ra ^ rb) + x4; rd = ((t << 9) | (t >>> 23)) + rc | 0; ra = (ra << 10) | (ra >>> 22)
  t = rc + (rd ^ re ^ ra) + x1; rc = ((t << 12) | (t >>> 20)) + rb | 0; re = (re << 10) | (re >>> 22)
  t = rb + (rc ^ rd ^ re) + x5; rb = ((t << 5) | (t >>> 27)) + ra | 0; rd = (rd << 10) | (rd >>> 22)
  t = ra + (rb ^ rc ^ rd) + x8; ra = ((t << 14) | (t >>> 18)) + re | 0; rc = (rc << 10) | (rc >>> 22)
  t = re + (ra ^ rb ^ rc) + x7; re = ((t << 6) | (t >>> 26)) + rd | 0; rb = (rb << 10) | (rb >>> 22)
  t = rd + (re ^ ra ^ rb) + x6; rd = ((t << 8) | (t >>> 24)) + rc | 0; ra = (ra << 10) | (ra >>> 22)
  t = rc + (rd ^ re ^ ra) + x2; rc = ((t << 13) | (t >>> 19)) + rb | 0; re = (re << 10) | (re >>> 22)
  t = rb + (rc ^ rd ^ re) + x13; rb = ((t << 6) | (t >>> 26)) + ra | 0; rd = (rd << 10) | (rd >>> 22)
  t = ra + (rb ^ rc ^ rd) + x14; ra = ((t << 5) | (t >>> 27)) + re | 0; rc = (rc << 10) | (rc >>> 22)
  t = re + (ra ^ rb ^ rc) + x0; re = ((t << 15) | (t >>> 17)) + rd | 0; rb = (rb << 10) | (rb >>> 22)
  t = rd + (re ^ ra ^ rb) + x3; rd = ((t << 13) | (t >>> 19)) + rc | 0; ra = (ra << 10) | (ra >>> 22)
  t = rc + (rd ^ re ^ ra) + x9; rc = ((t << 11) | (t >>> 21)) + rb | 0; re = (re << 10) | (re >>> 22)
  t = rb + (rc ^ rd ^ re) + x11; rb = ((t << 11) | (t >>> 21)) + ra | 0; rd = (rd << 10) | (rd >>> 22)
  state[0] = (h1 + lc + rd) | 0
  state[1] = (h2 + ld + re) | 0
  state[2] = (h3 + le + ra) | 0
  state[3] = (h4 + la + rb) | 0
  state[4] = (h0 + lb + rc) | 0
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
  const end = rest < 56 ? 64 : 128
  if (padded.length < end) padded = new Uint8Array(end)
  for (let i = 0; i < rest; i++) padded[i] = data[whole + i]!
  padded[rest] = 0x80
  padded.fill(0, rest + 1, end - 8)
  const bits = length * 8
  padded[end - 8] = bits & 0xff
  padded[end - 7] = (bits >>> 8) & 0xff
  padded[end - 6] = (bits >>> 16) & 0xff
  padded[end - 5] = (bits >>> 24) & 0xff
  padded[end - 4] = Math.floor(bits / 2 ** 32) & 0xff
  padded[end - 3] = padded[end - 2] = padded[end - 1] = 0
  for (let at = 0; at < end; at += 64) compress(padded, at)
  const out = Buffer.allocUnsafe(20)
  for (let i = 0; i < 5; i++) {
    const v = state[i]!
    out[i * 4] = v
    out[i * 4 + 1] = v >>> 8
    out[i * 4 + 2] = v >>> 16
    out[i * 4 + 3] = v >>> 24
  }
  return out
}
