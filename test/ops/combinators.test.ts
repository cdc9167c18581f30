import { describe, expect, it } from "vitest";
import { all, race, sleep, spawn } from "../../src/index.js";
import { BACKENDS, makeLog, vrun } from "../support/helpers.js";

describe.each(BACKENDS)("all and race on the %s backend", (backend) => {
  it("all returns results in input order, typed per position", async () => {
    const r = await vrun(backend, function* () {
      const [a, b, c] = yield* all([
        function* () {
          yield* sleep(30);
          return 1;
        },
        sleep(10),
        function* () {
          return "three";
        },
      ]);
      const sum: number = a + 1;
      return [a, b, c, sum];
    });
    expect(r).toEqual([1, undefined, "three", 2]);
  });

  it("all: the first failure cancels the others (cleanup done) and is thrown; the caller's other children are untouched", async () => {
    const log = makeLog();
    const r = await vrun(backend, function* () {
      const unrelated = spawn(function* () {
        yield* sleep(100);
        return "unrelated survived";
      });
      try {
        yield* all([
          function* () {
            try {
              yield* sleep(1000);
            } finally {
              log.add("slow one cleaned up");
            }
          },
          function* () {
            yield* sleep(5);
            throw new Error("fast failure");
          },
        ]);
      } catch (e) {
        log.add(`caught ${(e as Error).message}`);
      }
      return yield* unrelated;
    });
    expect(r).toBe("unrelated survived");
    expect(log).toEqual(["slow one cleaned up", "caught fast failure"]);
  });

  it("all of nothing is an empty array", async () => {
    expect(await vrun(backend, function* () { return yield* all([]); })).toEqual([]);
  });

  it("race returns the first value; losers are cancelled and cleaned up before it returns", async () => {
    const log = makeLog();
    const r = await vrun(backend, function* () {
      const v = yield* race([
        function* () {
          try {
            yield* sleep(100);
            return "slow";
          } finally {
            yield* sleep(1);
            log.add("slow cleaned up");
          }
        },
        function* () {
          yield* sleep(10);
          return "fast";
        },
      ]);
      log.add(`race returned ${v}`);
      return v;
    });
    expect(r).toBe("fast");
    expect(log).toEqual(["slow cleaned up", "race returned fast"]);
  });

  it("race: a failure before any winner is thrown, the rest cancelled", async () => {
    const r = await vrun(backend, function* () {
      try {
        yield* race([
          sleep(100),
          function* () {
            yield* sleep(1);
            throw new Error("racer failed");
          },
        ]);
      } catch (e) {
        return (e as Error).message;
      }
    });
    expect(r).toBe("racer failed");
    expect(() => race([])).toThrow(/race\(\) needs at least one operation/);
  });
});
