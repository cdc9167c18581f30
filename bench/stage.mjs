// What a stage costs per item: N items through `stage()` (concurrency 8, a
// queue of N so nothing is shed) from N submitting tasks, against the same
// items through a Pool of 8 (spawn + join) and through a Semaphore of 8
// (withPermit around the handler in the submitter's own task). The handler
// yields once (a green handler that waits on something), so every item
// really queues. Per item: ns of wall time, on each scheduler backend;
// and a stage's stats() call at several window sizes (it sorts a copy).
//
//   npm run bench -- stage           7 rounds of 20,000 items
//   npm run bench -- stage --quick   3 rounds of 5,000 items
import { numberArg, parseCli } from "../scripts/_args.mjs";
import { fmt, interleave, machine, median, progressDone, table, writeResult } from "./lib.mjs";
import { Pool, Semaphore, run, spawn, stage, yieldNow } from "../dist/index.js";

const { values: flags } = parseCli({
  name: "bench stage",
  usage: "npm run bench -- stage [--quick] [--items=N] [--rounds=N]",
  options: {
    quick: { type: "boolean", help: "3 rounds of 5,000 items" },
    items: { type: "string", value: "N", help: "items per measurement (default 20,000)" },
    rounds: { type: "string", value: "N", help: "rounds after the warm-up (default 7)" },
  },
});
const N = numberArg("bench stage", "items", flags.items ?? (flags.quick ? 5000 : 20000), { min: 1 });
const ROUNDS = numberArg("bench stage", "rounds", flags.rounds ?? (flags.quick ? 3 : 7), { min: 1 });
const WIDTH = 8;

function* handler(i) {
  yield* yieldNow();
  return i + 1;
}

/** ns per item of `variant` on `backend`. */
async function measure(variant, backend) {
  const t0 = performance.now();
  await run(
    function* () {
      const tasks = [];
      if (variant === "stage") {
        const s = stage(handler, { concurrency: WIDTH, queue: N });
        for (let i = 0; i < N; i++) tasks.push(spawn(() => s.submit(i)));
      } else if (variant === "semaphore") {
        const sem = new Semaphore(WIDTH);
        for (let i = 0; i < N; i++) tasks.push(spawn(() => sem.withPermit(() => handler(i))));
      } else {
        const pool = new Pool(WIDTH);
        for (let i = 0; i < N; i++) tasks.push(yield* pool.spawn(() => handler(i)));
      }
      let sum = 0;
      for (const t of tasks) sum += yield* t;
      if (sum !== (N * (N + 1)) / 2) throw new Error(`wrong sum ${sum}`);
    },
    { backend },
  );
  return ((performance.now() - t0) * 1e6) / N;
}

/** ns per stats() call with a full window of `size` samples. */
async function statsCost(size) {
  return run(function* () {
    const s = stage(handler, { concurrency: WIDTH, queue: size, window: size });
    const tasks = [];
    for (let i = 0; i < size; i++) tasks.push(spawn(() => s.submit(i)));
    for (const t of tasks) yield* t;
    const reps = Math.max(10, Math.floor(2_000_000 / size));
    const t0 = performance.now();
    let x = 0;
    for (let i = 0; i < reps; i++) x += s.stats().p99;
    if (Number.isNaN(x)) throw new Error("no samples");
    return ((performance.now() - t0) * 1e6) / reps;
  });
}

export async function main() {
  const lines = [`# stage(): cost per item`, "", `Machine: ${machine()}.`, "", `${N} items, ${ROUNDS} rounds (medians), concurrency ${WIDTH}; the handler yields once.`, ""];
  const rows = [];
  for (const backend of ["wasm", "ts"]) {
    const s = await interleave(`stage ${backend}`, ["stage", "semaphore", "pool"], ROUNDS, (v) => measure(v, backend));
    const st = median(s.get("stage"));
    const se = median(s.get("semaphore"));
    const po = median(s.get("pool"));
    rows.push([backend, fmt(st), fmt(se), fmt(po), `${fmt(st / se, 2)}x`, `${fmt(st / po, 2)}x`]);
  }
  progressDone();
  lines.push(table(["backend", "stage ns/item", "Semaphore ns/item", "Pool ns/item", "stage / Semaphore", "stage / Pool"], rows), "");
  const statRows = [];
  for (const size of [64, 1024, 16384]) statRows.push([fmt(size), fmt(await statsCost(size))]);
  lines.push(table(["window (samples)", "stats() ns/call"], statRows), "");
  const text = lines.join("\n") + "\n";
  process.stdout.write(text);
  process.stderr.write(`written to ${writeResult("stage.md", text)}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
