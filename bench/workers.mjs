// Multi-core serving: hello at 1,000 keep-alive connections (wrk), tasklet
// in one process vs `serve({ workers: 2 })`, and node:http alone vs
// node:http under node:cluster with 2 workers, side by side in one run
// (the servers in turn, in the reverse order every other round).
//
//   npm run bench -- workers            5 s per measurement, 3 rounds after a warm-up
//   npm run bench -- workers --quick    3 s, 1 round
//   npm run bench -- workers --connections=100 --seconds=4 --rounds=5
//
// Requests/s and p99 are wrk's. Server CPU is the sum over every process of
// a server (the primary and its workers) of utime + stime from
// /proc/<pid>/stat across wrk's run (the primary's share shown apart: with
// round-robin it accepts every connection and passes it on); per request, it is the figure least
// moved by a machine whose cores wrk shares (on a 2-core machine, wrk's own
// threads take one core's worth or more, so two workers cannot each get a
// core of their own).
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { numberArg, parseCli } from "../scripts/_args.mjs";
import { fmt, have, here, interleave, machine, medianOf, progressDone, table, writeResult } from "./lib.mjs";

const { values: flags } = parseCli({
  name: "bench workers",
  usage: "npm run bench -- workers [--quick] [--seconds=N] [--rounds=N] [--connections=N] [--threads=N]",
  options: {
    quick: { type: "boolean", help: "3 s per measurement, 1 round (a sanity run)" },
    seconds: { type: "string", value: "N", help: "seconds per measurement (default 5, 3 with --quick)" },
    rounds: { type: "string", value: "N", help: "rounds after the warm-up (default 3, 1 with --quick)" },
    connections: { type: "string", value: "N", help: "wrk connections (default 1000)" },
    threads: { type: "string", value: "N", help: "wrk threads (default 2)" },
  },
});
const quick = flags.quick === true;
const SECONDS = numberArg("bench workers", "--seconds", flags.seconds) ?? (quick ? 3 : 5);
const ROUNDS = numberArg("bench workers", "--rounds", flags.rounds) ?? (quick ? 1 : 3);
const CONNS = numberArg("bench workers", "--connections", flags.connections) ?? 1000;
const THREADS = numberArg("bench workers", "--threads", flags.threads) ?? 2;
const TICKS = 100; // clock ticks per second in /proc/<pid>/stat

const VARIANTS = [
  { key: "tasklet-1", label: "tasklet, one process", kind: "tasklet", workers: 0 },
  { key: "tasklet-2", label: "tasklet, workers: 2", kind: "tasklet", workers: 2 },
  { key: "node-1", label: "node:http, one process", kind: "node-http", workers: 0 },
  { key: "node-2", label: "node:http + node:cluster, 2 workers", kind: "node-http", workers: 2 },
];

function cpuSeconds(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(f[11]) + Number(f[12])) / TICKS;
  } catch {
    return NaN;
  }
}

/** A free port, found by binding port 0 and letting it go (node:cluster's workers need one number to share). */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Start a server; resolves with its port and the PIDs of all its processes. */
async function start(v) {
  const port = await freePort();
  const child = spawn(process.execPath, [join(here, "servers", "cluster-hello.mjs"), v.kind, String(v.workers), String(port)], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`${v.key} did not start within 30 s`)), 30_000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/listening (\d+) ([\d ]+)\n/);
      if (m) {
        clearTimeout(timer);
        resolve({ ...v, child, port: Number(m[1]), pids: m[2].trim().split(" ").map(Number) });
      }
    });
    child.on("exit", (code, signal) => reject(new Error(`${v.key} exited (${signal ?? `code ${code}`})`)));
  });
}

function stop(s) {
  s.child.removeAllListeners("exit");
  for (const pid of s.pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {}
  }
}

