import { describe, expect, it } from "vitest";
import { TsSchedulerCore } from "../../src/core/ts-core.js";
import { WasmSchedulerCore, createWasmCore } from "../../src/core/wasm-core.js";
import type { SchedulerCore } from "../../src/core/scheduler-core.js";
import { batchOf, prng, reusedWasmCore } from "../support/core-helpers.js";

/**
 * The same random sequence of core calls, fed to both cores: after every tick
 * the batches, the timer counts and the next deadline must be identical. The
 * calls respect the interface's contract (release only idle slots, disarm only
 * armed ones, one timer per slot) and mimic the runtime's habits (whole-ms
 * deadlines, a clock that mostly moves forward, sometimes fractionally), plus
 * things the runtime rarely does (past deadlines, deadlines years away, a
 * clock going backwards, a slot readied twice).
 */
function differential(seed: number, steps: number, shape: Shape, compactAfter?: number): void {
  const rand = prng(seed);
  const ts = new TsSchedulerCore();
  const wasm = seed % 2 === 0 ? reusedWasmCore() : createWasmCore();
  if (compactAfter !== undefined) (wasm as WasmSchedulerCore).debugCompactAfter(compactAfter);
  const cores: SchedulerCore[] = [ts, wasm];
  const live: number[] = []; // allocated slots
  const armed = new Map<number, number>(); // slot -> deadline
  const queued = new Map<number, number>(); // slot -> times in the run queue
  let now = shape.start;
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const log: string[] = [];

  for (let step = 0; step < steps; step++) {
    const r = rand();
    if (r < 0.15 || live.length === 0) {
      const a = ts.alloc();
      const b = wasm.alloc();
      if (a !== b) throw new Error(`step ${step}: alloc gave ${a} and ${b}`);
      live.push(a);
      log.push(`alloc ${a}`);
    } else if (r < 0.22) {
      const idle = live.filter((s) => !armed.has(s) && !queued.has(s));
      if (idle.length > 0) {
        const s = pick(idle);
        live.splice(live.indexOf(s), 1);
        for (const c of cores) c.release(s);
        log.push(`release ${s}`);
      }
    } else if (r < 0.4) {
      const s = pick(live);
      if (queued.has(s) && rand() > 0.05) continue; // the runtime never queues a slot twice; do it rarely
      queued.set(s, (queued.get(s) ?? 0) + 1);
      for (const c of cores) c.ready(s);
      log.push(`ready ${s}`);
    } else if (r < 0.7) {
      const free = live.filter((s) => !armed.has(s));
      if (free.length === 0) continue;
      const s = pick(free);
      const d = shape.deadline(rand, now);
      armed.set(s, d);
      for (const c of cores) c.arm(s, d);
      log.push(`arm ${s} ${d}`);
    } else if (r < 0.82) {
      if (armed.size === 0) continue;
      const s = pick([...armed.keys()]);
      armed.delete(s);
      for (const c of cores) c.disarm(s);
      log.push(`disarm ${s}`);
    } else {
      if (rand() < 0.15 && armed.size > 0) {
        // The virtual clock's jump: fire the timers at the next deadline, then tick there.
        const a = ts.fireNext();
        const b = wasm.fireNext();
        log.push(`fireNext ${a}`);
        if (a !== b) throw new Error(`seed ${seed} step ${step}: fireNext ${a} (ts) vs ${b} (wasm)\n${log.slice(-40).join("\n")}`);
        if (a > now) now = a;
        expect(wasm.timers).toBe(ts.timers);
      } else now = shape.advance(rand, now);
      const t = armed.size > 0 || rand() < 0.5 ? now : -Infinity; // as the runtime calls it
      const nts = ts.tick(t);
      const nw = wasm.tick(t);
      log.push(`tick ${t}`);
      const want = batchOf(ts, nts);
      const got = batchOf(wasm, nw);
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        throw new Error(`seed ${seed} step ${step}: batch differs\n ts:   ${want}\n wasm: ${got}\n${log.slice(-40).join("\n")}`);
      }
      queued.clear();
      for (const [s, d] of armed) if (d <= t) armed.delete(s);
      expect(wasm.timers).toBe(ts.timers);
      expect(ts.timers).toBe(armed.size);
      if (rand() < 0.6) {
        const a = ts.nextDeadline();
        const b = wasm.nextDeadline();
        if (a !== b) throw new Error(`seed ${seed} step ${step}: nextDeadline ${a} (ts) vs ${b} (wasm)\n${log.slice(-40).join("\n")}`);
      }
      if (rand() < 0.05) expect((wasm as WasmSchedulerCore).debugState().timers).toBe(armed.size);
    }
  }
}

interface Shape {
  start: number;
  deadline(rand: () => number, now: number): number;
  advance(rand: () => number, now: number): number;
}

const year = 365 * 24 * 3600 * 1000;

const SHAPES: [string, Shape][] = [
  [
    "short sleeps, clock in whole ms (virtual clock)",
    {
      start: 0,
      deadline: (rand, now) => Math.floor(now) + Math.floor(rand() * 100),
      advance: (rand, now) => now + Math.floor(rand() * 20),
    },
  ],
  [
    "sleeps on every wheel level, fractional clock (real clock)",
    {
      start: 12_345.678,
      deadline: (rand, now) => Math.ceil(now + Math.floor(Math.exp(rand() * 25))), // 1 ms .. 2 days
      advance: (rand, now) => now + rand() ** 4 * 300_000,
    },
  ],
  [
    "clustered deadlines: many ties, cascades from every level",
    {
      start: 0,
      deadline: (rand, now) => Math.ceil(now) + [0, 1, 63, 64, 65, 4095, 4096, 4097, 262_144, 16_777_216][Math.floor(rand() * 10)]!,
      advance: (rand, now) => now + [0, 1, 64, 4096, 262_144, 16_777_216][Math.floor(rand() * 6)]! * rand(),
    },
  ],
  [
    "the unusual: past deadlines, years away, a clock going backwards",
    {
      start: 1000,
      deadline: (rand, now) => {
        const r = rand();
        if (r < 0.2) return Math.floor(now) - Math.floor(rand() * 2000); // in the past
        if (r < 0.3) return Math.floor(now + rand() * 5 * year); // beyond the wheel
        return Math.ceil(now) + Math.floor(rand() * 5000);
      },
      advance: (rand, now) => {
        const r = rand();
        if (r < 0.1) return Math.max(0, now - rand() * 3000); // backwards
        if (r < 0.15) return now + rand() * 3 * year;
        return now + rand() * 800;
      },
    },
  ],
];

describe("the Wasm core against the TypeScript core, on random call sequences", () => {
  describe.each(SHAPES)("%s", (_name, shape) => {
    it.each([1, 2, 3, 4, 5, 6, 7, 8])("seed %i", (seed) => {
      differential(seed * 7919 + 13, 6000, shape);
    });
    // Disarmed wheel timers linger as dead entries until compaction: force it often.
    it.each([11, 12, 13, 14])("seed %i, compacting after 3 dead entries", (seed) => {
      differential(seed * 7919 + 13, 6000, shape, 3);
    });
  });
});
