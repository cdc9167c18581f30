// WebSocket benchmark: echo of small and larger messages over 100 and 1,000
// connections, then the memory each idle WebSocket holds at 10,000, for
//
//   tasklet-wasm   tasklet's upgrade() on the Wasm scheduler core, HTTP parser and frame codec
//   tasklet-ts     ... on the TypeScript core, parser and codec
//   ws             the ws package, without its native add-ons
//   ws+addons      ws with bufferutil (and utf-8-validate, which ws 8 skips when
//                  Node has buffer.isUtf8: the server's notes say what loaded)
//   raw-net        only when named in --servers: a control, node:net with the
//                  least framing an echo needs, the floor under any WebSocket
//                  server on node:net (no checks, no control frames)
//
// each server a child process (bench/servers/ws-echo.mjs). The load is a C
// client (bench/ws-client.c, compiled with gcc or cc on first use): one
// epoll process that does the upgrade handshakes, then on every connection
// sends one masked frame and waits for its echo before the next. A Node
// client would cost as much as the servers it measures. With `taskset` the
// servers run on core 0 and the client on core 1, and each run reports both
// sides' CPU shares, so a client-bound figure is never read as the server's.
//
//   npm run bench -- websocket            3 rounds x 2 s per server and scenario, 10,000 idle
//   npm run bench -- websocket --quick    a check that it works: 1 round, 1 s, 32 B, 100 conns, 1,000 idle
//   npm run bench -- websocket --servers=tasklet-wasm,ws --sizes=32 --connections=100 --idle=0
//                                         a subset (printed, not written)
//
// Rounds are interleaved (every server once per round, in the reverse order
// every other round, after a warm-up round); the tables give medians.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { intArg, listArg, numberArg, parseCli } from "../scripts/_args.mjs";
import { fmt, have, here, interleave, machine, median, progress, progressDone, table, writeResult } from "./lib.mjs";

const NAME = "bench websocket";
const ALL_SERVERS = ["tasklet-wasm", "tasklet-ts", "ws", "ws+addons"];
const CONTROL_SERVERS = ["raw-net"]; // only when named
const SERVER_CORE = "0";
const CLIENT_CORE = "1";
const SERVER_START_LIMIT = 30_000; // ms for a server to say it listens
const MAX_MESSAGE = 1 << 20; // the servers' limit (bench/servers/ws-echo.mjs)
const DRAIN_LIMIT = 10_000; // ms for a server's WebSockets of the last run to close

function parseArgs(args) {
  const { values: f } = parseCli({
    name: NAME,
    usage: "npm run bench -- websocket [--quick] [--servers=LIST] [--sizes=LIST] [--connections=LIST] [--seconds N] [--rounds N] [--warm S] [--idle N] [--text] [--no-pin]",
    options: {
      quick: { type: "boolean", help: "a check that it works: 1 round of 1 s, 32 B, 100 connections, 1,000 idle (printed, not written)" },
      servers: { type: "string", value: "LIST", help: `a subset, printed not written: ${[...ALL_SERVERS, ...CONTROL_SERVERS].join(",")}` },
      sizes: { type: "string", value: "LIST", help: "message sizes in bytes, up to 1 MiB (default 32,4096)" },
      connections: { type: "string", value: "LIST", help: "connection counts of the echo (default 100,1000)" },
      seconds: { type: "string", value: "N", help: "seconds per measurement window (default 2)" },
      rounds: { type: "string", value: "N", help: "rounds after the warm-up round (default 3)" },
      warm: { type: "string", value: "SECONDS", help: "echo before each window opens (default 0.5)" },
      idle: { type: "string", value: "N", help: "idle WebSockets for the memory figure, 0 for none (default 10000)" },
      text: { type: "boolean", help: "echo text messages (the servers check their UTF-8) instead of binary" },
      "no-pin": { type: "boolean", help: "do not pin the servers and the client to separate cores" },
    },
    args,
  });
  const quick = f.quick === true;
  const list = (what, raw, max) => raw?.split(",").map((x) => intArg(NAME, what, x, { min: 1, max }));
  return {
    quick,
    subset: f.servers !== undefined,
    servers: listArg(NAME, "--servers", f.servers, [...ALL_SERVERS, ...CONTROL_SERVERS]) ?? ALL_SERVERS,
    sizes: list("--sizes", f.sizes, MAX_MESSAGE) ?? (quick ? [32] : [32, 4096]),
    connections: list("--connections", f.connections, 60_000) ?? (quick ? [100] : [100, 1000]),
    seconds: numberArg(NAME, "--seconds", f.seconds, { min: 0.1 }) ?? (quick ? 1 : 2),
    rounds: intArg(NAME, "--rounds", f.rounds, { min: 1 }) ?? (quick ? 1 : 3),
    warm: numberArg(NAME, "--warm", f.warm) ?? 0.5,
    idle: intArg(NAME, "--idle", f.idle) ?? (quick ? 1000 : 10_000),
    text: f.text === true,
    pin: f["no-pin"] !== true && have("taskset") && os.availableParallelism() >= 2,
  };
}

