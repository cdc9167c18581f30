// Scheduler benchmarks: every benchmark runs on each scheduler backend side
// by side in one process, interleaved (ABAB) after a warm-up round, with the
// baselines (bare generators, async/await, setTimeout, Effection 4) measured
// in the same rounds. The rows where both backends run the same JavaScript
// also measure each backend a second time (a control: what two identical
// variants read against each other). Prints medians and ratios; writes
// bench/results/scheduler.md and bench/results/scheduler.svg.
//
//   npm run bench -- scheduler            full sizes
//   npm run bench -- scheduler --quick    smaller sizes, fewer rounds
import { Channel, Event, Queue, Semaphore, current, run, spawn, sleep, yieldNow } from "../dist/index.js";
import { parseCli } from "../scripts/_args.mjs";
import { fmt, interleave, machine, median, progressDone, ratioChart, table, usedBytes, writeResult } from "./lib.mjs";

const { values: flags } = parseCli({ name: "bench scheduler", usage: "npm run bench -- scheduler [--quick]", options: { quick: { type: "boolean", help: "smaller sizes, fewer rounds (a sanity run)" } } });
const quick = flags.quick === true;
const ROUNDS = quick ? 3 : 5;
const HEAVY_ROUNDS = quick ? 1 : 3;
const SIZES = quick
  ? { spawn: 20_000, rrTasks: 200, rrYields: 200, ping: 50_000, sleepers: 100_000, contend: 2_000 }
  : { spawn: 100_000, rrTasks: 1_000, rrYields: 1_000, ping: 200_000, sleepers: 1_000_000, contend: 10_000 };

const BACKENDS = ["ts", "wasm"].filter((b) => {
  try {
    run(function* () {}, { backend: b });
    return true;
  } catch (e) {
    console.error(`backend ${b} unavailable: ${e.message}`);
    return false;
  }
});

/**
 * The control variants: each backend once more, measured as if it were a
 * backend of its own. Both get one, so that the JavaScript they share sees
 * as much of one core as of the other before the rows that follow.
 */
const AGAIN = " again";
const CONTROLS = BACKENDS.map((b) => b + AGAIN);
const backendOf = (v) => (v.endsWith(AGAIN) ? v.slice(0, -AGAIN.length) : v);

/**
 * The sleepers' deadlines, 1-60 s: the same seeded sequence for the
 * sleepers, their floor and the setTimeout baseline (and, written out in its
 * timed loop, `armAll`).
 */
function deadlines() {
  let rnd = 12345;
  return () => 1000 + ((rnd = (rnd * 1103515245 + 12345) & 0x7fffffff) % 59_000);
}

const now = () => performance.now();
const perOp = (t0, n) => ((now() - t0) * 1e6) / n;

// ------------------------------------------------------------ benchmarks

function* child(i) {
  return i;
}

async function spawnJoin(backend, style) {
  const N = SIZES.spawn;
  const t0 = now();
  await run(function* () {
    const ts = new Array(N);
    if (style === "hoisted") for (let i = 0; i < N; i++) ts[i] = spawn(() => child(i));
    else for (let i = 0; i < N; i++) ts[i] = spawn(function* () { return i; });
    let s = 0;
    for (let i = 0; i < N; i++) s += yield* ts[i];
    if (s !== (N * (N - 1)) / 2) throw new Error("wrong sum");
  }, { backend });
  return perOp(t0, N);
}

// The V8 floor under spawn + join: per task an object with as many fields as
// a Task (16), linked to the previous one as sibling tasks are, the same
// closure `() => child(i)`, and later its generator run to completion; no
// scheduler. The garbage collector's share (all N objects stay alive) is the
// same as tasklet's.
class FloorTask {
  constructor(body, prev, id) {
    this.id = id;
    this.body = body;
    this.prev = prev;
    this.next = null;
    this.val = undefined;
    this.f0 = 0;
    this.f1 = 0;
    this.f2 = 0;
    this.f3 = null;
    this.f4 = null;
    this.f5 = null;
    this.f6 = null;
    this.f7 = null;
    this.f8 = null;
    this.f9 = null;
    this.f10 = null;
  }
}

