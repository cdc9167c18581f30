import { describe, expect, it } from "vitest";
import { Queue, sleep, spawn } from "../../src/index.js";
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
