import { describe, expect, it } from "vitest";
import { Event, Lock, Pool, Queue, Semaphore, sleep, spawn, yieldNow } from "../../src/index.js";
import { BACKENDS, makeLog, vrun } from "../support/helpers.js";

describe.each(BACKENDS)("Queue on the %s backend", (backend) => {
  it("is FIFO; get waits while empty, put waits while full", async () => {
    const log = makeLog();
    await vrun(backend, function* () {
      const q = new Queue<number>(2);
      const producer = spawn(function* () {
        for (let i = 0; i < 5; i++) {
          yield* q.put(i);
          log.add(`put ${i}`);
        }
      });
      yield* sleep(1);
      log.add(`size ${q.size}`);
      for (let i = 0; i < 5; i++) log.add(`get ${yield* q.get()}`);
      yield* producer;
    });
    expect(log.slice(0, 3)).toEqual(["put 0", "put 1", "size 2"]);
    expect(log.filter((l) => l.startsWith("get"))).toEqual(["get 0", "get 1", "get 2", "get 3", "get 4"]);
  });

  it("join waits until every item put has been marked done", async () => {
    const log = makeLog();
    await vrun(backend, function* () {
      const q = new Queue<string>();
      for (const w of ["w1", "w2"]) {
        spawn(function* () {
          for (;;) {
            const job = yield* q.get();
            yield* sleep(10);
            log.add(`${w} did ${job}`);
            q.taskDone();
          }
        });
      }
      for (const j of ["a", "b", "c"]) yield* q.put(j);
      yield* q.join();
      log.add(`joined, unfinished ${q.unfinishedTasks}`);
    });
    expect(log).toEqual(["w1 did a", "w2 did b", "w1 did c", "joined, unfinished 0"]);
  });

  it("taskDone more often than put is an error, and bad sizes are refused", async () => {
    const msg = await vrun(backend, function* () {
      const q = new Queue<number>(Infinity, "jobs");
      yield* q.put(1);
      yield* q.get();
      q.taskDone();
      try {
        q.taskDone();
      } catch (e) {
        return (e as Error).message;
      }
    });
    expect(msg).toBe("jobs: taskDone() called more times than items were put");
    expect(() => new Queue(0)).toThrow(/Queue maxSize must be a whole number >= 1/);
  });
});

describe.each(BACKENDS)("Event on the %s backend", (backend) => {
  it("wakes every waiter on set; wait returns at once while set; clear resets", async () => {
    const log = makeLog();
    await vrun(backend, function* () {
      const ev = new Event();
      const ws = [1, 2, 3].map((i) =>
        spawn(function* () {
          yield* ev.wait();
          log.add(`w${i}`);
        }),
      );
      yield* sleep(5);
      log.add(`isSet ${ev.isSet()}`);
      ev.set();
      for (const w of ws) yield* w;
      yield* ev.wait(); // already set
      log.add("passed while set");
      ev.clear();
      log.add(`isSet ${ev.isSet()}`);
    });
    expect(log).toEqual(["isSet false", "w1", "w2", "w3", "passed while set", "isSet false"]);
  });
});

describe.each(BACKENDS)("Semaphore and Lock on the %s backend", (backend) => {
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

  it("Lock serializes critical sections", async () => {
    const r = await vrun(backend, function* () {
      const lock = new Lock();
      let balance = 0;
      const ts = Array.from({ length: 20 }, () =>
        spawn(function* () {
          yield* lock.withLock(function* () {
            const read = balance;
            yield* sleep(1); // another task would interleave here without the lock
            balance = read + 1;
          });
        }),
      );
      yield* yieldNow();
      const lockedMidway = lock.locked;
      for (const t of ts) yield* t;
      return { balance, lockedMidway, lockedAfter: lock.locked, tried: lock.tryAcquire() };
    });
    expect(r).toEqual({ balance: 20, lockedMidway: true, lockedAfter: false, tried: true });
  });
});

describe.each(BACKENDS)("Pool on the %s backend", (backend) => {
  it("never runs more than `size` tasks at once and map keeps input order", async () => {
    const r = await vrun(backend, function* () {
      const pool = new Pool(4);
      let running = 0;
      let max = 0;
      const out = yield* pool.map([50, 10, 40, 20, 30, 5, 1, 60, 15], function* (ms, i) {
        running++;
        max = Math.max(max, running, pool.active);
        yield* sleep(ms);
        running--;
        return `${i}:${ms}`;
      });
      return { out, max, active: pool.active };
    });
    expect(r.out).toEqual(["0:50", "1:10", "2:40", "3:20", "4:30", "5:5", "6:1", "7:60", "8:15"]);
    expect(r.max).toBe(4);
    expect(r.active).toBe(0);
  });

  it("spawn waits for a free slot; join waits until the pool is idle", async () => {
    const log = makeLog();
    await vrun(backend, function* () {
      const pool = new Pool(2);
      for (let i = 0; i < 4; i++) {
        yield* pool.spawn(function* () {
          yield* sleep(10 + i); // distinct deadlines: one slot frees at a time
          log.add(`done ${i}`);
        });
        log.add(`spawned ${i} active ${pool.active}`);
      }
      yield* pool.join();
      log.add(`joined active ${pool.active}`);
    });
    expect(log).toEqual([
      "spawned 0 active 1",
      "spawned 1 active 2",
      "done 0",
      "spawned 2 active 2",
      "done 1",
      "spawned 3 active 2",
      "done 2",
      "done 3",
      "joined active 0",
    ]);
  });

  it("a failure in map cancels the rest and is thrown; no item starts after it; slots are all freed", async () => {
    const started: number[] = [];
    const r = await vrun(backend, function* () {
      const pool = new Pool(2);
      const cleaned: number[] = [];
      try {
        yield* pool.map([1, 2, 3, 4], function* (n) {
          started.push(n);
          try {
            yield* sleep(n * 10);
            if (n === 2) throw new Error(`item ${n} failed`);
            yield* sleep(1000);
          } finally {
            cleaned.push(n);
          }
        });
      } catch (e) {
        return { msg: (e as Error).message, active: pool.active, cleaned: cleaned.sort() };
      }
    });
    // Item 2's failure frees its slot, but the map is failing: item 3 is
    // cancelled at birth rather than started.
    expect(r).toEqual({ msg: "item 2 failed", active: 0, cleaned: [1, 2] });
    expect(started).toEqual([1, 2]);
  });

  it("refuses a bad size", () => {
    expect(() => new Pool(0)).toThrow(/Pool size must be a whole number >= 1/);
  });
});