function spawnFloor() {
  const N = SIZES.spawn;
  const t0 = now();
  const ts = new Array(N);
  let prev = null;
  for (let i = 0; i < N; i++) {
    const t = new FloorTask(() => child(i), prev, i);
    if (prev !== null) prev.next = t;
    ts[i] = prev = t;
  }
  for (let i = 0; i < N; i++) {
    const t = ts[i];
    t.val = t.body().next().value;
    t.body = null;
  }
  let s = 0;
  for (let i = 0; i < N; i++) s += ts[i].val;
  if (s !== (N * (N - 1)) / 2) throw new Error("wrong sum");
  return perOp(t0, N);
}

function* parked(ev) {
  yield* ev.wait();
}

/** Heap + core bytes per task suspended on an Event (no timer). */
async function suspendedBytes(backend) {
  const N = SIZES.spawn;
  let bytes = 0;
  await run(function* () {
    const ev = new Event();
    const before = usedBytes();
    const ts = new Array(N);
    for (let i = 0; i < N; i++) ts[i] = spawn(() => parked(ev));
    yield* yieldNow();
    yield* yieldNow();
    const after = usedBytes();
    bytes = (after - before) / N;
    ev.set();
    for (const t of ts) yield* t;
  }, { backend, clock: "virtual" });
  return bytes;
}

// The core is internal; the bench reads it to drive it alone (coreTimers).
function current_core() {
  return current()._sched.core;
}

async function roundRobin(backend) {
  const { rrTasks: T, rrYields: Y } = SIZES;
  const t0 = now();
  await run(function* () {
    const ts = [];
    for (let i = 0; i < T; i++)
      ts.push(spawn(function* () {
        for (let k = 0; k < Y; k++) yield* yieldNow();
      }));
    for (const t of ts) yield* t;
  }, { backend });
  return perOp(t0, T * Y);
}

/** The floor: T generators resumed round robin with a bare gen.next() loop. */
function genFloor() {
  const { rrTasks: T, rrYields: Y } = SIZES;
  function* g() {
    for (let k = 0; k < Y; k++) yield k;
  }
  const gens = Array.from({ length: T }, g);
  const t0 = now();
  for (let k = 0; k <= Y; k++) for (let i = 0; i < T; i++) gens[i].next();
  return perOp(t0, T * Y);
}

async function pingPong(backend) {
  const M = SIZES.ping;
  const t0 = now();
  await run(function* () {
    const ping = new Channel();
    const pong = new Channel();
    spawn(function* () {
      for (;;) yield* pong.send((yield* ping.recv()) + 1);
    });
    let v = 0;
    for (let i = 0; i < M; i++) {
      yield* ping.send(v);
      v = yield* pong.recv();
    }
    if (v !== M) throw new Error("lost a message");
  }, { backend });
  return perOp(t0, 2 * M); // two messages per round trip
}

// The V8 floor under a tasklet ping-pong. Per message a tasklet ping-pong does
// one generator resume and two `yield*` into operation objects: the receiver's
// pending recv completes with the value, its send completes at once (the
// other side waits in recv), and its next recv suspends. This does exactly
// that, with the two generators alternated by a bare loop: no scheduler, no
// run queue, no wait lists. The classes live at module level so that every
// round sees the same hidden classes, as tasklet's own operations do.
const FLOOR_RESULT = { done: false, value: undefined };
let floorBox = 0;
class FloorSend {
  constructor(v) {
    this.v = v;
  }
  [Symbol.iterator]() {
    return this;
  }
  next() {
    floorBox = this.v;
    FLOOR_RESULT.done = true;
    FLOOR_RESULT.value = undefined;
    return FLOOR_RESULT;
  }
}
class FloorRecv {
  constructor() {
    this.started = false;
  }
  [Symbol.iterator]() {
    return this;
  }
  next(v) {
    FLOOR_RESULT.done = this.started;
    FLOOR_RESULT.value = this.started ? v : this;
    this.started = true;
    return FLOOR_RESULT;
  }
}
function* floorEcho() {
  for (;;) yield* new FloorSend((yield* new FloorRecv()) + 1);
}
function* floorMain(M) {
  let v = 0;
  for (let i = 0; i < M; i++) {
    yield* new FloorSend(v);
    v = yield* new FloorRecv();
  }
  return v;
}

