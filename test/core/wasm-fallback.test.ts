import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { CORE_VERSION, LAYOUT_HASH } from "../../src/core/constants.js";
import { LAYOUT_HASH as PARSER_LAYOUT_HASH } from "../../src/http/parser/constants.js";

/**
 * When the Wasm scheduler module cannot be loaded, or was built from other
 * constants than the runtime's (a stale dist/), asking for "wasm" fails
 * with a clear error and the default falls back to the TS core, saying so
 * once on stderr; a stale HTTP parser module is refused with an error that
 * says so. Checked on copies of the built package (its dependencies linked
 * in), in child processes.
 */
describe("without the Wasm scheduler module", () => {
  it("falls back to the TS core by default (one warning) and refuses an explicit 'wasm' clearly", () => {
    const dir = mkdtempSync(join(tmpdir(), "tasklet-nowasm-"));
    try {
      cpSync("dist", join(dir, "dist"), { recursive: true });
      rmSync(join(dir, "dist", "scheduler.wasm"));
      symlinkSync(resolve("node_modules"), join(dir, "node_modules"), "dir");
      const script = `
        const m = await import(${JSON.stringify(join(dir, "dist", "index.js"))});
        const a = await m.run(function* () { return 1; });
        const b = await m.run(function* () { return 2; });
        let explicit = "";
        try { m.run(function* () {}, { backend: "wasm" }); } catch (e) { explicit = e.message; }
        console.log(JSON.stringify({ a, b, backend: m.defaultBackend(), explicit }));`;
      const res = spawnSync("node", ["--input-type=module", "-e", script], { encoding: "utf8" });
      expect(res.status).toBe(0);
      const r = JSON.parse(res.stdout);
      expect(r).toMatchObject({ a: 1, b: 2, backend: "ts" });
      expect(r.explicit).toMatch(/the "wasm" scheduler backend is unavailable: scheduler\.wasm not found \(looked in .*\)/);
      // Two default runs, one warning.
      const warnings = res.stderr.split("\n").filter((l) => l.includes("TaskletWarning"));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/using the TypeScript scheduler core because the Wasm core is unavailable/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a scheduler.wasm built from other constants (a stale build) and falls back, naming the hash", () => {
    const dir = mkdtempSync(join(tmpdir(), "tasklet-stale-"));
    try {
      cpSync("dist", join(dir, "dist"), { recursive: true });
      symlinkSync(resolve("node_modules"), join(dir, "node_modules"), "dir");
      // A module of the right version whose constants differ: assembled from text by binaryen's wasm-as.
      const wat = join(dir, "stale.wat");
      writeFileSync(
        wat,
        `(module (memory (export "memory") 1)
           (func (export "coreVersion") (result i32) (i32.const ${CORE_VERSION}))
           (func (export "layoutHash") (result i32) (i32.const ${LAYOUT_HASH ^ 1})))`,
      );
      const asm = spawnSync(resolve("node_modules/.bin/wasm-as"), [wat, "-o", join(dir, "dist", "scheduler.wasm")], { encoding: "utf8" });
      expect(asm.status, asm.stderr).toBe(0);
      const script = `
        const m = await import(${JSON.stringify(join(dir, "dist", "index.js"))});
        const a = await m.run(function* () { return 1; });
        let explicit = "";
        try { m.run(function* () {}, { backend: "wasm" }); } catch (e) { explicit = e.message; }
        console.log(JSON.stringify({ a, backend: m.defaultBackend(), explicit }));`;
      const res = spawnSync("node", ["--input-type=module", "-e", script], { encoding: "utf8" });
      expect(res.status, res.stderr).toBe(0);
      const r = JSON.parse(res.stdout);
      expect(r).toMatchObject({ a: 1, backend: "ts" });
      expect(r.explicit).toContain(`scheduler.wasm was built with other constants (layout hash ${LAYOUT_HASH ^ 1}, this runtime's is ${LAYOUT_HASH})`);
      expect(r.explicit).toContain("npm run build:wasm");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses an http-parser.wasm built from other constants with an error that says so", () => {
    const dir = mkdtempSync(join(tmpdir(), "tasklet-stale-parser-"));
    try {
      cpSync("dist", join(dir, "dist"), { recursive: true });
      symlinkSync(resolve("node_modules"), join(dir, "node_modules"), "dir");
      const wat = join(dir, "stale.wat");
      writeFileSync(wat, `(module (memory (export "memory") 1) (func (export "layoutHash") (result i32) (i32.const ${PARSER_LAYOUT_HASH ^ 1})))`);
      const asm = spawnSync(resolve("node_modules/.bin/wasm-as"), [wat, "-o", join(dir, "dist", "http-parser.wasm")], { encoding: "utf8" });
      expect(asm.status, asm.stderr).toBe(0);
      const script = `
        const m = await import(${JSON.stringify(join(dir, "dist", "index.js"))});
        let wasm = "";
        try { m.serve({ port: 0 }, function* () {}); } catch (e) { wasm = e.message; }
        const s = m.serve({ port: 0, parser: "ts" }, function* () { return { body: "ok" }; });
        await s.ready;
        const body = await (await fetch("http://127.0.0.1:" + s.port + "/")).text();
        await s.close();
        console.log(JSON.stringify({ wasm, body }));`;
      const res = spawnSync("node", ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 20_000 });
      expect(res.status, res.stderr).toBe(0);
      const r = JSON.parse(res.stdout);
      expect(r.wasm).toContain(`http-parser.wasm was built with other constants (layout hash ${PARSER_LAYOUT_HASH ^ 1}, this runtime's is ${PARSER_LAYOUT_HASH})`);
      expect(r.body).toBe("ok"); // the TS parser does not need the module
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
