import { describe, expect, it } from "vitest";
import { Channel, select, sleep, spawn, withTimeout, yieldNow } from "../../src/index.js";
import { BACKENDS, vrun } from "../support/helpers.js";

describe.each(BACKENDS)("select on the %s backend", (backend) => {
  it("takes the first case that is ready now, in argument order", async () => {
    const r = await vrun(backend, function* () {
      const a = new Channel<string>(1);
      const b = new Channel<string>(1);
      yield* a.send("from a");
      yield* b.send("from b");
      const first = yield* select(b.recv(), a.recv());
      return { first, aLeft: a.size, bLeft: b.size };
    });
    expect(r).toEqual({ first: { index: 0, value: "from b" }, aLeft: 1, bLeft: 0 });
  });

  it("parks until one case can proceed; the other cases have no effect", async () => {
    const r = await vrun(backend, function* () {
      const a = new Channel<number>();
      const b = new Channel<number>();
      const out = new Channel<number>();
      spawn(function* () {
        yield* sleep(10);
        yield* b.send(22);
      });
      const res = yield* select(a.recv(), b.recv(), out.send(99));
      // The losing cases left nothing behind: no receiver parked on a, no sender parked on out.
      return { res, a: a.balance, out: out.balance, bal: b.balance };
    });
    expect(r).toEqual({ res: { index: 1, value: 22 }, a: 0, out: 0, bal: 0 });
  });

  it("a send case completes when a receiver arrives", async () => {
    const r = await vrun(backend, function* () {
      const a = new Channel<number>();
      const b = new Channel<number>();
      const rec = spawn(function* () {
        yield* sleep(5);
        return yield* b.recv();
      });
      const res = yield* select(a.send(1), b.send(2));
      return { res, received: yield* rec, a: a.balance };
    });
    expect(r).toEqual({ res: { index: 1, value: undefined }, received: 2, a: 0 });
  });

  it("exactly one of two racing senders is taken by a select", async () => {
    const r = await vrun(backend, function* () {
      const a = new Channel<string>();
      const b = new Channel<string>();
      let res: unknown;
      const selector = spawn(function* () {
        res = yield* select(a.recv(), b.recv());
      });
      yield* yieldNow();
      const sa = spawn(function* () {
        yield* a.send("A");
      });
      const sb = spawn(function* () {
        yield* b.send("B");
      });
      yield* selector;
      yield* sleep(1);
      // One sender completed; the other is still parked with its value.
      return { res, pendingA: a.balance, pendingB: b.balance, doneA: sa.done, doneB: sb.done };
    });
    expect(r.res).toEqual({ index: 0, value: "A" });
    expect(r).toMatchObject({ pendingA: 0, pendingB: 1, doneA: true, doneB: false });
  });

  it("throws ChannelClosedError when a channel it waits on closes", async () => {
    const r = await vrun(backend, function* () {
      const a = new Channel<number>(0, "a");
      const b = new Channel<number>(0, "b");
      spawn(function* () {
        yield* sleep(3);
        a.close();
      });
      try {
        yield* select(a.recv(), b.recv());
      } catch (e) {
        return { err: (e as Error).message, b: b.balance };
      }
    });
    expect(r).toEqual({ err: "recv on closed a", b: 0 });
  });

  it("combines with withTimeout for a timeout case, leaving no waiter behind", async () => {
    const r = await vrun(backend, function* () {
      const a = new Channel<number>();
      try {
        yield* withTimeout(10, select(a.recv()));
      } catch (e) {
        return { name: (e as Error).name, balance: a.balance };
      }
    });
    expect(r).toEqual({ name: "TimeoutError", balance: 0 });
  });

  it("rejects bad cases", () => {
    expect(() => select()).toThrow(/select\(\) needs at least one case/);
    expect(() => select(sleep(1) as never)).toThrow(/case 0 is not ch.recv\(\) or ch.send\(value\)/);
  });
});
