#!/usr/bin/env node
// Benchmark runner: `npm run bench -- <name> [options]` runs bench/<name>.mjs.
// With no name it lists the suites. Every suite prints a table of medians and
// ratios measured side by side in one process, and writes bench/results/.
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const suites = readdirSync(here)
  .filter((f) => f.endsWith(".mjs") && !["run.mjs", "lib.mjs"].includes(f))
  .map((f) => f.replace(/\.mjs$/, ""))
  .sort();

const [name, ...args] = process.argv.slice(2);
if (!name || !suites.includes(name)) {
  console.error(`usage: npm run bench -- <suite> [options]\nsuites: ${suites.join(", ")}`);
  process.exit(name ? 2 : 0);
}
if (typeof globalThis.gc !== "function") {
  console.error("note: run through `npm run bench` (node --expose-gc) for the memory figures");
}
const mod = await import(pathToFileURL(join(here, `${name}.mjs`)).href);
await mod.main(args);
