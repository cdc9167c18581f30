import { describe, expect, it } from "vitest";
import type { SchedulerCore } from "../../src/core/scheduler-core.js";
import { CORES, batchOf, prng, tickBatch } from "../support/core-helpers.js";

/**
 * Arm 5,000 timers at seeded random deadlines, then run the core as a
 * virtual clock does: tick; when a tick is empty, jump to the time `jump`
 * returns (nextDeadline, or fireNext which also queues that time's timers).
 * Every timer must fire once, at its deadline, in (deadline, arm) order.
 */
function expectDeadlineOrder(c: SchedulerCore, seed: number, jump: (c: SchedulerCore) => number): void {
  const rand = prng(seed);
  const want: [number, number][] = [];
  for (let i = 0; i < 5000; i++) {
    const s = c.alloc();
    const d = Math.floor(rand() * 1_000_000);
    c.arm(s, d);
    want.push([d, s]);
  }
  want.sort((x, y) => x[0] - y[0]); // stable: arm order kept among equal deadlines
  const got: [number, number][] = [];
  let now = 0;
  for (;;) {
    const k = c.tick(now);
    for (const s of batchOf(c, k)) got.push([now, s]);
    if (k > 0) continue;
    if (c.timers === 0) break;
    const next = jump(c);
    expect(next).toBeGreaterThan(now);
    now = next;
  }
  expect(got).toEqual(want);
}

