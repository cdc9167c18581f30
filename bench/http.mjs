// HTTP benchmark: the same hello-world served by tasklet (Wasm and TS
// parsers), node:http and a minimal raw node:net server, each in its own
// process, measured in turn (ABAB) in one run at 100 connections, 1,000
// connections and 16-deep pipelining; then the memory of 10,000 idle
// keep-alive connections per server.
//
//   npm run bench -- http            3 s per measurement, 5 rounds
//   npm run bench -- http --quick    2 s per measurement, 1 round, 2,000 idle connections
//   npm run bench -- http --servers=tasklet-wasm,raw-net --scenarios=1000,pipelined
//                                    a subset (printed, not written); scenarios 100, 1000, pipelined, json
//   npm run bench -- http --servers=hono-tasklet,hono-node
//                                    Hono on tasklet vs on @hono/node-server: hello and JSON at 100 connections
//   npm run bench -- http --servers=tasklet-https,node-https,tasklet-wasm,node-http
//                                    HTTPS hello at 100 connections, tasklet vs node:https (wrk speaks
//                                    https), beside the same servers over plain HTTP; a self-signed
//                                    certificate is made with openssl at the start
//   npm run bench -- http --memory   only the idle-connection memory (printed, not written)
//   npm run bench -- http --memory --idle-wait=60
//                                    also the RSS after the servers sat idle that long (V8's
//                                    memory reducer gives back young-generation pages then)
//
// A measurement is a window read from the server's own counters, opened once
// every connection of the load is open (see `load`).
//
// The machine has 2 cores: a server and its load generator share them. With
// `taskset` the server is pinned to core 0 and the client to core 1, and the
// report gives each one's CPU share, so a client-bound figure is never taken
// for the server's.
import { execFileSync, spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listArg, numberArg, parseCli } from "../scripts/_args.mjs";
import { fmt, have, here, machine, median, openAfterOneRequest, progress, progressDone, sendBatches, table, writeResult } from "./lib.mjs";

