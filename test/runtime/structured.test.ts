import { describe, expect, it } from "vitest";
import { Event, Task, current, sleep, spawn, yieldNow, type Instruction } from "../../src/index.js";
import { BACKENDS, makeLog, vrun } from "../support/helpers.js";

describe.each(BACKENDS)("structured lifetimes on the %s backend", (backend) => {
  it("a tree 100,000 levels deep finishes: each parent completes after its only child, with no stack overflow", async () => {
    // Every level spawns the next and waits; the deepest one sets the event,
    // all bodies return at once, and each parent finishes only when its
    // child has: one cascade of 100,000 completions from the leaf up.
    const N = 100_000;
    const ev = new Event();
    const tasks: Task<number>[] = [];
    function* level(d: number): Generator<Instruction, number, any> {
      if (d < N) tasks.push(spawn(() => level(d + 1)));
      else ev.set();
      yield* ev.wait();
      return d;
    }
    expect(await vrun(backend, () => level(0))).toBe(0);
    expect(tasks.length).toBe(N);
    expect(tasks.filter((t) => !t.done).length).toBe(0);
  });

  it("a parent that returns cancels its unfinished children, and is done only after their cleanup", async () => {
    const log = makeLog();
    let child!: Task;
    const parent = vrun(backend, function* () {
      child = spawn(function* () {
        try {
          yield* sleep(1000);
        } finally {
          yield* sleep(10);
          log.add("child cleanup done");
        }
      });
      yield* sleep(1);
      log.add("parent body returns");
      return "parent value";
    });
    const v = await parent;
    log.add("parent reported done");
    expect(v).toBe("parent value");
    expect(child.state).toBe("cancelled");
    expect(log).toEqual(["parent body returns", "child cleanup done", "parent reported done"]);
  });

  it("grandchildren are cancelled too, deepest cleanup before the parent is done", async () => {
    const log = makeLog();
    await vrun(backend, function* () {
      const mid = spawn(function* mid() {
        spawn(function* leaf() {
          try {
            yield* sleep(1000);
          } finally {
            log.add("leaf cleanup");
          }
        });
        try {
          yield* sleep(1000);
        } finally {
          log.add("mid cleanup");
        }
      });
      yield* sleep(1);
      yield* mid.cancel();
      log.add(`mid ${mid.state}`);
    });
    expect(log).toEqual(["mid cleanup", "leaf cleanup", "mid cancelled"]);
  });

  it("an uncaught child error is thrown into the parent where it is suspended, after siblings are cancelled", async () => {
    const log = makeLog();
    const r = await vrun(backend, function* () {
      spawn(function* sibling() {
        try {
          yield* sleep(1000);
        } finally {
          yield* sleep(5);
          log.add("sibling cleaned up");
        }
      });
      spawn(function* failing() {
        yield* sleep(10);
        throw new Error("child failed");
      });
      try {
        yield* sleep(1000); // the parent is parked here when the child fails
        return "not reached";
      } catch (e) {
        log.add(`parent caught: ${(e as Error).message}`);
        return "handled";
      }
    });
    expect(r).toBe("handled");
    expect(log).toEqual(["sibling cleaned up", "parent caught: child failed"]);
  });

  it("an unhandled child error fails the parent and rejects the root", async () => {
    const t = vrun(backend, function* () {
      spawn(function* () {
        yield* sleep(1);
        throw new Error("deep failure");
      });
      yield* sleep(1000);
    });
    await expect(t).rejects.toThrow("deep failure");
    expect(t.state).toBe("failed");
  });

  it("an error in a grandchild travels up through every ancestor that does not handle it", async () => {
    const t = vrun(backend, function* () {
      spawn(function* () {
        spawn(function* () {
          yield* sleep(3);
          throw new TypeError("from the grandchild");
        });
        yield* sleep(1000);
      });
      yield* sleep(1000);
    });
    await expect(t).rejects.toThrow(TypeError);
  });

  it("a child's error delivered to a joiner is handled there and does not propagate", async () => {
    const log = makeLog();
    const r = await vrun(backend, function* () {
      const bystander = spawn(function* () {
        yield* sleep(20);
        log.add("bystander finished normally");
        return "ok";
      });
      const child = spawn(function* () {
        yield* sleep(1);
        throw new Error("joined failure");
      });
      try {
        yield* child;
      } catch (e) {
        log.add(`joiner caught: ${(e as Error).message}`);
      }
      return yield* bystander;
    });
    expect(r).toBe("ok");
    expect(log).toEqual(["joiner caught: joined failure", "bystander finished normally"]);
  });

  it("an error that arrives while the parent is busy is thrown at its next suspension point", async () => {
    const log = makeLog();
    await vrun(backend, function* () {
      spawn(function* () {
        throw new Error("early");
      });
      // The child runs on the next tick; the parent keeps yielding.
      try {
        for (let i = 0; i < 5; i++) {
          log.add(`step ${i}`);
          yield* yieldNow();
        }
      } catch (e) {
        log.add(`caught ${(e as Error).message}`);
      }
    });
    expect(log).toEqual(["step 0", "step 1", "caught early"]);
  });

  it("an error during a parent's finishing becomes the parent's failure", async () => {
    const t = vrun(backend, function* () {
      spawn(function* () {
        try {
          yield* sleep(1000);
        } finally {
          // eslint-disable-next-line no-unsafe-finally
          throw new Error("failed while being cancelled");
        }
      });
      yield* sleep(1);
      return "body done";
    });
    await expect(t).rejects.toThrow("failed while being cancelled");
  });

  it("two child errors: the first is thrown, the second is kept on it as suppressed", async () => {
    const err = await vrun(backend, function* () {
      spawn(function* a() {
        yield* sleep(5);
        throw new Error("first");
      });
      spawn(function* b() {
        try {
          yield* sleep(1000);
        } finally {
          // eslint-disable-next-line no-unsafe-finally
          throw new Error("second");
        }
      });
      try {
        yield* sleep(1000);
      } catch (e) {
        return e as Error & { suppressed?: Error[] };
      }
    });
    expect(err!.message).toBe("first");
    expect(err!.suppressed!.map((e) => e.message)).toEqual(["second"]);
  });

  it("children of a cancelled parent are cancelled after the parent's own finally blocks", async () => {
    const log = makeLog();
    await vrun(backend, function* () {
      const parent = spawn(function* () {
        spawn(function* () {
          try {
            yield* sleep(1000);
          } finally {
            log.add("child finally");
          }
        });
        try {
          yield* sleep(1000);
        } finally {
          log.add("parent finally");
        }
      });
      yield* sleep(1);
      yield* parent.cancel();
      log.add(parent.state);
    });
    expect(log).toEqual(["parent finally", "child finally", "cancelled"]);
  });

  it("a task in its finishing phase reports state 'finishing'", async () => {
    const states = await vrun(backend, function* () {
      const seen: string[] = [];
      const parent = spawn(function* () {
        spawn(function* () {
          try {
            yield* sleep(1000);
          } finally {
            yield* sleep(10);
          }
        });
        yield* sleep(1);
      });
      yield* sleep(5);
      seen.push(parent.state);
      yield* parent;
      seen.push(parent.state);
      return seen;
    });
    expect(states).toEqual(["finishing", "completed"]);
  });

  it("current() inside nested spawns is the innermost task", async () => {
    const r = await vrun(backend, function* outer() {
      const outerTask = current();
      const inner = spawn(function* inner() {
        return current().parent === outerTask;
      });
      return yield* inner;
    });
    expect(r).toBe(true);
  });
});
