// UTF-8 validation. The reference is the automaton of src/ws/codec/utf8.ts
// (states: Utf8State; byte-class and state tables built once at
// instantiation from the same ranges as the TypeScript twin's). In front of
// it, 16-byte blocks are checked with v128 in the manner of Keiser and
// Lemire's "Validating UTF-8 In Less Than One Instruction Per Byte" (2021):
// three nibble lookups classify each byte with the one before it, and a
// compare of the bytes two and three back says where continuations must be.
// A block of ASCII after a complete code point is skipped outright. The
// automaton runs only where the vector check cannot answer: to finish a
// code point begun in an earlier call, to find the exact offending byte
// when a block fails (fail fast needs its offset), and over the last
// partial block, where it also yields the state carried to the next call.

import { Utf8State } from "./constants";

// Byte classes: see src/ws/codec/utf8.ts.
@inline const C_ASCII: u8 = 0;
@inline const C_80: u8 = 1;
@inline const C_90: u8 = 2;
@inline const C_A0: u8 = 3;
@inline const C_BAD: u8 = 4;
@inline const C_LEAD2: u8 = 5;
@inline const C_E0: u8 = 6;
@inline const C_LEAD3: u8 = 7;
@inline const C_ED: u8 = 8;
@inline const C_F0: u8 = 9;
@inline const C_LEAD4: u8 = 10;
@inline const C_F4: u8 = 11;

const CLASS: usize = memory.data(256);
const NEXT: usize = memory.data(256);

function classOf(b: u32): u8 {
  if (b < 0x80) return C_ASCII;
  if (b < 0x90) return C_80;
  if (b < 0xa0) return C_90;
  if (b < 0xc0) return C_A0;
  if (b < 0xc2) return C_BAD;
  if (b < 0xe0) return C_LEAD2;
  if (b == 0xe0) return C_E0;
  if (b == 0xed) return C_ED;
  if (b < 0xf0) return C_LEAD3;
  if (b == 0xf0) return C_F0;
  if (b < 0xf4) return C_LEAD4;
  if (b == 0xf4) return C_F4;
  return C_BAD;
}

@inline function set(from: i32, cls: u8, to: i32): void {
  store<u8>(NEXT + <usize>((from << 4) | <i32>cls), <u8>to);
}

function setTail(from: i32, to: i32): void {
  set(from, C_80, to);
  set(from, C_90, to);
  set(from, C_A0, to);
}

/** Fill the tables (called once, at instantiation). */
export function buildUtf8Tables(): void {
  for (let b: u32 = 0; b < 256; b++) {
    store<u8>(CLASS + b, classOf(b));
    store<u8>(NEXT + b, <u8>Utf8State.REJECT);
  }
  set(Utf8State.ACCEPT, C_ASCII, Utf8State.ACCEPT);
  set(Utf8State.ACCEPT, C_LEAD2, Utf8State.TAIL1);
  set(Utf8State.ACCEPT, C_E0, Utf8State.AFTER_E0);
  set(Utf8State.ACCEPT, C_LEAD3, Utf8State.TAIL2);
  set(Utf8State.ACCEPT, C_ED, Utf8State.AFTER_ED);
  set(Utf8State.ACCEPT, C_F0, Utf8State.AFTER_F0);
  set(Utf8State.ACCEPT, C_LEAD4, Utf8State.TAIL3);
  set(Utf8State.ACCEPT, C_F4, Utf8State.AFTER_F4);
  setTail(Utf8State.TAIL1, Utf8State.ACCEPT);
  setTail(Utf8State.TAIL2, Utf8State.TAIL1);
  setTail(Utf8State.TAIL3, Utf8State.TAIL2);
  set(Utf8State.AFTER_E0, C_A0, Utf8State.TAIL1); // E0 80-9F: overlong
  set(Utf8State.AFTER_ED, C_80, Utf8State.TAIL1); // ED A0-BF: surrogate
  set(Utf8State.AFTER_ED, C_90, Utf8State.TAIL1);
  set(Utf8State.AFTER_F0, C_90, Utf8State.TAIL2); // F0 80-8F: overlong
  set(Utf8State.AFTER_F0, C_A0, Utf8State.TAIL2);
  set(Utf8State.AFTER_F4, C_80, Utf8State.TAIL2); // F4 90-BF: above U+10FFFF
}

