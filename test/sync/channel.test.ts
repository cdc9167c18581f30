import { describe, expect, it } from "vitest";
import { Channel, ChannelClosedError, sleep, spawn, yieldNow } from "../../src/index.js";
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
