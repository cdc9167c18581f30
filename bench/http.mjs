// HTTP benchmark: the same hello-world served by tasklet (Wasm and TS
// parsers), node:http and a minimal raw node:net server, each in its own
// process, measured in turn (ABAB) in one run at 100 connections, 1,000
// connections and 16-deep pipelining; then the memory of 10,000 idle
// keep-alive connections per server.
//
//   npm run bench -- http            5 s per measurement, 3 rounds
//   npm run bench -- http --quick    2 s per measurement, 1 round, 2,000 idle connections
//   npm run bench -- http --memory   only the idle-connection memory (printed, not written)
//   npm run bench -- http --memory --idle-wait=60
//                                    also the RSS after the servers sat idle that long (V8's
//                                    memory reducer gives back young-generation pages then)
//
// The machine has 2 cores: a server and its load generator share them. With
// `taskset` the server is pinned to core 0 and the client to core 1, and the
// report gives each one's CPU share, so a client-bound figure is never taken
// for the server's.
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fmt, have, here, machine, median, openAfterOneRequest, progress, progressDone, sendBatches, table, writeResult } from "./lib.mjs";

const quick = process.argv.includes("--quick");
const DURATION = quick ? 2 : 5;
const ROUNDS = quick ? 1 : 3;
const IDLE_CONNS = quick ? 2_000 : 10_000;
const MEMORY_ONLY = process.argv.includes("--memory");
const IDLE_WAIT = Number(process.argv.find((a) => a.startsWith("--idle-wait="))?.slice("--idle-wait=".length) ?? 0);
if (!(IDLE_WAIT >= 0)) throw new Error("--idle-wait=SECONDS takes a number of seconds");
const SERVERS = ["tasklet-wasm", "tasklet-ts", "node-http", "raw-net"];
const SCENARIOS = [
  { name: "100 connections", conns: 100, pipeline: 1 },
  { name: "1,000 connections", conns: 1000, pipeline: 1 },
  { name: "100 connections, 16 pipelined", conns: 100, pipeline: 16 },
];
const PIN = have("taskset");
const CLIENT = have("wrk") ? "wrk" : "autocannon";
const TICKS = 100; // clock ticks per second in /proc/<pid>/stat

function cpuSeconds(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(f[11]) + Number(f[12])) / TICKS; // utime + stime
  } catch {
    return NaN;
  }
}

function rssBytes(pid) {
  const m = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+) kB/);
  return Number(m[1]) * 1024;
}

