import { describe, expect, it } from "vitest";
import { Channel, current, select, sleep, spawn, withTimeout, yieldNow } from "../../src/index.js";
import { deadlineAfter } from "../../src/runtime/kernel.js";
import { withDeadline } from "../../src/runtime/op.js";
import { BACKENDS, vrun } from "../support/helpers.js";

// A channel hands out one RecvOp for all of its receives (src/sync/channel.ts).
// These cases use that object in every way a receive can start and end, and
// check that no receive sees another's state: its value, its park, its
// deadline.

/** Whether `ch.recv()` is free: iterating it yields the object itself, not a copy. */
function recvIsFree(ch: Channel<unknown>): boolean {
  const op = ch.recv();
  return op[Symbol.iterator]() === op;
}

describe.each(BACKENDS)("the shared RecvOp of a channel on the %s backend", (backend) => {
  it("is the same object on every recv(), and free again after each receive", async () => {
    const r = await vrun(backend, function* () {
      const ch = new Channel<number>(1);
      const same = ch.recv() === ch.recv();
      yield* ch.send(1);
      const a = yield* ch.recv(); // at once, from the buffer
      spawn(function* () {
        yield* sleep(1);
        yield* ch.send(2);
      });
      const b = yield* ch.recv(); // after a park
      return { same, a, b, free: recvIsFree(ch) };
    });
    expect(r).toEqual({ same: true, a: 1, b: 2, free: true });
  });

  it("serves several tasks parked on it at once, each with its own value, in FIFO order", async () => {
    const r = await vrun(backend, function* () {
      const ch = new Channel<string>();
      const op = ch.recv();
      const rs = ["r1", "r2", "r3"].map((name) =>
        spawn(function* () {
          return `${name}:${yield* op}`;
        }),
      );
      yield* yieldNow();
      const balance = ch.balance;
      for (const v of ["a", "b", "c"]) yield* ch.send(v);
      const got: string[] = [];
      for (const t of rs) got.push(yield* t);
      spawn(function* () {
        yield* ch.send("d");
      });
      got.push(`again:${yield* op}`);
      return { balance, got, free: recvIsFree(ch) };
    });
    expect(r).toEqual({ balance: -3, got: ["r1:a", "r2:b", "r3:c", "again:d"], free: true });
  });

  it("a receiver cancelled while parked takes no value, and the object serves the next receive", async () => {
    const r = await vrun(backend, function* () {
      const ch = new Channel<number>();
      let cancelledGot: number | "nothing" = "nothing";
      const victim = spawn(function* () {
        cancelledGot = yield* ch.recv();
      });
      yield* yieldNow();
      yield* victim.cancel();
      const freeAfterCancel = recvIsFree(ch);
      spawn(function* () {
        yield* ch.send(7);
      });
      const v = yield* ch.recv();
      return { cancelledGot, freeAfterCancel, v, balance: ch.balance };
    });
    expect(r).toEqual({ cancelledGot: "nothing", freeAfterCancel: true, v: 7, balance: 0 });
  });

  it("a receive woken by an error is over: the task can catch it and receive again", async () => {
    const r = await vrun(backend, function* () {
      const ch = new Channel<number>();
      let err = "";
      try {
        spawn(function* () {
          yield* sleep(1);
          throw new Error("child failed");
        });
        yield* ch.recv(); // the child's error is thrown here
      } catch (e) {
        err = (e as Error).message;
      }
      const free = recvIsFree(ch);
      spawn(function* () {
        yield* ch.send(3);
      });
      return { err, free, v: yield* ch.recv() };
    });
    expect(r).toEqual({ err: "child failed", free: true, v: 3 });
  });

  it("a deadline given to one receive stays on it: later receives wait as long as they must", async () => {
    const r = await vrun(backend, function* () {
      const ch = new Channel<number>();
      const me = current();
      let first = "";
      try {
        yield* withDeadline(ch.recv(), deadlineAfter(me, 5), () => new Error("late"));
      } catch (e) {
        first = (e as Error).message;
      }
      spawn(function* () {
        yield* sleep(20); // well past the first receive's deadline
        yield* ch.send(9);
      });
      const v = yield* ch.recv();
      return { first, v, balance: ch.balance };
    });
    expect(r).toEqual({ first: "late", v: 9, balance: 0 });
  });

  it("a receive that withTimeout gives up on leaves no waiter, and the next receive gets the value", async () => {
    const r = await vrun(backend, function* () {
      const ch = new Channel<number>();
      let timedOut = false;
      try {
        yield* withTimeout(5, ch.recv());
      } catch (e) {
        timedOut = (e as Error).name === "TimeoutError";
      }
      const balance = ch.balance;
      spawn(function* () {
        yield* ch.send(4);
      });
      return { timedOut, balance, v: yield* ch.recv(), free: recvIsFree(ch) };
    });
    expect(r).toEqual({ timedOut: true, balance: 0, v: 4, free: true });
  });

  it("select over ch.recv() while another task is parked on the same object", async () => {
    const r = await vrun(backend, function* () {
      const ch = new Channel<number>();
      const other = new Channel<number>();
      const plain = spawn(function* () {
        return yield* ch.recv();
      });
      const selecting = spawn(function* () {
        return yield* select(other.recv(), ch.recv());
      });
      yield* yieldNow();
      yield* ch.send(1); // the plain receiver waited first
      yield* ch.send(2);
      return { plain: yield* plain, selected: yield* selecting, free: recvIsFree(ch) };
    });
    expect(r).toEqual({ plain: 1, selected: { index: 1, value: 2 }, free: true });
  });

  it("a closed channel fails a parked receive and every later one, without a copy left started", async () => {
    const r = await vrun(backend, function* () {
      const ch = new Channel<number>();
      const parked = spawn(function* () {
        try {
          yield* ch.recv();
          return "received";
        } catch (e) {
          return (e as Error).name;
        }
      });
      yield* yieldNow();
      ch.close();
      const first = yield* parked;
      let later = "";
      try {
        yield* ch.recv();
      } catch (e) {
        later = (e as Error).name;
      }
      return { first, later, free: recvIsFree(ch) };
    });
    expect(r).toEqual({ first: "ChannelClosedError", later: "ChannelClosedError", free: true });
  });
});
