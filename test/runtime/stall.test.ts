/**
 * The loop-stall detector: a step that busy-waits is reported with its
 * task's id and name and a duration of at least what it blocked; a task that
 * yields often is not; nothing is reported once the detector stops; a delay
 * outside any task's step is reported as a "loop" stall; warnings carry the
 * task's name. Both backends, real clock (the detector measures real time;
 * only lower bounds are asserted).
 */
import diagnostics_channel from "node:diagnostics_channel";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { detectStalls, run, sleep, spawn, yieldNow, type StallDetector, type Task, type TaskStallMessage } from "../../src/index.js";
import { BACKENDS } from "../support/helpers.js";

function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

/** Collect the messages of `tasklet:task:stall` while `body` runs. */
async function collect<T>(body: () => PromiseLike<T>): Promise<{ value: T; stalls: TaskStallMessage[] }> {
  const stalls: TaskStallMessage[] = [];
  const on = (m: unknown): void => void stalls.push(m as TaskStallMessage);
  diagnostics_channel.subscribe("tasklet:task:stall", on);
  try {
    return { value: await body(), stalls };
  } finally {
    diagnostics_channel.unsubscribe("tasklet:task:stall", on);
  }
}

let detector: StallDetector | null = null;
afterEach(() => {
  detector?.stop();
  detector = null;
});

describe.each(BACKENDS)("detectStalls on the %s backend", (backend) => {
  it("reports the task whose step blocked the loop, with a duration of at least what it blocked", async () => {
    detector = detectStalls({ thresholdMs: 20 });
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 25, max: 60 }), fc.stringMatching(/^[a-z]{1,12}$/), async (ms, name) => {
        const { value: id, stalls } = await collect(() =>
          run(function* () {
            const hog = spawn(
              function* () {
                yield* sleep(1);
                busy(ms);
                yield* sleep(1);
              },
              { name },
            );
            yield* hog;
            return hog.id;
          }, { backend }),
        );
        // The busy step, at least (on a loaded machine the OS may stretch another step too).
        const mine = stalls.filter((s) => s.source === "step" && s.id === id);
        expect(mine.length).toBeGreaterThanOrEqual(1);
        for (const m of mine) {
          expect(m.name).toBe(name);
          expect(m.task!.id).toBe(id);
          expect(m.durationMs).toBeGreaterThanOrEqual(20);
          expect(m.thresholdMs).toBe(20);
        }
        expect(Math.max(...mine.map((m) => m.durationMs))).toBeGreaterThanOrEqual(ms);
      }),
      { numRuns: 6 },
    );
    expect(detector.stalls).toBeGreaterThanOrEqual(6);
  });

  it("does not report a task that yields often, nor anything once stopped", async () => {
    detector = detectStalls({ thresholdMs: 60 });
    const { value: id, stalls } = await collect(() =>
      run(function* () {
        const polite = spawn(
          function* () {
            for (let i = 0; i < 100; i++) {
              busy(1);
              yield* yieldNow();
            }
          },
          { name: "polite" },
        );
        yield* polite;
        return polite.id;
      }, { backend }),
    );
    expect(stalls.filter((s) => s.id === id)).toEqual([]);
    expect(detector.running).toBe(true);
    detector.stop();
    expect(detector.running).toBe(false);
    const seen = detector.stalls;
    const after = await collect(() =>
      run(function* () {
        busy(100);
        yield* sleep(1);
      }, { backend }),
    );
    expect(after.stalls).toEqual([]);
    expect(detector.stalls).toBe(seen);
  });

  it("warns with the task's name and id when asked", async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on("warning", onWarning);
    try {
      detector = detectStalls({ thresholdMs: 20, warn: true });
      const task = run(
        function* () {
          busy(40);
          yield* sleep(1);
        },
        { backend, name: "hasher" },
      );
      await task;
      // Warnings are emitted on the next tick.
      await new Promise((r) => setTimeout(r, 10));
      const w = warnings.find((x) => (x as Error & { code?: string }).code === "TASKLET_STALL" && x.message.includes("hasher"));
      expect(w).toBeDefined();
      expect(w!.name).toBe("TaskletWarning");
      expect(w!.message).toMatch(new RegExp(`task hasher \\(id ${task.id}\\) blocked the event loop for \\d+\\.\\d ms \\(threshold 20 ms\\)`));
    } finally {
      process.off("warning", onWarning);
    }
  });
});

describe("detectStalls outside tasks", () => {
  it("reports a loop delay outside any task's step, and gives the loop's delay percentiles", async () => {
    detector = detectStalls({ thresholdMs: 40 });
    // The histogram measures from its first sample on: let it start.
    for (let i = 0; i < 100 && detector.loopDelay().count < 2; i++) await new Promise((r) => setTimeout(r, 10));
    const { stalls } = await collect(async () => {
      await new Promise<void>((r) => setTimeout(() => (busy(150), r()), 5));
      // The check runs every threshold; wait (bounded) for its report.
      for (let i = 0; i < 100 && detector!.stalls === 0; i++) await new Promise((r) => setTimeout(r, 10));
    });
    const loop = stalls.filter((s) => s.source === "loop");
    expect(loop.length).toBeGreaterThanOrEqual(1);
    expect(loop[0]!.task).toBeNull();
    expect(loop[0]!.name).toBeNull();
    expect(loop[0]!.id).toBe(-1);
    expect(loop[0]!.durationMs).toBeGreaterThanOrEqual(40);
    // The histogram has sampled the blocked stretch by the time it takes its next samples.
    for (let i = 0; i < 100 && detector.loopDelay().count < 3; i++) await new Promise((r) => setTimeout(r, 10));
    const d = detector.loopDelay();
    expect(d.count).toBeGreaterThanOrEqual(3);
    expect(d.maxMs).toBeGreaterThanOrEqual(40);
    expect(d.p99Ms).toBeGreaterThanOrEqual(d.p50Ms);
    expect(d.p50Ms).toBeGreaterThanOrEqual(d.minMs);
    detector.resetLoopDelay();
    expect(detector.loopDelay().count).toBe(0);
  });

  it("refuses bad options", () => {
    expect(() => detectStalls({ thresholdMs: 0 })).toThrow(RangeError);
    expect(() => detectStalls({ thresholdMs: "50" as never })).toThrow(/thresholdMs/);
    expect(() => detectStalls({ treshold: 5 } as never)).toThrow(/treshold/);
  });
});