function pingFloor() {
  const M = SIZES.ping;
  const echo = floorEcho();
  const main = floorMain(M);
  const t0 = now();
  echo.next(); // parks in recv
  let r = main.next(); // sends 0, parks in recv
  while (r.done !== true) {
    echo.next(floorBox); // receives, sends back, parks in recv
    r = main.next(floorBox); // receives, sends the next one, parks in recv (or ends)
  }
  if (r.value !== M) throw new Error("floor lost a message");
  return perOp(t0, 2 * M);
}

/** The same ping-pong with async functions and a minimal promise channel. */
async function asyncPingPong() {
  const M = SIZES.ping;
  const chan = () => {
    let waiter = null;
    const buf = [];
    return {
      send(v) {
        if (waiter) {
          const w = waiter;
          waiter = null;
          w(v);
        } else buf.push(v);
      },
      recv() {
        return buf.length ? Promise.resolve(buf.shift()) : new Promise((r) => (waiter = r));
      },
    };
  };
  const ping = chan();
  const pong = chan();
  const t0 = now();
  const echo = (async () => {
    for (let i = 0; i < M; i++) pong.send((await ping.recv()) + 1);
  })();
  let v = 0;
  for (let i = 0; i < M; i++) {
    ping.send(v);
    v = await pong.recv();
  }
  await echo;
  if (v !== M) throw new Error("lost a message");
  return perOp(t0, 2 * M);
}

/** One `await` of an already resolved Promise per message: the microtask floor. */
async function awaitResolved() {
  const M = SIZES.ping;
  const p = Promise.resolve(1);
  const t0 = now();
  let s = 0;
  for (let i = 0; i < 2 * M; i++) s += await p;
  if (s !== 2 * M) throw new Error("?");
  return perOp(t0, 2 * M);
}

let effection = null;
try {
  effection = await import("effection");
} catch (e) {
  console.error(`effection not available: ${e.message}`);
}

async function effectionPingPong() {
  const { run: erun, spawn: espawn, createChannel } = effection;
  const M = Math.min(SIZES.ping, 20_000); // ~2 us per message: keep the round short
  const t0 = now();
  await erun(function* () {
    const ping = createChannel();
    const pong = createChannel();
    const pingSub = yield* ping;
    const pongSub = yield* pong;
    yield* espawn(function* () {
      for (;;) {
        const r = yield* pingSub.next();
        yield* pong.send(r.value + 1);
      }
    });
    let v = 0;
    for (let i = 0; i < M; i++) {
      yield* ping.send(v);
      v = (yield* pongSub.next()).value;
    }
    if (v !== M) throw new Error("lost a message");
  });
  return perOp(t0, 2 * M);
}

async function effectionSpawn() {
  const { run: erun, spawn: espawn } = effection;
  const N = Math.min(SIZES.spawn, 10_000);
  const t0 = now();
  await erun(function* () {
    const ts = [];
    for (let i = 0; i < N; i++) ts.push(yield* espawn(() => child(i)));
    for (const t of ts) yield* t;
  });
  return perOp(t0, N);
}

/**
 * 1M sleepers with random 1..60 s deadlines: create cost, bytes, then either
 * expiry on the virtual clock ("expire": the root sleeps past the last
 * deadline, so every sleeper's timer fires, 58,999 distinct deadlines) or
 * cancellation ("cancel": the root's body returns, which cancels its unfinished
 * children, so every timer is disarmed and every sleeper resumed with return()).
 */
async function sleepers(backend, end = "expire") {
  const N = SIZES.sleepers;
  const out = {};
  const next = deadlines();
  function* sleeper(ms) {
    yield* sleep(ms);
  }
  const before = usedBytes();
  let tExpire = 0;
  await run(function* () {
    const t0 = now();
    for (let i = 0; i < N; i++) {
      const ms = next();
      spawn(() => sleeper(ms));
    }
    yield* yieldNow(); // every sleeper has run and armed its timer
    out.createNs = perOp(t0, N);
    if (end === "expire") out.bytes = (usedBytes() - before) / N;
    tExpire = now();
    // The virtual clock jumps deadline by deadline; the root's own timer is the last one.
    if (end === "expire") yield* sleep(60_000);
  }, { backend, clock: "virtual" });
  out.endNs = perOp(tExpire, N);
  return out;
}

