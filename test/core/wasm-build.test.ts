import { describe, expect, it } from "vitest";
import { instantiateWasm, locateWasm } from "../../src/wasm/load.js";

describe("the Wasm build pipeline", () => {
  it("produces scheduler.wasm that compiles and instantiates", () => {
    const path = locateWasm("scheduler");
    expect(path).not.toBeInstanceOf(Error);
    const inst = instantiateWasm("scheduler");
    expect(typeof inst.exports.coreVersion).toBe("function");
    // The runtime uses the Wasm core only from layout version 4 on.
    expect((inst.exports.coreVersion as () => number)()).toBeGreaterThanOrEqual(4);
  });

  it("says where it looked when a module is missing", () => {
    const r = locateWasm("no-such-module");
    expect(r).toBeInstanceOf(Error);
    expect((r as Error).message).toMatch(/no-such-module\.wasm not found \(looked in .*\); run `npm run build:wasm`/);
  });
});