// What every scheduler core must do (src/core/scheduler-core.ts), run against both.
describe.each(CORES)("the %s scheduler core", (_name, make) => {
  it("runs ready slots in FIFO order, each tick taking the whole run queue", () => {
    const c = make();
    const s = [c.alloc(), c.alloc(), c.alloc()];
    c.ready(s[2]!);
    c.ready(s[0]!);
    c.ready(s[1]!);
    expect(tickBatch(c, 0)).toEqual([s[2], s[0], s[1]]);
    expect(c.tick(0)).toBe(0);
  });

  it("keeps a batch intact while slots readied during it wait for the next tick", () => {
    const c = make();
    const a = c.alloc();
    const b = c.alloc();
    c.ready(a);
    c.ready(b);
    const n = c.tick(0);
    const batch = c.batch;
    c.ready(b); // woken while the batch runs
    c.ready(a);
    for (let i = 0; i < 2000; i++) c.ready(a); // and enough to grow the queue
    expect(Array.from(batch.subarray(0, n))).toEqual([a, b]);
    const next = tickBatch(c, 0);
    expect(next.length).toBe(2002);
    expect(next.slice(0, 2)).toEqual([b, a]);
  });

  it("fires timers at the first tick with now >= deadline, after the slots readied before it", () => {
    const c = make();
    const [a, b, r] = [c.alloc(), c.alloc(), c.alloc()];
    c.arm(a, 10);
    c.arm(b, 11);
    expect(c.timers).toBe(2);
    expect(c.tick(9.999)).toBe(0);
    c.ready(r);
    expect(tickBatch(c, 10)).toEqual([r, a]);
    expect(c.timers).toBe(1);
    expect(tickBatch(c, 10.5)).toEqual([]);
    expect(tickBatch(c, 11.2)).toEqual([b]);
    expect(c.timers).toBe(0);
  });

  it("fires timers in (deadline, arm order) within one tick", () => {
    const c = make();
    const plan: [string, number][] = [["c", 30], ["a", 10], ["b", 20], ["a2", 10], ["z", 0], ["far", 5000], ["b2", 20]];
    const slots = new Map<number, string>();
    for (const [name, d] of plan) {
      const s = c.alloc();
      slots.set(s, name);
      c.arm(s, d);
    }
    expect(c.nextDeadline()).toBe(0);
    expect(tickBatch(c, 100).map((s) => slots.get(s))).toEqual(["z", "a", "a2", "b", "b2", "c"]);
    expect(c.nextDeadline()).toBe(5000);
    expect(tickBatch(c, 1e6).map((s) => slots.get(s))).toEqual(["far"]);
  });

  it("keeps arm order for equal deadlines armed at different times, across cascades", () => {
    const c = make();
    const order: number[] = [];
    // Armed from far away (high wheel levels), then from closer and closer.
    for (const now of [0, 1000, 4000, 4090, 4095, 4095.9]) {
      c.tick(now);
      for (let i = 0; i < 3; i++) {
        const s = c.alloc();
        order.push(s);
        c.arm(s, 4096);
      }
    }
    expect(tickBatch(c, 4096)).toEqual(order);
  });

  it("disarms timers, pending or applied", () => {
    const c = make();
    const [a, b, d] = [c.alloc(), c.alloc(), c.alloc()];
    c.arm(a, 5);
    c.arm(b, 6);
    c.disarm(a); // before any tick
    expect(c.timers).toBe(1);
    expect(c.nextDeadline()).toBe(6);
    c.arm(d, 7);
    expect(c.tick(1)).toBe(0);
    c.disarm(b); // after it reached the wheel
    expect(c.nextDeadline()).toBe(7);
    c.arm(a, 7); // re-armed after a disarm
    expect(tickBatch(c, 100)).toEqual([d, a]);
    expect(c.timers).toBe(0);
    expect(c.nextDeadline()).toBe(Infinity);
  });

  it("re-arms timers disarmed since the last tick: each fires once, at its new deadline, in arm order", () => {
    const c = make();
    const s = Array.from({ length: 5 }, () => c.alloc());
    for (const x of s) c.arm(x, 10);
    expect(c.tick(0)).toBe(0); // every arm applied: the Wasm core disarms the next two itself
    c.disarm(s[1]!);
    c.disarm(s[3]!);
    c.arm(s[3]!, 10); // the same deadline again: after s[4], which was armed before it
    c.arm(s[1]!, 5);
    expect(c.timers).toBe(5);
    expect(c.nextDeadline()).toBe(5);
    expect(tickBatch(c, 10)).toEqual([s[1], s[0], s[2], s[4], s[3]]);
    // Fired timers armed again at once, one disarmed and armed again before any tick.
    c.arm(s[0]!, 20);
    c.arm(s[2]!, 20);
    c.disarm(s[0]!);
    c.arm(s[0]!, 20);
    expect(c.timers).toBe(2);
    expect(tickBatch(c, 19)).toEqual([]);
    expect(tickBatch(c, 20)).toEqual([s[2], s[0]]);
    expect(c.timers).toBe(0);
    expect(c.nextDeadline()).toBe(Infinity);
  });

  it("reports Infinity as the next deadline when no timer is armed", () => {
    const c = make();
    expect(c.nextDeadline()).toBe(Infinity);
    expect(c.timers).toBe(0);
  });

  it("fires deadlines that are already past at the next tick", () => {
    const c = make();
    c.tick(1000); // the clock has moved on
    const [a, b, d] = [c.alloc(), c.alloc(), c.alloc()];
    c.arm(a, 1000);
    c.arm(b, 5);
    c.arm(d, -3);
    expect(c.nextDeadline()).toBe(-3);
    expect(tickBatch(c, 1000)).toEqual([d, b, a]);
  });

  it("accepts deadlines earlier than an exact next deadline it reported", () => {
    const c = make();
    const [a, b, d] = [c.alloc(), c.alloc(), c.alloc()];
    c.arm(a, 300_000); // far enough to sit on a high level
    expect(c.nextDeadline()).toBe(300_000);
    c.arm(b, 200);
    c.arm(d, 299_999);
    expect(c.nextDeadline()).toBe(200);
    expect(tickBatch(c, 250)).toEqual([b]);
    expect(tickBatch(c, 299_999)).toEqual([d]);
    expect(tickBatch(c, 300_000)).toEqual([a]);
  });

  it("handles deadlines years away, beyond the span of a timer wheel", () => {
    const c = make();
    const [a, b] = [c.alloc(), c.alloc()];
    const year = 365 * 24 * 3600 * 1000;
    c.arm(a, 3 * year);
    c.arm(b, 40 * year);
    expect(c.nextDeadline()).toBe(3 * year);
    expect(tickBatch(c, 3 * year - 1)).toEqual([]);
    expect(tickBatch(c, 3 * year)).toEqual([a]);
    expect(c.nextDeadline()).toBe(40 * year);
    expect(tickBatch(c, 100 * year)).toEqual([b]);
  });

  it("does not fire anything on a tick at -Infinity", () => {
    const c = make();
    const a = c.alloc();
    c.arm(a, 0);
    expect(c.tick(-Infinity)).toBe(0);
    expect(tickBatch(c, 0)).toEqual([a]);
  });

  it("reuses released slots", () => {
    const c = make();
    const a = c.alloc();
    const b = c.alloc();
    expect(a).not.toBe(b);
    c.release(a);
    expect(c.alloc()).toBe(a);
    const x = c.alloc();
    expect(new Set([a, b, x]).size).toBe(3);
    // A reused slot's old timer is gone; its new one works.
    c.arm(b, 3);
    c.disarm(b);
    c.release(b);
    const b2 = c.alloc();
    expect(b2).toBe(b);
    c.arm(b2, 4);
    expect(tickBatch(c, 10)).toEqual([b2]);
  });

  it("grows past its initial capacities: slots, run queue, command ring", () => {
    const c = make();
    const n = 70_000;
    const slots: number[] = [];
    for (let i = 0; i < n; i++) slots.push(c.alloc());
    expect(new Set(slots).size).toBe(n);
    for (const s of slots) c.ready(s);
    expect(tickBatch(c, 0)).toEqual(slots);
    for (let i = 0; i < n; i++) c.arm(slots[i]!, 10 + (i % 7));
    for (let i = 0; i < n; i += 2) c.disarm(slots[i]!);
    expect(c.timers).toBe(n / 2);
    const fired = tickBatch(c, 100);
    const expected = [...Array(7).keys()].flatMap((k) => slots.filter((_, i) => i % 2 === 1 && i % 7 === k));
    expect(fired).toEqual(expected);
    expect(c.memoryBytes()).toBeGreaterThan(n * 4);
  });

  it("expires 1,000,000 timers, each exactly once, in (deadline, arm order), as the clock advances in steps", () => {
    const c = make();
    const n = 1_000_000;
    const rand = prng(42);
    const deadline = new Float64Array(n);
    const slotOf = new Int32Array(n);
    const indexOf = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const s = c.alloc();
      slotOf[i] = s;
      indexOf[s] = i;
      deadline[i] = 1 + Math.floor(rand() * 60_000);
      c.arm(s, deadline[i]!);
    }
    expect(c.timers).toBe(n);
    const seen = new Uint8Array(n);
    let count = 0;
    let lastD = -1;
    let lastI = -1;
    for (let now = 0; now <= 60_000; now += 250) {
      const k = c.tick(now);
      const b = c.batch;
      for (let j = 0; j < k; j++) {
        const i = indexOf[b[j]!]!;
        const d = deadline[i]!;
        if (seen[i] !== 0 || d > now || d < lastD || (d === lastD && i < lastI)) {
          throw new Error(`timer ${i} (deadline ${d}) out of order at now=${now}`);
        }
        seen[i] = 1;
        lastD = d;
        lastI = i;
        count++;
      }
      lastD = -1; // order is only promised within a tick
      if (k > 0 && c.timers > 0) expect(c.nextDeadline()).toBeGreaterThan(now);
    }
    expect(count).toBe(n);
    expect(c.timers).toBe(0);
    expect(c.nextDeadline()).toBe(Infinity);
  });

  it("drives a virtual clock: tick, and when idle jump to nextDeadline", () => {
    expectDeadlineOrder(make(), 7, (c) => c.nextDeadline());
  });

  it("keeps past and far deadlines apart for slots in any block of the task table", () => {
    const c = make();
    const slots = Array.from({ length: 5000 }, () => c.alloc());
    const year = 365 * 24 * 3600 * 1000;
    c.tick(1000);
    const [past, far, soon, late] = [slots[4500]!, slots[3100]!, slots[2047]!, slots[1024]!];
    c.arm(far, 3 * year); // beyond the wheel (2^36 ms)
    c.arm(late, 5000);
    c.arm(past, 10); // behind the clock: due at the next tick
    c.arm(soon, 1500);
    expect(c.nextDeadline()).toBe(10);
    expect(tickBatch(c, 1000)).toEqual([past]);
    expect(c.fireNext()).toBe(1500);
    expect(tickBatch(c, 1500)).toEqual([soon]);
    c.arm(past, 1200); // behind the wheel's time now, in another block
    expect(c.fireNext()).toBe(1200);
    expect(tickBatch(c, 1500)).toEqual([past]);
    expect(c.fireNext()).toBe(5000);
    expect(c.fireNext()).toBe(3 * year);
    expect(tickBatch(c, 3 * year)).toEqual([late, far]);
    expect(c.timers).toBe(0);
  });

  it("fireNext: the next deadline's timers join the run queue, after slots readied before", () => {
    const c = make();
    expect(c.fireNext()).toBe(Infinity);
    const [a, b, d, r] = [c.alloc(), c.alloc(), c.alloc(), c.alloc()];
    c.arm(a, 5000);
    c.arm(b, 70);
    c.arm(d, 70);
    c.ready(r);
    expect(c.fireNext()).toBe(70);
    expect(c.timers).toBe(1);
    expect(tickBatch(c, 70)).toEqual([r, b, d]);
    c.arm(b, 71);
    c.disarm(b);
    expect(c.fireNext()).toBe(5000);
    expect(tickBatch(c, 5000)).toEqual([a]);
    expect(c.timers).toBe(0);
  });

  it("drives a virtual clock with fireNext as with nextDeadline and tick", () => {
    expectDeadlineOrder(make(), 11, (c) => c.fireNext());
  });
});

