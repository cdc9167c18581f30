// UTF-8 validation: the automaton of src/ws/codec/utf8.ts (states:
// Utf8State), with runs of ASCII between code points skipped 16 bytes at a
// time (i8x16.bitmask gathers the top bit of every byte: 0 means all ASCII).
// The byte-class and state tables are built once at instantiation from the
// same ranges as the TypeScript twin's.

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
export function utf8Scan(p: usize, e: usize, state: i32): i32 {
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
