#!/usr/bin/env node
// A longer differential fuzz of tasklet's HTTP parsers against node:http:
//   npm run fuzz -- --seconds 60 [--seed 12345]
// It runs the same code as the bounded run in `npm test`
// (test/http/node-differential.test.ts, with test/http/node-oracle.ts and
// test/http/node-differential.ts) through vitest, which compiles those TypeScript
// modules, so the test and the fuzz cannot drift apart. Prints the number of
// cases, the seconds, the known differences by kind and the disagreements by
// kind with example inputs; exits non-zero on any disagreement.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { intArg, parseCli } from "./_args.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

const { values } = parseCli({
  name: "fuzz",
  usage: "npm run fuzz -- [--seconds N] [--seed N]",
  options: {
    seconds: { type: "string", value: "N", help: "how long to fuzz (default 60)" },
    seed: { type: "string", value: "N", help: "seed of the generated inputs (default: from the clock)" },
  },
});
const seconds = intArg("fuzz", "--seconds", values.seconds) ?? 60;
const seed = intArg("fuzz", "--seed", values.seed, { max: 2 ** 31 - 1 }) ?? Date.now() % 2 ** 31;
console.log(`fuzz: ${seconds} s against node:http, seed ${seed}`);

const vitest = join(root, "node_modules", ".bin", "vitest");
const run = spawnSync(vitest, ["run", "test/http/node-differential.test.ts", "-t", "generated streams"], {
  cwd: root,
  env: { ...process.env, NODE_FUZZ_SECONDS: String(seconds), NODE_FUZZ_SEED: String(seed), NO_COLOR: "1", FORCE_COLOR: "0" },
  encoding: "utf8",
  maxBuffer: 64 * 1024 * 1024,
});
const out = `${run.stdout ?? ""}${run.stderr ?? ""}`;
const line = /node-differential (\{.*\})/.exec(out)?.[1];
if (line === undefined) {
  console.error(out);
  console.error("fuzz: the run printed no summary (see the output above)");
  process.exit(1);
}
const stats = JSON.parse(line);
console.log(`cases: ${stats.cases}, seconds: ${stats.seconds}, both accepted: ${stats.bothAccepted}, both rejected: ${stats.bothRejected}`);
console.log("known differences (docs/http-conformance.md), by kind:");
for (const [kind, n] of Object.entries(stats.explained).sort((a, b) => b[1] - a[1])) console.log(`  ${String(n).padStart(6)}  ${kind}`);
const kinds = Object.entries(stats.disagreements);
console.log(`disagreements: ${kinds.reduce((n, [, d]) => n + d.count, 0)}`);
for (const [kind, d] of kinds) {
  console.log(`  ${String(d.count).padStart(6)}  ${kind}`);
  for (const e of d.examples) console.log(`            ${e}`);
}
if (run.status !== 0 && kinds.length === 0) console.error(out);
process.exit(run.status ?? 1);
