// Ping-pong over TCP in the style of Nicholas Piel's "Asynchronous Servers in
// Python": N clients each send a small message and wait for its echo before
// sending the next. Reports messages per second and p99 round-trip latency for
//
//   tasklet-ts          tasklet's serveTcp on the TypeScript scheduler core
//   tasklet-wasm        ... on the WebAssembly core
//   tasklet-wasm/data   ... with the shared read buffer switched off (node:net
//                       'data' events, one Buffer per read): measures that choice
//   node-callback       node:net, socket.on("data", d => socket.write(d))
//   node-async-iter     node:net, for await (const chunk of socket) socket.write(chunk)
//
// Each server runs in its own child process (all of them started once, idle
// while another is measured); the clients are plain node:net callbacks in this
// process. With 2 cores, the server processes are pinned to one core and the
// client to the other when `taskset` exists. Samples are interleaved: every
// round measures every server, in a rotated order; the table shows medians.
//
//   node --expose-gc bench/net.mjs [--clients 100,1000] [--seconds 2] [--rounds 5] [--size 64]
//                                  [--idle 10000] [--no-pin] [--no-write]
//   npm run bench -- net
import { execFileSync, fork, spawn } from "node:child_process";
import { once } from "node:events";
import { writeFileSync, mkdirSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import { createHistogram, performance, PerformanceObserver } from "node:perf_hooks";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { intArg, numberArg, parseCli } from "../scripts/_args.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const SELF = fileURLToPath(import.meta.url);

const SERVERS = ["tasklet-ts", "tasklet-wasm", "tasklet-wasm/data", "node-callback", "node-async-iter"];

// ------------------------------------------------------------------ servers

async function startServer(kind) {
  const opts = { port: 0, host: "127.0.0.1" };
  if (kind.startsWith("tasklet")) {
    const { startTcpServer } = await import("../dist/index.js");
    const backend = kind.startsWith("tasklet-ts") ? "ts" : "wasm";
    const server = await startTcpServer({ ...opts, backend }, function* echo(conn) {
      for (let b = yield* conn.read(); b !== null; b = yield* conn.read()) yield* conn.write(b);
    });
    return server.port;
  }
  let server;
  if (kind === "node-callback") {
    server = net.createServer({ noDelay: true }, (s) => {
      s.on("data", (d) => s.write(d));
      s.on("error", () => {});
    });
  } else if (kind === "node-async-iter") {
    server = net.createServer({ noDelay: true }, async (s) => {
      s.on("error", () => {});
      try {
        for await (const chunk of s) if (!s.write(chunk)) await once(s, "drain");
      } catch {
        // the peer went away
      }
    });
  } else throw new Error(`unknown server ${kind}`);
  server.listen(opts.port, opts.host);
  await once(server, "listening");
  return server.address().port;
}

/** Child process side: start the server, then answer start/stop with CPU and GC figures. */
async function serverChild(kind) {
  let gcCount = 0;
  let gcMs = 0;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcCount++;
      gcMs += e.duration;
    }
  }).observe({ entryTypes: ["gc"] });
  const port = await startServer(kind);
  let cpu0 = process.cpuUsage();
  let gc0 = 0;
  let gcMs0 = 0;
  process.on("message", (m) => {
    if (m === "start") {
      cpu0 = process.cpuUsage();
      gc0 = gcCount;
      gcMs0 = gcMs;
      process.send({ ok: true });
    } else if (m === "stop") {
      // GC entries are delivered asynchronously; give them a turn.
      setTimeout(() => {
        const cpu = process.cpuUsage(cpu0);
        process.send({ cpuMs: (cpu.user + cpu.system) / 1000, gcs: gcCount - gc0, gcMs: gcMs - gcMs0, rss: process.memoryUsage().rss });
      }, 20);
    } else if (m === "mem") {
      globalThis.gc?.();
      globalThis.gc?.();
      const u = process.memoryUsage();
      process.send({ rss: u.rss, heap: u.heapUsed, external: u.external + u.arrayBuffers });
    } else if (m === "exit") process.exit(0);
  });
  process.send({ port });
}

// ------------------------------------------------------------------ client

