import { describe, expect, it } from "vitest";
import { Channel, TimeoutError, call, current, run, sleep, spawn, withTimeout, yieldNow } from "../../src/index.js";
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

  it("sleep(0) yields to other ready tasks", async () => {
    const log = makeLog();
    await vrun(backend, function* () {
      const a = spawn(function* () {
        log.add("a1");
        yield* sleep(0);
        log.add("a2");
      });
      const b = spawn(function* () {
        log.add("b1");
        yield* sleep(0);
        log.add("b2");
      });
      yield* a;
      yield* b;
    });
    expect(log).toEqual(["a1", "b1", "a2", "b2"]);
  });

  it("rejects bad sleep durations with a RangeError", () => {
    expect(() => sleep(-1)).toThrow(/sleep\(ms\): ms must be a number >= 0, got -1/);
    expect(() => sleep(NaN)).toThrow(RangeError);
    expect(() => sleep("10" as never)).toThrow(RangeError);
  });

  it("withTimeout returns the body's value when it finishes in time", async () => {
    const v = await vrun(backend, function* () {
      return yield* withTimeout(100, function* () {
        yield* sleep(99);
        return "in time";
      });
    });
    expect(v).toBe("in time");
  });

  it("withTimeout cancels the body (its finally blocks run, even async ones) and throws TimeoutError", async () => {
    const log = makeLog();
    const r = await vrun(backend, function* () {
      const sched = current()._sched;
      try {
        yield* withTimeout(50, function* () {
          try {
            yield* sleep(1000);
          } finally {
            yield* sleep(5);
            log.add(`cleanup finished at ${sched.now()}`);
          }
        });
      } catch (e) {
        log.add(`${(e as Error).name} at ${sched.now()}`);
        return e as TimeoutError;
      }
    });
    expect(log).toEqual(["cleanup finished at 55", "TimeoutError at 55"]);
    expect(r).toBeInstanceOf(TimeoutError);
    expect(r!.ms).toBe(50);
    expect(r!.message).toMatch(/withTimeout\(50\) timed out after 50 ms/);
  });

  it("withTimeout keeps a value the body received in the same tick as its deadline", async () => {
    const r = await vrun(backend, function* () {
      const ch = new Channel<string>(1);
      spawn(function* () {
        yield* sleep(10);
        ch.trySend("payload"); // wakes the body in the tick its deadline passes
      });
      yield* yieldNow(); // the sender arms its timer first
      const v = yield* withTimeout(10, ch.recv());
      return { v, left: ch.size };
    });
    expect(r).toEqual({ v: "payload", left: 0 }); // not a TimeoutError with the value lost
  });

  it("withTimeout also cancels whatever the body spawned", async () => {
    const log = makeLog();
    await vrun(backend, function* () {
      try {
        yield* withTimeout(10, function* () {
          spawn(function* grandchild() {
            try {
              yield* sleep(1000);
            } finally {
              log.add("grandchild cleaned up");
            }
          });
          yield* sleep(1000);
        });
      } catch {
        log.add("timed out");
      }
    });
    expect(log).toEqual(["grandchild cleaned up", "timed out"]);
  });

  it("withTimeout passes the body's own error through", async () => {
    const msg = await vrun(backend, function* () {
      try {
        yield* withTimeout(100, function* () {
          yield* sleep(1);
          throw new Error("body error");
        });
      } catch (e) {
        return (e as Error).message;
      }
    });
    expect(msg).toBe("body error");
  });

  it("nested withTimeouts: the inner, shorter one fires first", async () => {
    const r = await vrun(backend, function* () {
      return yield* withTimeout(100, function* () {
        try {
          yield* withTimeout(10, sleep(50));
          return "no timeout";
        } catch (e) {
          return `inner ${(e as TimeoutError).ms}`;
        }
      });
    });
    expect(r).toBe("inner 10");
  });

  it("withTimeout accepts an Operation as well as a body, and validates ms", async () => {
    const r = await vrun(backend, function* () {
      try {
        yield* withTimeout(5, sleep(10));
      } catch (e) {
        return (e as Error).name;
      }
    });
    expect(r).toBe("TimeoutError");
    expect(() => withTimeout(-5, sleep(1))).toThrow(/withTimeout\(ms\): ms must be a number >= 0/);
    expect(() => withTimeout(5, 42 as never)).toThrow(/withTimeout: expected an operation or a generator function/);
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
