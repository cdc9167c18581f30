import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";

describe("the npm package", () => {
  it("packs, installs into an empty folder, and works through import and require", () => {
    const out = JSON.parse(execFileSync("node", ["scripts/check-pack.mjs"], { encoding: "utf8" }));
    expect(out.files).toEqual(expect.arrayContaining(["dist/index.js", "dist/index.cjs", "dist/index.d.ts", "dist/index.d.cts", "dist/scheduler.wasm", "package.json", "README.md"]));
    expect(out.installed).toEqual(expect.arrayContaining(["index.js", "index.cjs", "scheduler.wasm"]));
    expect(out.esm).toMatchObject({ esm: 42, wasmOk: true });
    expect(out.cjs).toMatchObject({ cjs: 42 });
    expect(["ts", "wasm"]).toContain(out.esm.backend);
  });
});
