#!/usr/bin/env node
// Benchmark runner: `npm run bench -- <name> [flags]` runs bench/<name>.mjs.
// With no name it lists the suites; `<name> --help` lists a suite's flags.
// Every suite prints a table of medians and ratios measured side by side in
// one process, and writes bench/results/.
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseCli, usageError } from "../scripts/_args.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const suites = readdirSync(here)
  .filter((f) => f.endsWith(".mjs") && !["run.mjs", "lib.mjs"].includes(f))
  .map((f) => f.replace(/\.mjs$/, ""))
  .sort();

const usage = `npm run bench -- <suite> [flags]   (suites: ${suites.join(", ")}; \`npm run bench -- <suite> --help\` lists a suite's flags)`;
const [name, ...args] = process.argv.slice(2);
if (name === undefined || name.startsWith("-")) {
  // No suite: only --help is understood here; the suite parses the rest.
  parseCli({ name: "bench", usage, args: process.argv.slice(2) });
  process.stdout.write(`usage: ${usage}\n`);
  process.exit(0);
}
if (!suites.includes(name)) usageError("bench", `unknown suite ${JSON.stringify(name)}; one of ${suites.join(", ")}`);
// The suite reads its flags from process.argv, as when it runs by itself.
process.argv.splice(2, 1);
const mod = await import(pathToFileURL(join(here, `${name}.mjs`)).href);
if (typeof globalThis.gc !== "function") {
  console.error("note: run through `npm run bench` (node --expose-gc) for the memory figures");
}
await mod.main(args);
