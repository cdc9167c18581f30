// Work off the loop: a tasklet server (its own process) with a CPU-bound
// route (GET /hash: SHA-256 over a fresh 1 MiB buffer, --rounds times) and a
// cheap one (GET /ping). A few clients keep /hash busy (autocannon, closed
// loop) while a probe sends /ping at a fixed rate (open loop: latency counted
// from when each probe was due, so a stalled server cannot hide its queue).
// Inline (the hash in the handler's step) against offloaded (offload() on the
// shared worker pool, the buffer moved), interleaved rounds, medians.
// Second part: what the loop-stall detector costs per task switch when on,
// against off, on both scheduler backends, in this process.
//
//   npm run bench -- offload            full
//   npm run bench -- offload --quick    shorter rounds (a sanity run)
import { spawn as spawnProcess } from "node:child_process";
import http from "node:http";
import { join } from "node:path";
import autocannon from "autocannon";
import { detectStalls, run, spawn, yieldNow } from "../dist/index.js";
import { parseCli } from "../scripts/_args.mjs";
import { fmt, here, interleave, machine, median, medianOf, progressDone, table, writeResult } from "./lib.mjs";

const { values: flags } = parseCli({
  name: "bench offload",
  usage: "npm run bench -- offload [--quick] [--rounds N] [--clients N] [--seconds N] [--probe-rate N]",
  options: {
    quick: { type: "boolean", help: "shorter rounds (a sanity run)" },
    rounds: { type: "string", help: "SHA-256 rounds per /hash request (default 4)" },
    clients: { type: "string", help: "concurrent /hash clients (default 4)" },
    seconds: { type: "string", help: "seconds per measurement (default 6, --quick 2)" },
    "probe-rate": { type: "string", help: "/ping requests per second (default 100)" },
  },
});
const quick = flags.quick === true;
const HASH_ROUNDS = Number(flags.rounds ?? 4);
const CLIENTS = Number(flags.clients ?? 4);
const SECONDS = Number(flags.seconds ?? (quick ? 2 : 6));
const PROBE_RATE = Number(flags["probe-rate"] ?? 100);
const ROUNDS = quick ? 1 : 3;
const VARIANTS = ["inline", "offload"];

function startServer(kind) {
  const child = spawnProcess(process.execPath, [join(here, "servers", "offload.mjs"), kind, "0", String(HASH_ROUNDS)], { stdio: ["pipe", "pipe", "inherit"] });
  let buf = "";
  const waiters = [];
  child.stdout.on("data", (d) => {
    buf += d;
    for (let i; (i = buf.indexOf("\n")) >= 0; buf = buf.slice(i + 1)) waiters.shift()?.(buf.slice(0, i));
  });
  const nextLine = () => new Promise((r) => waiters.push(r));
  return {
    child,
    port: nextLine().then((l) => Number(l.split(" ")[1])),
    async cpuUs() {
      const p = nextLine();
      child.stdin.write("stats\n");
      return Number((await p).split(" ")[1]);
    },
    stop: () => new Promise((r) => (child.once("exit", r), child.kill("SIGINT"))),
  };
}

/** Send GET /ping every 1/rate s for `seconds`; latency of each from when it was due, in ms. */
function probe(port, rate, seconds) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const lat = [];
  const every = 1000 / rate;
  const n = Math.round(seconds * rate);
  const t0 = performance.now();
  let sent = 0;
  let done = 0;
  return new Promise((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (sent < n && t0 + sent * every <= now) {
        const due = t0 + sent * every;
        sent++;
        http
          .get({ host: "127.0.0.1", port, path: "/ping", agent }, (res) => {
            res.resume();
            res.on("end", () => {
              lat.push(performance.now() - due);
              if (++done === n) {
                agent.destroy();
                resolve(lat);
              }
            });
          })
          .on("error", () => {
            if (++done === n) resolve(lat);
          });
      }
      if (sent < n) setTimeout(tick, Math.max(0, t0 + sent * every - performance.now()));
    };
    tick();
  });
}

function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