const ALL_SERVERS = ["tasklet-wasm", "tasklet-ts", "node-http", "raw-net"];
// Hono on tasklet's fetch-style path and on @hono/node-server: only when named in --servers.
const HONO_SERVERS = ["hono-tasklet", "hono-node"];
// HTTPS: tasklet's green handler (Wasm parser) and node:https, only when named in --servers.
const HTTPS_SERVERS = ["tasklet-https", "node-https"];
const isHttps = (kind) => HTTPS_SERVERS.includes(kind);
const ALL_SCENARIOS = [
  { key: "100", name: "100 connections", conns: 100, pipeline: 1 },
  { key: "1000", name: "1,000 connections", conns: 1000, pipeline: 1 },
  { key: "pipelined", name: "100 connections, 16 pipelined", conns: 100, pipeline: 16 },
  // GET /json: the Hono servers answer a small JSON object (the others answer every path with hello).
  { key: "json", name: "100 connections, JSON", conns: 100, pipeline: 1, path: "/json" },
];
const { values: flags } = parseCli({
  name: "bench http",
  usage: "npm run bench -- http [--quick] [--servers=a,b] [--scenarios=a,b] [--memory [--idle-wait=SECONDS]]",
  options: {
    quick: { type: "boolean", help: "smaller sizes, fewer rounds (a sanity run)" },
    servers: { type: "string", value: "LIST", help: `a subset, printed not written: ${[...ALL_SERVERS, ...HONO_SERVERS, ...HTTPS_SERVERS].join(",")}` },
    scenarios: { type: "string", value: "LIST", help: `a subset, printed not written: ${ALL_SCENARIOS.map((sc) => sc.key).join(",")}` },
    seconds: { type: "string", value: "N", help: "seconds per measurement window (default 3, 2 with --quick)" },
    rounds: { type: "string", value: "N", help: "rounds after the warm-up (default 5, 1 with --quick)" },
    memory: { type: "boolean", help: "only the idle-connection memory (printed, not written)" },
    "idle-wait": { type: "string", value: "SECONDS", help: "with --memory: also the RSS after the servers sat idle that long" },
  },
});
const quick = flags.quick === true;
const DURATION = numberArg("bench http", "--seconds", flags.seconds) ?? (quick ? 2 : 3);
const ROUNDS = numberArg("bench http", "--rounds", flags.rounds) ?? (quick ? 1 : 5);
const IDLE_CONNS = quick ? 2_000 : 10_000;
const MEMORY_ONLY = flags.memory === true;
const IDLE_WAIT = numberArg("bench http", "--idle-wait", flags["idle-wait"]) ?? 0;
const option = (name) => flags[name];
// --servers=tasklet-wasm,raw-net and --scenarios=1000,pipelined pick a subset
// (the ratio columns need node-http and raw-net).
const HONO = (flags.servers ?? "").split(",").some((k) => HONO_SERVERS.includes(k));
const SERVERS = listArg("bench http", "--servers", flags.servers, [...ALL_SERVERS, ...HONO_SERVERS, ...HTTPS_SERVERS]) ?? ALL_SERVERS;
const HTTPS = SERVERS.some(isHttps);
// By default the JSON scenario runs only when a Hono server is measured; 1,000 connections and pipelining only without one
// (and without an HTTPS server, whose row is the one at 100 connections).
const DEFAULT_SCENARIOS = HONO ? ["100", "json"] : HTTPS ? ["100"] : ALL_SCENARIOS.filter((sc) => sc.key !== "json").map((sc) => sc.key);
const SCENARIOS = (listArg("bench http", "--scenarios", flags.scenarios, ALL_SCENARIOS.map((sc) => sc.key)) ?? DEFAULT_SCENARIOS).map((k) =>
  ALL_SCENARIOS.find((sc) => sc.key === k),
);
const PIN = have("taskset");
const CLIENT = have("wrk") ? "wrk" : "autocannon";
const TICKS = 100; // clock ticks per second in /proc/<pid>/stat
const RAMP_LIMIT = 60; // s to wait for the load's connections to open (node:http needs about 30 s for 1,000)

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
  const env = isHttps(kind) ? { ...process.env, ...tlsFiles() } : process.env;
  const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "inherit"], env });
  return new Promise((resolve, reject) => {
    let out = "";
    const server = { kind, child, port: 0, heapUsed: NaN, statsWaiting: [], exited: null };
    child.stdin.on("error", () => {}); // EPIPE once it has exited: reported through `exited`
    child.stdout.on("data", (d) => {
      out += d;
      // After each full GC the server prints "heap <bytes used>" (see servers/hello.mjs).
      for (let m; (m = out.match(/heap (\d+)\n/)) !== null; out = out.slice(m.index + m[0].length)) server.heapUsed = Number(m[1]);
      for (let m; (m = out.match(/stats (\d+) (\d+) ([\d.]+) (\d+)\n/)) !== null; out = out.slice(m.index + m[0].length)) {
        server.statsWaiting.shift()?.resolve({ requests: Number(m[1]), connections: Number(m[2]), ms: Number(m[3]), cpuUs: Number(m[4]) });
      }
      const m = out.match(/listening (\d+)/);
      if (m && server.port === 0) {
        server.port = Number(m[1]);
        resolve(server);
      }
    });
    child.on("exit", (code, signal) => {
      const e = new Error(`${kind} server exited (${signal ?? `code ${code}`})`);
      server.exited = e;
      for (const w of server.statsWaiting.splice(0)) w.reject(e); // a load run waiting on it fails instead of hanging
      reject(e);
    });
  });
}

function stopServer(s) {
  s.child.removeAllListeners("exit");
  s.child.kill("SIGKILL");
}

const work = mkdtempSync(join(tmpdir(), "tasklet-bench-"));

/** The key and self-signed certificate of the HTTPS servers (P-256, as a site would have), made once per run with openssl. */
let tlsEnv = null;
function tlsFiles() {
  if (tlsEnv === null) {
    const key = join(work, "key.pem");
    const cert = join(work, "cert.pem");
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key, "-out", cert], { stdio: "ignore" });
    tlsEnv = { BENCH_TLS_KEY: key, BENCH_TLS_CERT: cert };
  }
  return tlsEnv;
}
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

/** The server's counters: requests answered, connections open, its clock (ms) and CPU time (us). */
function stats(server) {
  return new Promise((resolve, reject) => {
    if (server.exited !== null) return reject(server.exited);
    server.statsWaiting.push({ resolve, reject });
    server.child.stdin.write("stats\n");
  });
}