describe("the wasm scheduler core's memory", () => {
  it("stays bounded when timeouts are armed and disarmed over and over (dead wheel entries are compacted)", async () => {
    const { createWasmCore, WasmSchedulerCore } = await import("../../src/core/wasm-core.js");
    const c = createWasmCore() as InstanceType<typeof WasmSchedulerCore>;
    const slots = Array.from({ length: 1000 }, () => c.alloc());
    const keep = c.alloc();
    c.arm(keep, 10 * 3_600_000); // one long timer that must survive every compaction
    c.tick(0);
    let bytes = 0;
    for (let round = 0; round < 2000; round++) {
      for (const s of slots) c.arm(s, 3_600_000 + round); // an hour-long timeout...
      for (const s of slots) c.disarm(s); // ...cancelled before it fires
      c.tick(round);
      if (round === 200) bytes = c.memoryBytes();
    }
    const state = c.debugState();
    expect(state.timers).toBe(1);
    expect(state.deadEntries).toBeLessThanOrEqual(70_000);
    expect(c.memoryBytes()).toBeLessThanOrEqual(bytes * 1.5);
    expect(c.nextDeadline()).toBe(10 * 3_600_000);
    expect(tickBatch(c, 10 * 3_600_000)).toEqual([keep]);
  });

  it("disarms a million timers without walking them, and drops the dead lists whole at the next arm", async () => {
    const { createWasmCore, WasmSchedulerCore } = await import("../../src/core/wasm-core.js");
    const c = createWasmCore() as InstanceType<typeof WasmSchedulerCore>;
    const n = 1_000_000;
    const slots = Array.from({ length: n }, () => c.alloc());
    for (const s of slots) c.arm(s, 1000 + (s % 59_000));
    for (const s of slots) c.disarm(s);
    expect(c.debugState().deadEntries).toBe(n); // counted, not compacted
    c.arm(slots[7]!, 2000);
    expect(c.debugState().deadEntries).toBe(0);
    expect(c.fireNext()).toBe(2000);
    expect(tickBatch(c, 2000)).toEqual([slots[7]]);
    expect(c.timers).toBe(0);
  });
});

