// The kernel (src/runtime/kernel.ts) is what operations outside src/runtime
// are written with. This suite writes small operations of its own with it,
// as src/sync, src/ops and src/net do: a custom Suspend, a park with a
// deadline, wake and wakeThrow, children, the end of a tick.
import { describe, expect, it } from "vitest";
import { CancelledError, sleep, spawn, type Instruction, type Task } from "../../src/index.js";
import { currentTask } from "../../src/runtime/current.js";
import {
  atTickEnd,
  awaitPromise,
  cancel,
  deadlineAfter,
  joiners,
  now,
  parkFor,
  parkUntil,
  scope,
  spawnChild,
  spawnChildGenerator,
  wake,
  wakeThrow,
  watchDone,
} from "../../src/runtime/kernel.js";
import { Op } from "../../src/runtime/op.js";
import { Suspend, TIMED_OUT } from "../../src/runtime/suspend.js";
import { Waiter } from "../../src/runtime/waiter.js";
import { BACKENDS, makeLog, vrun } from "../support/helpers.js";

/** A slot for one waiting task: the smallest wait structure there is. */
class Slot extends Suspend {
  task: Task | null = null;
  abandon(): void {
    this.task = null;
  }
  describe(): string {
    return "a test slot";
  }
  /** Take the waiting task off the slot, if any. */
  take(): Task | null {
    const t = this.task;
    this.task = null;
    return t;
  }
}

/** `yield* new TakeOp(slot, ms)`: park on the slot for at most `ms`; the value it is woken with, or "timed out". */
class TakeOp extends Op<unknown> {
  constructor(
    private readonly slot: Slot,
    private readonly ms: number,
  ) {
    super();
  }
  protected begin(): IteratorResult<Instruction, unknown> {
    const me = currentTask("take");
    this.slot.task = me;
    parkFor(me, this.ms);
    return this.wait(this.slot);
  }
  protected override resumed(v: unknown): unknown {
    return v === TIMED_OUT ? "timed out" : v;
  }
  protected clone(): Op<unknown> {
    return new TakeOp(this.slot, this.ms);
  }
}

