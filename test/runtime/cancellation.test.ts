import { describe, expect, it } from "vitest";
import { CancelledError, Channel, current, run, select, sleep, spawn, yieldNow } from "../../src/index.js";
import { BACKENDS, makeLog, vrun } from "../support/helpers.js";

describe.each(BACKENDS)("cancellation on the %s backend", (backend) => {
  it("runs finally blocks of a parked task, and joining it throws CancelledError", async () => {
    const log = makeLog();
    const err = await vrun(backend, function* () {
      const child = spawn(function* worker() {
        try {
          log.add("start");
          yield* sleep(1000);
          log.add("never");
        } finally {
          log.add("finally");
        }
      });
      yield* sleep(1);
      child.cancel("enough");
      try {
        yield* child;
      } catch (e) {
        return e;
      }
    });
    expect(log).toEqual(["start", "finally"]);
    expect(err).toBeInstanceOf(CancelledError);
    expect((err as CancelledError).message).toMatch(/task worker#\d+ was cancelled: enough/);
    expect((err as CancelledError).reason).toBe("enough");
  });

  it("lets a finally block yield* (async cleanup) and completes it", async () => {
    const log = makeLog();
    await vrun(backend, function* () {
      const child = spawn(function* () {
        try {
          yield* sleep(1000);
        } finally {
          log.add("cleanup start");
          yield* sleep(50); // e.g. closing a socket
          log.add("cleanup done");
        }
      });
      yield* sleep(1);
      yield* child.cancel(); // waits for the cleanup
      log.add(`after cancel: ${child.state}`);
    });
    expect(log).toEqual(["cleanup start", "cleanup done", "after cancel: cancelled"]);
  });

  it("cannot be swallowed by catch", async () => {
    const log = makeLog();
    await vrun(backend, function* () {
      const child = spawn(function* () {
        for (;;) {
          try {
            yield* sleep(10);
          } catch {
            log.add("caught"); // never: cancellation is not an exception
          }
        }
      });
      yield* sleep(25);
      yield* child.cancel();
      log.add(child.state);
    });
    expect(log).toEqual(["cancelled"]);
  });

  it("a task cancelled before it starts never runs its body", async () => {
    const log = makeLog();
    const state = await vrun(backend, function* () {
      const child = spawn(function* () {
        log.add("ran");
      });
      child.cancel();
      yield* child.cancel();
      return child.state;
    });
    expect(state).toBe("cancelled");
    expect(log).toEqual([]);
  });

  it("a task can cancel itself; it stops at its next suspension point", async () => {
    const log = makeLog();
    await vrun(backend, function* () {
      const child = spawn(function* () {
        try {
          current().cancel();
          log.add("still running until it suspends");
          yield* yieldNow();
          log.add("never");
        } finally {
          log.add("finally");
        }
      });
      try {
        yield* child;
      } catch (e) {
        log.add((e as Error).name);
      }
    });
    expect(log).toEqual(["still running until it suspends", "finally", "CancelledError"]);
  });

  it("a value already handed to a task is not lost when it is cancelled before running", async () => {
    const got = await vrun(backend, function* () {
      const ch = new Channel<string>();
      const received: string[] = [];
      const child = spawn(function* () {
        const v = yield* ch.recv();
        received.push(v); // runs: the value was delivered before the cancel
        yield* sleep(1000);
      });
      yield* yieldNow(); // child parks in recv
      yield* ch.send("payload"); // child is now ready with the value in hand
      child.cancel();
      yield* child.cancel();
      return { received, balance: ch.balance };
    });
    expect(got).toEqual({ received: ["payload"], balance: 0 });
  });

  it("cancelling a task parked in recv removes it from the channel", async () => {
    const r = await vrun(backend, function* () {
      const ch = new Channel<number>();
      const child = spawn(function* () {
        return yield* ch.recv();
      });
      yield* yieldNow();
      const before = ch.balance;
      yield* child.cancel();
      const sent = ch.trySend(1); // nobody waits any more
      return { before, after: ch.balance, sent };
    });
    expect(r).toEqual({ before: -1, after: 0, sent: false });
  });

  it("cancelling the middle one of three parked senders removes it; the others deliver in order", async () => {
    const r = await vrun(backend, function* () {
      const ch = new Channel<string>();
      const senders = ["a", "b", "c"].map((v) =>
        spawn(function* () {
          yield* ch.send(v);
        }),
      );
      yield* yieldNow();
      const before = ch.balance;
      yield* senders[1]!.cancel();
      const after = ch.balance;
      const got = [yield* ch.recv(), yield* ch.recv()];
      yield* senders[0]!;
      yield* senders[2]!;
      return { before, after, got, left: ch.balance, states: senders.map((t) => t.state) };
    });
    expect(r).toEqual({ before: 3, after: 2, got: ["a", "c"], left: 0, states: ["completed", "cancelled", "completed"] });
  });

  it("cancelling a task parked in select removes its waiters from every channel", async () => {
    const r = await vrun(backend, function* () {
      const a = new Channel<number>();
      const b = new Channel<number>();
      const child = spawn(function* () {
        return yield* select(a.recv(), b.send(5));
      });
      yield* yieldNow();
      const before = [a.balance, b.balance];
      yield* child.cancel();
      return { before, after: [a.balance, b.balance], sent: a.trySend(1), received: b.tryRecv() };
    });
    expect(r).toEqual({ before: [-1, 1], after: [0, 0], sent: false, received: { ok: false, closed: false } });
  });

  it("cancel on a finished task does nothing", async () => {
    const r = await vrun(backend, function* () {
      const child = spawn(function* () {
        return 5;
      });
      const v = yield* child;
      child.cancel();
      yield* child.cancel();
      return [v, child.state];
    });
    expect(r).toEqual([5, "completed"]);
  });

  it("a failure during cleanup is reported instead of the cancellation", async () => {
    const r = await vrun(backend, function* () {
      const child = spawn(function* () {
        try {
          yield* sleep(100);
        } finally {
          // eslint-disable-next-line no-unsafe-finally
          throw new Error("cleanup failed");
        }
      });
      yield* sleep(1);
      try {
        yield* child.cancel();
      } catch (e) {
        return [(e as Error).message, child.state];
      }
      return ["no error"];
    });
    expect(r).toEqual(["cleanup failed", "failed"]);
  });

  it("cancelling a root rejects its promise with CancelledError", async () => {
    // Real clock: with the virtual one the sleep would end before the cancel arrives.
    const t = run(function* () {
      yield* sleep(60_000);
    }, { backend });
    setImmediate(() => t.cancel("stop"));
    await expect(t).rejects.toBeInstanceOf(CancelledError);
  });
});

// The runtime's own per-connection tasks are spawned from a generator that
// already exists (Scheduler.spawnGenerator), with no body closure.
describe.each(BACKENDS)("tasks spawned from a generator on the %s backend", (backend) => {
  it("run as children, are named base#id, and return their value", async () => {
    const out = await vrun(backend, function* () {
      const me = current();
      function* body(x: number) {
        yield* sleep(2);
        return x * 2;
      }
      const t = me._sched.spawnGenerator(body(21), me, "worker");
      expect(t.parent).toBe(me);
      expect(t.state).toBe("ready");
      const v: number = yield* t;
      return [v, t.name, t.id];
    });
    expect(out[0]).toBe(42);
    expect(out[1]).toBe(`worker#${out[2]}`);
  });

  it("cancelled before their first step, run to their first suspension and run their finally blocks", async () => {
    const log = makeLog();
    await vrun(backend, function* () {
      const me = current();
      function* body() {
        log.add("started");
        try {
          yield* sleep(10);
          log.add("not reached");
        } finally {
          log.add("finally");
        }
      }
      const t = me._sched.spawnGenerator(body(), me, "c");
      t.cancel();
      yield* t.cancel();
      expect(t.state).toBe("cancelled");
    });
    expect(log).toEqual(["started", "finally"]);
  });

  it("are cancelled with their parent", async () => {
    const log = makeLog();
    await vrun(backend, function* () {
      const me = current();
      function* forever() {
        try {
          for (;;) yield* sleep(1);
        } finally {
          log.add("child finally");
        }
      }
      me._sched.spawnGenerator(forever(), me, "c");
      yield* sleep(5);
    });
    expect(log).toEqual(["child finally"]);
  });
});
