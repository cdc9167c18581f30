#!/usr/bin/env node
// Soak test of the HTTP server (built dist/): a server in a child process,
// clients here doing keep-alive churn, uploads checked by sha256, and
// cancellations (clients that drop mid-request or mid-body, handlers cut by
// withTimeout). Once a minute it prints the server's heap, RSS, open file
// descriptors, armed timers and tasks, and the requests done. It ends by
// itself; the exit code is non-zero on any integrity failure (a wrong body
// or digest, an unexpected error, a hang, a crash, a server that does not
// exit after close) or on clear growth between two quiet moments (all
// clients gone), one after a warm-up and one at the end.
//
//   npm run soak -- --minutes 10 [--concurrency 24] [--seed 1]
import { fork } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { readdirSync } from "node:fs";
import http from "node:http";
import { fileURLToPath } from "node:url";
import { intArg, numberArg, parseCli, usageError } from "./_args.mjs";

const SELF = fileURLToPath(import.meta.url);
const DIST = new URL("../dist/index.js", import.meta.url).href;

/** Limits of "clear growth" between the quiet baseline and the quiet end. */
const GROWTH = {
  fds: 4, // descriptors
  timers: 2, // node Timeouts, and the scheduler's armed timers
  tasks: 4, // live tasks in the server's run
  heapFactor: 1.25, // heap may grow by a quarter plus...
  heapSlackBytes: 4 << 20, // ...4 MiB (JIT, caches)
};
const WARMUP_MS = 10_000;
const REQUEST_HANG_MS = 30_000;
const MAX_UPLOAD = 512 * 1024;
const QUIET_WAIT_MS = 15_000;

// `--server` is how the soak starts its own server child; not for users.
const { values: flags } = parseCli({
  name: "soak",
  usage: "npm run soak -- [--minutes N] [--concurrency N] [--seed N]",
  options: {
    minutes: { type: "string", value: "N", help: "how long to run, fractions allowed (default 1)" },
    concurrency: { type: "string", value: "N", help: "clients at once (default 24)" },
    seed: { type: "string", value: "N", help: "seed of the random choices (default 1)" },
    server: { type: "boolean", help: "(internal) run as the server child" },
  },
});
function arg(name, dflt) {
  if (name !== "minutes") return intArg("soak", `--${name}`, flags[name], { min: 1 }) ?? dflt;
  const v = numberArg("soak", "--minutes", flags.minutes);
  if (v === 0) usageError("soak", "--minutes must be more than 0");
  return v ?? dflt;
}

const sha256 = (b) => createHash("sha256").update(b).digest("hex");

// ------------------------------------------------------------------ server

async function serverMain() {
  const { serve, sleep, withTimeout, TimeoutError } = await import(DIST);
  let expectedErrors = 0;
  const unexpected = [];
  const server = serve(
    {
      port: 0,
      keepAliveTimeout: 60_000,
      maxBodySize: 4 * MAX_UPLOAD,
      onError(e) {
        // A client that went away mid-request makes the handler's read or write fail: expected here.
        if (e && (e.name === "NetError" || e.name === "HttpError")) expectedErrors++;
        else if (unexpected.length < 5) unexpected.push(String(e && e.stack ? e.stack : e));
        else unexpected.push("...");
      },
    },
    function* (req) {
      switch (req.path) {
        case "/ka":
          return { body: `ka ${req.query.get("i")}` };
        case "/upload": {
          const body = yield* req.body();
          return { body: `${body.length} ${sha256(body)}` };
        }
        case "/slow":
          yield* sleep(Number(req.query.get("ms")));
          return { body: "slow done" };
        case "/timeout":
          try {
            yield* withTimeout(Number(req.query.get("ms")), function* () {
              yield* sleep(60_000);
            });
          } catch (e) {
            if (e instanceof TimeoutError) return { status: 503, body: "timed out" };
            throw e;
          }
          return { body: "not timed out" };
        default:
          return { status: 404, body: "no such path" };
      }
    },
  );
  await server.ready;
  const sched = server._root?._sched; // internal, for its counts only
  process.on("message", async (m) => {
    if (m === "stats") {
      globalThis.gc?.();
      const mem = process.memoryUsage();
      process.send({
        type: "stats",
        heapUsed: mem.heapUsed,
        rss: mem.rss,
        timeouts: process.getActiveResourcesInfo().filter((r) => r === "Timeout").length,
        schedTimers: sched?.armed ?? -1,
        tasks: sched?.live ?? -1,
        connections: server.connections,
        expectedErrors,
        unexpected: unexpected.slice(),
      });
    } else if (m === "stop") {
      await server.close({ timeout: 2000 });
      process.disconnect(); // nothing else holds the process: it must exit now
    }
  });
  process.send({ type: "ready", port: server.port });
}

