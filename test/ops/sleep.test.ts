import { describe, expect, it } from "vitest";
import { sleep, spawn } from "../../src/index.js";
import { BACKENDS, makeLog, vrun } from "../support/helpers.js";

describe.each(BACKENDS)("sleep on the %s backend", (backend) => {
  it("sleep(0) yields to other ready tasks", async () => {
    const log = makeLog();
    await vrun(backend, function* () {
      const a = spawn(function* () {
        log.add("a1");
        yield* sleep(0);
        log.add("a2");
      });
      const b = spawn(function* () {
        log.add("b1");
        yield* sleep(0);
        log.add("b2");
      });
      yield* a;
      yield* b;
    });
    expect(log).toEqual(["a1", "b1", "a2", "b2"]);
  });

  it("rejects bad sleep durations with a RangeError", () => {
    expect(() => sleep(-1)).toThrow(/sleep\(ms\): ms must be a number >= 0, got -1/);
    expect(() => sleep(NaN)).toThrow(RangeError);
    expect(() => sleep("10" as never)).toThrow(RangeError);
  });
});
