import { describe, expect, it } from "vitest";
import { Pool, sleep } from "../../src/index.js";
import { BACKENDS, makeLog, vrun } from "../support/helpers.js";

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