/** Start a server process (pinned to core 0) and wait for its port. */
function startServer(kind) {
  const cmd = PIN ? "taskset" : process.execPath;
  const args = [...(PIN ? ["-c", "0", process.execPath] : []), "--expose-gc", join(here, "servers", "hello.mjs"), kind, "0"];
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    const server = { kind, child, port: 0, heapUsed: NaN };
    child.stdout.on("data", (d) => {
      out += d;
      // After each full GC the server prints "heap <bytes used>" (see servers/hello.mjs).
      for (let m; (m = out.match(/heap (\d+)\n/)) !== null; out = out.slice(m.index + m[0].length)) server.heapUsed = Number(m[1]);
      const m = out.match(/listening (\d+)/);
      if (m && server.port === 0) {
        server.port = Number(m[1]);
        resolve(server);
      }
    });
    child.on("exit", (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
}

function stopServer(s) {
  s.child.removeAllListeners("exit");
  s.child.kill("SIGKILL");
}

const work = mkdtempSync(join(tmpdir(), "tasklet-bench-"));
const pipelineLua = join(work, "pipeline.lua");
writeFileSync(
  pipelineLua,
  `init = function(args)
  local n = tonumber(args[1]) or 16
  local r = {}
  for i = 1, n do r[i] = wrk.format(nil, "/") end
  req = table.concat(r)
end
request = function() return req end
`,
);

/** One load run: requests/s, p99 latency (ms), client CPU share, server CPU share. */
async function load(server, sc) {
  const url = `http://127.0.0.1:${server.port}/`;
  const s0 = cpuSeconds(server.child.pid);
  const t0 = performance.now();
  let rps;
  let p99;
  let clientCpu;
  if (CLIENT === "wrk") {
    const wrkArgs = ["-t1", `-c${sc.conns}`, `-d${DURATION}s`, "--latency", ...(sc.pipeline > 1 ? ["-s", pipelineLua, url, "--", String(sc.pipeline)] : [url])];
    const script = `${PIN ? "taskset -c 1 " : ""}wrk ${wrkArgs.map((a) => `'${a}'`).join(" ")}; times`;
    const out = await new Promise((resolve, reject) =>
      execFile("bash", ["-c", script], { maxBuffer: 1 << 20 }, (e, stdout) => (e ? reject(e) : resolve(stdout))),
    );
    rps = Number(out.match(/Requests\/sec:\s+([\d.]+)/)[1]);
    const l = out.match(/99%\s+([\d.]+)(us|ms|s)/);
    p99 = l ? Number(l[1]) * (l[2] === "us" ? 0.001 : l[2] === "s" ? 1000 : 1) : NaN;
    // `times` prints shell then children user/sys times: "0m1.234s 0m0.567s"
    const t = [...out.matchAll(/(\d+)m([\d.]+)s/g)].slice(-2).map((m) => Number(m[1]) * 60 + Number(m[2]));
    clientCpu = (t[0] + t[1]) / DURATION;
  } else {
    const { default: autocannon } = await import("autocannon");
    const c0 = process.cpuUsage();
    const r = await autocannon({ url, connections: sc.conns, pipelining: sc.pipeline, duration: DURATION });
    const c = process.cpuUsage(c0);
    rps = r.requests.average;
    p99 = r.latency.p99;
    clientCpu = (c.user + c.system) / 1e6 / DURATION;
  }
  const wall = (performance.now() - t0) / 1000;
  const serverCpu = (cpuSeconds(server.child.pid) - s0) / wall;
  return { rps, p99, clientCpu, serverCpu, cpuPerReq: (serverCpu / rps) * 1e6 };
}

/**
 * RSS per connection for `n` idle keep-alive connections that have each
 * served one request. With `warm`, the server first serves 20,000 requests
 * (100 connections, 16-deep pipelining, then closed), so that the young
 * generation of V8's heap has grown to its working size before the first
 * reading: what remains is what the connections themselves hold.
 */
async function idleMemory(kind, warm = false, idleWait = 0) {
  const server = await startServer(kind);
  try {
    if (warm) await sendBatches(server.port, 100, 13, 16);
    const sockets = [];
    const open = () => openAfterOneRequest(server.port);
    for (let i = 0; i < 50; i++) sockets.push(await open()); // warm the server up
    const settled = async () => {
      server.child.kill("SIGUSR2"); // full GC in the server
      await new Promise((r) => setTimeout(r, 500));
      return { rss: rssBytes(server.child.pid), heap: server.heapUsed };
    };
    const before = await settled();
    for (let i = 50; i < IDLE_CONNS; i += 250) {
      progress(`idle memory: ${kind}, ${i}/${IDLE_CONNS} connections`);
      sockets.push(...(await Promise.all(Array.from({ length: Math.min(250, IDLE_CONNS - i) }, open))));
    }
    const after = await settled();
    const n = IDLE_CONNS - 50;
    let idle = NaN;
    if (idleWait > 0) {
      // No forced GC now: what V8 gives back on its own once the server is quiet.
      for (let t = 0; t < idleWait; t += 5) {
        progress(`idle memory: ${kind}, idle ${t}/${idleWait} s`);
        await new Promise((r) => setTimeout(r, 5000));
      }
      idle = (rssBytes(server.child.pid) - before.rss) / n;
    }
    for (const s of sockets) s.destroy();
    return { rss: (after.rss - before.rss) / n, heap: (after.heap - before.heap) / n, idle };
  } finally {
    stopServer(server);
  }
}

const MEM_COLUMNS = ["server", "KB of RSS per connection", "after a warm-up load", "of which JS heap in use"];
/** One row of the idle-memory table: RSS growth without and with a warm-up load, and the JS heap in use (warm run). */
function memRow(kind, cold, warm) {
  return [kind, fmt(cold.rss / 1024, 2), fmt(warm.rss / 1024, 2), `${fmt(warm.heap)} B`];
}

async function memoryOnly() {
  const rows = [];
  for (const kind of SERVERS) {
    const cold = await idleMemory(kind, false, IDLE_WAIT);
    const warm = await idleMemory(kind, true);
    rows.push(IDLE_WAIT > 0 ? [...memRow(kind, cold, warm), fmt(cold.idle / 1024, 2)] : memRow(kind, cold, warm));
  }
  progressDone();
  console.log(`\nIdle keep-alive connections, ${fmt(IDLE_CONNS)} connections, growth per connection after a full GC (${machine()}):\n`);
  console.log(table(IDLE_WAIT > 0 ? [...MEM_COLUMNS, `after ${IDLE_WAIT} s idle`] : MEM_COLUMNS, rows));
}

export async function main() {
  if (MEMORY_ONLY) return memoryOnly();
  const started = performance.now();
  const results = new Map(); // `${scenario}|${server}` -> samples
  const servers = [];
  for (const kind of SERVERS) servers.push(await startServer(kind));
  try {
    for (const sc of SCENARIOS) {
      for (let r = -1; r < ROUNDS; r++) {
        for (const s of servers) {
          progress(`http: ${sc.name}, ${r < 0 ? "warm-up" : `round ${r + 1}/${ROUNDS}`}, ${s.kind}`);
          const x = await load(s, sc);
          if (r < 0) continue;
          const key = `${sc.name}|${s.kind}`;
          if (!results.has(key)) results.set(key, []);
          results.get(key).push(x);
        }
      }
    }
  } finally {
    for (const s of servers) stopServer(s);
  }
  const mem = new Map();
  for (const kind of SERVERS) mem.set(kind, [await idleMemory(kind), await idleMemory(kind, true)]);
  progressDone();

  const med = (key, f) => median(results.get(key).map((x) => x[f]));
  const rows = [];
  const notes = [];
  for (const sc of SCENARIOS) {
    const nodeRps = med(`${sc.name}|node-http`, "rps");
    const rawRps = med(`${sc.name}|raw-net`, "rps");
    for (const kind of SERVERS) {
      const key = `${sc.name}|${kind}`;
      const rps = med(key, "rps");
      rows.push([
        sc.name,
        kind,
        fmt(rps),
        `${(rps / nodeRps).toFixed(2)}x`,
        `${(rps / rawRps).toFixed(2)}x`,
        sc.pipeline > 1 ? "–" : fmt(med(key, "p99"), 2),
        `${fmt(med(key, "serverCpu") * 100)}%`,
        fmt(med(key, "cpuPerReq"), 2),
        `${fmt(med(key, "clientCpu") * 100)}%`,
      ]);
      if (med(key, "clientCpu") > 0.9) notes.push(`${sc.name}, ${kind}: the client used ${fmt(med(key, "clientCpu") * 100)}% of its core, so this figure may be the client's limit, not the server's`);
    }
  }
  const memRows = SERVERS.map((k) => memRow(k, ...mem.get(k)));
  const secs = ((performance.now() - started) / 1000).toFixed(0);
  const md = [
    "# HTTP benchmark",
    "",
    `Machine: ${machine()}.`,
    `Command: \`npm run bench -- http${quick ? " --quick" : ""}\` (${secs} s). Client: ${CLIENT}${CLIENT === "wrk" ? " (1 thread)" : ""}; ${PIN ? "server pinned to core 0 and client to core 1 with taskset" : "no taskset: server and client float over both cores"}. ${DURATION} s per measurement, medians of ${ROUNDS} interleaved rounds after a warm-up round. Every server answers \`Hello, World!\` (13 bytes) with keep-alive; tasklet runs on its default scheduler backend.`,
    "",
    table(["scenario", "server", "requests/s", "vs node:http", "vs raw net", "p99 ms", "server CPU", "server CPU us per request", "client CPU"], rows),
    "",
    "p99 latency is the client's; with pipelining wrk times batches, not requests, so it is left out there. Server CPU per request (user + system time of the server process over the run, divided by the requests answered) is the figure least moved by other load on the machine.",
    "",
    `Idle keep-alive connections: RSS growth of the server process per connection after a full GC, ${fmt(IDLE_CONNS)} connections that each served one request.`,
    "",
    table(MEM_COLUMNS, memRows),
    "",
    "The first reading is taken after 50 connections; growing to 10,000 also grows V8's young generation (about 3 KB per connection here, for every server), which is a cost of the allocation rate, not of the connections: how much of it RSS shows depends on how much the server allocated while the connections arrived. The warm-up run first sends 20,000 requests through the server (100 connections, 16-deep pipelining, then closed) so that the young generation is at its working size before the first reading. The JS heap column is V8's heap in use after the full GC (warm-up run): the objects that the connections keep, the socket's included.",
    "",
    ...notes.map((n) => `- ${n}`),
    "",
  ].join("\n");
  console.log("\n" + md);
  writeResult("http.md", md);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
