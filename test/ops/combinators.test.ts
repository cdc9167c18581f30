import { describe, expect, it } from "vitest";
import { Channel, TimeoutError, all, current, race, sleep, spawn, withTimeout, yieldNow } from "../../src/index.js";
import { BACKENDS, makeLog, vrun } from "../support/helpers.js";

describe.each(BACKENDS)("withTimeout on the %s backend", (backend) => {
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
});

describe.each(BACKENDS)("all and race on the %s backend", (backend) => {
  it("all returns results in input order, typed per position", async () => {
    const r = await vrun(backend, function* () {
      const [a, b, c] = yield* all([
        function* () {
          yield* sleep(30);
          return 1;
        },
        sleep(10),
        function* () {
          return "three";
        },
      ]);
      const sum: number = a + 1;
      return [a, b, c, sum];
    });
    expect(r).toEqual([1, undefined, "three", 2]);
  });

  it("all: the first failure cancels the others (cleanup done) and is thrown; the caller's other children are untouched", async () => {
    const log = makeLog();
    const r = await vrun(backend, function* () {
      const unrelated = spawn(function* () {
        yield* sleep(100);
        return "unrelated survived";
      });
      try {
        yield* all([
          function* () {
            try {
              yield* sleep(1000);
            } finally {
              log.add("slow one cleaned up");
            }
          },
          function* () {
            yield* sleep(5);
            throw new Error("fast failure");
          },
        ]);
      } catch (e) {
        log.add(`caught ${(e as Error).message}`);
      }
      return yield* unrelated;
    });
    expect(r).toBe("unrelated survived");
    expect(log).toEqual(["slow one cleaned up", "caught fast failure"]);
  });

  it("all of nothing is an empty array", async () => {
    expect(await vrun(backend, function* () { return yield* all([]); })).toEqual([]);
  });

  it("race returns the first value; losers are cancelled and cleaned up before it returns", async () => {
    const log = makeLog();
    const r = await vrun(backend, function* () {
      const v = yield* race([
        function* () {
          try {
            yield* sleep(100);
            return "slow";
          } finally {
            yield* sleep(1);
            log.add("slow cleaned up");
          }
        },
        function* () {
          yield* sleep(10);
          return "fast";
        },
      ]);
      log.add(`race returned ${v}`);
      return v;
    });
    expect(r).toBe("fast");
    expect(log).toEqual(["slow cleaned up", "race returned fast"]);
  });

  it("race: a failure before any winner is thrown, the rest cancelled", async () => {
    const r = await vrun(backend, function* () {
      try {
        yield* race([
          sleep(100),
          function* () {
            yield* sleep(1);
            throw new Error("racer failed");
          },
        ]);
      } catch (e) {
        return (e as Error).message;
      }
    });
    expect(r).toBe("racer failed");
    expect(() => race([])).toThrow(/race\(\) needs at least one operation/);
  });
});
