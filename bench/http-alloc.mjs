// Bytes each hello-world server allocates per arriving connection and per
// keep-alive request: the figure behind the cold idle-memory reading of the
// `http` suite (while 10,000 connections arrive, V8's young generation grows
// with the allocation rate, and RSS shows the pages it touched).
//
// Each server runs with a young generation far larger than the test fills
// (--min/--max-semi-space-size), so no garbage collection happens between two
// readings of the young generation's bytes in use; their difference is what
// the server allocated (a reading taken across a collection is reported as
// such, not used).
//
//   npm run bench -- http-alloc
import { spawn } from "node:child_process";
import { join } from "node:path";
import { fmt, here, machine, openAfterOneRequest, progress, progressDone, sendBatches, table, writeResult } from "./lib.mjs";
import { parseCli } from "../scripts/_args.mjs";

const SERVERS = ["tasklet-wasm", "tasklet-ts", "node-http", "raw-net"];
const WARM_CONNS = 200;
const ARRIVALS = 5_000;
const KEEP_CONNS = 50;
const KEEP_REQUESTS = 200;

function startServer(kind) {
  const args = ["--min-semi-space-size=256", "--max-semi-space-size=256", join(here, "servers", "hello.mjs"), kind, "0"];
  const child = spawn(process.execPath, args, { stdio: ["pipe", "pipe", "inherit"], env: { ...process.env, BENCH_ALLOC: "1" } });
  let out = "";
  let waiting = null;
  const server = {
    child,
    port: 0,
    /** Young-generation bytes in use and collections so far. */
    read: () =>
      new Promise((resolve) => {
        waiting = resolve;
        child.stdin.write("alloc\n");
      }),
  };
  return new Promise((resolve, reject) => {
    child.stdout.on("data", (d) => {
      out += d;
      for (let m; (m = out.match(/alloc (\d+) (\d+)\n/)) !== null; out = out.slice(m.index + m[0].length)) {
        const w = waiting;
        waiting = null;
        w?.({ used: Number(m[1]), gcs: Number(m[2]) });
      }
      const m = out.match(/listening (\d+)/);
      if (m && server.port === 0) {
        server.port = Number(m[1]);
        out = out.slice(m.index + m[0].length);
        resolve(server);
      }
    });
    child.on("exit", (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
}

const settle = () => new Promise((r) => setTimeout(r, 200));

/** Bytes allocated between readings a and b over n events, or NaN when a collection came between. */
const per = (a, b, n) => (a.gcs === b.gcs ? (b.used - a.used) / n : NaN);

async function measure(kind) {
  const server = await startServer(kind);
  const sockets = [];
  try {
    progress(`${kind}: ${WARM_CONNS} connections to warm up`);
    for (let i = 0; i < WARM_CONNS; i++) sockets.push(await openAfterOneRequest(server.port));
    await settle();
    const a = await server.read();
    for (let i = 0; i < ARRIVALS; i += 250) {
      progress(`${kind}: ${i}/${ARRIVALS} arriving connections`);
      sockets.push(...(await Promise.all(Array.from({ length: Math.min(250, ARRIVALS - i) }, () => openAfterOneRequest(server.port)))));
    }
    await settle();
    const b = await server.read();
    for (const s of sockets) s.destroy();
    sockets.length = 0;
    progress(`${kind}: keep-alive requests`);
    await sendBatches(server.port, KEEP_CONNS, 50, 1); // warm-up
    await settle();
    const c = await server.read();
    await sendBatches(server.port, KEEP_CONNS, KEEP_REQUESTS, 1);
    await settle();
    const d = await server.read();
    return { arrival: per(a, b, ARRIVALS), request: per(c, d, KEEP_CONNS * KEEP_REQUESTS) };
  } finally {
    for (const s of sockets) s.destroy();
    server.child.removeAllListeners("exit");
    server.child.kill("SIGKILL");
  }
}

export async function main() {
  parseCli({ name: "bench http-alloc", usage: "npm run bench -- http-alloc", options: {} });
  const started = performance.now();
  const res = new Map();
  for (const kind of SERVERS) res.set(kind, await measure(kind));
  progressDone();
  const raw = res.get("raw-net");
  const show = (v) => (Number.isNaN(v) ? "a collection came between the readings" : fmt(v));
  const rows = SERVERS.map((k) => {
    const r = res.get(k);
    const ratio = (v, base) => (Number.isNaN(v / base) ? "–" : `${(v / base).toFixed(2)}x`);
    return [k, show(r.arrival), ratio(r.arrival, raw.arrival), show(r.request), ratio(r.request, raw.request)];
  });
  const secs = ((performance.now() - started) / 1000).toFixed(0);
  const md = [
    "# HTTP allocation per connection and per request",
    "",
    `Machine: ${machine()}.`,
    `Command: \`npm run bench -- http-alloc\` (${secs} s). Bytes allocated in V8's young generation, read with a young generation too large to be collected: per arriving connection (${fmt(ARRIVALS)} connections opened 250 at a time after ${WARM_CONNS} to warm up, each sent one request and kept open), and per keep-alive request (${fmt(KEEP_CONNS)} connections, ${KEEP_REQUESTS} requests each, one at a time, after a warm-up; opening and closing those connections is included, spread over their requests). Lower is better; one run (the counts repeat to within about 2%).`,
    "",
    table(["server", "bytes per arriving connection", "vs raw net", "bytes per keep-alive request", "vs raw net"], rows),
    "",
    "Bytes allocated are not bytes kept: the `http` suite's idle-memory table gives what 10,000 idle connections keep. Allocation decides how fast the young generation fills, and while connections arrive, how large it grows.",
    "",
  ].join("\n");
  console.log("\n" + md);
  writeResult("http-alloc.md", md);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