/** CPU seconds of a process, or of this one (autocannon runs in it). */
function clientCpuSeconds(pid) {
  if (pid !== undefined) return cpuSeconds(pid);
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e6;
}

/**
 * One load run: requests/s, p99 latency (ms), client and server CPU shares,
 * server CPU per request, and how long the connections took to open.
 *
 * The figures come from the server's own counters over a window of DURATION
 * seconds that starts once every connection of the load is open. The load
 * generator opens its connections all at once, and Node 20's libuv accepts
 * one connection per turn of the event loop; once the first connections are
 * busy, a turn takes milliseconds, so 1,000 connections can take seconds to
 * be accepted. A fixed-length run would count a different share of that ramp
 * every time. p99 is the client's, over its whole run, ramp included.
 */
async function load(server, sc) {
  const url = `${isHttps(server.kind) ? "https" : "http"}://127.0.0.1:${server.port}${sc.path ?? "/"}`;
  for (let t = 0; (await stats(server)).connections > 0 && t < 50; t++) await sleep(100); // the last run's connections are gone
  let client;
  let done;
  if (CLIENT === "wrk") {
    const wrkArgs = ["-t1", `-c${sc.conns}`, `-d${RAMP_LIMIT + DURATION + 10}s`, "--latency", ...(sc.pipeline > 1 ? ["-s", pipelineLua, url, "--", String(sc.pipeline)] : [url])];
    client = PIN ? spawn("taskset", ["-c", "1", "wrk", ...wrkArgs]) : spawn("wrk", wrkArgs);
    let out = "";
    client.stdout.on("data", (d) => (out += d));
    done = new Promise((resolve) => client.on("exit", () => resolve(out)));
  } else {
    const { default: autocannon } = await import("autocannon");
    done = new Promise((resolve) => {
      client = autocannon({ url, connections: sc.conns, pipelining: sc.pipeline, duration: RAMP_LIMIT + DURATION + 10 }, (_e, r) => resolve(r));
    });
  }
  let rampMs, open, a, b, clientCpuSecs;
  try {
    const t0 = performance.now();
    let s = await stats(server);
    while (s.connections < sc.conns && performance.now() - t0 < RAMP_LIMIT * 1000) {
      await sleep(50);
      s = await stats(server);
    }
    rampMs = performance.now() - t0;
    open = s.connections;
    await sleep(500);
    a = await stats(server);
    const c0 = clientCpuSeconds(client.pid);
    await sleep(DURATION * 1000);
    b = await stats(server);
    clientCpuSecs = clientCpuSeconds(client.pid) - c0;
  } finally {
    // Also when the server failed: the client stops now, not at the end of its run.
    if (CLIENT === "wrk") client.kill("SIGINT"); // wrk stops and prints its summary
    else client.stop();
  }
  const out = await done;
  let p99;
  if (CLIENT === "wrk") {
    const l = out.match(/99%\s+([\d.]+)(us|ms|s)/);
    p99 = l ? Number(l[1]) * (l[2] === "us" ? 0.001 : l[2] === "s" ? 1000 : 1) : NaN;
  } else p99 = out.latency.p99;
  const secs = (b.ms - a.ms) / 1000;
  const answered = b.requests - a.requests;
  const rps = answered / secs;
  const serverCpu = (b.cpuUs - a.cpuUs) / 1e6 / secs;
  return { rps, p99, clientCpu: clientCpuSecs / secs, serverCpu, cpuPerReq: (serverCpu / rps) * 1e6, rampMs, open };
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
      await sleep(500);
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
        await sleep(5000);
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
        // Every other round in the reverse order, so that a steady drift of the machine favours no server.
        for (const s of r % 2 === 0 ? servers : [...servers].reverse()) {
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
  const subset = option("servers") !== undefined || option("scenarios") !== undefined;
  const mem = new Map();
  if (!subset) for (const kind of SERVERS) mem.set(kind, [await idleMemory(kind), await idleMemory(kind, true)]);
  progressDone();

  const med = (key, f) => median(results.get(key).map((x) => x[f]));
  // The median of the ratios within each round (the two servers measured one
  // after the other, so that slow drifts of the machine cancel), and their range.
  const ratio = (sc, kind, base) => {
    const a = results.get(`${sc.name}|${kind}`);
    const b = results.get(`${sc.name}|${base}`);
    if (b === undefined) return "–";
    if (kind === base) return "1.00x";
    const each = a.map((x, i) => x.rps / b[i].rps).sort((x, y) => x - y);
    const mid = `${median(each).toFixed(2)}x`;
    return each.length < 2 ? mid : `${mid} (${each[0].toFixed(2)}-${each[each.length - 1].toFixed(2)})`;
  };
  const rows = [];
  const notes = [];
  for (const sc of SCENARIOS) {
    for (const kind of SERVERS) {
      const key = `${sc.name}|${kind}`;
      rows.push([
        sc.name,
        kind,
        fmt(med(key, "rps")),
        ratio(sc, kind, "node-http"),
        ratio(sc, kind, "raw-net"),
        ...(HONO ? [ratio(sc, kind, "hono-node")] : []),
        ...(HTTPS ? [ratio(sc, kind, "node-https")] : []),
        sc.pipeline > 1 ? "–" : fmt(med(key, "p99"), 2),
        `${fmt(med(key, "serverCpu") * 100)}%`,
        fmt(med(key, "cpuPerReq"), 2),
        `${fmt(med(key, "clientCpu") * 100)}%`,
        fmt(med(key, "rampMs") / 1000, 1),
      ]);
      if (med(key, "clientCpu") > 0.9) notes.push(`${sc.name}, ${kind}: the client used ${fmt(med(key, "clientCpu") * 100)}% of its core, so this figure may be the client's limit, not the server's`);
      const short = results.get(key).filter((x) => x.open < sc.conns);
      if (short.length > 0) notes.push(`${sc.name}, ${kind}: in ${short.length} run(s) only ${short.map((x) => x.open).join(", ")} of ${sc.conns} connections were open after ${RAMP_LIMIT} s; measured anyway`);
    }
  }
  const HEADER = ["scenario", "server", "requests/s", "vs node:http", "vs raw net", ...(HONO ? ["vs hono-node"] : []), ...(HTTPS ? ["vs node:https"] : []), "p99 ms", "server CPU", "server CPU us per request", "client CPU", "s until all connections were open"];
  if (subset) {
    console.log(`\n${machine()}; ${CLIENT}; ${DURATION} s windows, ${ROUNDS} round(s)\n`);
    console.log(table(HEADER, rows));
    if (notes.length > 0) console.log(notes.map((n) => `- ${n}`).join("\n"));
    return;
  }
  const memRows = SERVERS.map((k) => memRow(k, ...mem.get(k)));
  const secs = ((performance.now() - started) / 1000).toFixed(0);
  const md = [
    "# HTTP benchmark",
    "",
    `Machine: ${machine()}.`,
    `Command: \`npm run bench -- http${quick ? " --quick" : ""}\` (${secs} s). Client: ${CLIENT}${CLIENT === "wrk" ? " (1 thread)" : ""}; ${PIN ? "server pinned to core 0 and client to core 1 with taskset" : "no taskset: server and client float over both cores"}. Each measurement is a window of ${DURATION} s that starts once all the load's connections are open, read from the server's own counters; medians of ${ROUNDS} rounds after a warm-up round, the servers in turn, in the reverse order every other round. Every server answers \`Hello, World!\` (13 bytes) with keep-alive; tasklet runs on its default scheduler backend.`,
    "",
    table(HEADER, rows),
    "",
    "The ratio columns give the median of the ratios within each round (the two servers measured one after the other, so that slow drifts of the machine cancel), then in brackets the lowest and highest of them. On this machine one server measured several times in a row moves by up to 20% between windows.",
    "",
    "Requests/s, server CPU and server CPU per request (user + system time of the server process, divided by the requests it answered) are counted by the server over the window. The load generator opens all its connections at once, and Node 20's libuv accepts one connection per turn of the event loop: once the first connections are busy, a turn takes milliseconds, so 1,000 connections take up to seconds to be accepted (the last column; every server here is a Node server and waits the same way). The window leaves that ramp out; a run of fixed length would count a different share of it each time.",
    "",
    "p99 latency is the client's over its whole run, ramp included: at 1,000 connections it is mostly the wait of the last connections to be accepted. With pipelining wrk times batches, not requests, so it is left out there. Server CPU per request is the figure least moved by other load on the machine.",
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