describe.each(BACKENDS)("the kernel on the %s backend", (backend) => {
  it("a custom operation parks, and wake ends its park with a value", async () => {
    const r = await vrun(backend, function* () {
      const slot = new Slot();
      spawn(function* () {
        yield* sleep(5);
        wake(slot.take()!, "hello");
      });
      const t0 = now(currentTask("test"));
      const v = yield* new TakeOp(slot, 100);
      return { v, waited: now(currentTask("test")) - t0 };
    });
    expect(r).toEqual({ v: "hello", waited: 5 });
  });

  it("wakeThrow ends the park by throwing at the yield*", async () => {
    const r = await vrun(backend, function* () {
      const slot = new Slot();
      spawn(function* () {
        yield* sleep(1);
        wakeThrow(slot.take()!, new Error("refused"));
      });
      try {
        yield* new TakeOp(slot, Infinity);
        return "no error";
      } catch (e) {
        return (e as Error).message;
      }
    });
    expect(r).toBe("refused");
  });

  it("the park deadline ends the park with TIMED_OUT and undoes the registration", async () => {
    const r = await vrun(backend, function* () {
      const me = currentTask("test");
      const slot = new Slot();
      const t0 = now(me);
      const v = yield* new TakeOp(slot, 7);
      return { v, waited: now(me) - t0, registered: slot.task };
    });
    expect(r).toEqual({ v: "timed out", waited: 7, registered: null });
  });

  it("parkUntil takes an absolute deadline, and deadlineAfter rounds up to whole ms", async () => {
    const r = await vrun(backend, function* () {
      const me = currentTask("test");
      const slot = new Slot();
      const d = deadlineAfter(me, 2.5);
      const op = new (class extends TakeOp {
        protected override begin(): IteratorResult<Instruction, unknown> {
          const r = super.begin();
          parkUntil(me, d); // replaces the deadline parkFor set (none: Infinity)
          return r;
        }
      })(slot, Infinity);
      const v = yield* op;
      return { d, v, at: now(me) };
    });
    expect(r).toEqual({ d: 3, v: "timed out", at: 3 });
  });

  it("a wake that comes first disarms the deadline", async () => {
    const r = await vrun(backend, function* () {
      const me = currentTask("test");
      const slot = new Slot();
      spawn(function* () {
        yield* sleep(2);
        wake(slot.take()!, 1);
      });
      const a = yield* new TakeOp(slot, 10);
      yield* sleep(20); // past the first deadline: nothing fires
      return { a, at: now(me) };
    });
    expect(r).toEqual({ a: 1, at: 22 });
  });

  it("spawnChild starts a child whose failure reaches the parent; scope waits for one", async () => {
    const r = await vrun(backend, function* () {
      const me = currentTask("test");
      const child = spawnChild(me, function* () {
        yield* sleep(1);
        return 21;
      }, "doubler");
      const named = child.name;
      const v = yield* child;
      const w = yield* scope("test scope", function* () {
        return 2 * v;
      });
      return { named, v, w, parent: child.parent === me };
    });
    expect(r).toEqual({ named: "doubler", v: 21, w: 42, parent: true });
  });

  it("spawnChildGenerator: cancelled before its first step, the generator still runs its finally", async () => {
    const log = makeLog();
    await vrun(backend, function* () {
      const me = currentTask("test");
      function* body(): Generator<Instruction, void, unknown> {
        try {
          log.add("started");
          yield* sleep(Infinity);
        } finally {
          log.add("finally");
        }
      }
      const t = spawnChildGenerator(me, body(), "gen");
      expect(t.name).toMatch(/^gen#\d+$/);
      cancel(t);
      yield* sleep(1);
      expect(t.state).toBe("cancelled");
    });
    expect(log).toEqual(["started", "finally"]);
  });

  it("cancel ends a parked task's wait at once, and a joiner sees a CancelledError", async () => {
    const r = await vrun(backend, function* () {
      const t = spawn(function* () {
        yield* sleep(Infinity);
      });
      yield* sleep(1);
      cancel(t, "enough");
      try {
        yield* t;
      } catch (e) {
        return e instanceof CancelledError ? e.reason : e;
      }
    });
    expect(r).toBe("enough");
  });

  it("atTickEnd runs after the last task of the tick's batch", async () => {
    const log = makeLog();
    await vrun(backend, function* () {
      const me = currentTask("test");
      spawn(function* () {
        log.add("a");
      });
      spawn(function* () {
        log.add("b");
      });
      yield* sleep(0); // the children are in the next batch, with this task
      atTickEnd(me, () => log.add("tick end"));
      log.add("me");
      yield* sleep(1);
    });
    expect(log).toEqual(["a", "b", "me", "tick end"]);
  });

  it("awaitPromise parks until the promise settles", async () => {
    const r = await vrun(backend, function* () {
      const me = currentTask("test");
      const ok = yield* new (class extends Op<unknown> {
        protected begin(): IteratorResult<Instruction, unknown> {
          return this.wait(awaitPromise(me, Promise.resolve("settled")));
        }
        protected clone(): Op<unknown> {
          return this;
        }
      })();
      return ok;
    });
    expect(r).toBe("settled");
  });

  it("joiners: a task parked on another's join list gets its value, or its failure (handled), or its own deadline", async () => {
    const r = await vrun(backend, function* () {
      const me = currentTask("test");
      /** Park on `t`'s join list for at most `ms`. */
      function* joinWithin(t: Task, ms: number): Generator<Instruction, unknown, unknown> {
        joiners(t).push(me);
        parkFor(me, ms);
        const v = yield joiners(t);
        return v === TIMED_OUT ? "timed out" : v;
      }
      const quick = spawnChild(me, function* () {
        yield* sleep(1);
        return "value";
      });
      const failing = spawnChild(me, function* () {
        yield* sleep(1);
        throw new Error("joined failure");
      });
      const slow = spawnChild(me, function* () {
        yield* sleep(50);
      });
      const a = yield* joinWithin(quick, 10);
      let b: unknown;
      try {
        b = yield* joinWithin(failing, 10);
      } catch (e) {
        b = (e as Error).message;
      }
      const c = yield* joinWithin(slow, 10);
      return { a, b, c, left: joiners(slow).isEmpty(), at: now(me) };
    });
    expect(r).toEqual({ a: "value", b: "joined failure", c: "timed out", left: true, at: 11 });
  });

  it("watchDone fires a waiter when the task is done, without handling its failure", async () => {
    const seen: string[] = [];
    class Watch extends Waiter {
      fire(ok: boolean, value: unknown): void {
        seen.push(`${ok} ${(value as Task).state}`);
      }
    }
    const r = vrun(backend, function* () {
      const me = currentTask("test");
      const good = spawnChild(me, function* () {
        yield* sleep(1);
      });
      watchDone(good, new Watch());
      yield* sleep(2);
      watchDone(good, new Watch()); // done already: fires at once
      const bad = spawnChild(me, function* () {
        yield* sleep(1);
        throw new Error("child failed");
      });
      watchDone(bad, new Watch());
      yield* sleep(5);
    });
    await expect(r).rejects.toThrow("child failed");
    expect(seen).toEqual(["true completed", "true completed", "true failed"]);
  });
});