describe("the wasm scheduler core's timer entries", () => {
  it("take about 12 bytes of memory per armed timer (an 8-byte entry and a 4-byte tag)", async () => {
    const { createWasmCore } = await import("../../src/core/wasm-core.js");
    const c = createWasmCore();
    const n = 1_000_000;
    const before = c.memoryBytes();
    for (let i = 0; i < n; i++) c.arm(c.alloc(), 1000 + (i * 7919) % 59_000);
    c.tick(0);
    const bytes = (c.memoryBytes() - before) / n;
    expect(bytes).toBeGreaterThan(12);
    expect(bytes).toBeLessThan(13.2); // the last growth of memory leaves up to 1 MiB unused
  });

  it("are dropped when dead as a cascade reaches them, and the live ones still fire in order", async () => {
    const { createWasmCore, WasmSchedulerCore } = await import("../../src/core/wasm-core.js");
    const c = createWasmCore() as InstanceType<typeof WasmSchedulerCore>;
    const slots = Array.from({ length: 1000 }, () => c.alloc());
    slots.forEach((s, i) => c.arm(s, 5000 + (i % 300))); // one slot of level 2: [4096, 8192)
    c.tick(0);
    for (let i = 0; i < slots.length; i += 2) c.disarm(slots[i]!);
    expect(c.debugState().deadEntries).toBe(500);
    expect(c.nextDeadline()).toBe(5001); // cascaded down to level 0 on the way
    expect(c.debugState().deadEntries).toBe(0);
    const want = slots.map((s, i) => [5000 + (i % 300), s] as const).filter((_, i) => i % 2 === 1);
    want.sort((x, y) => x[0] - y[0]);
    const got: number[] = [];
    for (let t = 5000; t < 5300; t++) got.push(...tickBatch(c, t));
    expect(got).toEqual(want.map((x) => x[1]));
    expect(c.timers).toBe(0);
  });

  it("never take a dead entry for live, however often its slot is re-armed meanwhile", async () => {
    const { createWasmCore, WasmSchedulerCore } = await import("../../src/core/wasm-core.js");
    const c = createWasmCore() as InstanceType<typeof WasmSchedulerCore>;
    const s = c.alloc();
    const other = c.alloc();
    c.arm(s, 300_000); // level 3 of the wheel
    c.arm(other, 300_000);
    c.tick(0);
    c.disarm(s); // its entry stays there, dead
    let now = 0;
    for (let i = 0; i < 5000; i++) {
      // Re-armed at short deadlines, each fired: its entries come and go in chunks that are reused.
      c.arm(s, now + 1 + (i % 70));
      now = c.fireNext();
      expect(tickBatch(c, now)).toEqual([s]);
    }
    expect(now).toBeLessThan(300_000);
    c.arm(s, 300_000); // the same deadline as the dead entry, after `other`
    expect(c.fireNext()).toBe(300_000);
    expect(tickBatch(c, 300_000)).toEqual([other, s]);
    expect(c.timers).toBe(0);
  });
});

