import { describe, expect, it } from "vitest";
import { instantiateWasm } from "../../src/wasm/load.js";

/**
 * The pure slot arithmetic of assembly/timer-wheel.ts, through the test
 * exports of scheduler.wasm, checked against a BigInt reference over every
 * edge of its domain (../shared/STYLE.md, item 7).
 */
const ex = instantiateWasm("scheduler").exports as unknown as {
  wheelLevel(now: number, key: number): number;
  wheelSlot(key: number, level: number): number;
  wheelSlotStart(now: number, level: number, slot: number): number;
  wheelSlotRange(level: number): number;
  wheelLevelRange(level: number): number;
};

const LEVELS = 6;
const BITS = 6n;

/** Reference: the highest 6-bit digit in which `now` and `key` differ (0 when they only differ in the lowest). */
function refLevel(now: number, key: number): number {
  const x = (BigInt(now) ^ BigInt(key)) | 63n;
  return Math.floor((x.toString(2).length - 1) / 6);
}
function refSlot(key: number, level: number): number {
  return Number((BigInt(key) >> (BigInt(level) * BITS)) & 63n);
}

/** Times at the edges of every level: 64^k - 1, 64^k, 64^k + 1, a few multiples, and the 2^52 clamp. */
const EDGES: number[] = (() => {
  const out = new Set<number>([0, 1, 2, 62, 63, 64, 65, 2 ** 52 - 1]);
  for (let k = 1; k <= 8; k++) {
    const p = 64 ** k;
    for (const v of [p - 1, p, p + 1, 2 * p - 1, 2 * p, 63 * p, 63 * p + 1, 64 * p - 1]) if (v < 2 ** 52) out.add(v);
  }
  return [...out].sort((a, b) => a - b);
})();

describe("timer wheel slot arithmetic", () => {
  it("has the level ranges of its table: a slot of level L covers 64^L ms, the level 64^(L+1)", () => {
    const table = [
      [1, 64],
      [64, 4096],
      [4096, 262_144],
      [262_144, 16_777_216],
      [16_777_216, 1_073_741_824],
      [1_073_741_824, 68_719_476_736], // 2^36 ms: about 2.2 years
    ];
    for (let level = 0; level < LEVELS; level++) {
      expect([ex.wheelSlotRange(level), ex.wheelLevelRange(level)]).toEqual(table[level]);
    }
  });

  it("places every key of the first 2^13 ms after every time of the first 2^9 ms on its level and slot", () => {
    for (let now = 0; now < 512; now++) {
      for (let key = now; key < now + 8192; key++) {
        const level = ex.wheelLevel(now, key);
        // Reference without BigInt for speed: both below 2^31.
        const x = (now ^ key) | 63;
        const want = Math.floor((31 - Math.clz32(x)) / 6);
        if (level !== want) throw new Error(`level(${now}, ${key}) = ${level}, want ${want}`);
      }
    }
  });

  it("computes levels at the edges of every level, up to the 2^52 clamp", () => {
    for (const now of EDGES) {
      for (const key of EDGES) {
        if (key < now) continue;
        expect(ex.wheelLevel(now, key), `level(${now}, ${key})`).toBe(refLevel(now, key));
      }
      for (let d = 0; d < 130; d++) expect(ex.wheelLevel(now, now + d)).toBe(refLevel(now, now + d));
    }
  });

  it("says a key is beyond the wheel (level >= 6) exactly when it differs from now above bit 36", () => {
    for (const now of [0, 5, 2 ** 36 - 1, 2 ** 36, 3 * 2 ** 36 + 17]) {
      const blockEnd = (Math.floor(now / 2 ** 36) + 1) * 2 ** 36;
      expect(ex.wheelLevel(now, blockEnd - 1)).toBeLessThan(LEVELS);
      expect(ex.wheelLevel(now, blockEnd)).toBeGreaterThanOrEqual(LEVELS);
    }
  });

  it("gives each key the slot of its own digit, for every digit of every level", () => {
    for (let level = 0; level < LEVELS; level++) {
      for (let digit = 0; digit < 64; digit++) {
        for (const low of [0, 1, 64 ** level - 1].filter((l) => l < 64 ** level)) {
          for (const high of [0, 1, 63]) {
            const key = high * 64 ** (level + 1) + digit * 64 ** level + low;
            expect(ex.wheelSlot(key, level)).toBe(digit);
            expect(ex.wheelSlot(key, level)).toBe(refSlot(key, level));
          }
        }
      }
    }
  });

  it("puts every key inside its slot's range, in a slot after now's own above level 0", () => {
    for (const now of EDGES) {
      for (const d of [0, 1, 63, 64, 65, 4095, 4096, 4097, 262_143, 262_144, 999_999, 2 ** 30, 2 ** 35]) {
        const key = now + d;
        if (key >= 2 ** 52) continue;
        const level = ex.wheelLevel(now, key);
        if (level >= LEVELS) continue;
        const slot = ex.wheelSlot(key, level);
        const start = ex.wheelSlotStart(now, level, slot);
        expect(start, `start of ${key} from ${now}`).toBeLessThanOrEqual(key);
        expect(key).toBeLessThan(start + ex.wheelSlotRange(level));
        if (level > 0) {
          expect(slot).toBeGreaterThan(ex.wheelSlot(now, level));
          expect(start).toBeGreaterThan(now);
        }
      }
    }
  });

  it("computes slot starts within now's level range for every slot of every level", () => {
    for (const now of [0, 77, 4096 + 5, 2 ** 36 + 123_456, 2 ** 40 + 2 ** 20]) {
      for (let level = 0; level < LEVELS; level++) {
        const range = 64 ** (level + 1);
        const base = Math.floor(now / range) * range;
        for (let slot = 0; slot < 64; slot++) {
          expect(ex.wheelSlotStart(now, level, slot)).toBe(base + slot * 64 ** level);
        }
      }
    }
  });
});
