#!/usr/bin/env node
// Builds every Wasm module of the package:
//   constants/<name>.mjs       --scripts/gen-constants.mjs------------> assembly/<folder>/constants.ts (and the TS side)
//   assembly/<folder>/index.ts --asc (release target of asconfig.json)--> build/<name>.wasm
//   build/<name>.wasm          --binaryen wasm-opt -O3------------------> dist/<name>.wasm
// dist/<name>.wasm is what ships and what src/wasm/load.ts finds at run time.
import { execFileSync } from "node:child_process";
import { mkdirSync, statSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseCli } from "./_args.mjs";
import { generate } from "./gen-constants.mjs";

parseCli({ name: "build-wasm", usage: "node scripts/build-wasm.mjs   (npm run build:wasm)" });
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", name);

/** Each module: its folder under assembly/ (entry index.ts) and the name of its .wasm file. */
const MODULES = [
  { folder: "scheduler", name: "scheduler" },
  { folder: "http", name: "http-parser" },
  { folder: "ws", name: "ws-codec" },
];

for (const path of await generate()) console.log(`build-wasm: regenerated ${path}`);

mkdirSync(join(root, "build"), { recursive: true });
mkdirSync(join(root, "dist"), { recursive: true });

for (const { folder, name } of MODULES) {
  const entry = join(root, "assembly", folder, "index.ts");
  if (!existsSync(entry)) throw new Error(`build-wasm: missing entry ${entry}`);
  const raw = join(root, "build", `${name}.wasm`);
  const out = join(root, "dist", `${name}.wasm`);
  const t0 = performance.now();
  execFileSync(bin("asc"), [entry, "--config", join(root, "asconfig.json"), "--target", "release", "--outFile", raw, "--textFile", raw.replace(/\.wasm$/, ".wat")], { stdio: "inherit", cwd: root });
  execFileSync(bin("wasm-opt"), [raw, "-O3", "--enable-simd", "--enable-bulk-memory", "--enable-sign-ext", "--enable-nontrapping-float-to-int", "--enable-mutable-globals", "-o", out], { stdio: "inherit", cwd: root });
  const ms = (performance.now() - t0).toFixed(0);
  console.log(`build-wasm: ${name}: ${statSync(raw).size} B (asc) -> ${statSync(out).size} B (wasm-opt) in ${ms} ms`);
}
