/**
 * Channel and Queue iterated with `for await` from plain async code while
 * tasks of a run send: order, the end at close, a break that loses no
 * value, errors, a slow consumer (the sending task is not declared
 * deadlocked), and a property: random sends and closes interleaved with
 * consumption reach the consumer exactly as sent.
 */
import { fc, test as fcTest } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { Channel, Queue, sleep, spawn, yieldNow } from "../../src/index.js";
import { BACKENDS, vrun } from "../support/helpers.js";
import { run } from "../../src/index.js";

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe.each(BACKENDS)("async iteration of channels and queues on the %s backend", (backend) => {
  it("for await receives what tasks send, in order, and ends when the channel is closed and drained", async () => {
    const ch = new Channel<number>();
    const producer = vrun(backend, function* () {
      for (let i = 0; i < 50; i++) yield* ch.send(i);
      ch.close();
    });
    const got: number[] = [];
    for await (const v of ch) got.push(v);
    await producer;
    expect(got).toEqual([...Array(50).keys()]);
  });

  it("a buffered channel closed with values in it yields them all before ending", async () => {
    const ch = new Channel<string>(8);
    ch.trySend("a");
    ch.trySend("b");
    ch.close();
    const got: string[] = [];
    for await (const v of ch) got.push(v);
    expect(got).toEqual(["a", "b"]);
  });

  it("a slow consumer: the sender parks between next() calls and its run is not declared deadlocked", async () => {
    const ch = new Channel<number>();
    const producer = run(
      function* () {
        for (let i = 0; i < 5; i++) yield* ch.send(i);
        ch.close();
        return "sent";
      },
      { backend },
    );
    const got: number[] = [];
    for await (const v of ch) {
      got.push(v);
      for (let k = 0; k < 3; k++) await tick(); // several turns of the event loop with nobody receiving
    }
    expect(await producer).toBe("sent");
    expect(got).toEqual([0, 1, 2, 3, 4]);
  });

  it("break loses no value: what was not handed out stays in the channel for the next receiver", async () => {
    const ch = new Channel<number>();
    const sent: number[] = [];
    const producer = vrun(backend, function* () {
      for (let i = 0; i < 6; i++) {
        yield* ch.send(i);
        sent.push(i);
      }
      ch.close();
    });
    const first: number[] = [];
    for await (const v of ch) {
      first.push(v);
      if (v === 2) break;
    }
    // After the break the producer waits on send 3: nothing was taken for the dead iterator.
    await tick();
    await tick();
    expect(sent).toEqual([0, 1, 2]);
    const rest: number[] = [];
    for await (const v of ch) rest.push(v);
    await producer;
    expect([...first, ...rest]).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it("return() while next() waits withdraws the waiter: a later send goes to a task, not to the dead iterator", async () => {
    const ch = new Channel<string>();
    const it = ch[Symbol.asyncIterator]();
    const pending = it.next();
    await it.return!();
    expect(await pending).toEqual({ done: true, value: undefined });
    const r = await vrun(backend, function* () {
      const rx = spawn(function* () {
        return yield* ch.recv();
      });
      yield* yieldNow();
      ch.trySend("kept");
      return yield* rx;
    });
    expect(r).toBe("kept");
  });

  it("several next() calls at once are answered in order", async () => {
    const ch = new Channel<number>();
    const it = ch[Symbol.asyncIterator]();
    const ps = [it.next(), it.next(), it.next()];
    await vrun(backend, function* () {
      yield* ch.send(1);
      yield* ch.send(2);
      ch.close();
    });
    expect(await Promise.all(ps)).toEqual([
      { done: false, value: 1 },
      { done: false, value: 2 },
      { done: true, value: undefined },
    ]);
    expect(await it.next()).toEqual({ done: true, value: undefined });
  });

  it("an error thrown in the loop body ends the iteration (return() runs) and leaves the channel usable", async () => {
    const ch = new Channel<number>(4);
    for (const v of [1, 2, 3]) ch.trySend(v);
    await expect(
      (async () => {
        for await (const v of ch) if (v === 1) throw new Error("boom");
      })(),
    ).rejects.toThrow("boom");
    expect(ch.tryRecv()).toEqual({ ok: true, value: 2 });
  });

  it("works with no run at all: trySend from plain code wakes a waiting for-await", async () => {
    const ch = new Channel<number>();
    const got: number[] = [];
    const loop = (async () => {
      for await (const v of ch) got.push(v);
    })();
    await tick();
    expect(ch.trySend(7)).toBe(true);
    await tick();
    ch.close();
    await loop;
    expect(got).toEqual([7]);
  });

  it("a queue: for await takes items put by tasks; a break leaves the rest queued", async () => {
    const q = new Queue<number>(2);
    const producer = run(
      function* () {
        for (let i = 0; i < 5; i++) yield* q.put(i);
      },
      { backend },
    );
    const got: number[] = [];
    for await (const v of q) {
      got.push(v);
      q.taskDone();
      await tick();
      if (got.length === 3) break;
    }
    await producer;
    expect(got).toEqual([0, 1, 2]);
    expect(q.size).toBe(2);
    const rest: number[] = [];
    for await (const v of q) {
      rest.push(v);
      if (rest.length === 2) break;
    }
    expect(rest).toEqual([3, 4]);
  });

  fcTest.prop(
    [
      fc.array(fc.oneof(fc.integer({ min: 0, max: 999 }).map((v) => ({ send: v })), fc.constant({ pause: true })), { maxLength: 40 }),
      fc.integer({ min: 0, max: 3 }),
      fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 8 }),
    ],
    { numRuns: 25 },
  )("the consumer sees exactly the sequence sent, whatever the interleaving", async (steps, capacity, consumerDelays) => {
    const ch = new Channel<number>(capacity);
    const sent: number[] = [];
    const producer = run(
      function* () {
        for (const s of steps) {
          if ("send" in s) {
            yield* ch.send(s.send);
            sent.push(s.send);
          } else yield* sleep(0);
        }
        ch.close();
      },
      { backend },
    );
    const got: number[] = [];
    let i = 0;
    for await (const v of ch) {
      got.push(v);
      for (let k = consumerDelays[i++ % consumerDelays.length]!; k > 0; k--) await tick();
    }
    await producer;
    expect(got).toEqual(sent);
    expect(got).toEqual(steps.flatMap((s) => ("send" in s ? [s.send] : [])));
  });
});