/** Where the last utf8Scan that rejected saw its bad byte. */
export let utf8RejectAt: usize = 0;

/** Run the automaton over bytes [p, e) from `state`; returns the new state (REJECT sets utf8RejectAt). */
function dfaScan(p: usize, e: usize, state: i32): i32 {
  while (p < e) {
    if (state == Utf8State.ACCEPT) {
      // Between code points: skip ASCII 16 bytes at a time, then up to the first non-ASCII byte.
      while (p + 16 <= e) {
        const m = i8x16.bitmask(v128.load(p));
        if (m != 0) {
          p += <usize>ctz<u32>(m);
          break;
        }
        p += 16;
      }
      while (p < e && load<u8>(p) < 0x80) p++;
      if (p == e) break;
    }
    state = <i32>load<u8>(NEXT + <usize>((state << 4) | <i32>load<u8>(CLASS + <usize>load<u8>(p))));
    if (state == Utf8State.REJECT) {
      utf8RejectAt = p;
      return state;
    }
    p++;
  }
  return state;
}

// Error bits of the block check: each is set by a pair (byte before, byte)
// when all three tables (high nibble before, low nibble before, high nibble
// now) have it, so each table lists, per nibble, the bits it allows.
@inline const TOO_SHORT: u8 = 1; //   lead, then not a continuation
@inline const TOO_LONG: u8 = 2; //    ASCII, then a continuation
@inline const OVERLONG_3: u8 = 4; //  E0, then 80-9F
@inline const SURROGATE: u8 = 8; //   ED, then A0-BF
@inline const OVERLONG_2: u8 = 16; // C0 or C1, then a continuation
@inline const TOO_LARGE: u8 = 32; //  F4-FF, then 90-BF
@inline const F0_F5_80: u8 = 64; //   F0 (overlong) or F5-FF (too large), then 80-8F
@inline const TWO_CONTS: u8 = 128; // a continuation, then a continuation: right only where one must be

/** The block check: nonzero lanes mark bytes of `v` that cannot follow what comes before them (`prev`, the block before). */
@inline function blockErrors(prev: v128, v: v128): v128 {
  const prev1 = v128.shuffle<u8>(prev, v, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30);
  const prev2 = v128.shuffle<u8>(prev, v, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29);
  const prev3 = v128.shuffle<u8>(prev, v, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28);
  const low = i8x16.splat(0x0f);
  const byHigh1 = i8x16.swizzle(
    i8x16(
      TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, // 0-7: ASCII
      TWO_CONTS, TWO_CONTS, TWO_CONTS, TWO_CONTS, // 8-B: continuations
      TOO_SHORT | OVERLONG_2, // C
      TOO_SHORT, // D
      TOO_SHORT | OVERLONG_3 | SURROGATE, // E
      TOO_SHORT | TOO_LARGE | F0_F5_80, // F
    ),
    i8x16.shr_u(prev1, 4),
  );
  const ANY: u8 = TOO_SHORT | TOO_LONG | TWO_CONTS;
  const byLow1 = i8x16.swizzle(
    i8x16(
      ANY | OVERLONG_3 | OVERLONG_2 | F0_F5_80, // x0: E0, C0, F0
      ANY | OVERLONG_2, // x1: C1
      ANY, ANY, // x2, x3
      ANY | TOO_LARGE, // x4: F4
      ANY | TOO_LARGE | F0_F5_80, ANY | TOO_LARGE | F0_F5_80, ANY | TOO_LARGE | F0_F5_80, ANY | TOO_LARGE | F0_F5_80, // x5-x8: F5-F8
      ANY | TOO_LARGE | F0_F5_80, ANY | TOO_LARGE | F0_F5_80, ANY | TOO_LARGE | F0_F5_80, ANY | TOO_LARGE | F0_F5_80, // x9-xC
      ANY | TOO_LARGE | F0_F5_80 | SURROGATE, // xD: ED, FD
      ANY | TOO_LARGE | F0_F5_80, ANY | TOO_LARGE | F0_F5_80, // xE, xF
    ),
    v128.and(prev1, low),
  );
  const byHigh = i8x16.swizzle(
    i8x16(
      TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, // 0-7
      TOO_LONG | OVERLONG_3 | OVERLONG_2 | F0_F5_80 | TWO_CONTS, // 8
      TOO_LONG | OVERLONG_3 | OVERLONG_2 | TOO_LARGE | TWO_CONTS, // 9
      TOO_LONG | SURROGATE | OVERLONG_2 | TOO_LARGE | TWO_CONTS, // A
      TOO_LONG | SURROGATE | OVERLONG_2 | TOO_LARGE | TWO_CONTS, // B
      TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, // C-F
    ),
    i8x16.shr_u(v, 4),
  );
  const special = v128.and(v128.and(byHigh1, byLow1), byHigh);
  // Where the byte two back is a 3- or 4-byte lead, or three back a 4-byte lead, this byte must be a second or third continuation.
  const must = v128.and(v128.or(i8x16.gt_u(prev2, i8x16.splat(<i8>0xdf)), i8x16.gt_u(prev3, i8x16.splat(<i8>0xef))), i8x16.splat(<i8>0x80));
  return v128.xor(must, special);
}