// ------------------------------------------------------------------ clients

async function clientMain() {
  const minutes = arg("minutes", 1);
  const concurrency = arg("concurrency", 24);
  let seed = arg("seed", 1) >>> 0 || 1;
  const rand = () => {
    seed ^= seed << 13;
    seed >>>= 0;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    seed >>>= 0;
    return seed / 0x100000000;
  };

  const child = fork(SELF, ["--server"], { execArgv: ["--expose-gc"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  let childExit = null;
  const exited = new Promise((r) =>
    child.on("exit", (code, signal) => {
      childExit = { code, signal };
      r(childExit);
    }),
  );
  const pending = [];
  child.on("message", (m) => {
    if (m.type === "stats") pending.shift()?.(m);
  });
  const port = await new Promise((resolve, reject) => {
    child.on("message", (m) => m.type === "ready" && resolve(m.port));
    exited.then(() => reject(new Error("the server exited before listening")));
  });
  const stats = () =>
    new Promise((resolve, reject) => {
      if (childExit) return reject(new Error(`the server died (${JSON.stringify(childExit)})`));
      pending.push(resolve);
      child.send("stats");
    });
  const fds = () => {
    try {
      return readdirSync(`/proc/${child.pid}/fd`).length;
    } catch {
      return -1;
    }
  };

  const count = { requests: 0, ok: 0, cancelled: 0, uploads: 0, uploadBytes: 0, timeouts: 0, churn: 0, errors: 0, integrity: 0 };
  const failures = [];
  const fail = (kind, what) => {
    if (kind === "integrity") count.integrity++;
    else count.errors++;
    if (failures.length < 20) failures.push(`${kind}: ${what}`);
  };
  let agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

  /** One request; resolves with { status, body } or rejects with the network error. */
  function request({ path, method = "GET", body, parts = 1, fresh = false, abortAfterMs, abortAfterBytes }) {
    return new Promise((resolve, reject) => {
      const req = http.request({ host: "127.0.0.1", port, path, method, agent: fresh ? false : agent, headers: fresh ? { connection: "close" } : {} }, (res) => {
        const chunks = [];
        res.on("data", (d) => chunks.push(d));
        res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString("latin1") }));
        res.on("error", reject);
      });
      req.on("error", reject);
      req.setTimeout(REQUEST_HANG_MS, () => req.destroy(Object.assign(new Error("no answer: hung"), { code: "HUNG" })));
      if (abortAfterMs !== undefined) setTimeout(() => req.destroy(Object.assign(new Error("aborted by the client"), { code: "ABORTED" })), abortAfterMs);
      if (body) {
        req.setHeader("content-length", body.length);
        const limit = abortAfterBytes ?? body.length;
        const step = Math.ceil(limit / parts);
        for (let i = 0; i < limit; i += step) req.write(body.subarray(i, Math.min(i + step, limit)));
        if (abortAfterBytes !== undefined) {
          setTimeout(() => req.destroy(Object.assign(new Error("aborted mid-body"), { code: "ABORTED" })), 5);
          return;
        }
      }
      req.end();
    });
  }

  async function oneOp(i) {
    const r = rand();
    count.requests++;
    try {
      if (r < 0.45) {
        const got = await request({ path: `/ka?i=${i}` });
        if (got.status !== 200 || got.body !== `ka ${i}`) fail("integrity", `/ka ${i} gave ${got.status} ${got.body.slice(0, 60)}`);
        else count.ok++;
      } else if (r < 0.6) {
        count.churn++;
        const got = await request({ path: `/ka?i=${i}`, fresh: true });
        if (got.status !== 200 || got.body !== `ka ${i}`) fail("integrity", `/ka (fresh) ${i} gave ${got.status}`);
        else count.ok++;
      } else if (r < 0.78) {
        const body = randomBytes(1 + Math.floor(rand() * MAX_UPLOAD));
        const got = await request({ path: "/upload", method: "POST", body, parts: 1 + Math.floor(rand() * 6), fresh: rand() < 0.2 });
        count.uploads++;
        count.uploadBytes += body.length;
        if (got.status !== 200 || got.body !== `${body.length} ${sha256(body)}`) fail("integrity", `upload of ${body.length} bytes came back as ${got.status} ${got.body.slice(0, 80)}`);
        else count.ok++;
      } else if (r < 0.86) {
        // Drop the connection while the handler sleeps (a busy client may
        // give up late; then the answer must still be the right one).
        await request({ path: "/slow?ms=300", fresh: true, abortAfterMs: 10 + Math.floor(rand() * 40) }).then(
          (got) => (got.status === 200 && got.body === "slow done" ? count.ok++ : fail("integrity", `/slow gave ${got.status} ${got.body.slice(0, 60)}`)),
          (e) => (e.code === "ABORTED" ? count.cancelled++ : fail("error", `/slow: ${e.code} ${e.message}`)),
        );
      } else if (r < 0.93) {
        // Drop the connection halfway through the body.
        const body = randomBytes(64 * 1024 + Math.floor(rand() * 64 * 1024));
        await request({ path: "/upload", method: "POST", body, parts: 3, fresh: true, abortAfterBytes: body.length >> 1 }).then(
          (got) => fail("integrity", `a half-sent upload was answered: ${got.status} ${got.body.slice(0, 60)}`),
          (e) => (e.code === "ABORTED" || e.code === "ECONNRESET" ? count.cancelled++ : fail("error", `half upload: ${e.code} ${e.message}`)),
        );
      } else {
        const got = await request({ path: `/timeout?ms=${1 + Math.floor(rand() * 20)}` });
        if (got.status !== 503 || got.body !== "timed out") fail("integrity", `/timeout gave ${got.status} ${got.body}`);
        else {
          count.timeouts++;
          count.ok++;
        }
      }
    } catch (e) {
      fail(e.code === "HUNG" ? "integrity" : "error", `${e.code ?? ""} ${e.message}`);
    }
  }

  let stopping = false;
  let paused = null; // a promise while the load is paused
  let seq = 0;
  let active = 0; // workers inside an operation; a pause waits for them

  /** Stop the load, let every client connection go, and read the server once it has none. */
  async function quiet() {
    let resume;
    paused = new Promise((r) => (resume = r));
    while (active > 0) await new Promise((r) => setTimeout(r, 20));
    agent.destroy();
    agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    const until = Date.now() + QUIET_WAIT_MS;
    let s = await stats();
    while (s.connections > 0 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 100));
      s = await stats();
    }
    // A moment for sockets closed just now to leave the descriptor table.
    await new Promise((r) => setTimeout(r, 200));
    s = await stats();
    s.fds = fds();
    return { s, resume: () => ((paused = null), resume()) };
  }

  const workers = [];
  const start = Date.now();
  const end = start + minutes * 60_000;
  const mb = (b) => `${(b / 1048576).toFixed(1)} MB`;
  const line = (label, s, f) =>
    `[soak ${label}] requests ${count.requests} (ok ${count.ok}, cancelled ${count.cancelled}, uploads ${count.uploads} = ${mb(count.uploadBytes)}, handler timeouts ${count.timeouts}, new connections ${count.churn}) errors ${count.errors} integrity failures ${count.integrity} | server heap ${mb(s.heapUsed)} rss ${mb(s.rss)} fds ${f} timers ${s.timeouts} (scheduler ${s.schedTimers}) tasks ${s.tasks} connections ${s.connections}`;

  const runWorker = async () => {
    while (!stopping) {
      if (paused) {
        await paused;
        continue;
      }
      active++;
      try {
        await oneOp(seq++);
      } finally {
        active--;
      }
    }
  };
  for (let i = 0; i < concurrency; i++) workers.push(runWorker());

  console.log(`[soak] ${minutes} min, ${concurrency} concurrent clients, server pid ${child.pid} on 127.0.0.1:${port}`);
  let exitCode = 0;
  let baseline = null;
  try {
    await new Promise((r) => setTimeout(r, Math.min(WARMUP_MS, (end - Date.now()) / 4)));
    const q = await quiet();
    baseline = q.s;
    console.log(line("baseline, quiet", baseline, baseline.fds));
    q.resume();
    for (let minute = 1; ; minute++) {
      const at = start + minute * 60_000;
      const last = at >= end;
      await new Promise((r) => setTimeout(r, Math.max(0, Math.min(at, end) - Date.now())));
      if (childExit) throw new Error(`the server died: ${JSON.stringify(childExit)}`);
      const s = await stats();
      console.log(line(`minute ${minute}`, s, fds()));
      if (last) break;
    }
    stopping = true;
    const fin = await quiet();
    const f = fin.s;
    console.log(line("end, quiet", f, f.fds));
    stopping = true;
    fin.resume();
    await Promise.all(workers);

    if (f.unexpected.length > 0) {
      count.integrity += f.unexpected.length;
      failures.push(...f.unexpected.map((u) => `unexpected handler error in the server: ${u}`));
    }
    const growth = [];
    if (f.fds > baseline.fds + GROWTH.fds) growth.push(`fds ${baseline.fds} -> ${f.fds}`);
    if (f.timeouts > baseline.timeouts + GROWTH.timers) growth.push(`node timers ${baseline.timeouts} -> ${f.timeouts}`);
    if (f.schedTimers > baseline.schedTimers + GROWTH.timers) growth.push(`scheduler timers ${baseline.schedTimers} -> ${f.schedTimers}`);
    if (f.tasks > baseline.tasks + GROWTH.tasks) growth.push(`tasks ${baseline.tasks} -> ${f.tasks}`);
    if (f.heapUsed > baseline.heapUsed * GROWTH.heapFactor + GROWTH.heapSlackBytes) growth.push(`heap ${mb(baseline.heapUsed)} -> ${mb(f.heapUsed)}`);
    if (f.connections !== 0) growth.push(`${f.connections} connections still open with every client gone`);

    child.send("stop");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    const ex = await exited;
    clearTimeout(timer);
    if (ex.code !== 0) failures.push(`the server did not exit by itself after close(): ${JSON.stringify(ex)}`);

    for (const g of growth) failures.push(`growth: ${g}`);
    if (count.integrity > 0 || count.errors > 0 || growth.length > 0 || ex.code !== 0) exitCode = 1;
  } catch (e) {
    failures.push(`soak: ${e.stack ?? e}`);
    exitCode = 1;
    stopping = true;
    if (!childExit) child.kill("SIGKILL");
  }
  for (const f of failures) console.log(`[soak FAIL] ${f}`);
  console.log(exitCode === 0 ? "[soak] PASS" : "[soak] FAIL");
  process.exit(exitCode);
}

if (flags.server) await serverMain();
else await clientMain();
