import { TsCore } from "../src/core/ts-core.js";
import { createWasmCore } from "../src/core/wasm-core.js";
import type { SchedulerCore } from "../src/core/scheduler-core.js";

/** The two scheduler cores, by name, for `describe.each`. */
export const CORES: [string, () => SchedulerCore][] = [
  ["ts", () => new TsCore()],
  ["wasm", () => createWasmCore()],
];

/** The slots of the core's last batch, as a plain array. */
export function batchOf(core: SchedulerCore, n: number): number[] {
  return Array.from(core.batch.subarray(0, n));
}

/** Run one tick and return its batch. */
export function tickBatch(core: SchedulerCore, now: number): number[] {
  return batchOf(core, core.tick(now));
}

/** mulberry32: a tiny seeded PRNG, so a failing seed can be replayed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
