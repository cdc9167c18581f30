// Async-context benchmark: what `run(body, { asyncContext: true })` costs
// per switch and per spawn, against the same run without it, side by side in
// one process (interleaved rounds, order reversed every other round, medians).
// An AsyncLocalStorage is in use throughout (a store entered before the runs),
// as in an application that has one: that is when Node's async_hooks are on
// and a context switch costs what it costs. Also: TaskLocal get/set, and a
// task whose body reads its own AbortSignal.
//
//   npm run bench -- context            full sizes
//   npm run bench -- context --quick    smaller sizes, fewer rounds
import { AsyncLocalStorage } from "node:async_hooks";
import { Channel, TaskLocal, current, run, spawn, yieldNow } from "../dist/index.js";
import { parseCli } from "../scripts/_args.mjs";
import { fmt, interleave, machine, median, progressDone, table, writeResult } from "./lib.mjs";

const { values: flags } = parseCli({
  name: "bench context",
  usage: "npm run bench -- context [--quick]",
  options: { quick: { type: "boolean", help: "smaller sizes, fewer rounds (a sanity run)" } },
});
const quick = flags.quick === true;
const ROUNDS = quick ? 3 : 7;
const SIZES = quick ? { rrTasks: 200, rrYields: 200, ping: 50_000, spawn: 20_000, locals: 200_000 } : { rrTasks: 1_000, rrYields: 500, ping: 200_000, spawn: 100_000, locals: 1_000_000 };

const als = new AsyncLocalStorage();
als.enterWith({ request: 1 });

const now = () => performance.now();
const perOp = (t0, n) => ((now() - t0) * 1e6) / n;
const VARIANTS = ["off", "on"];
const options = (v, backend) => ({ backend, asyncContext: v === "on" });

async function roundRobin(v, backend) {
  const { rrTasks: T, rrYields: Y } = SIZES;
  const t0 = now();
  await run(function* () {
    const ts = [];
    for (let i = 0; i < T; i++)
      ts.push(spawn(function* () {
        for (let k = 0; k < Y; k++) yield* yieldNow();
      }));
    for (const t of ts) yield* t;
  }, options(v, backend));
  return perOp(t0, T * Y);
}

async function pingPong(v, backend) {
  const M = SIZES.ping;
  const t0 = now();
  await run(function* () {
    const ping = new Channel();
    const pong = new Channel();
    spawn(function* () {
      for (;;) yield* pong.send((yield* ping.recv()) + 1);
    });
    let x = 0;
    for (let i = 0; i < M; i++) {
      yield* ping.send(x);
      x = yield* pong.recv();
    }
    if (x !== M) throw new Error("lost a message");
  }, options(v, backend));
  return perOp(t0, 2 * M);
}

function* child(i) {
  return i;
}

async function spawnJoin(v, backend) {
  const N = SIZES.spawn;
  const t0 = now();
  await run(function* () {
    const ts = new Array(N);
    for (let i = 0; i < N; i++) ts[i] = spawn(() => child(i));
    let s = 0;
    for (let i = 0; i < N; i++) s += yield* ts[i];
    if (s !== (N * (N - 1)) / 2) throw new Error("wrong sum");
  }, options(v, backend));
  return perOp(t0, N);
}

const local = new TaskLocal(0);
async function taskLocal(v, backend) {
  const N = SIZES.locals;
  let t0 = 0;
  await run(function* () {
    t0 = now();
    let s = 0;
    for (let i = 0; i < N; i++) {
      local.set(i);
      s += local.get();
    }
    if (s !== (N * (N - 1)) / 2) throw new Error("wrong sum");
  }, options(v, backend));
  return perOp(t0, N);
}

async function signalTask(v, backend) {
  const N = SIZES.spawn;
  const t0 = now();
  await run(function* () {
    const ts = new Array(N);
    for (let i = 0; i < N; i++)
      ts[i] = spawn(function* () {
        return current().signal.aborted ? 0 : 1;
      });
    let s = 0;
    for (let i = 0; i < N; i++) s += yield* ts[i];
    if (s !== N) throw new Error("wrong sum");
  }, options(v, backend));
  return perOp(t0, N);
}

export async function main() {
  const started = now();
  const backend = process.env.TASKLET_BACKEND === "ts" ? "ts" : "wasm";
  const rows = [];
  const measure = async (name, unit, fn) => {
    const s = await interleave(name, VARIANTS, ROUNDS, (v) => fn(v, backend));
    const off = median(s.get("off"));
    const on = median(s.get("on"));
    rows.push([name, unit, fmt(off, 1), fmt(on, 1), `+${fmt(on - off, 1)}`, `${(((on - off) / off) * 100).toFixed(0)}%`]);
  };
  await measure(`yieldNow round robin ${SIZES.rrTasks}x${SIZES.rrYields}`, "ns/switch", roundRobin);
  await measure("channel ping-pong", "ns/message", pingPong);
  await measure(`spawn+join ${fmt(SIZES.spawn)} tasks`, "ns/task", spawnJoin);
  await measure("TaskLocal set + get (asyncContext plays no part)", "ns/pair", taskLocal);
  await measure("spawn+join, each task reads current().signal", "ns/task", signalTask);
  progressDone();
  const out = [
    `# Async context (${backend} backend)`,
    "",
    machine(),
    "",
    `Medians of ${ROUNDS} interleaved rounds after a warm-up round; an AsyncLocalStorage store is entered for the whole process.`,
    "",
    table(["benchmark", "unit", "asyncContext off", "on", "cost", "cost / off"], rows),
    "",
    `(${((now() - started) / 1000).toFixed(0)} s)`,
    "",
  ].join("\n");
  console.log(out);
  writeResult("context.md", out);
}
