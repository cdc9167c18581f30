// HTTP clients side by side, against a raw server in a process of its own
// (bench/servers/client-target.mjs), so this process's CPU is the client's:
//
//   tasklet      HttpClient.request (green, keep-alive pool, Wasm parser)
//   tasklet-ts   the same with the TypeScript parser twin
//   undici       undici 7 Pool.request, `connections` = concurrency
//   fetch        Node's global fetch
//   node-http    node:http with a keep-alive Agent, maxSockets = concurrency
//
// Throughput: `c` requests kept in flight for `--seconds`, each response
// body read whole; requests/s and client CPU (user + system, from
// process.cpuUsage) per request. Memory: `--inflight` requests at once to
// the server holding every answer until all have arrived; RSS and heap
// growth per request in flight (each its own connection in every client).
// Rounds are interleaved; the tables show medians.
//
//   node --expose-gc bench/client.mjs [--conc 1,10,100] [--seconds 2] [--rounds 3] [--inflight 10000] [--quick]
//   npm run bench -- client
import { fork } from "node:child_process";
import http from "node:http";
import { join } from "node:path";
import { once } from "node:events";
import { fmt, here, interleave, machine, median, progressDone, table, writeResult } from "./lib.mjs";
import { intArg, numberArg, parseCli } from "../scripts/_args.mjs";

const ALL_CLIENTS = ["tasklet", "tasklet-ts", "undici", "fetch", "node-http"];