/** One wrk run against `s`: requests/s, p99 (ms), server CPU (cores busy) and CPU per request (us). */
async function measure(s, seconds = SECONDS) {
  const cpu0 = s.pids.reduce((a, p) => a + cpuSeconds(p), 0);
  const primary0 = cpuSeconds(s.pids[0]);
  const t0 = performance.now();
  const out = await new Promise((resolve, reject) => {
    const wrk = spawn("wrk", [`-t${THREADS}`, `-c${CONNS}`, `-d${seconds}s`, "--latency", `http://127.0.0.1:${s.port}/`]);
    let text = "";
    wrk.stdout.on("data", (d) => (text += d));
    wrk.on("exit", (code) => (code === 0 ? resolve(text) : reject(new Error(`wrk exited with ${code}: ${text}`))));
  });
  const secs = (performance.now() - t0) / 1000;
  const cpu = s.pids.reduce((a, p) => a + cpuSeconds(p), 0) - cpu0;
  const primary = cpuSeconds(s.pids[0]) - primary0;
  const total = Number(out.match(/(\d+) requests in/)?.[1] ?? NaN);
  const l = out.match(/99%\s+([\d.]+)(us|ms|s)/);
  const p99 = l ? Number(l[1]) * (l[2] === "us" ? 0.001 : l[2] === "s" ? 1000 : 1) : NaN;
  const errors = out.match(/Socket errors: (.*)/)?.[1] ?? "";
  return { rps: Number(out.match(/Requests\/sec:\s+([\d.]+)/)?.[1] ?? NaN), p99, cores: cpu / secs, cpuPerReq: (cpu / total) * 1e6, primaryPerReq: s.workers > 0 ? (primary / total) * 1e6 : NaN, errors };
}

export async function main() {
  if (!have("wrk")) {
    console.error("bench workers: needs wrk on the PATH");
    process.exit(1);
  }
  const atStart = machine();
  const servers = new Map();
  try {
    for (const v of VARIANTS) servers.set(v.key, await start(v));
    // A warm-up run per server (JIT, every worker's first connections), not counted.
    const samples = await interleave(
      `workers, ${CONNS} connections`,
      VARIANTS.map((v) => v.key),
      ROUNDS,
      async (key) => {
        await sleep(300); // the last run's connections close
        return measure(servers.get(key));
      },
    );
    progressDone();
    const load1 = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
    const med = (key, field) => medianOf(samples.get(key), field);
    const rows = VARIANTS.map((v) => [
      v.label,
      fmt(med(v.key, "rps")),
      fmt(med(v.key, "p99"), 1),
      fmt(med(v.key, "cpuPerReq"), 1),
      v.workers > 0 ? fmt(med(v.key, "primaryPerReq"), 1) : "–",
      fmt(med(v.key, "cores"), 2),
    ]);
    const ratio = (a, b, field) => med(a, field) / med(b, field);
    const ratios = [
      ["workers: 2 / one process, tasklet", fmt(ratio("tasklet-2", "tasklet-1", "rps"), 2), fmt(ratio("tasklet-2", "tasklet-1", "cpuPerReq"), 2)],
      ["2 workers / one process, node:http", fmt(ratio("node-2", "node-1", "rps"), 2), fmt(ratio("node-2", "node-1", "cpuPerReq"), 2)],
      ["tasklet / node:http, one process", fmt(ratio("tasklet-1", "node-1", "rps"), 2), fmt(ratio("tasklet-1", "node-1", "cpuPerReq"), 2)],
      ["tasklet / node:http, 2 workers", fmt(ratio("tasklet-2", "node-2", "rps"), 2), fmt(ratio("tasklet-2", "node-2", "cpuPerReq"), 2)],
    ];
    const errors = VARIANTS.flatMap((v) => samples.get(v.key).filter((x) => x.errors !== "").map((x) => `${v.key}: ${x.errors}`));
    const text = [
      `# workers`,
      "",
      `Machine: ${atStart}, ${load1} at end.`,
      `Command: \`npm run bench -- workers${quick ? " --quick" : ""}\`: wrk -t${THREADS} -c${CONNS}, ${SECONDS} s per measurement, median${ROUNDS > 1 ? `s of ${ROUNDS} rounds` : " of 1 round"} after a warm-up round, servers in turn (reversed every other round). Hello, World! (13 bytes) with keep-alive. wrk runs on the same cores as the servers.`,
      "",
      table(["server", "requests/s", "p99 ms", "server CPU us/request", "of which the primary", "server cores busy"], rows),
      "",
      table(["ratio", "requests/s", "CPU per request"], ratios),
      "",
      errors.length > 0 ? `wrk socket errors: ${errors.join("; ")}` : "No wrk socket errors.",
      "",
    ].join("\n");
    console.log(`\n${text}`);
    if (flags.connections === undefined && flags.threads === undefined) console.log(`written: ${writeResult("workers.md", text)}`);
  } finally {
    for (const s of servers.values()) stop(s);
  }
}