/** A scheduler core of `backend` on its own: the core of a run that has ended, idle and empty, driven directly. */
async function bareCore(backend) {
  let core = null;
  await run(function* () {
    core = current_core();
  }, { backend });
  return core;
}

/**
 * The core alone, no tasks: arm a million timers (random 1-60 s, as the
 * sleepers), then fire them all by stepping a virtual clock with fireNext (as
 * the runtime does) or disarm them all in slot order (as a cancellation does).
 */
async function coreTimers(backend, end) {
  const N = SIZES.sleepers;
  const core = await bareCore(backend);
  const slots = new Int32Array(N);
  const mem0 = core.memoryBytes();
  const t0 = now();
  armAll(core, slots);
  const out = { armNs: perOp(t0, N), bytes: (core.memoryBytes() - mem0) / N };
  const t1 = now();
  if (end === "expire") fireAll(core);
  else disarmAll(core, slots);
  out.endNs = perOp(t1, N);
  return out;
}

// The three phases are functions of their own, so that each is optimized as
// a whole after the warm-up round, as a runtime's own call sites would be.
// (In one function, it ran its later loops unoptimized on every call: V8
// deoptimized it after the arm loop each time, which cost the Wasm core more
// than the TS one.)

function armAll(core, slots) {
  let rnd = 12345;
  for (let i = 0; i < slots.length; i++) {
    rnd = (rnd * 1103515245 + 12345) & 0x7fffffff;
    const s = core.alloc();
    slots[i] = s;
    core.arm(s, 1000 + (rnd % 59_000));
  }
  core.tick(0); // nothing is due; the Wasm core's last (at most 1,024) buffered arms are applied by its next call
}

function fireAll(core) {
  let fired = 0;
  for (let t = 0; ; ) {
    const n = core.tick(t);
    if (n > 0) {
      const batch = core.batch;
      for (let i = 0; i < n; i++) core.release(batch[i]);
      fired += n;
      continue;
    }
    if (core.timers === 0) break;
    t = core.fireNext();
  }
  if (fired !== SIZES.sleepers) throw new Error(`fired ${fired} timers of ${SIZES.sleepers}`);
}

function disarmAll(core, slots) {
  for (let i = 0; i < slots.length; i++) core.disarm(slots[i]);
  core.tick(1);
  for (let i = 0; i < slots.length; i++) core.release(slots[i]);
}

/**
 * The floor under the sleeper rows, no scheduler at all: a million
 * generators shaped like the sleepers (each suspended in a `yield*`, here of
 * one shared operation object), kept in a dense array, then resumed to their
 * end in deadline order (the order is sorted before the clock starts). This
 * is what any backend must still do per sleeper while JavaScript holds the
 * generators, as ../shared/DESIGN.md has it: no backend's memory or expiry
 * row can go below it.
 */
async function parkedGenerators() {
  const N = SIZES.sleepers;
  const next = deadlines();
  const op = {
    [Symbol.iterator]() {
      return this;
    },
    next(v) {
      return v === undefined ? { value: 0, done: false } : { value: v, done: true };
    },
  };
  function* sleeper(ms) {
    yield* op;
    return ms;
  }
  const before = usedBytes();
  const gens = new Array(N);
  const ms = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    ms[i] = next();
    gens[i] = sleeper(ms[i]);
    gens[i].next();
  }
  const bytes = (usedBytes() - before) / N - 8; // less the Float64Array of deadlines
  const order = new Int32Array(N);
  for (let i = 0; i < N; i++) order[i] = i;
  order.sort((a, b) => ms[a] - ms[b] || a - b);
  const t0 = now();
  for (let j = 0; j < N; j++) {
    const i = order[j];
    gens[i].next(1);
    gens[i] = undefined;
  }
  return { bytes, endNs: perOp(t0, N) };
}

