import { describe, expect, it } from "vitest";
import { Channel, TimeoutError, call, current, run, sleep, spawn, yieldNow } from "../../src/index.js";
import { withDeadline } from "../../src/runtime/op.js";
import { BACKENDS, makeLog, vrun } from "../support/helpers.js";

describe.each(BACKENDS)("timers and clocks on the %s backend", (backend) => {
  it("sleepers wake in deadline order, ties in the order they slept", async () => {
    const log = makeLog();
    await vrun(backend, function* () {
      const plan: [string, number][] = [["c", 30], ["a", 10], ["b", 20], ["a2", 10], ["z", 0]];
      const tasks = plan.map(([name, ms]) =>
        spawn(function* () {
          yield* sleep(ms);
          log.add(name);
        }),
      );
      for (const t of tasks) yield* t;
    });
    expect(log).toEqual(["z", "a", "a2", "b", "c"]);
  });

  it("the virtual clock jumps to the next deadline when every task waits, so an hour passes at once", async () => {
    const elapsed = await vrun(backend, function* () {
      const t0 = current()._sched.now();
      yield* sleep(3_600_000);
      return current()._sched.now() - t0;
    });
    expect(elapsed).toBe(3_600_000); // (a real hour would run far past the test timeout)
  });

  it("virtual time advances by exactly the sleeps, deterministically", async () => {
    const times = await vrun(backend, function* () {
      const sched = current()._sched;
      const seen: number[] = [];
      const a = spawn(function* () {
        for (let i = 0; i < 3; i++) {
          yield* sleep(7);
          seen.push(sched.now());
        }
      });
      const b = spawn(function* () {
        for (let i = 0; i < 2; i++) {
          yield* sleep(10);
          seen.push(sched.now());
        }
      });
      yield* a;
      yield* b;
      return seen;
    });
    expect(times).toEqual([7, 10, 14, 20, 21]);
  });

  it("the virtual clock does not jump while a task waits on a Promise", async () => {
    const r = await vrun(backend, function* () {
      const sched = current()._sched;
      const sleeper = spawn(function* () {
        yield* sleep(1000);
        return sched.now();
      });
      // Resolves after a few real milliseconds; the sleeper must not have woken by then.
      const nowWhenResolved = yield* call(() => new Promise<number>((res) => setTimeout(() => res(sched.now()), 20)));
      const sleeperWoke = yield* sleeper;
      return { nowWhenResolved, sleeperWoke };
    });
    expect(r.nowWhenResolved).toBe(0);
    expect(r.sleeperWoke).toBe(1000);
  });

  it("the real clock really sleeps, never early", async () => {
    const ms = await run(function* () {
      const t0 = performance.now();
      yield* sleep(30);
      return performance.now() - t0;
    }, { backend });
    expect(ms).toBeGreaterThanOrEqual(29);
  });

  it("a busy task that keeps yielding does not hold back a sleeper's deadline (real clock)", async () => {
    const r = await run(function* () {
      let spins = 0;
      let stop = false;
      const busy = spawn(function* () {
        while (!stop) {
          spins++;
          yield* yieldNow();
        }
      });
      yield* sleep(20);
      stop = true;
      yield* busy;
      return spins;
    }, { backend });
    expect(r).toBeGreaterThan(10);
  });

  it("a park whose deadline passed when the tick began times out, even if an earlier task of that tick would wake it", async () => {
    // x and the root arm timers for the same instant, x first, so both end up
    // in one tick with x ahead. The root's deadline has passed when that tick
    // begins: it is resumed with its timeout, and x finds no receiver. (Before,
    // x woke it again and disarmed a timer that had already fired, which left
    // the core's timer count wrong: the sleep below then ended in a deadlock.)
    const r = await vrun(backend, function* () {
      const ch = new Channel<string>();
      const x = spawn(function* () {
        yield* sleep(10);
        return ch.trySend("v");
      });
      yield* yieldNow(); // x runs first and arms its timer
      let got: string;
      try {
        got = yield* withDeadline(ch.recv(), 10, () => new TimeoutError("recv timed out", 10));
      } catch (e) {
        got = (e as Error).message;
      }
      const sent = yield* x;
      const t0 = current()._sched.now();
      yield* sleep(5);
      return { got, sent, slept: current()._sched.now() - t0 };
    });
    expect(r).toEqual({ got: "recv timed out", sent: false, slept: 5 });
  });
});