describe("the wasm scheduler core's direct disarms", () => {
  it("are counted in before the commands that follow them, through a full command ring and a new instance", async () => {
    const { createWasmCore, WasmSchedulerCore } = await import("../../src/core/wasm-core.js");
    const c = createWasmCore() as InstanceType<typeof WasmSchedulerCore>;
    const first = Array.from({ length: 2000 }, () => c.alloc());
    for (const s of first) c.arm(s, 100 + (s % 7));
    c.tick(0); // the ring is empty from here: the next disarms clear tags in JS
    for (let i = 0; i < 500; i++) c.disarm(first[i]!);
    const more = Array.from({ length: 1500 }, () => c.alloc()); // more arms than the ring holds: a flush
    for (const s of more) c.arm(s, 50);
    expect(c.debugState().timers).toBe(3000);
    expect(c.debugState().deadEntries).toBe(500);
    expect(c.nextDeadline()).toBe(50); // every command applied: the ring is empty again
    for (const s of [...first.slice(500), ...more]) c.disarm(s);
    for (const s of [...first, ...more]) c.release(s);
    expect(c.instance).toBeNull(); // given back with 3,000 direct disarms that no call has passed on
    const s = c.alloc();
    c.arm(s, 7);
    expect(c.debugState().timers).toBe(1);
    expect(tickBatch(c, 7)).toEqual([s]);
    expect(c.timers).toBe(0);
    expect(c.debugState().timers).toBe(0);
  });

  it("reach the tag table after it has moved, and the old table's memory serves as timer lists", async () => {
    const { createWasmCore, WasmSchedulerCore } = await import("../../src/core/wasm-core.js");
    const c = createWasmCore() as InstanceType<typeof WasmSchedulerCore>;
    const first = Array.from({ length: 1000 }, () => c.alloc()); // within the first 1,024 tags
    for (const s of first) c.arm(s, 200 + (s % 5));
    c.tick(0);
    for (let i = 0; i < 1000; i += 4) c.disarm(first[i]!); // through the view on the first table
    const more = Array.from({ length: 7000 }, () => c.alloc()); // the table moves three times
    expect(c.debugState().slotCapacity).toBe(8192);
    for (let i = 1; i < 1000; i += 4) c.disarm(first[i]!); // through the view on the new table
    for (const s of more) c.arm(s, 100 + (s % 3)); // their entries take chunks from the old tables
    c.tick(0);
    for (let i = 0; i < 7000; i += 2) c.disarm(more[i]!);
    const live = first.filter((_, i) => i % 4 >= 2);
    const want = [
      ...[0, 1, 2].flatMap((k) => more.filter((s, i) => i % 2 === 1 && s % 3 === k)),
      ...[0, 1, 2, 3, 4].flatMap((k) => live.filter((s) => s % 5 === k)),
    ];
    const got: number[] = [];
    for (let t = 100; t <= 204; t++) got.push(...tickBatch(c, t));
    expect(got).toEqual(want);
    expect(c.timers).toBe(0);
    expect(c.debugState().timers).toBe(0);
  });
});