async function setTimeouts() {
  const N = SIZES.sleepers;
  const next = deadlines();
  const noop = () => {};
  const before = usedBytes();
  const t0 = now();
  const handles = new Array(N);
  for (let i = 0; i < N; i++) handles[i] = setTimeout(noop, next());
  const createNs = perOp(t0, N);
  const bytes = (usedBytes() - before) / N;
  const t1 = now();
  for (let i = 0; i < N; i++) clearTimeout(handles[i]);
  return { createNs, bytes, clearNs: perOp(t1, N) };
}

async function semaphoreContention(backend) {
  const N = SIZES.contend;
  const ROUNDS_EACH = 10;
  const t0 = now();
  await run(function* () {
    const sem = new Semaphore(10);
    const ts = [];
    for (let i = 0; i < N; i++)
      ts.push(spawn(function* () {
        for (let k = 0; k < ROUNDS_EACH; k++) {
          yield* sem.acquire();
          yield* yieldNow();
          sem.release();
        }
      }));
    for (const t of ts) yield* t;
  }, { backend });
  return perOp(t0, N * ROUNDS_EACH);
}

async function queueHandoff(backend) {
  const N = SIZES.contend;
  const ITEMS = 10;
  const t0 = now();
  await run(function* () {
    const q = new Queue(64);
    const consumers = [];
    for (let c = 0; c < 10; c++)
      consumers.push(spawn(function* () {
        for (;;) {
          yield* q.get();
          q.taskDone();
        }
      }));
    const ps = [];
    for (let i = 0; i < N; i++)
      ps.push(spawn(function* () {
        for (let k = 0; k < ITEMS; k++) yield* q.put(k);
      }));
    for (const p of ps) yield* p;
    yield* q.join();
    for (const c of consumers) c.cancel();
  }, { backend });
  return perOp(t0, N * ITEMS);
}

// ------------------------------------------------------------ the run

