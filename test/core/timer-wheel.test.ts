import { fc } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { instantiateWasm } from "../../src/wasm/load.js";

/**
 * The pure index arithmetic of the timer wheel (assembly/scheduler/timer-wheel/level.ts),
 * through the test exports of the built scheduler.wasm, so the code checked is
 * the code that ships. The model below works digit by digit in base 64 on
 * BigInts, as the wheel is described (a key sits at the level of the highest
 * digit in which it differs from the wheel's time, in the slot of its own
 * digit there), not with the bit tricks the wheel uses: exhaustive over small
 * times, at every level's edges, and property-based over the whole domain.
 */
const ex = instantiateWasm("scheduler").exports as unknown as {
  wheelLevel(now: number, key: number): number;
  wheelSlot(key: number, level: number): number;
  wheelSlotStart(now: number, level: number, slot: number): number;
  wheelSlotRange(level: number): number;
  wheelLevelRange(level: number): number;
  wheelKey(deadline: number): number;
  wheelNextBlock(now: number): number;
  wheelCascadeLevel(low: number): number;
  wheelCascadeSlot(low: number, level: number): number;
};

/** Levels of the wheel, and the largest key it computes with (2^52 ms). */
const LEVELS = 6;
const MAX_KEY = 2 ** 52;
/** The wheel spans 2^36 ms: keys further ahead wait for the wheel's time to reach their block. */
const SPAN = 2 ** 36;

// ------------------------------------------------------------------ the model

/** Base-64 digit `i` of `t`. */
function digit(t: number, i: number): number {
  return Number((BigInt(t) / 64n ** BigInt(i)) % 64n);
}

/** The highest digit in which `now` and `key` differ, 0 when they differ in none but the lowest. */
function modelLevel(now: number, key: number): number {
  for (let i = 9; i > 0; i--) if (digit(now, i) !== digit(key, i)) return i;
  return 0;
}

/** The key's own digit at `level`. */
function modelSlot(key: number, level: number): number {
  return digit(key, level);
}

/** `now` with its digit at `level` replaced by `slot` and every lower digit by 0. */
function modelSlotStart(now: number, level: number, slot: number): number {
  const unit = 64n ** BigInt(level);
  const above = (BigInt(now) / (unit * 64n)) * unit * 64n;
  return Number(above + BigInt(slot) * unit);
}

/** A deadline's key: rounded up to a whole ms, at most MAX_KEY (NaN and Infinity too). */
function modelKey(deadline: number): number {
  const c = Math.ceil(deadline);
  return c < MAX_KEY ? c : MAX_KEY;
}

// ------------------------------------------------------------------ inputs

/** Times near the edges of every level: m * 64^k + d. */
const edgeTime = fc
  .tuple(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 1, max: 63 }), fc.integer({ min: -2, max: 2 }))
  .map(([k, m, d]) => Math.min(Math.max(m * 64 ** k + d, 0), MAX_KEY - 1));
/** Any time below 2^52, weighted toward small values and edges. */
const time = fc.oneof(fc.integer({ min: 0, max: 1 << 20 }), fc.bigInt({ min: 0n, max: BigInt(MAX_KEY - 1) }).map(Number), edgeTime);
/** A time and a key at or after it, both below 2^52. */
const nowAndKey = fc.tuple(time, time).map(([now, d]) => [now, Math.min(now + d, MAX_KEY - 1)] as const);

/** Times at the edges of every level: 64^k - 1, 64^k, 64^k + 1, a few multiples, and the 2^52 clamp. */
const EDGES: number[] = (() => {
  const out = new Set<number>([0, 1, 2, 62, 63, 64, 65, MAX_KEY - 1]);
  for (let k = 1; k <= 8; k++) {
    const p = 64 ** k;
    for (const v of [p - 1, p, p + 1, 2 * p - 1, 2 * p, 63 * p, 63 * p + 1, 64 * p - 1]) if (v < MAX_KEY) out.add(v);
  }
  return [...out].sort((a, b) => a - b);
})();

