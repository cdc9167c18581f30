import { describe, expect, it } from "vitest";
import { Semaphore, sleep, spawn, yieldNow } from "../../src/index.js";
import { BACKENDS, vrun } from "../support/helpers.js";

describe.each(BACKENDS)("Semaphore on the %s backend", (backend) => {
  it("never lets more than `permits` holders in, and serves waiters FIFO", async () => {
    const r = await vrun(backend, function* () {
      const sem = new Semaphore(3);
      let inside = 0;
      let max = 0;
      const order: number[] = [];
      const ts = Array.from({ length: 10 }, (_, i) =>
        spawn(function* () {
          yield* sem.withPermit(function* () {
            order.push(i);
            inside++;
            max = Math.max(max, inside);
            yield* sleep(10 + (i % 3));
            inside--;
          });
        }),
      );
      for (const t of ts) yield* t;
      return { max, order, available: sem.available };
    });
    expect(r.max).toBe(3);
    expect(r.order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(r.available).toBe(3);
  });

  it("a permit is released when the holder is cancelled inside withPermit", async () => {
    const r = await vrun(backend, function* () {
      const sem = new Semaphore(1);
      const holder = spawn(function* () {
        yield* sem.withPermit(function* () {
          yield* sleep(1000);
        });
      });
      yield* sleep(1);
      const during = sem.available;
      yield* holder.cancel();
      return [during, sem.available];
    });
    expect(r).toEqual([0, 1]);
  });

  it("a task cancelled while waiting to acquire does not take a permit", async () => {
    const r = await vrun(backend, function* () {
      const sem = new Semaphore(1);
      yield* sem.acquire();
      const waiter = spawn(function* () {
        yield* sem.acquire();
      });
      yield* yieldNow();
      yield* waiter.cancel();
      sem.release();
      return sem.available;
    });
    expect(r).toBe(1);
  });

  it("releasing more than acquired throws, and bad permit counts are refused", async () => {
    const msg = await vrun(backend, function* () {
      const sem = new Semaphore(2, "db");
      try {
        sem.release();
      } catch (e) {
        return (e as Error).message;
      }
    });
    expect(msg).toBe("db: release() without a matching acquire() (all 2 permits are free)");
    expect(() => new Semaphore(0)).toThrow(/permits must be a whole number >= 1/);
  });
});
