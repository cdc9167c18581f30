/**
 * stage(): a bounded queue in front of at most `concurrency` handler tasks.
 * A property over random arrivals, handler times, failures, cancellations,
 * overflow policies and scope ends checks the invariants (in flight within
 * `concurrency`, queue within its bound, one outcome per submit, counters
 * that add up, nothing alive after the scope), on both scheduler backends
 * and the virtual clock; a few cases pin down the documented behaviour.
 */
import { fc, test as fcTest } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { CancelledError, OverloadedError, StageClosedError, run, sleep, spawn, stage, type Task } from "../../src/index.js";
import { BACKENDS, vrun } from "../support/helpers.js";

interface Sub {
  /** ms after the start when it submits */
  at: number;
  /** ms its handler takes */
  work: number;
  /** its handler throws at the end */
  fails: boolean;
  /** ms after the start when the submitter is cancelled, or null */
  cancelAt: number | null;
}

const subArb: fc.Arbitrary<Sub> = fc.record({
  at: fc.integer({ min: 0, max: 20 }),
  work: fc.integer({ min: 0, max: 12 }),
  fails: fc.boolean(),
  cancelAt: fc.option(fc.integer({ min: 0, max: 30 }), { nil: null }),
});

const scenarioArb = fc.record({
  concurrency: fc.integer({ min: 1, max: 3 }),
  queue: fc.integer({ min: 0, max: 3 }),
  overflow: fc.constantFrom("shed" as const, "wait" as const),
  subs: fc.array(subArb, { minLength: 1, maxLength: 14 }),
  /** ms after the start when the stage's scope ends, or null: it closes and drains after the submitters. */
  endAt: fc.option(fc.integer({ min: 0, max: 30 }), { nil: null }),
});

type Outcome = "value" | "error" | "overloaded" | "closed" | "cancelled" | "never" | "wrong";

class Boom extends Error {}