describe("timer wheel index arithmetic", () => {
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
        // The model on plain numbers, for speed: both are below 2^31.
        let want = 0;
        for (let i = 2; i > 0; i--) if (((now >> (6 * i)) & 63) !== ((key >> (6 * i)) & 63)) { want = i; break; }
        if (level !== want) throw new Error(`level(${now}, ${key}) = ${level}, want ${want}`);
        const slot = ex.wheelSlot(key, level);
        if (slot !== ((key >> (6 * level)) & 63)) throw new Error(`slot(${key}, ${level}) = ${slot}`);
      }
    }
  });

  it("computes levels at the edges of every level, up to the 2^52 clamp", () => {
    for (const now of EDGES) {
      for (const key of EDGES) {
        if (key < now) continue;
        expect(ex.wheelLevel(now, key), `level(${now}, ${key})`).toBe(modelLevel(now, key));
      }
      for (let d = 0; d < 130; d++) expect(ex.wheelLevel(now, now + d)).toBe(modelLevel(now, now + d));
    }
  });

  it("agrees with the model on level, slot and slot start for any time and later key", () => {
    fc.assert(
      fc.property(nowAndKey, ([now, key]) => {
        const level = ex.wheelLevel(now, key);
        expect(level).toBe(modelLevel(now, key));
        if (level >= LEVELS) return;
        const slot = ex.wheelSlot(key, level);
        expect(slot).toBe(modelSlot(key, level));
        const start = ex.wheelSlotStart(now, level, slot);
        expect(start).toBe(modelSlotStart(now, level, slot));
        // The key lies in its slot, and above level 0 the slot lies after now's own.
        expect(start).toBeLessThanOrEqual(key);
        expect(key).toBeLessThan(start + ex.wheelSlotRange(level));
        if (level > 0) expect(start).toBeGreaterThan(now);
      }),
      { numRuns: 5000 },
    );
  });

  it("says a key is beyond the wheel (level >= 6) exactly when it lies in a later 2^36 ms block", () => {
    fc.assert(
      fc.property(nowAndKey, ([now, key]) => {
        expect(ex.wheelLevel(now, key) >= LEVELS).toBe(Math.floor(key / SPAN) !== Math.floor(now / SPAN));
      }),
      { numRuns: 2000 },
    );
    for (const now of [0, 5, SPAN - 1, SPAN, 3 * SPAN + 17]) {
      const blockEnd = (Math.floor(now / SPAN) + 1) * SPAN;
      expect(ex.wheelLevel(now, blockEnd - 1)).toBeLessThan(LEVELS);
      expect(ex.wheelLevel(now, blockEnd)).toBeGreaterThanOrEqual(LEVELS);
      expect(ex.wheelNextBlock(now)).toBe(blockEnd);
    }
  });

  it("gives the next 2^36 ms block after any time", () => {
    fc.assert(
      fc.property(time, (now) => {
        expect(ex.wheelNextBlock(now)).toBe((Math.floor(now / SPAN) + 1) * SPAN);
      }),
    );
  });

  it("gives each key the slot of its own digit, for every digit of every level", () => {
    for (let level = 0; level < LEVELS; level++) {
      for (let d = 0; d < 64; d++) {
        for (const low of [0, 1, 64 ** level - 1].filter((l) => l < 64 ** level)) {
          for (const high of [0, 1, 63]) {
            const key = high * 64 ** (level + 1) + d * 64 ** level + low;
            expect(ex.wheelSlot(key, level)).toBe(d);
            expect(ex.wheelSlot(key, level)).toBe(modelSlot(key, level));
          }
        }
      }
    }
  });

  it("computes slot starts within now's level range for every slot of every level", () => {
    for (const now of [0, 77, 4096 + 5, SPAN + 123_456, 2 ** 40 + 2 ** 20]) {
      for (let level = 0; level < LEVELS; level++) {
        for (let slot = 0; slot < 64; slot++) {
          expect(ex.wheelSlotStart(now, level, slot)).toBe(modelSlotStart(now, level, slot));
        }
      }
    }
  });

  it("rounds a deadline up to its key, clamping at 2^52 ms", () => {
    for (const d of [0, 0.25, 1, 1.5, 63.999, 64, 1e9 + 0.1, MAX_KEY - 1, MAX_KEY - 0.5, MAX_KEY, MAX_KEY + 2, 2 ** 60, Infinity, NaN]) {
      expect(ex.wheelKey(d), `key(${d})`).toBe(modelKey(d));
    }
    fc.assert(
      fc.property(fc.double({ min: 0, max: 2 ** 53, noNaN: true }), (d) => {
        expect(ex.wheelKey(d)).toBe(modelKey(d));
      }),
      { numRuns: 2000 },
    );
  });

  it("re-places a cascaded key from its low bits as from its whole key", () => {
    // A slot of level L >= 1 is cascaded once the wheel's time is its start; the
    // key's bits below the slot then decide its new level and slot.
    fc.assert(
      fc.property(nowAndKey, ([now, key]) => {
        const level = modelLevel(now, key);
        if (level < 1 || level >= LEVELS) return;
        const start = modelSlotStart(now, level, modelSlot(key, level));
        const low = key - start; // below 2^30: fits the u32 the wheel keeps
        const to = modelLevel(start, key);
        if (low < 64) {
          expect(to).toBe(0);
          expect(modelSlot(key, 0)).toBe(low);
          return;
        }
        expect(ex.wheelCascadeLevel(low)).toBe(to);
        expect(to).toBeLessThan(level);
        expect(ex.wheelCascadeSlot(low, to)).toBe(modelSlot(key, to));
      }),
      { numRuns: 5000 },
    );
    for (let to = 1; to < LEVELS - 1; to++) {
      for (const low of [64 ** to, 64 ** to + 1, 2 * 64 ** to - 1, 64 ** (to + 1) - 1]) {
        expect(ex.wheelCascadeLevel(low)).toBe(to);
        expect(ex.wheelCascadeSlot(low, to)).toBe(digit(low, to));
      }
    }
  });
});