/** Open n connections, ping-pong for `ms` after `warmMs`, return the count, the latency histogram and the client CPU. */
async function pingPong(port, n, size, warmMs, ms, onMeasure) {
  const msg = Buffer.alloc(size, 0x61);
  msg[size - 1] = 0x0a;
  const hist = createHistogram();
  let count = 0;
  let measuring = false;
  let stopping = false;
  let idle = 0;
  let allIdle = null;
  const sockets = [];
  let connected = 0;
  await new Promise((resolve, reject) => {
    for (let i = 0; i < n; i++) {
      const s = net.connect({ port, host: "127.0.0.1", noDelay: true });
      sockets.push(s);
      let got = 0;
      let t0 = 0;
      const send = () => {
        got = 0;
        t0 = performance.now();
        s.write(msg);
      };
      s.on("connect", () => {
        if (++connected === n) resolve();
      });
      s.on("error", reject);
      s.on("data", (d) => {
        got += d.length;
        if (got < size) return;
        if (measuring) {
          count++;
          hist.record(Math.max(1, Math.round((performance.now() - t0) * 1000))); // µs
        }
        if (!stopping) send();
        else if (++idle === n) allIdle();
      });
      s.start = send;
    }
  });
  for (const s of sockets) s.start();
  await sleep(warmMs);
  await onMeasure();
  const cpu0 = process.cpuUsage();
  hist.reset();
  count = 0;
  measuring = true;
  const t0 = performance.now();
  await sleep(ms);
  measuring = false;
  const elapsed = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  stopping = true;
  await Promise.race([new Promise((r) => (allIdle = r)), sleep(2000)]);
  for (const s of sockets) s.destroy();
  return { count, rate: (count * 1000) / elapsed, p50: hist.percentile(50), p99: hist.percentile(99), clientCpu: (cpu.user + cpu.system) / 1000 / elapsed };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A node:net client costs about as much per message as the servers do, so on
// 2 cores it saturates first and every server looks the same. This epoll
// client in C does the same ping-pong at a fraction of the cost; it is
// compiled on first use (gcc or cc), else the node:net client above is used.
// Output: a line "M" when measuring starts, then "count elapsed_ms p50_us p99_us cpu_share".
const C_CLIENT = String.raw`
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXLAT 2000000 /* latency buckets: 1 us each, up to 2 s */

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}
static double cpu_us(void) {
  struct rusage r;
  getrusage(RUSAGE_SELF, &r);
  return r.ru_utime.tv_sec * 1e6 + r.ru_utime.tv_usec + r.ru_stime.tv_sec * 1e6 + r.ru_stime.tv_usec;
}

int main(int argc, char **argv) {
  if (argc < 6) { fprintf(stderr, "usage: port conns size warm_ms measure_ms\n"); return 2; }
  int port = atoi(argv[1]), n = atoi(argv[2]), size = atoi(argv[3]);
  double warm = atof(argv[4]) * 1000, dur = atof(argv[5]) * 1000;
  unsigned *hist = calloc(MAXLAT + 1, sizeof *hist);
  char *msg = malloc(size);
  memset(msg, 'a', size);
  msg[size - 1] = '\n';
  int *fds = calloc(n, sizeof *fds), *got = calloc(n, sizeof *got);
  double *t0 = calloc(n, sizeof *t0);
  int ep = epoll_create1(0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  for (int i = 0; i < n; i++) {
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) { perror("connect"); return 1; }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (unsigned)i};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    fds[i] = fd;
  }
  for (int i = 0; i < n; i++) { t0[i] = now_us(); if (write(fds[i], msg, size) != size) { perror("write"); return 1; } }
  double mstart = now_us() + warm, mend = 0, c0 = 0;
  long count = 0;
  int measuring = 0;
  static char buf[65536];
  struct epoll_event evs[1024];
  for (;;) {
    double t = now_us();
    if (!measuring && t >= mstart) {
      measuring = 1; count = 0; memset(hist, 0, (MAXLAT + 1) * sizeof *hist);
      mstart = t; mend = t + dur; c0 = cpu_us();
      printf("M\n"); fflush(stdout);
    }
    if (measuring && t >= mend) break;
    int k = epoll_wait(ep, evs, 1024, 5);
    for (int j = 0; j < k; j++) {
      int i = (int)evs[j].data.u32;
      ssize_t r = read(fds[i], buf, sizeof buf);
      if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (r <= 0) { fprintf(stderr, "connection %d closed by the server\n", i); return 1; }
      got[i] += (int)r;
      if (got[i] < size) continue;
      double tn = now_us();
      if (measuring) {
        double l = tn - t0[i];
        hist[l > MAXLAT ? MAXLAT : (unsigned)l]++;
        count++;
      }
      got[i] = 0;
      t0[i] = tn;
      if (write(fds[i], msg, size) != size) { perror("write"); return 1; }
    }
  }
  double el = now_us() - mstart, cpu = (cpu_us() - c0) / el;
  long seen = 0, p50 = -1, p99 = -1;
  for (long l = 0; l <= MAXLAT; l++) {
    seen += hist[l];
    if (p50 < 0 && seen * 100 >= count * 50) p50 = l;
    if (p99 < 0 && seen * 100 >= count * 99) { p99 = l; break; }
  }
  printf("%ld %.3f %ld %ld %.4f\n", count, el / 1000, p50, p99, cpu);
  return 0;
}
`;

/** Path of the compiled C client, or null (then the node:net client is used). */
function buildCClient() {
  const dir = join(os.tmpdir(), `tasklet-bench-net-${process.getuid?.() ?? 0}`);
  mkdirSync(dir, { recursive: true });
  const src = join(dir, "pingpong.c");
  const exe = join(dir, "pingpong");
  writeFileSync(src, C_CLIENT);
  for (const cc of ["gcc", "cc", "clang"]) {
    try {
      execFileSync(cc, ["-O2", "-o", exe, src], { stdio: "ignore" });
      return exe;
    } catch {
      // try the next compiler
    }
  }
  return null;
}

/** Run the C client; `onMeasure` is awaited when its measurement starts. */
async function pingPongC(exe, port, n, size, warmMs, ms, pinned, onMeasure) {
  const argv = [exe, String(port), String(n), String(size), String(warmMs), String(ms)];
  const child = pinned ? spawn("taskset", ["-c", "0", ...argv], { stdio: ["ignore", "pipe", "inherit"] }) : spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  let measureSeen = false;
  let pending = Promise.resolve();
  child.stdout.on("data", (d) => {
    out += d;
    if (!measureSeen && out.includes("M\n")) {
      measureSeen = true;
      pending = onMeasure();
    }
  });
  const [code] = await once(child, "exit");
  await pending;
  if (code !== 0) throw new Error(`C client exited with ${code}`);
  const last = out.trim().split("\n").pop().split(" ").map(Number);
  const [count, elapsed, p50, p99, cpu] = last;
  return { count, rate: (count * 1000) / elapsed, p50, p99, clientCpu: cpu };
}

/** Servers whose memory per idle connection is measured (the tasklet handler is parked in read). */
const IDLE_SERVERS = ["tasklet-ts", "tasklet-wasm", "node-callback"];

async function idleMemory(kind, port, n, ask) {
  const before = await ask("mem");
  const sockets = [];
  for (let i = 0; i < n; i += 500) {
    const batch = [];
    for (let j = i; j < Math.min(n, i + 500); j++) {
      const s = net.connect({ port, host: "127.0.0.1" });
      s.on("error", () => {});
      sockets.push(s);
      batch.push(once(s, "connect"));
    }
    await Promise.all(batch);
  }
  await sleep(500);
  const after = await ask("mem");
  for (const s of sockets) s.destroy();
  await sleep(500);
  return { rss: (after.rss - before.rss) / n, heap: (after.heap - before.heap) / n, external: (after.external - before.external) / n };
}

function parseArgs(args) {
  const name = "bench net";
  const { values: f } = parseCli({
    name,
    usage: "npm run bench -- net [--clients 100,1000] [--seconds 2] [--rounds 5] [--size 64] [--warm 0.5] [--idle 10000] [--no-pin] [--no-write]",
    options: {
      clients: { type: "string", value: "LIST", help: "client counts, comma-separated (default 100,1000)" },
      seconds: { type: "string", value: "N", help: "seconds per measurement (default 2)" },
      rounds: { type: "string", value: "N", help: "rounds (default 5)" },
      size: { type: "string", value: "BYTES", help: "message size (default 64)" },
      warm: { type: "string", value: "SECONDS", help: "warm-up before each measurement (default 0.5)" },
      idle: { type: "string", value: "N", help: "idle connections for the memory figure (default 10000)" },
      "no-pin": { type: "boolean", help: "do not pin servers and client to cores" },
      "no-write": { type: "boolean", help: "print the results, write nothing" },
    },
    args,
  });
  const clients = f.clients?.split(",").map((c) => intArg(name, "--clients", c, { min: 1 }));
  return {
    clients: clients ?? [100, 1000],
    seconds: numberArg(name, "--seconds", f.seconds) ?? 2,
    rounds: intArg(name, "--rounds", f.rounds, { min: 1 }) ?? 5,
    size: intArg(name, "--size", f.size, { min: 1 }) ?? 64,
    warm: numberArg(name, "--warm", f.warm) ?? 0.5,
    write: f["no-write"] !== true,
    idle: intArg(name, "--idle", f.idle) ?? 10_000,
    pin: f["no-pin"] !== true,
  };
}

function pin(pid, cpu) {
  try {
    execFileSync("taskset", ["-a", "-cp", String(cpu), String(pid)], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// -------------------------------------------------------------------- main

export async function main(args = []) {
  const o = parseArgs(args);
  const ncpu = os.availableParallelism();
  const pinned = o.pin && ncpu >= 2 && pin(process.pid, 0);
  const machine = {
    nproc: ncpu,
    cpu: os.cpus()[0]?.model ?? "unknown",
    node: process.version,
    load: os.loadavg().map((x) => x.toFixed(2)).join(" "),
  };
  console.log(`bench/net: ping-pong, ${o.size}-byte messages, clients ${o.clients.join(", ")}, ${o.rounds} rounds x ${o.seconds} s per server`);
  console.log(`machine: ${machine.nproc} CPUs (${machine.cpu}), node ${machine.node}, load average ${machine.load}`);
  console.log(
    pinned
      ? "pinning: servers on CPU 1, clients on CPU 0 (taskset); each side has one core, the machine is shared, so figures are noisy"
      : "pinning: none (--no-pin, no taskset or a single CPU): servers and client share the cores",
  );

  const cClient = buildCClient();
  console.log(cClient !== null ? "client: epoll ping-pong in C (compiled now), one process" : "client: node:net callbacks in this process (no C compiler found): results may be client-bound");

  // Start every server once.
  const children = new Map();
  for (const kind of SERVERS) {
    const env = { ...process.env };
    if (kind.endsWith("/data")) env.TASKLET_NET_READ = "data";
    delete env.TASKLET_BACKEND;
    const child = fork(SELF, ["--server", kind], { env, execArgv: ["--expose-gc"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
    const [first] = await once(child, "message");
    if (pinned) pin(child.pid, 1);
    children.set(kind, { child, port: first.port });
  }
  const ask = async (kind, m) => {
    const { child } = children.get(kind);
    child.send(m);
    const [reply] = await once(child, "message");
    return reply;
  };

  const results = {}; // clients -> kind -> samples[]
  const idle = {}; // kind -> per-connection memory
  try {
    for (const n of o.clients) {
      results[n] = Object.fromEntries(SERVERS.map((k) => [k, []]));
      for (let r = 0; r < o.rounds; r++) {
        const order = SERVERS.map((_, i) => SERVERS[(i + r) % SERVERS.length]);
        for (const kind of order) {
          const port = children.get(kind).port;
          let t0 = 0;
          const onMeasure = async () => {
            await ask(kind, "start");
            t0 = performance.now();
          };
          const res =
            cClient !== null
              ? await pingPongC(cClient, port, n, o.size, o.warm * 1000, o.seconds * 1000, pinned, onMeasure)
              : await pingPong(port, n, o.size, o.warm * 1000, o.seconds * 1000, onMeasure);
          const window = performance.now() - t0;
          const srv = await ask(kind, "stop");
          const sample = { ...res, serverCpu: srv.cpuMs / window, cpuUsPerMsg: (srv.cpuMs * 1000) / Math.max(1, res.count), gcsPer100k: (srv.gcs * 100_000) / Math.max(1, res.count), rssMB: srv.rss / 2 ** 20 };
          results[n][kind].push(sample);
          console.log(
            `  clients=${n} round ${r + 1} ${kind.padEnd(18)} ${fmt(sample.rate).padStart(8)} msg/s  p99 ${String(sample.p99).padStart(6)} us  server CPU ${pct(sample.serverCpu)} (${sample.cpuUsPerMsg.toFixed(2)} us/msg)  client CPU ${pct(sample.clientCpu)}`,
          );
          await sleep(100);
        }
      }
    }
    if (o.idle > 0) {
      for (const kind of IDLE_SERVERS) idle[kind] = await idleMemory(kind, children.get(kind).port, o.idle, (m) => ask(kind, m));
    }
  } finally {
    for (const { child } of children.values()) child.send("exit");
  }

  // Summary
  const lines = [];
  const summary = {};
  for (const n of o.clients) {
    summary[n] = {};
    lines.push(`\n### ${n} clients\n`);
    lines.push("| server | messages/s: median (each round) | p99 latency | server CPU share | server CPU per message | client CPU share | GCs per 100k msgs | server RSS |");
    lines.push("|---|---:|---:|---:|---:|---:|---:|---:|");
    for (const kind of SERVERS) {
      const s = results[n][kind];
      const row = {
        rate: median(s.map((x) => x.rate)),
        p99: median(s.map((x) => x.p99)),
        serverCpu: median(s.map((x) => x.serverCpu)),
        cpuPerMsg: median(s.map((x) => x.cpuUsPerMsg)),
        clientCpu: median(s.map((x) => x.clientCpu)),
        gcs: median(s.map((x) => x.gcsPer100k)),
        rss: median(s.map((x) => x.rssMB)),
        all: s.map((x) => Math.round(x.rate)),
      };
      summary[n][kind] = row;
      lines.push(
        `| ${kind} | ${fmt(row.rate)} (${row.all.map(fmt).join(" / ")}) | ${row.p99} us | ${pct(row.serverCpu)} | ${row.cpuPerMsg.toFixed(2)} us | ${pct(row.clientCpu)} | ${row.gcs.toFixed(1)} | ${row.rss.toFixed(0)} MB |`,
      );
    }
    const cb = summary[n]["node-callback"].rate;
    const it = summary[n]["node-async-iter"].rate;
    for (const k of ["tasklet-ts", "tasklet-wasm"]) {
      const t = summary[n][k].rate;
      const c = summary[n][k].cpuPerMsg;
      lines.push(
        `\n${k}: throughput ${((t / cb) * 100).toFixed(0)}% of node-callback (goal >= 90%) and ${((t / it) * 100).toFixed(0)}% of node-async-iter (goal > 100%); ` +
          `server CPU per message ${((c / summary[n]["node-callback"].cpuPerMsg) * 100).toFixed(0)}% of node-callback's and ${((c / summary[n]["node-async-iter"].cpuPerMsg) * 100).toFixed(0)}% of node-async-iter's (lower is better)`,
      );
    }
  }
  if (o.idle > 0) {
    lines.push(`\n### ${o.idle.toLocaleString("en-US")} idle connections (server process memory per connection, after gc)\n`);
    lines.push("| server | RSS per connection | JS heap per connection | external+ArrayBuffers per connection |");
    lines.push("|---|---:|---:|---:|");
    for (const [kind, m] of Object.entries(idle)) {
      lines.push(`| ${kind} | ${(m.rss / 1024).toFixed(2)} KB | ${(m.heap / 1024).toFixed(2)} KB | ${(m.external / 1024).toFixed(2)} KB |`);
    }
  }
  const table = lines.join("\n");
  console.log(table);

  if (o.write) {
    const md = [
      "# Green sockets: ping-pong benchmark",
      "",
      `Command: \`${["node --expose-gc bench/net.mjs", ...args.filter((a) => a !== "net")].join(" ")}\` (or \`npm run bench -- net\`)`,
      "",
      `Machine: ${machine.nproc} CPUs (${machine.cpu}), Node ${machine.node}, load average at start ${machine.load}. ${pinned ? "Servers pinned to CPU 1, the client to CPU 0 (taskset)." : "No pinning."} The machine was shared with other engineers' builds and tests: expect noise; the samples of each server are listed.`,
      "",
      `Each of ${o.clients.join(" and ")} clients sends ${o.size} bytes and waits for the whole echo before sending again; ${o.rounds} interleaved rounds of ${o.seconds} s per server (after ${o.warm} s of warm-up), medians shown. ${cClient !== null ? "The client is a single-threaded epoll ping-pong in C (source in bench/net.mjs), compiled at the start of the run" : "The client is node:net with callbacks in one process"}: when its CPU share is near 100% the figures are client-bound, not server-bound.`,
      "",
      "How to read it: on a shared 2-core machine the throughput of a ping-pong depends mostly on how much CPU the other tenants leave to the two processes (see the server CPU share: well under 100% means the server was waiting to be scheduled, not busy). **Server CPU per message** (the server process's user+system CPU time during the window, divided by the messages echoed) is the cost of one round trip to the server and is much less sensitive to that: it is the figure to compare. GCs per 100k messages counts the server's garbage collections (mostly scavenges) and reflects allocation per message. tasklet-wasm/data is tasklet-wasm with the shared read buffer switched off (`TASKLET_NET_READ=data`, Node's 'data' events): the difference between the two rows is what the read-buffer choice buys.",
      table,
      "",
    ].join("\n");
    mkdirSync(join(HERE, "results"), { recursive: true });
    writeFileSync(join(HERE, "results", "net.md"), md);
    console.log(`\nwrote bench/results/net.md`);
  }
  return { machine, pinned, summary };
}

function fmt(x) {
  return Math.round(x).toLocaleString("en-US");
}
function pct(x) {
  return `${Math.round(x * 100)}%`;
}

if (process.argv[2] === "--server") {
  await serverChild(process.argv[3]);
} else if (process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === import.meta.url) {
  await main(process.argv.slice(2));
}