describe.each(BACKENDS)("stage on the %s backend", (backend) => {
  fcTest.prop([scenarioArb], { numRuns: 200 })("holds its bounds, and every submit gets exactly one outcome", async (sc) => {
    const outcomes: Outcome[][] = sc.subs.map(() => []);
    let live = 0;
    let maxLive = 0;
    let maxQueued = 0;
    let handlerStarts = 0;
    const started = new Set<number>();
    const completedAfterCancel: number[] = [];
    const cancelledAt = new Map<number, number>();
    const r = await vrun(backend, function* () {
      const t0 = 0;
      let made: ReturnType<typeof stage<number, number>> | null = null;
      const owner = spawn(function* () {
        made = stage(
          function* (i: number) {
            handlerStarts++;
            started.add(i);
            live++;
            maxLive = Math.max(maxLive, live, made!.stats().inFlight);
            try {
              yield* sleep(sc.subs[i]!.work);
              if (sc.subs[i]!.fails) throw new Boom(`item ${i}`);
              if (cancelledAt.has(i)) completedAfterCancel.push(i);
              return i * 2;
            } finally {
              live--;
            }
          },
          { concurrency: sc.concurrency, queue: sc.queue, overflow: sc.overflow },
        );
        if (sc.endAt !== null) yield* sleep(sc.endAt);
        else {
          yield* sleep(1000); // past every arrival, handler and cancel
          yield* made.close();
        }
      });
      yield* sleep(0); // the owner makes the stage
      const s = made!;
      const subs: Task<void>[] = sc.subs.map((sub, i) =>
        spawn(function* () {
          let entered = false;
          try {
            yield* sleep(sub.at);
            entered = true;
            const v = yield* s.submit(i);
            outcomes[i]!.push(v === i * 2 ? "value" : "wrong");
          } catch (e) {
            outcomes[i]!.push(e instanceof Boom ? "error" : e instanceof OverloadedError ? "overloaded" : e instanceof StageClosedError ? "closed" : "wrong");
          } finally {
            maxQueued = Math.max(maxQueued, s.stats().queued);
            if (outcomes[i]!.length === 0) outcomes[i]!.push(entered ? "cancelled" : "never");
          }
        }),
      );
      const cancels = sc.subs.flatMap((sub, i) =>
        sub.cancelAt === null
          ? []
          : [
              spawn(function* () {
                yield* sleep(sub.cancelAt!);
                if (!subs[i]!.done) cancelledAt.set(i, sub.cancelAt!);
                yield* subs[i]!.cancel();
              }),
            ],
      );
      for (const t of [...subs, ...cancels]) {
        try {
          yield* t;
        } catch (e) {
          if (!(e instanceof CancelledError)) throw e;
        }
      }
      yield* owner;
      void t0;
      return { stats: s.stats(), closed: s.closed };
    });
    // Every submit got exactly one outcome, and never a wrong one.
    for (const o of outcomes) expect(o.length).toBe(1);
    const flat = outcomes.map((o) => o[0]!);
    expect(flat).not.toContain("wrong");
    const count = (k: Outcome) => flat.filter((o) => o === k).length;
    const st = r.stats;
    expect(maxLive).toBeLessThanOrEqual(sc.concurrency);
    expect(maxQueued).toBeLessThanOrEqual(sc.queue);
    // Nothing is left, and nothing is alive after the scope.
    expect(st.inFlight).toBe(0);
    expect(st.queued).toBe(0);
    expect(st.waiting).toBe(0);
    expect(live).toBe(0);
    expect(r.closed).toBe(true);
    // The counters add up, and match what the submitters saw.
    expect(st.served + st.failed + st.shed + st.cancelled).toBe(st.submitted);
    expect(st.served).toBe(count("value"));
    expect(st.failed).toBe(count("error"));
    expect(st.shed).toBe(count("overloaded"));
    // "closed" is either a submit refused at the door (not counted as submitted) or one dropped at the scope's end (counted as cancelled).
    expect(st.cancelled + (sc.subs.length - count("never") - st.submitted)).toBe(count("cancelled") + count("closed"));
    if (sc.overflow === "wait") expect(st.shed).toBe(0);
    if (sc.endAt === null) expect(count("closed")).toBe(0);
    // A handler runs only for submits that were admitted, and at most once each.
    expect(handlerStarts).toBe(started.size);
    expect(handlerStarts).toBeLessThanOrEqual(st.submitted - st.shed);
    // Latency samples: one per served or failed outcome, up to the window.
    expect(st.samples).toBe(Math.min(1024, st.served + st.failed));
  });

  it("sheds at once when the queue is full, and serves the rest in FIFO order", async () => {
    const r = await vrun(backend, function* () {
      const order: number[] = [];
      const s = stage(
        function* (i: number) {
          order.push(i);
          yield* sleep(10);
          return i;
        },
        { concurrency: 2, queue: 3, overflow: "shed" },
      );
      const results = Array.from({ length: 8 }, (_, i) =>
        spawn(function* () {
          try {
            return yield* s.submit(i);
          } catch (e) {
            return e instanceof OverloadedError ? `shed ${e.queued}/${e.inFlight}` : "other";
          }
        }),
      );
      const out: unknown[] = [];
      for (const t of results) out.push(yield* t);
      return { out, order, stats: s.stats() };
    });
    expect(r.out).toEqual([0, 1, 2, 3, 4, "shed 3/2", "shed 3/2", "shed 3/2"]);
    expect(r.order).toEqual([0, 1, 2, 3, 4]);
    expect(r.stats).toMatchObject({ submitted: 8, served: 5, shed: 3, failed: 0, cancelled: 0, samples: 5 });
    // virtual clock: two run at 0-10, two at 10-20, one at 20-30
    expect(r.stats.p50).toBe(20);
    expect(r.stats.p99).toBe(30);
  });

  it("a submitter cancelled while queued takes its item out; cancelled while running, its handler is cancelled", async () => {
    const r = await vrun(backend, function* () {
      const log: string[] = [];
      const s = stage(
        function* (i: number) {
          log.push(`start ${i}`);
          try {
            yield* sleep(50);
            log.push(`end ${i}`);
          } finally {
            log.push(`finally ${i}`);
          }
          return i;
        },
        { concurrency: 1, queue: 5 },
      );
      const a = spawn(() => s.submit(0));
      const b = spawn(() => s.submit(1));
      const c = spawn(() => s.submit(2));
      yield* sleep(5);
      const mid = s.stats();
      yield* b.cancel(); // queued
      yield* a.cancel(); // running
      yield* sleep(1);
      const v = yield* c;
      return { log, v, mid, after: s.stats() };
    });
    expect(r.mid).toMatchObject({ inFlight: 1, queued: 2 });
    expect(r.log).toEqual(["start 0", "finally 0", "start 2", "end 2", "finally 2"]);
    expect(r.v).toBe(2);
    expect(r.after).toMatchObject({ submitted: 3, served: 1, cancelled: 2, inFlight: 0, queued: 0 });
  });

  it("when the stage's scope ends, its handlers stop and waiting submitters get StageClosedError", async () => {
    const r = await vrun(backend, function* () {
      let s: ReturnType<typeof stage<number, number>> | null = null;
      let cleaned = 0;
      const owner = spawn(function* () {
        s = stage(
          function* (i: number) {
            try {
              yield* sleep(1000);
            } finally {
              cleaned++;
            }
            return i;
          },
          { concurrency: 2, queue: 10 },
        );
        yield* sleep(10);
      });
      yield* sleep(0);
      const subs = [0, 1, 2, 3].map((i) =>
        spawn(function* () {
          try {
            return yield* s!.submit(i);
          } catch (e) {
            return e instanceof StageClosedError ? e.message : `other: ${String(e)}`;
          }
        }),
      );
      yield* owner;
      const out: unknown[] = [];
      for (const t of subs) out.push(yield* t);
      let late: unknown;
      try {
        yield* s!.submit(9);
      } catch (e) {
        late = e;
      }
      return { out, cleaned, stats: s!.stats(), late };
    });
    expect(r.cleaned).toBe(2);
    expect(r.out).toEqual([
      expect.stringContaining("ended while the item ran"),
      expect.stringContaining("ended while the item ran"),
      expect.stringContaining("ended while the item was queued"),
      expect.stringContaining("ended while the item was queued"),
    ]);
    expect(r.late).toBeInstanceOf(StageClosedError);
    expect(r.stats).toMatchObject({ submitted: 4, cancelled: 4, inFlight: 0, queued: 0 });
  });

  it("overflow wait: a full queue holds the submitter until there is room; close() drains then refuses", async () => {
    const r = await vrun(backend, function* () {
      const s = stage(
        function* (i: number) {
          yield* sleep(10);
          return i;
        },
        { concurrency: 1, queue: 1, overflow: "wait" },
      );
      const ts = [0, 1, 2, 3].map((i) => spawn(() => s.submit(i)));
      yield* sleep(1);
      const mid = s.stats();
      yield* s.close();
      const drained = s.stats();
      const out: number[] = [];
      for (const t of ts) out.push(yield* t);
      let late: unknown;
      try {
        yield* s.submit(4);
      } catch (e) {
        late = e;
      }
      return { mid, drained, out, late };
    });
    expect(r.mid).toMatchObject({ inFlight: 1, queued: 1, waiting: 2 });
    expect(r.drained).toMatchObject({ inFlight: 0, queued: 0, waiting: 0, served: 4 });
    expect(r.out).toEqual([0, 1, 2, 3]);
    expect(r.late).toBeInstanceOf(StageClosedError);
  });

  it("a handler's error goes to its submitter, not to the stage's scope", async () => {
    const r = await vrun(backend, function* () {
      const s = stage(function* (i: number) {
        yield* sleep(1);
        if (i === 1) throw new Boom("one");
        return i;
      });
      const got: unknown[] = [];
      for (const i of [0, 1, 2]) {
        try {
          got.push(yield* s.submit(i));
        } catch (e) {
          got.push(e instanceof Boom ? e.message : e);
        }
      }
      return { got, stats: s.stats() };
    });
    expect(r.got).toEqual([0, "one", 2]);
    expect(r.stats).toMatchObject({ served: 2, failed: 1 });
  });

  it("bad options and calls are clear errors", async () => {
    await vrun(backend, function* () {
      expect(() => stage(function* () {}, { concurrency: 0 })).toThrow(/concurrency must be a whole number >= 1, got 0/);
      expect(() => stage(function* () {}, { queue: -1 })).toThrow(RangeError);
      expect(() => stage(function* () {}, { overflow: "drop" as "shed" })).toThrow(/overflow must be "shed" or "wait"/);
      expect(() => stage(function* () {}, { concurency: 2 } as object)).toThrow(/did you mean concurrency/);
      expect(() => stage(42 as never)).toThrow(/handler must be a generator function/);
    });
    expect(() => stage(function* () {})).toThrow(/stage\(\)/); // outside any task
  });
});

// The percentile window keeps the newest samples: old ones fall out.
describe("stage latency window", () => {
  it("reports over the newest `window` samples only", async () => {
    const r = await run(
      function* () {
        let ms = 100;
        const s = stage(
          function* () {
            yield* sleep(ms);
          },
          { window: 4 },
        );
        for (let i = 0; i < 4; i++) yield* s.submit(undefined);
        const before = s.stats();
        ms = 1;
        for (let i = 0; i < 4; i++) yield* s.submit(undefined);
        return { before, after: s.stats() };
      },
      { clock: "virtual" },
    );
    expect(r.before.p99).toBe(100);
    expect(r.after).toMatchObject({ p50: 1, p99: 1, samples: 4 });
  });
});
