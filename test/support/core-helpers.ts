import { TsSchedulerCore } from "../../src/core/ts-core.js";
import { WasmSchedulerCore, createWasmCore } from "../../src/core/wasm-core.js";
import { instantiateWasm } from "../../src/wasm/load.js";
import type { SchedulerCore } from "../../src/core/scheduler-core.js";

/** The two scheduler cores, by name, for `describe.each`. */
export const CORES: [string, () => SchedulerCore][] = [
  ["ts", () => new TsSchedulerCore()],
  ["wasm", () => createWasmCore()],
  ["wasm (on a reused instance)", () => reusedWasmCore()],
];

/**
 * A Wasm core on an instance that another core used first (as the instance
 * pool does after a core is collected): it must start from a clean state.
 */
export function reusedWasmCore(): WasmSchedulerCore {
  const instance = instantiateWasm("scheduler");
  const first = new WasmSchedulerCore(instance);
  const slots = Array.from({ length: 3000 }, () => first.alloc());
  for (const s of slots) first.arm(s, 10 + (s % 5000));
  for (let i = 0; i < slots.length; i += 3) first.disarm(slots[i]!);
  first.ready(slots[0]!);
  first.tick(2500);
  first.nextDeadline();
  first.arm(slots[0]!, -5); // something in LIST_DUE too
  first.arm(slots[3]!, 1e12); // and in LIST_FAR
  first.nextDeadline();
  return new WasmSchedulerCore(instance);
}

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
