/**
 * The bridges: `toAsyncIterable` (tasks -> for await) and
 * `fromAsyncIterable` (async iterables -> tasks), both ways: values in
 * order, errors, an early stop that runs the source's finally, and a slow
 * consumer that bounds how far the source is pulled ahead.
 */
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { Channel, each, fromAsyncIterable, sleep, spawn, toAsyncIterable } from "../../src/index.js";
import { BACKENDS, vrun } from "../support/helpers.js";

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe.each(BACKENDS)("toAsyncIterable and fromAsyncIterable on the %s backend", (backend) => {
  it("a producer's values reach for await in order; it ends when the producer returns", async () => {
    const it = toAsyncIterable<number>(
      function* (emit) {
        for (let i = 0; i < 20; i++) {
          if (i % 5 === 0) yield* sleep(1);
          yield* emit(i);
        }
      },
      { backend },
    );
    const got: number[] = [];
    for await (const v of it) got.push(v);
    expect(got).toEqual([...Array(20).keys()]);
    expect(await it.next()).toEqual({ done: true, value: undefined });
  });

  it("a slow consumer: the producer makes at most one value beyond the one handed to the consumer", async () => {
    let made = 0;
    let consumed = 0;
    let maxAhead = 0;
    const it = toAsyncIterable<number>(
      function* (emit) {
        for (let i = 0; i < 30; i++) {
          made++;
          maxAhead = Math.max(maxAhead, made - consumed);
          yield* emit(i);
        }
      },
      { backend },
    );
    for await (const _ of it) {
      consumed++;
      for (let k = 0; k < 3; k++) await tick();
    }
    expect(consumed).toBe(30);
    // The value handed over (its promise resolved, the loop body not yet run) and the one waiting in emit().
    expect(maxAhead).toBeLessThanOrEqual(2);
  });

  it("break cancels the producer: its finally has run when the loop is left", async () => {
    const log: string[] = [];
    const it = toAsyncIterable<number>(
      function* (emit) {
        try {
          for (let i = 0; ; i++) yield* emit(i);
        } finally {
          log.push("producer finally");
        }
      },
      { backend },
    );
    for await (const v of it) {
      log.push(`got ${v}`);
      if (v === 2) break;
    }
    expect(log).toEqual(["got 0", "got 1", "got 2", "producer finally"]);
  });

  it("the producer's error is thrown at the consumer's next()", async () => {
    const it = toAsyncIterable<number>(
      function* (emit) {
        yield* emit(1);
        throw new Error("producer failed");
      },
      { backend },
    );
    const got: number[] = [];
    await expect(
      (async () => {
        for await (const v of it) got.push(v);
      })(),
    ).rejects.toThrow("producer failed");
    expect(got).toEqual([1]);
  });

  it("a channel through toAsyncIterable: received on demand only, so a break leaves the rest in the channel", async () => {
    const ch = new Channel<number>(10);
    for (let i = 0; i < 6; i++) ch.trySend(i);
    const it = toAsyncIterable(ch, { backend });
    const got: number[] = [];
    for await (const v of it) {
      got.push(v);
      if (v === 1) break;
    }
    expect(got).toEqual([0, 1]);
    expect(ch.size).toBe(4);
    ch.close();
    const rest: number[] = [];
    for await (const v of toAsyncIterable(ch, { backend })) rest.push(v);
    expect(rest).toEqual([2, 3, 4, 5]);
  });

  it("fromAsyncIterable: an async generator is pulled one item per next(), never ahead", async () => {
    let made = 0;
    async function* source() {
      for (let i = 0; i < 10; i++) {
        made++;
        yield i;
      }
    }
    const r = await vrun(backend, function* () {
      const aheads: number[] = [];
      let consumed = 0;
      for (const _ of yield* each(fromAsyncIterable(source()))) {
        consumed++;
        aheads.push(made - consumed);
        yield* sleep(5);
        yield* each.next();
      }
      return { consumed, maxAhead: Math.max(...aheads) };
    });
    expect(r).toEqual({ consumed: 10, maxAhead: 0 });
  });

  it("fromAsyncIterable: stopping early runs the source's finally; its error reaches the task", async () => {
    const log: string[] = [];
    async function* source() {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        log.push("source finally");
      }
    }
    await vrun(backend, function* () {
      const s = fromAsyncIterable(source());
      const a = yield* s.next();
      log.push(`got ${a.value}`);
      s.return!();
      log.push(`after return: ${JSON.stringify(yield* s.next())}`);
    });
    await tick();
    expect(log).toEqual(["got 0", 'after return: {"done":true}', "source finally"]);

    async function* failing() {
      yield 1;
      throw new Error("source failed");
    }
    const msg = await vrun(backend, function* () {
      try {
        for (const _ of yield* each(failing())) yield* each.next();
      } catch (e) {
        return (e as Error).message;
      }
      return "no error";
    });
    expect(msg).toBe("source failed");
  });

  it("a Node Readable with a slow task consumer: it is not read far ahead of the consumer", async () => {
    let produced = 0;
    const total = 200;
    const readable = new Readable({
      objectMode: true,
      highWaterMark: 4,
      read() {
        if (produced === total) this.push(null);
        else this.push(produced++);
      },
    });
    const r = await vrun(backend, function* () {
      let consumed = 0;
      let maxAhead = 0;
      for (const _ of yield* each(readable)) {
        consumed++;
        maxAhead = Math.max(maxAhead, produced - consumed);
        yield* sleep(1);
        yield* each.next();
      }
      return { consumed, maxAhead };
    });
    expect(r.consumed).toBe(total);
    // The Readable buffers up to its highWaterMark; the bridge adds nothing to it.
    expect(r.maxAhead).toBeLessThanOrEqual(4 + 2);
  });

  it("tasks -> plain -> tasks: a producer bridged out and back in keeps every value in order", async () => {
    const out = toAsyncIterable<number>(
      function* (emit) {
        for (let i = 0; i < 25; i++) yield* emit(i * i);
      },
      { backend },
    );
    const got = await vrun(backend, function* () {
      const got: number[] = [];
      const reader = spawn(function* () {
        for (const v of yield* each(fromAsyncIterable(out))) {
          got.push(v);
          yield* each.next();
        }
      });
      yield* reader;
      return got;
    });
    expect(got).toEqual([...Array(25).keys()].map((i) => i * i));
  });

  it("rejects what it cannot bridge, naming the function", () => {
    expect(() => fromAsyncIterable([1, 2] as never)).toThrow(/fromAsyncIterable\(\) takes an AsyncIterable, got/);
    expect(() => toAsyncIterable(7 as never)).toThrow(/toAsyncIterable\(\) takes a producer function, a Channel/);
  });
});