async function measure(kind) {
  const server = startServer(kind);
  const port = await server.port;
  try {
    // Unloaded first: the probe alone.
    const idle = await probe(port, PROBE_RATE, Math.min(2, SECONDS));
    const cpu0 = await server.cpuUs();
    const [loaded, heavy] = await Promise.all([
      probe(port, PROBE_RATE, SECONDS),
      autocannon({ url: `http://127.0.0.1:${port}/hash`, connections: CLIENTS, duration: SECONDS }),
    ]);
    const cpu1 = await server.cpuUs();
    return {
      idleP50: percentile(idle, 50),
      idleP99: percentile(idle, 99),
      p50: percentile(loaded, 50),
      p99: percentile(loaded, 99),
      max: Math.max(...loaded),
      hashPerS: heavy.requests.total / SECONDS,
      hashP50: heavy.latency.p50,
      cpuPerHashMs: (cpu1 - cpu0) / 1000 / heavy.requests.total,
    };
  } finally {
    await server.stop();
  }
}

/** Task switches per round-robin yield, in ns, with the detector off or on. */
async function switchCost(v, backend) {
  const T = quick ? 200 : 1000;
  const Y = quick ? 200 : 500;
  const detector = v === "on" ? detectStalls({ thresholdMs: 100 }) : null;
  const t0 = performance.now();
  await run(
    function* () {
      const ts = [];
      for (let i = 0; i < T; i++)
        ts.push(
          spawn(function* () {
            for (let k = 0; k < Y; k++) yield* yieldNow();
          }),
        );
      for (const t of ts) yield* t;
    },
    { backend },
  );
  const ns = ((performance.now() - t0) * 1e6) / (T * Y);
  detector?.stop();
  return ns;
}

export async function main() {
  const lines = [`# offload`, ``, machine(), ``];
  lines.push(
    `/hash: SHA-256 over a fresh 1 MiB buffer, ${HASH_ROUNDS} rounds; ${CLIENTS} closed-loop autocannon clients on /hash for ${SECONDS} s, and a /ping probe at ${PROBE_RATE}/s (latency from when each probe was due); ${ROUNDS} interleaved round(s), medians. Server in its own process; the load generator shares the machine's cores with it.`,
    ``,
  );
  const samples = await interleave("offload", VARIANTS, ROUNDS, measure);
  progressDone();
  const row = (v) => {
    const s = samples.get(v);
    return [v, fmt(medianOf(s, "idleP99"), 1), fmt(medianOf(s, "p50"), 1), fmt(medianOf(s, "p99"), 1), fmt(medianOf(s, "max"), 1), fmt(medianOf(s, "hashPerS"), 1), fmt(medianOf(s, "hashP50"), 0), fmt(medianOf(s, "cpuPerHashMs"), 2)];
  };
  lines.push(table(["server", "/ping p99 unloaded (ms)", "/ping p50 (ms)", "/ping p99 (ms)", "/ping max (ms)", "/hash per s", "/hash p50 (ms)", "server CPU per /hash (ms)"], VARIANTS.map(row)), ``);
  const inl = samples.get("inline");
  const off = samples.get("offload");
  lines.push(
    `inline / offload: /ping p99 ${fmt(medianOf(inl, "p99") / medianOf(off, "p99"), 1)}x, /ping p50 ${fmt(medianOf(inl, "p50") / medianOf(off, "p50"), 1)}x; /hash throughput offload / inline ${fmt(medianOf(off, "hashPerS") / medianOf(inl, "hashPerS"), 2)}x`,
    ``,
  );

  lines.push(`## The stall detector's cost`, ``, `Round-robin: tasks that only yield, ns per switch, detector off vs on (threshold 100 ms), interleaved rounds, medians.`, ``);
  const rows = [];
  for (const backend of ["wasm", "ts"]) {
    const s = await interleave(`stall detector (${backend})`, ["off", "on"], quick ? 3 : 7, (v) => switchCost(v, backend));
    progressDone();
    const offNs = median(s.get("off"));
    const onNs = median(s.get("on"));
    rows.push([backend, fmt(offNs, 1), fmt(onNs, 1), fmt(onNs - offNs, 1), `${fmt(onNs / offNs, 2)}x`]);
  }
  lines.push(table(["backend", "off (ns/switch)", "on (ns/switch)", "added (ns)", "on / off"], rows), ``);
  const text = lines.join("\n");
  console.log(text);
  console.log(`\nwrote ${writeResult("offload.md", text + "\n")}`);
}