async function startTarget() {
  const child = fork(join(here, "servers", "client-target.mjs"), [], { stdio: ["ignore", "pipe", "inherit", "ipc"] });
  let out = "";
  child.stdout.setEncoding("utf8");
  const port = await new Promise((resolve, reject) => {
    child.stdout.on("data", (d) => {
      out += d;
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.on("exit", () => reject(new Error("the target server exited")));
  });
  return { child, port };
}

/** Keep `conc` requests in flight for `ms` with one client; returns { rps, cpuUs } (CPU µs per request). */
async function throughput(kind, port, conc, ms) {
  const url = `http://127.0.0.1:${port}/`;
  const t = await import("../dist/index.js");
  let done = 0;
  let stop = false;
  let close = () => {};
  let loop;
  if (kind.startsWith("tasklet")) {
    const client = new t.HttpClient({ maxSockets: conc, parser: kind === "tasklet-ts" ? "ts" : "wasm" });
    close = () => client.close();
    loop = () =>
      t.run(function* () {
        const ws = [];
        for (let i = 0; i < conc; i++)
          ws.push(
            t.spawn(function* () {
              while (!stop) {
                const res = yield* client.request(url);
                yield* res.bytes();
                done++;
              }
            }),
          );
        for (const w of ws) yield* w;
      });
  } else if (kind === "undici") {
    const { Pool } = await import("undici");
    const pool = new Pool(`http://127.0.0.1:${port}`, { connections: conc });
    close = () => pool.close();
    loop = () =>
      Promise.all(
        Array.from({ length: conc }, async () => {
          while (!stop) {
            const { body } = await pool.request({ path: "/", method: "GET" });
            await body.arrayBuffer();
            done++;
          }
        }),
      );
  } else if (kind === "fetch") {
    loop = () =>
      Promise.all(
        Array.from({ length: conc }, async () => {
          while (!stop) {
            const res = await fetch(url);
            await res.arrayBuffer();
            done++;
          }
        }),
      );
  } else {
    const agent = new http.Agent({ keepAlive: true, maxSockets: conc });
    close = () => agent.destroy();
    const one = () =>
      new Promise((resolve, reject) => {
        http
          .get(url, { agent }, (res) => {
            res.on("data", () => {});
            res.on("end", resolve);
          })
          .on("error", reject);
      });
    loop = () =>
      Promise.all(
        Array.from({ length: conc }, async () => {
          while (!stop) {
            await one();
            done++;
          }
        }),
      );
  }
  // Warm the connections, then measure from a clean start.
  const warm = loop();
  await new Promise((r) => setTimeout(r, Math.min(300, ms / 4)));
  const d0 = done;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  const n = done - d0;
  const cpu = process.cpuUsage(c0);
  const el = performance.now() - t0;
  stop = true;
  await warm;
  await close();
  return { rps: (n * 1000) / el, cpuUs: (cpu.user + cpu.system) / n };
}

/** `n` requests in flight at once (the server holds the answers): memory growth per request. */
async function inflight(kind, target, n) {
  const url = `http://127.0.0.1:${target.port}/`;
  const t = await import("../dist/index.js");
  globalThis.gc?.();
  globalThis.gc?.();
  const m0 = process.memoryUsage();
  const held = new Promise((resolve) => target.child.once("message", resolve));
  target.child.send({ hold: n });
  let all;
  let close = () => {};
  if (kind.startsWith("tasklet")) {
    const client = new t.HttpClient({ parser: kind === "tasklet-ts" ? "ts" : "wasm" });
    close = () => client.close();
    all = t.run(function* () {
      const ws = [];
      for (let i = 0; i < n; i++) ws.push(t.spawn(function* () { yield* (yield* client.request(url)).bytes(); }));
      for (const w of ws) yield* w;
    });
  } else if (kind === "undici") {
    const { Pool } = await import("undici");
    const pool = new Pool(`http://127.0.0.1:${target.port}`, { connections: n });
    close = () => pool.close();
    all = Promise.all(Array.from({ length: n }, async () => (await pool.request({ path: "/", method: "GET" })).body.arrayBuffer()));
  } else if (kind === "fetch") {
    all = Promise.all(Array.from({ length: n }, async () => (await fetch(url)).arrayBuffer()));
  } else {
    const agent = new http.Agent({ keepAlive: true });
    close = () => agent.destroy();
    all = Promise.all(
      Array.from({ length: n }, () => new Promise((resolve, reject) => http.get(url, { agent }, (res) => res.on("data", () => {}).on("end", resolve)).on("error", reject))),
    );
  }
  await held;
  globalThis.gc?.();
  globalThis.gc?.();
  const m1 = process.memoryUsage();
  target.child.send({ release: true });
  await all;
  await close();
  await new Promise((r) => setTimeout(r, 500)); // sockets closing (the server ends them)
  return { rss: (m1.rss - m0.rss) / n, heap: (m1.heapUsed + m1.external - m0.heapUsed - m0.external) / n };
}

export async function main(args = process.argv.slice(2)) {
  const { values } = parseCli({
    name: "client",
    usage: "npm run bench -- client [--clients tasklet,undici,...] [--conc 1,10,100] [--seconds 2] [--rounds 3] [--inflight 10000] [--quick]",
    args,
    options: { clients: { type: "string" }, conc: { type: "string" }, seconds: { type: "string" }, rounds: { type: "string" }, inflight: { type: "string" }, quick: { type: "boolean" } },
  });
  const quick = values.quick === true;
  const CLIENTS = values.clients === undefined ? ALL_CLIENTS : values.clients.split(",");
  for (const k of CLIENTS) if (!ALL_CLIENTS.includes(k)) throw new Error(`unknown client ${k}; one of ${ALL_CLIENTS.join(", ")}`);
  if (!CLIENTS.includes("undici")) throw new Error("--clients must include undici (the ratios are to it)");
  const concs = (values.conc ?? "1,10,100").split(",").map((x) => intArg("client", "conc", x, { min: 1 }));
  const ms = 1000 * numberArg("client", "seconds", values.seconds ?? (quick ? "0.5" : "2"), { min: 0.1 });
  const rounds = intArg("client", "rounds", values.rounds ?? (quick ? "1" : "3"), { min: 1 });
  const nInflight = intArg("client", "inflight", values.inflight ?? (quick ? "1000" : "10000"), { min: 1 });
  const target = await startTarget();
  const lines = [`# HTTP clients against a raw server in its own process`, "", machine(), ""];
  try {
    const rows = [];
    for (const c of concs) {
      const s = await interleave(`client c=${c}`, CLIENTS, rounds, (k) => throughput(k, target.port, c, ms));
      const med = Object.fromEntries(CLIENTS.map((k) => [k, { rps: median(s.get(k).map((x) => x.rps)), cpu: median(s.get(k).map((x) => x.cpuUs)) }]));
      for (const k of CLIENTS) {
        rows.push([String(c), k, fmt(med[k].rps), fmt(med[k].cpu, 1), fmt(med[k].rps / med.undici.rps, 2), fmt(med[k].cpu / med.undici.cpu, 2)]);
      }
    }
    progressDone();
    lines.push(`Throughput: ${ms / 1000} s per sample, ${rounds} rounds (medians), body read whole.`, "");
    lines.push(table(["concurrent", "client", "requests/s", "client CPU µs/request", "rps vs undici", "CPU vs undici"], rows), "");
    const mem = await interleave(`in flight n=${nInflight}`, CLIENTS, 1, (k) => inflight(k, target, nInflight), { gc: true });
    progressDone();
    const mrows = CLIENTS.map((k) => {
      const x = mem.get(k)[0];
      const u = mem.get("undici")[0];
      return [k, fmt(x.rss), fmt(x.heap), fmt(x.rss / u.rss, 2)];
    });
    lines.push(`Memory: ${nInflight} requests in flight at once (one connection each), growth per request.`, "");
    lines.push(table(["client", "RSS bytes/request", "heap+external bytes/request", "RSS vs undici"], mrows), "");
  } finally {
    target.child.send({ exit: true });
  }
  const text = lines.join("\n");
  console.log(text);
  writeResult("client.md", text + "\n");
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
