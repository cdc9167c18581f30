import { describe, expect, it } from "vitest";
import { Channel, ChannelClosedError, select, sleep, spawn, withTimeout, yieldNow } from "../../src/index.js";
import { BACKENDS, makeLog, vrun } from "../support/helpers.js";

describe.each(BACKENDS)("channels on the %s backend", (backend) => {
  it("an unbuffered send waits for a receiver (rendezvous)", async () => {
    const log = makeLog();
    await vrun(backend, function* () {
      const ch = new Channel<number>();
      const sender = spawn(function* () {
        log.add("send start");
        yield* ch.send(1);
        log.add("send done");
      });
      yield* sleep(10);
      log.add(`balance ${ch.balance}`);
      log.add(`got ${yield* ch.recv()}`);
      yield* sender;
    });
    expect(log).toEqual(["send start", "balance 1", "got 1", "send done"]);
  });

  it("receivers wait in FIFO order and balance goes negative", async () => {
    const r = await vrun(backend, function* () {
      const ch = new Channel<string>();
      const got: string[] = [];
      const rs = ["r1", "r2", "r3"].map((name) =>
        spawn(function* () {
          got.push(`${name}:${yield* ch.recv()}`);
        }),
      );
      yield* yieldNow();
      const balance = ch.balance;
      for (const v of ["a", "b", "c"]) yield* ch.send(v);
      for (const t of rs) yield* t;
      return { balance, got };
    });
    expect(r).toEqual({ balance: -3, got: ["r1:a", "r2:b", "r3:c"] });
  });

  it("a buffered channel holds up to capacity before send waits", async () => {
    const log = makeLog();
    await vrun(backend, function* () {
      const ch = new Channel<number>(2);
      const p = spawn(function* () {
        for (let i = 0; i < 4; i++) {
          yield* ch.send(i);
          log.add(`sent ${i}`);
        }
      });
      yield* sleep(5);
      log.add(`size ${ch.size}`);
      for (let i = 0; i < 4; i++) log.add(`recv ${yield* ch.recv()}`);
      yield* p;
    });
    expect(log.slice(0, 3)).toEqual(["sent 0", "sent 1", "size 2"]);
    expect(log.filter((l) => l.startsWith("recv"))).toEqual(["recv 0", "recv 1", "recv 2", "recv 3"]);
    expect(log.filter((l) => l.startsWith("sent"))).toEqual(["sent 0", "sent 1", "sent 2", "sent 3"]);
  });

  it("after close, buffered values are still received, then recv throws ChannelClosedError", async () => {
    const r = await vrun(backend, function* () {
      const ch = new Channel<number>(3);
      yield* ch.send(1);
      yield* ch.send(2);
      ch.close();
      const got = [yield* ch.recv(), yield* ch.recv()];
      let err: unknown;
      try {
        yield* ch.recv();
      } catch (e) {
        err = e;
      }
      let sendErr: unknown;
      try {
        yield* ch.send(3);
      } catch (e) {
        sendErr = e;
      }
      return { got, err, sendErr, closed: ch.closed };
    });
    expect(r.got).toEqual([1, 2]);
    expect(r.err).toBeInstanceOf(ChannelClosedError);
    expect((r.err as Error).message).toMatch(/recv on closed Channel#\d+: it is closed and drained/);
    expect(r.sendErr).toBeInstanceOf(ChannelClosedError);
    expect((r.sendErr as Error).message).toMatch(/send on closed Channel#\d+/);
    expect(r.closed).toBe(true);
  });

  it("close wakes parked receivers and senders with ChannelClosedError", async () => {
    const r = await vrun(backend, function* () {
      const ch = new Channel<number>(0, "jobs");
      const results: string[] = [];
      const receiver = spawn(function* () {
        try {
          yield* ch.recv();
        } catch (e) {
          results.push(`receiver: ${(e as Error).message}`);
        }
      });
      const ch2 = new Channel<number>(0, "out");
      const sender = spawn(function* () {
        try {
          yield* ch2.send(5);
        } catch (e) {
          results.push(`sender: ${(e as Error).message}`);
        }
      });
      yield* yieldNow();
      ch.close();
      ch2.close();
      ch.close(); // twice is fine
      yield* receiver;
      yield* sender;
      return results;
    });
    expect(r).toEqual(["receiver: recv on closed jobs", "sender: send on closed out"]);
  });

  it("trySend and tryRecv never wait", async () => {
    const r = await vrun(backend, function* () {
      const ch = new Channel<number>(1);
      const a = ch.trySend(1);
      const b = ch.trySend(2); // buffer full
      const x = ch.tryRecv();
      const y = ch.tryRecv();
      ch.close();
      const z = ch.tryRecv();
      let threw = false;
      try {
        ch.trySend(3);
      } catch (e) {
        threw = e instanceof ChannelClosedError;
      }
      return { a, b, x, y, z, threw };
    });
    expect(r).toEqual({ a: true, b: false, x: { ok: true, value: 1 }, y: { ok: false, closed: false }, z: { ok: false, closed: true }, threw: true });
  });

  it("ping-pong passes 10,000 messages in order", async () => {
    const n = await vrun(backend, function* () {
      const ping = new Channel<number>();
      const pong = new Channel<number>();
      spawn(function* () {
        for (;;) yield* pong.send((yield* ping.recv()) + 1);
      });
      let v = 0;
      for (let i = 0; i < 10_000; i++) {
        yield* ping.send(v);
        v = yield* pong.recv();
      }
      return v;
    });
    expect(n).toBe(10_000);
  });

  it("validates capacity", () => {
    expect(() => new Channel(-1)).toThrow(/Channel capacity must be a whole number >= 0 or Infinity, got -1/);
    expect(() => new Channel(1.5)).toThrow(RangeError);
    expect(new Channel(Infinity).capacity).toBe(Infinity);
  });

  it("a deadlock report names the channel and the direction", async () => {
    const t = vrun(backend, function* () {
      yield* new Channel(0, "orders").send(1);
    });
    await expect(t).rejects.toThrow(/send on orders \(unbuffered\)/);
  });
});

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