/** Back from `p` (not before `start`) to the first byte of the code point that the byte before `p` belongs to. */
@inline function codePointStart(start: usize, p: usize): usize {
  let q = p;
  while (q > start && p - q < 3 && (load<u8>(q - 1) & 0xc0) == 0x80) q--;
  if (q > start && load<u8>(q - 1) >= 0xc0) q--;
  return q;
}

/**
 * Check bytes [p, e) from `state`; returns the new state (REJECT sets
 * utf8RejectAt to the first byte that cannot be part of UTF-8 there).
 */
export function utf8Scan(p: usize, e: usize, state: i32): i32 {
  // Finish a code point begun before p.
  while (state != Utf8State.ACCEPT && p < e) {
    state = <i32>load<u8>(NEXT + <usize>((state << 4) | <i32>load<u8>(CLASS + <usize>load<u8>(p))));
    if (state == Utf8State.REJECT) {
      utf8RejectAt = p;
      return state;
    }
    p++;
  }
  if (state != Utf8State.ACCEPT) return state; // p == e, still inside that code point
  const start = p;
  let prev = i8x16.splat(0);
  let incomplete = false;
  // Lanes 13-15 of a block: a lead there whose code point goes on past the block.
  const ends = i8x16(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, <i8>0xef, <i8>0xdf, <i8>0xbf);
  // 64 bytes a step: four blocks, their errors gathered and tested once.
  while (p + 64 <= e) {
    const v0 = v128.load(p);
    const v1 = v128.load(p, 16);
    const v2 = v128.load(p, 32);
    const v3 = v128.load(p, 48);
    if (!incomplete && i8x16.bitmask(v128.or(v128.or(v0, v1), v128.or(v2, v3))) == 0) {
      prev = v3;
      p += 64;
      continue;
    }
    const err = v128.or(v128.or(blockErrors(prev, v0), blockErrors(v0, v1)), v128.or(blockErrors(v1, v2), blockErrors(v2, v3)));
    if (v128.any_true(err)) return dfaScan(codePointStart(start, p), e, Utf8State.ACCEPT);
    incomplete = v128.any_true(i8x16.gt_u(v3, ends));
    prev = v3;
    p += 64;
  }
  while (p + 16 <= e) {
    const v = v128.load(p);
    if (!incomplete && i8x16.bitmask(v) == 0) {
      prev = v;
      p += 16;
      continue;
    }
    if (v128.any_true(blockErrors(prev, v))) return dfaScan(codePointStart(start, p), e, Utf8State.ACCEPT);
    incomplete = v128.any_true(i8x16.gt_u(v, ends));
    prev = v;
    p += 16;
  }
  if (p == e && !incomplete) return Utf8State.ACCEPT;
  return dfaScan(codePointStart(start, p), e, Utf8State.ACCEPT);
}
