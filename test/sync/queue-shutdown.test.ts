/**
 * Queue.shutdown (after Python 3.13's): puts refused, gets drain what is
 * left and then fail, parked tasks woken with the error, loops over the
 * queue end (in tasks and from plain async code), `shutdown(true)` drops
 * what is left and counts it done for join. A property: with producers,
 * consumers and a shutdown at a random point, every item a put accepted is
 * either taken once or dropped, never lost or taken twice.
 */
import { fc, test as fcTest } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { Queue, QueueShutDownError, each, sleep, spawn, yieldNow } from "../../src/index.js";
import { BACKENDS, vrun } from "../support/helpers.js";

async function errorOf(p: PromiseLike<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected a rejection");
}

describe.each(BACKENDS)("Queue.shutdown on the %s backend", (backend) => {
  it("refuses puts at once, lets gets drain what is left, then fails them", async () => {
    const got: string[] = [];
    const e = await errorOf(
      vrun(backend, function* () {
        const q = new Queue<string>();
        yield* q.put("a");
        yield* q.put("b");
        q.shutdown();
        expect(q.shutDown).toBe(true);
        const putErr = yield* (function* () {
          try {
            yield* q.put("c");
          } catch (err) {
            return err;
          }
          return null;
        })();
        expect(putErr).toBeInstanceOf(QueueShutDownError);
        expect((putErr as Error).message).toMatch(/put on Queue#\d+, which was shut down/);
        got.push(yield* q.get(), yield* q.get());
        yield* q.get();
      }),
    );
    expect(got).toEqual(["a", "b"]);
    expect(e).toBeInstanceOf(QueueShutDownError);
    expect((e as Error).message).toMatch(/shut down and is empty/);
  });

  it("wakes parked getters and putters with the error", async () => {
    const outcome: string[] = [];
    await vrun(backend, function* () {
      const empty = new Queue<number>();
      const full = new Queue<number>(1);
      yield* full.put(1);
      const waiters = [
        spawn(function* () {
          try {
            yield* empty.get();
          } catch (e) {
            outcome.push(`get: ${(e as Error).name}`);
          }
        }),
        spawn(function* () {
          try {
            yield* full.put(2);
          } catch (e) {
            outcome.push(`put: ${(e as Error).name}`);
          }
        }),
      ];
      yield* sleep(5);
      empty.shutdown();
      full.shutdown();
      for (const w of waiters) yield* w;
      // The item put before the shutdown is still there; the refused one is not.
      expect(full.size).toBe(1);
      expect(yield* full.get()).toBe(1);
    });
    expect(outcome.sort()).toEqual(["get: QueueShutDownError", "put: QueueShutDownError"]);
  });

  it("ends each() loops once the queue is empty, including one parked in each.next()", async () => {
    const seen: number[] = [];
    await vrun(backend, function* () {
      const q = new Queue<number>();
      const consumer = spawn(function* () {
        for (const v of yield* each(q)) {
          seen.push(v);
          yield* each.next();
        }
        return "ended";
      });
      for (let i = 0; i < 5; i++) yield* q.put(i);
      yield* sleep(1); // the consumer took everything and parks for more
      q.shutdown();
      expect(yield* consumer).toBe("ended");
    });
    expect(seen).toEqual([0, 1, 2, 3, 4]);
  });

  it("ends a for await loop from plain async code, waiting or not", async () => {
    const q = new Queue<number>();
    const got: number[] = [];
    const loop = (async () => {
      for await (const v of q) got.push(v);
      return "ended";
    })();
    await vrun(backend, function* () {
      for (let i = 0; i < 3; i++) yield* q.put(i);
      yield* sleep(1);
      yield* yieldNow();
    });
    // The loop is parked in next() on an empty queue: shutting down ends it.
    await new Promise((r) => setImmediate(r));
    q.shutdown();
    expect(await loop).toBe("ended");
    expect(got).toEqual([0, 1, 2]);
    // A new loop over a shut-down empty queue ends at once.
    let again = 0;
    for await (const _ of q) again++;
    expect(again).toBe(0);
  });

  it("shutdown(true) drops what is left and counts it done, so join returns", async () => {
    let joined = false;
    await vrun(backend, function* () {
      const q = new Queue<number>();
      for (let i = 0; i < 4; i++) yield* q.put(i);
      expect(yield* q.get()).toBe(0);
      const joiner = spawn(function* () {
        yield* q.join();
        joined = true;
      });
      yield* sleep(1);
      q.shutdown(true);
      expect(q.size).toBe(0);
      yield* sleep(1);
      expect(joined).toBe(false); // the item taken is not done yet
      q.taskDone();
      yield* joiner;
    });
    expect(joined).toBe(true);
  });

  fcTest.prop(
    [
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 1, max: 3 }),
      fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
      fc.integer({ min: 0, max: 60 }),
      fc.boolean(),
      fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 40 }),
    ],
    { numRuns: 40 },
  )(
    "every accepted item is taken once or dropped: none lost, none twice",
    async (producers, consumers, bound, shutAt, immediate, delays) => {
      const accepted: number[] = [];
      const refused: number[] = [];
      const taken: number[] = [];
      let dropped = 0;
      await vrun(backend, function* () {
        const q = new Queue<number>(bound ?? Infinity);
        const tasks = [];
        for (let p = 0; p < producers; p++) {
          tasks.push(
            spawn(function* () {
              for (let i = 0; ; i++) {
                const item = p * 1000 + i;
                try {
                  yield* q.put(item);
                  accepted.push(item);
                } catch (e) {
                  if (!(e instanceof QueueShutDownError)) throw e;
                  refused.push(item);
                  return;
                }
                yield* sleep(delays[(p + i) % delays.length]!);
              }
            }),
          );
        }
        for (let c = 0; c < consumers; c++) {
          tasks.push(
            spawn(function* () {
              for (let i = 0; ; i++) {
                let v: number;
                try {
                  v = yield* q.get();
                } catch (e) {
                  if (!(e instanceof QueueShutDownError)) throw e;
                  return;
                }
                taken.push(v);
                q.taskDone();
                yield* sleep(delays[(c * 7 + i) % delays.length]!);
              }
            }),
          );
        }
        yield* sleep(shutAt);
        const before = q.size;
        q.shutdown(immediate);
        if (immediate) dropped = before;
        for (const t of tasks) yield* t;
        expect(q.unfinishedTasks).toBe(0);
      });
      expect(refused.length).toBe(producers);
      expect(new Set(taken).size).toBe(taken.length);
      expect(taken.length + dropped).toBe(accepted.length);
      for (const v of taken) expect(accepted).toContain(v);
    },
  );
});
