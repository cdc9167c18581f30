/**
 * UTF-8 validation in TypeScript: the twin of the Wasm core's check, and the
 * small-input path of isUtf8. A byte-class table and a state table (states:
 * Utf8State in constants.ts, what the next byte must be) reject overlongs,
 * surrogates, code points above U+10FFFF and truncations; the state carries
 * a text message across reads and fragments. Runs of ASCII between code
 * points skip the tables.
 */
import { Utf8State } from "./constants.js";

/**
 * Byte classes. The ranges that matter: ASCII; the three continuation
 * ranges 80-8F, 90-9F, A0-BF (the second byte after E0, ED, F0 and F4 is
 * restricted to some of them); bytes never valid (C0, C1, F5-FF); and lead
 * bytes grouped by what they allow next.
 */
const C_ASCII = 0, C_80 = 1, C_90 = 2, C_A0 = 3, C_BAD = 4, C_LEAD2 = 5, C_E0 = 6, C_LEAD3 = 7, C_ED = 8, C_F0 = 9, C_LEAD4 = 10, C_F4 = 11;

/** The class of each byte value. */
export const UTF8_CLASS: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let b = 0; b < 256; b++) {
    t[b] =
      b < 0x80 ? C_ASCII
      : b < 0x90 ? C_80
      : b < 0xa0 ? C_90
      : b < 0xc0 ? C_A0
      : b < 0xc2 ? C_BAD
      : b < 0xe0 ? C_LEAD2
      : b === 0xe0 ? C_E0
      : b === 0xed ? C_ED
      : b < 0xf0 ? C_LEAD3
      : b === 0xf0 ? C_F0
      : b < 0xf4 ? C_LEAD4
      : b === 0xf4 ? C_F4
      : C_BAD;
  }
  return t;
})();

/** Next state at `state * 16 + class`; every pair not listed rejects. */
export const UTF8_NEXT: Uint8Array = (() => {
  const S = Utf8State;
  const t = new Uint8Array(16 * 16).fill(S.REJECT);
  const set = (from: number, classes: number[], to: number): void => {
    for (const c of classes) t[from * 16 + c] = to;
  };
  const TAIL = [C_80, C_90, C_A0];
  set(S.ACCEPT, [C_ASCII], S.ACCEPT);
  set(S.ACCEPT, [C_LEAD2], S.TAIL1);
  set(S.ACCEPT, [C_E0], S.AFTER_E0);
  set(S.ACCEPT, [C_LEAD3], S.TAIL2);
  set(S.ACCEPT, [C_ED], S.AFTER_ED);
  set(S.ACCEPT, [C_F0], S.AFTER_F0);
  set(S.ACCEPT, [C_LEAD4], S.TAIL3);
  set(S.ACCEPT, [C_F4], S.AFTER_F4);
  set(S.TAIL1, TAIL, S.ACCEPT);
  set(S.TAIL2, TAIL, S.TAIL1);
  set(S.TAIL3, TAIL, S.TAIL2);
  set(S.AFTER_E0, [C_A0], S.TAIL1); // E0 80-9F would be an overlong 2-byte form
  set(S.AFTER_ED, [C_80, C_90], S.TAIL1); // ED A0-BF would be a surrogate
  set(S.AFTER_F0, [C_90, C_A0], S.TAIL2); // F0 80-8F would be an overlong 3-byte form
  set(S.AFTER_F4, [C_80], S.TAIL2); // F4 90-BF would be above U+10FFFF
  return t;
})();

/** Where the last utf8Scan that rejected saw its bad byte. */
export let utf8RejectAt = -1;

/**
 * Run the automaton over bytes [s, e) from `state`; returns the new state.
 * On REJECT, `utf8RejectAt` is the offset of the first byte that cannot be
 * part of UTF-8 there.
 */
export function utf8Scan(b: Uint8Array, s: number, e: number, state: number): number {
  const cls = UTF8_CLASS, next = UTF8_NEXT;
  let i = s;
  while (i < e) {
    const c = b[i];
    if (state === 0 && c < 0x80) {
      i++;
      // Between code points: skip a run of ASCII four bytes at a time.
      while (i + 4 <= e && ((b[i] | b[i + 1] | b[i + 2] | b[i + 3]) & 0x80) === 0) i += 4;
      continue;
    }
    state = next[(state << 4) | cls[c]];
    if (state === 8 /* Utf8State.REJECT */) {
      utf8RejectAt = i;
      return state;
    }
    i++;
  }
  return state;
}

/** True when all of `b` is UTF-8 (TypeScript path). */
export function isUtf8Ts(b: Uint8Array): boolean {
  return utf8Scan(b, 0, b.length, Utf8State.ACCEPT) === Utf8State.ACCEPT;
}