// ------------------------------------------------------------------ the C client

/** Compiles bench/ws-client.c into a temporary directory (again when the source is newer); returns the executable. */
function buildClient() {
  const src = join(here, "ws-client.c");
  const dir = join(os.tmpdir(), `tasklet-bench-ws-${process.getuid?.() ?? 0}`);
  mkdirSync(dir, { recursive: true });
  const exe = join(dir, "ws-client");
  if (existsSync(exe) && statSync(exe).mtimeMs > statSync(src).mtimeMs) return exe;
  for (const cc of ["gcc", "cc", "clang"]) {
    try {
      execFileSync(cc, ["-O2", "-o", exe, src], { stdio: ["ignore", "ignore", "pipe"] });
      return exe;
    } catch {
      // the next compiler
    }
  }
  throw new Error("bench websocket needs a C compiler (gcc, cc or clang) for its load generator, bench/ws-client.c; a client in Node would be the bottleneck");
}

/**
 * A command pinned to `core` (with taskset) whose soft limit of open files is
 * raised to the hard limit first: 10,000 connections need 10,000 descriptors.
 */
function spawnPinned(core, argv, pin) {
  const inner = pin ? ["taskset", "-c", core, ...argv] : argv;
  return spawn("sh", ["-c", 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', "sh", ...inner], { stdio: ["pipe", "pipe", "pipe"] });
}

/** Lines of a child's stdout, handed to `onLine` one at a time; its stderr is kept for error messages. */
function readLines(child, onLine) {
  let out = "";
  child.stderrText = "";
  child.stdout.on("data", (d) => {
    out += d;
    for (let i; (i = out.indexOf("\n")) >= 0; out = out.slice(i + 1)) onLine(out.slice(0, i));
  });
  child.stderr.on("data", (d) => (child.stderrText += d));
  child.stdin.on("error", () => {}); // EPIPE once it has exited: reported by its exit
}

/** Waits for the child's exit, or kills it after `ms`; returns [code, signal]. */
async function exited(child, ms) {
  if (child.exitCode !== null || child.signalCode !== null) return [child.exitCode, child.signalCode];
  const timer = setTimeout(() => child.kill("SIGKILL"), ms);
  const [code, signal] = await new Promise((resolve) => child.once("exit", (c, s) => resolve([c, s])));
  clearTimeout(timer);
  return [code, signal];
}

// ------------------------------------------------------------------ servers

/** Starts a server process and waits for its port; it answers "stats" and "mem" on stdin. */
async function startServer(kind, pin) {
  const child = spawnPinned(SERVER_CORE, [process.execPath, "--expose-gc", join(here, "servers", "ws-echo.mjs"), kind], pin);
  const server = { kind, child, port: 0, notes: "", waiting: [], exited: null };
  let ready;
  const listening = new Promise((resolve, reject) => (ready = { resolve, reject }));
  readLines(child, (line) => {
    const [word, ...rest] = line.split(" ");
    if (word === "listening") {
      server.port = Number(rest[0]);
      server.notes = rest.slice(1).join(" ");
      ready.resolve();
    } else if (word === "stats" || word === "mem") server.waiting.shift()?.resolve(rest.map(Number));
  });
  child.on("exit", (code, signal) => {
    const e = new Error(`the ${kind} server exited (${signal ?? `code ${code}`})${child.stderrText ? `: ${child.stderrText.trim()}` : ""}`);
    server.exited = e;
    for (const w of server.waiting.splice(0)) w.reject(e);
    ready.reject(e);
  });
  const timer = setTimeout(() => ready.reject(new Error(`the ${kind} server did not start within ${SERVER_START_LIMIT / 1000} s`)), SERVER_START_LIMIT);
  try {
    await listening;
  } catch (e) {
    stopServer(server);
    throw e;
  } finally {
    clearTimeout(timer);
  }
  return server;
}

function stopServer(server) {
  server.child.removeAllListeners("exit");
  server.child.kill("SIGKILL");
}

/** Sends a command line to the server and waits for its answer (numbers). */
function ask(server, cmd) {
  return new Promise((resolve, reject) => {
    if (server.exited !== null) return reject(server.exited);
    server.waiting.push({ resolve, reject });
    server.child.stdin.write(`${cmd}\n`);
  });
}

async function stats(server) {
  const [open, ms, cpuUs] = await ask(server, "stats");
  return { open, ms, cpuUs };
}

/** Waits until the server has closed the WebSockets of the last run (bounded). */
async function drained(server, want = 0) {
  const t0 = performance.now();
  let s = await stats(server);
  while (s.open !== want && performance.now() - t0 < DRAIN_LIMIT) {
    await sleep(50);
    s = await stats(server);
  }
  return s.open;
}

// ------------------------------------------------------------------ runs

/**
 * One echo run: the C client opens `conns` WebSockets and ping-pongs
 * `size`-byte messages; the server's CPU is read at the start and the end of
 * the client's window. Returns messages/s, latency (us) and CPU shares.
 */
async function echoRun(client, server, o, conns, size) {
  const left = await drained(server);
  if (left !== 0) throw new Error(`the ${server.kind} server still holds ${left} WebSockets of the last run`);
  const child = spawnPinned(CLIENT_CORE, [client, "echo", String(server.port), String(conns), String(size), String(o.warm), String(o.seconds), o.text ? "text" : "binary"], o.pin);
  let a = null;
  let b = null;
  let end = null;
  let openMs = NaN;
  const pending = [];
  const later = (p) => {
    p.catch(() => {}); // awaited below, after the client's exit
    pending.push(p);
  };
  readLines(child, (line) => {
    const [word, ...rest] = line.split(" ");
    if (word === "R") openMs = Number(rest[0]);
    else if (word === "M") later(stats(server).then((s) => (a = s)));
    else if (word === "E") {
      end = rest.map(Number);
      // Read the server's counters, then let the client close its connections.
      later(stats(server).then((s) => (b = s)).finally(() => child.stdin.end()));
    }
  });
  // Bounded: the handshakes (the client gives up after 120 s), the warm-up, the window, its linger.
  const [code, signal] = await exited(child, 180_000 + (o.warm + o.seconds) * 1000);
  await Promise.all(pending);
  if (code !== 0 || end === null || a === null || b === null) {
    throw new Error(`the client against ${server.kind} failed (${signal ?? `exit code ${code}`}): ${child.stderrText.trim() || "no output"}`);
  }
  const [count, windowMs, p50, p99, clientCpu] = end;
  const rate = (count * 1000) / windowMs;
  const serverCpu = (b.cpuUs - a.cpuUs) / 1000 / (b.ms - a.ms);
  // Both shares are of one core; the server's CPU per message is its share over the client's rate.
  return { rate, p50, p99, clientCpu, serverCpu, cpuPerMsg: (serverCpu * 1e6) / Math.max(1, rate), openMs };
}

/**
 * Memory per idle WebSocket, in a fresh server process: after a warm-up
 * echo (so the JIT and V8's young generation are at a working size and the
 * first reading is not of a cold process), the difference of two readings
 * after full GCs, before and after `n` more WebSockets opened, divided by n.
 */
async function idleMemory(client, kind, o) {
  const server = await startServer(kind, o.pin);
  let holder = null;
  try {
    progress(`websocket: idle memory, ${kind}, warm-up`);
    await echoRun(client, server, { ...o, warm: 0.2, seconds: 1 }, 100, 32);
    await drained(server);
    const [rss0, heap0, ext0, , young0] = await ask(server, "mem");
    progress(`websocket: idle memory, ${kind}, opening ${fmt(o.idle)} WebSockets`);
    holder = spawnPinned(CLIENT_CORE, [client, "idle", String(server.port), String(o.idle), "600"], o.pin);
    let ready;
    const opened = new Promise((resolve) => (ready = resolve));
    let closedByServer = NaN;
    readLines(holder, (line) => {
      if (line.startsWith("R ")) ready(Number(line.slice(2)));
      else if (line.startsWith("D ")) closedByServer = Number(line.slice(2));
    });
    holder.once("exit", () => ready(null));
    const openMs = await opened;
    if (openMs === null) throw new Error(`the idle client against ${kind} failed: ${holder.stderrText.trim() || "no output"}`);
    const open = await drained(server, o.idle);
    await sleep(500);
    const [rss1, heap1, ext1, , young1] = await ask(server, "mem");
    holder.stdin.end();
    await exited(holder, 10_000);
    return { rss: (rss1 - rss0) / o.idle, young: (young1 - young0) / o.idle, heap: (heap1 - heap0) / o.idle, external: (ext1 - ext0) / o.idle, open, openMs, closedByServer, notes: server.notes };
  } finally {
    if (holder !== null && holder.exitCode === null) holder.kill("SIGKILL");
    stopServer(server);
  }
}

// ------------------------------------------------------------------ report

const pct = (x) => `${Math.round(x * 100)}%`;

function report(o, args, results, idle, notes, started, startMachine, elapsedS) {
  const kindOf = o.text ? "text" : "binary";
  const lines = [];
  const goals = [];
  for (const size of o.sizes) {
    for (const conns of o.connections) {
      const rows = [];
      const med = (kind, field) => median(results.get(`${size}|${conns}`).get(kind).map((x) => x[field]));
      for (const kind of o.servers) {
        const all = results.get(`${size}|${conns}`).get(kind);
        rows.push([
          kind,
          `${fmt(med(kind, "rate"))} (${all.map((x) => fmt(x.rate)).join(" / ")})`,
          `${fmt(med(kind, "p50"))} us`,
          `${fmt(med(kind, "p99"))} us`,
          pct(med(kind, "serverCpu")),
          `${fmt(med(kind, "cpuPerMsg"), 2)} us`,
          pct(med(kind, "clientCpu")),
        ]);
      }
      lines.push(`\n### ${fmt(size)} B ${kindOf} messages, ${fmt(conns)} connections\n`);
      lines.push(table(["server", "messages/s: median (each round)", "p50 round trip", "p99 round trip", "server CPU share", "server CPU per message", "client CPU share"], rows));
      const wsBest = Math.max(...["ws", "ws+addons"].filter((k) => o.servers.includes(k)).map((k) => med(k, "rate")));
      for (const t of ["tasklet-wasm", "tasklet-ts"].filter((k) => o.servers.includes(k))) {
        if (!Number.isFinite(wsBest)) continue;
        const ratio = med(t, "rate") / wsBest;
        const cpuShare = med(t, "cpuPerMsg") / Math.min(...["ws", "ws+addons"].filter((k) => o.servers.includes(k)).map((k) => med(k, "cpuPerMsg")));
        const line = `${t}: ${ratio.toFixed(2)}x the messages/s of the faster ws server, with ${pct(cpuShare)} of the server CPU per message of the leaner one`;
        lines.push(`\n${line}${size <= 64 ? ` (goal: 2x messages/s on small messages: ${ratio >= 2 ? "met" : "not met"})` : ""}`);
        if (size <= 64) goals.push({ what: `${t}, ${size} B over ${fmt(conns)} connections`, ratio, met: ratio >= 2 });
      }
    }
  }
  if (idle.size > 0) {
    lines.push(`\n### ${fmt(o.idle)} idle WebSockets: growth of the server process per connection, after full GCs\n`);
    const rows = [...idle].map(([kind, m]) => [kind, `${fmt(m.rss / 1024, 2)} KB`, `${fmt(m.young / 1024, 2)} KB`, `${fmt(m.heap / 1024, 2)} KB`, `${fmt(m.external / 1024, 2)} KB`, `${fmt(m.openMs / 1000, 1)} s`, m.open === o.idle && m.closedByServer === 0 ? "all" : `${fmt(m.open)}, ${m.closedByServer} closed by the server`]);
    lines.push(table(["server", "RSS per connection", "of which young-generation growth", "JS heap in use per connection", "external memory per connection", "time to open all", "open at the reading"], rows));
    const wsLow = Math.min(...["ws", "ws+addons"].filter((k) => idle.has(k)).map((k) => idle.get(k).rss));
    for (const t of ["tasklet-wasm", "tasklet-ts"].filter((k) => idle.has(k))) {
      if (!Number.isFinite(wsLow)) continue;
      const share = idle.get(t).rss / wsLow;
      lines.push(`\n${t}: ${pct(share)} of the RSS per connection of the leaner ws server (goal: at most 50%: ${share <= 0.5 ? "met" : "not met"})`);
      goals.push({ what: `${t}, RSS per idle connection`, ratio: share, met: share <= 0.5, memory: true });
    }
  }
  if (goals.length > 0) {
    lines.push("\n### Goals\n");
    for (const g of goals) {
      const figure = g.memory ? `${pct(g.ratio)} of ws's RSS per connection (at most 50%)` : `${g.ratio.toFixed(2)}x ws's messages/s (at least 2x)`;
      lines.push(`- ${g.what}: ${figure}: **${g.met ? "met" : "not met"}**`);
    }
  }
  const text = lines.join("\n");
  const endLoad = os.loadavg().map((x) => x.toFixed(2)).join(" ");
  const md = [
    "# WebSocket: echo and idle memory, tasklet vs ws",
    "",
    `Machine: ${startMachine}, ${endLoad} at the end; measured ${started.toISOString().slice(0, 16).replace("T", " ")} UTC in ${Math.round(elapsedS)} s. The machine is shared with other engineers' builds and tests: expect noise; every round's figure is listed.`,
    "",
    `Command: \`${["npm run bench -- websocket", ...args].join(" ")}\`. ${o.pin ? `Servers pinned to core ${SERVER_CORE} and the client to core ${CLIENT_CORE} (taskset)` : "No pinning: servers and client share the cores"}. The client is bench/ws-client.c (epoll, one process): it opens the connections ${"\u2013"} at most 128 handshakes at once, each 101 and its Sec-WebSocket-Accept checked ${"\u2013"} then each connection sends one masked ${kindOf} frame and waits for its whole echo (compared byte for byte) before the next. ${fmt(o.rounds)} interleaved rounds of a ${o.seconds} s window after ${o.warm} s of echo, after a warm-up round; medians, each round in parentheses.`,
    "",
    `Servers: ${notes.join("; ")}.`,
    "",
    "How to read it: the server CPU share near 100% means the server was the limit; the client CPU share near 100% would mean the client was. On 2 shared cores the messages/s depend on what other tenants leave; **server CPU per message** (its user+system time in the window over the messages echoed) is steadier and is the figure to compare.",
    text,
    "",
  ].join("\n");
  return { md, text };
}

// ------------------------------------------------------------------ main

export async function main(args = process.argv.slice(2)) {
  const o = parseArgs(args);
  const started = new Date();
  const startMachine = machine();
  const t0 = performance.now();
  const client = buildClient();
  console.log(`bench websocket: ${o.servers.join(", ")}; ${o.sizes.map((s) => `${s} B`).join(", ")} ${o.text ? "text" : "binary"} over ${o.connections.join(", ")} connections; ${o.rounds} rounds x ${o.seconds} s; ${o.idle > 0 ? `${fmt(o.idle)} idle` : "no idle memory"}`);
  console.log(`machine: ${startMachine}; ${o.pin ? `servers on core ${SERVER_CORE}, client on core ${CLIENT_CORE}` : "no pinning"}`);

  const results = new Map(); // `${size}|${conns}` -> kind -> samples
  const servers = new Map();
  const notes = [];
  try {
    for (const kind of o.servers) {
      const s = await startServer(kind, o.pin);
      servers.set(kind, s);
      notes.push(`${kind} (${s.notes})`);
    }
    for (const size of o.sizes) {
      for (const conns of o.connections) {
        const samples = await interleave(`websocket: ${size} B, ${conns} connections`, o.servers, o.rounds, (kind) => echoRun(client, servers.get(kind), o, conns, size));
        results.set(`${size}|${conns}`, samples);
        const m = (k, f) => median(samples.get(k).map((x) => x[f]));
        progressDone();
        console.log(`${size} B, ${conns} connections: ${o.servers.map((k) => `${k} ${fmt(m(k, "rate"))}/s (server ${pct(m(k, "serverCpu"))}, client ${pct(m(k, "clientCpu"))})`).join(", ")}`);
      }
    }
  } finally {
    for (const s of servers.values()) stopServer(s);
  }
  const idle = new Map();
  if (o.idle > 0) {
    for (const kind of o.servers) idle.set(kind, await idleMemory(client, kind, o));
    progressDone();
  }
  const { md, text } = report(o, args, results, idle, notes, started, startMachine, (performance.now() - t0) / 1000);
  console.log(text);
  if (!o.quick && !o.subset) console.log(`\nwrote ${writeResult("websocket.md", md)}`);
}

if (process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === import.meta.url) await main();