describe("the wasm scheduler core's instance", () => {
  it("is given back when the last slot is released with no timer armed, and taken again on the next alloc", async () => {
    const { createWasmCore, WasmSchedulerCore } = await import("../../src/core/wasm-core.js");
    const c = createWasmCore() as InstanceType<typeof WasmSchedulerCore>;
    const slots = Array.from({ length: 1500 }, () => c.alloc()); // past the first block of records
    c.arm(slots[1400]!, 50);
    c.tick(10);
    for (const s of slots) if (s !== slots[1400]) c.release(s);
    expect(c.instance).not.toBeNull(); // a timer is still armed
    expect(tickBatch(c, 50)).toEqual([slots[1400]]);
    c.release(slots[1400]!);
    expect(c.instance).toBeNull();
    expect(c.tick(1e6)).toBe(0);
    expect(c.nextDeadline()).toBe(Infinity);
    // Used again: every slot number it hands out works, timers included.
    const again = Array.from({ length: 1500 }, () => c.alloc());
    expect(c.instance).not.toBeNull();
    expect(new Set(again)).toEqual(new Set(slots));
    for (const s of again) c.arm(s, 100 + (s % 3));
    const fired = tickBatch(c, 200);
    expect(fired.length).toBe(1500);
    expect(fired.slice(0, 3)).toEqual(again.filter((s) => s % 3 === 0).slice(0, 3));
  });
});