export async function main() {
  const started = now();
  const rows = [];
  const chart = [];
  const notes = [];
  const B = BACKENDS;
  const col = (samples, b, field) => median(samples.get(b).map((s) => (field ? s[field] : s)));
  // Rows that run the same JavaScript on both backends also measure each
  // backend a second time, as a variant of its own (CONTROLS): a backend
  // against itself shows how far two identical variants drift apart in one run.
  const addRow = (name, unit, samples, field, baselines = []) => {
    const vals = Object.fromEntries(B.map((b) => [b, col(samples, b, field)]));
    const ratio = vals.wasm !== undefined ? vals.ts / vals.wasm : undefined;
    const control = samples.has(CONTROLS[0]) ? B.map((b) => `${(vals[b] / col(samples, b + AGAIN, field)).toFixed(2)}x`).join(" / ") : "–";
    rows.push([name, unit, ...B.map((b) => fmt(vals[b], vals[b] < 10 ? 1 : 0)), ratio === undefined ? "–" : `${ratio.toFixed(2)}x`, control, baselines.map(([n, v]) => `${n}: ${fmt(v, v < 10 ? 1 : 0)}`).join("; ") || "–"]);
    if (ratio !== undefined) chart.push({ label: name, ratio });
    return vals;
  };

  // spawn + join
  {
    const variants = [...B.map((b) => `${b}/hoisted`), ...CONTROLS.map((b) => `${b}/hoisted`), ...B.map((b) => `${b}/inline`), "floor", ...(effection ? ["effection"] : [])];
    const s = await interleave("spawn+join", variants, ROUNDS, (v) =>
      v === "effection" ? effectionSpawn() : v === "floor" ? spawnFloor() : spawnJoin(backendOf(v.split("/")[0]), v.split("/")[1]),
    );
    const pick = (style) => new Map([...B, ...CONTROLS].filter((b) => s.has(`${b}/${style}`)).map((b) => [b, s.get(`${b}/${style}`)]));
    const base = [["object + closure + generator floor (no scheduler)", median(s.get("floor"))]];
    if (effection) base.push(["Effection 4 (10k)", median(s.get("effection"))]);
    addRow(`spawn+join ${fmt(SIZES.spawn)} tasks, hoisted body`, "ns/task", pick("hoisted"), null, base);
    addRow(`spawn+join, inline function* body`, "ns/task", pick("inline"));
  }
  // memory per suspended task
  if (typeof globalThis.gc === "function") {
    const s = await interleave("bytes/suspended task", B, HEAVY_ROUNDS, (b) => suspendedBytes(b));
    addRow("memory per suspended task (heap + core)", "bytes", s, null, [["Effection 4 (DESIGN.md)", 10_900]]);
    chart[chart.length - 1].label = "memory per suspended task (TS/Wasm)";
  } else notes.push("memory rows skipped: run with --expose-gc (npm run bench does)");
  // round robin
  {
    const s = await interleave("round robin", [...B, ...CONTROLS, "floor"], ROUNDS, (v) => (v === "floor" ? genFloor() : roundRobin(backendOf(v))));
    const floor = median(s.get("floor"));
    const vals = addRow(`yieldNow round robin ${SIZES.rrTasks}x${SIZES.rrYields}`, "ns/switch", s, null, [["bare gen.next() floor", floor]]);
    for (const b of B) notes.push(`${b}: a switch costs ${(vals[b] / floor).toFixed(1)}x the bare gen.next() floor (goal: within 3x)`);
  }
  // ping-pong
  {
    const variants = [...B, ...CONTROLS, "async/await", "await resolved", "floor", ...(effection ? ["effection"] : [])];
    const s = await interleave("channel ping-pong", variants, ROUNDS, (v) =>
      v === "async/await"
        ? asyncPingPong()
        : v === "await resolved"
          ? awaitResolved()
          : v === "floor"
            ? pingFloor()
            : v === "effection"
              ? effectionPingPong()
              : pingPong(backendOf(v)),
    );
    const base = [
      ["async/await channel", median(s.get("async/await"))],
      ["await resolved Promise", median(s.get("await resolved"))],
      ["generator floor (1 resume + 2 yield* ops, no scheduler)", median(s.get("floor"))],
    ];
    if (effection) base.push(["Effection 4 channel", median(s.get("effection"))]);
    const vals = addRow("channel ping-pong", "ns/message", s, null, base);
    for (const b of B) notes.push(`${b}: ping-pong ${(median(s.get("async/await")) / vals[b]).toFixed(2)}x the speed of the async/await channel (goal: > 1)`);
    notes.push(`generator floor of a ping-pong (no scheduler): ${(median(s.get("async/await")) / median(s.get("floor"))).toFixed(2)}x the speed of the async/await channel`);
  }
  // sleepers vs setTimeout
  {
    const variants = [...B, "setTimeout", "floor", ...B.map((b) => `${b}/cancel`)];
    const s = await interleave(
      `${fmt(SIZES.sleepers)} sleepers`,
      variants,
      HEAVY_ROUNDS,
      (v) =>
        v === "setTimeout" ? setTimeouts() : v === "floor" ? parkedGenerators() : v.endsWith("/cancel") ? sleepers(v.split("/")[0], "cancel") : sleepers(v),
      { gc: true },
    );
    const fl = s.get("floor");
    const floorBytes = median(fl.map((x) => x.bytes));
    const floorEnd = median(fl.map((x) => x.endNs));
    const st = s.get("setTimeout");
    const stCreate = median(st.map((x) => x.createNs));
    const stBytes = median(st.map((x) => x.bytes));
    const sb = new Map(B.map((b) => [b, s.get(b)]));
    addRow(`${fmt(SIZES.sleepers)} sleepers (1-60 s): spawn + arm`, "ns/sleeper", sb, "createNs", [["setTimeout create", stCreate]]);
    if (typeof globalThis.gc === "function") {
      const mem = addRow("  memory per sleeper (task + timer)", "bytes", sb, "bytes", [["setTimeout", stBytes], ["parked generator in a dense array, no scheduler (floor)", floorBytes]]);
      chart[chart.length - 1].label = "memory per sleeper (TS/Wasm)";
      if (mem.ts !== undefined) {
        notes.push(`memory per sleeper: 2x less than the TS backend means at most ${fmt(mem.ts / 2)} bytes; the parked generator alone (the floor, which JavaScript keeps on either backend) is ${fmt(floorBytes)}`);
      }
    }
    const exp = addRow("  expiry, virtual clock stepping", "ns/timer", sb, "endNs", [["resume the parked generators in deadline order, no scheduler (floor)", floorEnd]]);
    if (exp.ts !== undefined) {
      notes.push(`${fmt(SIZES.sleepers)}-sleeper expiry: 2x faster than the TS backend means at most ${fmt(exp.ts / 2)} ns per timer; resuming the parked generators alone (the floor) takes ${fmt(floorEnd)}`);
    }
    const sc = new Map(B.map((b) => [b, s.get(`${b}/cancel`)]));
    addRow("  or cancellation when the root's body ends (disarm)", "ns/sleeper", sc, "endNs", [["clearTimeout", median(st.map((x) => x.clearNs))]]);
  }
  // the cores alone
  {
    const variants = [...B, ...B.map((b) => `${b}/disarm`)];
    const s = await interleave("cores alone, 1M timers", variants, ROUNDS, (v) => (v.endsWith("/disarm") ? coreTimers(v.split("/")[0], "disarm") : coreTimers(v, "expire")), { gc: true });
    const se = new Map(B.map((b) => [b, s.get(b)]));
    const sd = new Map(B.map((b) => [b, s.get(`${b}/disarm`)]));
    addRow(`core alone (no tasks): arm ${fmt(SIZES.sleepers)} timers`, "ns/timer", se, "armNs");
    addRow("  core alone: bytes per armed timer", "bytes", se, "bytes");
    chart[chart.length - 1].label = "core alone: bytes per timer (TS/Wasm)";
    addRow("  core alone: fire them, fireNext stepping", "ns/timer", se, "endNs");
    addRow("  core alone: disarm them", "ns/timer", sd, "endNs");
  }
  // contention
  {
    const s = await interleave("Semaphore(10) contention", [...B, ...CONTROLS], ROUNDS, (b) => semaphoreContention(backendOf(b)));
    addRow(`${fmt(SIZES.contend)} tasks on a Semaphore(10)`, "ns/hand-off", s);
    const q = await interleave("Queue hand-off", [...B, ...CONTROLS], ROUNDS, (b) => queueHandoff(backendOf(b)));
    addRow(`${fmt(SIZES.contend)} producers, 10 consumers, Queue(64)`, "ns/item", q);
  }
  progressDone();

  const header = ["benchmark", "unit", ...B.map((b) => `${b} (median)`), "TS/Wasm", "control: TS/TS again, Wasm/Wasm again", "baselines (median, same run)"];
  const secs = ((now() - started) / 1000).toFixed(0);
  const md = [
    "# Scheduler benchmarks",
    "",
    `Machine: ${machine()}.`,
    `Command: \`npm run bench -- scheduler${quick ? " --quick" : ""}\` (${secs} s). Medians of ${ROUNDS} interleaved rounds (${HEAVY_ROUNDS} for the million-sleeper and memory rows) after a warm-up round; lower is better. TS/Wasm above 1 means the Wasm backend is faster (or smaller). On the rows that run the same JavaScript on both backends, each backend is also measured a second time as a variant of its own ("ts again", "wasm again"): the control column gives the ratios that two identical variants read in this run.`,
    `Backends measured: ${B.join(", ")}.`,
    "",
    table(header, rows),
    "",
    ...notes.map((n) => `- ${n}`),
    "",
    "Notes: spawn+join with an inline `function*` literal in the loop pays for V8 creating a prototype object and hidden class for every new generator closure; hoist the generator function (`spawn(() => worker(i))`) in hot paths. Memory rows count JS heap plus external memory after a full GC: external memory holds the TS core's typed arrays and the Wasm core's linear memory alike (before, the TS core's arrays were counted twice). The Wasm core's instance comes from a pool and may already hold memory from an earlier run; only its growth is counted, as only the TS core's growth is. The core-alone rows drive a scheduler core directly, with no task, generator or Task object: the part of a timer's cost that the backend decides.",
    "",
  ].join("\n");
  console.log("\n" + md);
  writeResult("scheduler.md", md);
  if (chart.length > 0) {
    writeResult("scheduler.svg", ratioChart("tasklet scheduler: TS time / Wasm time (above 1: Wasm wins)", chart, machine()));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
