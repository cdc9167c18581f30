import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * When the Wasm scheduler module cannot be loaded, asking for "wasm" fails
 * with a clear error and the default falls back to the TS core, saying so
 * once on stderr. Checked on a copy of the built package without its
 * scheduler.wasm (its dependencies linked in), in a child process.
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
});
