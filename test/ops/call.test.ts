import { describe, expect, it } from "vitest";
import { call } from "../../src/index.js";
import { BACKENDS, vrun } from "../support/helpers.js";

describe.each(BACKENDS)("call on the %s backend", (backend) => {
  it("call waits for a Promise and returns its value", async () => {
    const v = await vrun(backend, function* () {
      const a = yield* call(Promise.resolve(5));
      const b = yield* call(() => new Promise<string>((r) => setTimeout(() => r("timer"), 5)));
      const c = yield* call(() => 7); // a plain value passes through
      return [a, b, c];
    });
    expect(v).toEqual([5, "timer", 7]);
  });

  it("a rejection is thrown at the yield*", async () => {
    const msg = await vrun(backend, function* () {
      try {
        yield* call(Promise.reject(new Error("nope")));
      } catch (e) {
        return (e as Error).message;
      }
    });
    expect(msg).toBe("nope");
  });

  it("call rejects a non-promise, non-function argument", () => {
    expect(() => call(5 as never)).toThrow(/call\(\) expects a Promise or a function/);
  });
});
