// Overload benchmark (issue 21, SEDA's lesson): an open-loop load at about
// twice a server's capacity against a handler that burns 5 ms of CPU, for
// tasklet with admission control, tasklet without it and node:http, each
// server in its own process and the load generator in another
// (bench/clients/open-loop.mjs: requests leave on schedule whether or not
// earlier ones were answered; latency counts from the scheduled time).
// Reported per server: goodput (2xx answers per second), p50/p99 of the
// served requests, the p99 of those sent in the run's last second and the
// p99 with unanswered requests counted as what they waited (a queue
// without bound shows there), what was shed or left unanswered, and the
// p99 of the same server unloaded (1/10 of capacity). The kernel's count of
// SYNs dropped on full listen queues (machine-wide) is read around each
// run: a drop costs a client a 1 s SYN retransmit.
//
//   npm run bench -- overload                 10 s at 400 req/s per server, both handler kinds
//   npm run bench -- overload --quick         4 s per run
//   npm run bench -- overload --rate=300 --seconds=6 --modes=sync
//
// Handler kinds: `sync` burns its 5 ms in one go (admission by time,
// maxQueueDelay, is what sheds there: a synchronous handler never holds a
// slot while another request is examined); `sliced` burns it in five 1 ms
// slices and yields between them (admission by count, maxConcurrentRequests
// and maxQueuedRequests). The machine has 2 cores shared by the server, the
// generator and whatever else runs: the report gives the generator's CPU share.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { listArg, numberArg, parseCli } from "../scripts/_args.mjs";
import { fmt, here, machine, progress, progressDone, table, writeResult } from "./lib.mjs";

const { values: flags } = parseCli({
  name: "bench overload",
  usage: "npm run bench -- overload [--quick] [--rate=N] [--seconds=N] [--modes=sync,sliced]",
  options: {
    quick: { type: "boolean", help: "4 s per run (a sanity run)" },
    rate: { type: "string", value: "N", help: "requests per second of the overload (default 400: twice a 5 ms handler's 200/s)" },
    seconds: { type: "string", value: "N", help: "seconds of each overload run (default 10, 4 with --quick)" },
    modes: { type: "string", value: "LIST", help: "handler kinds: sync, sliced (default both)" },
  },
});
const RATE = numberArg("bench overload", "rate", flags.rate ?? 400, { min: 1 });
const SECONDS = numberArg("bench overload", "seconds", flags.seconds ?? (flags.quick ? 4 : 10), { min: 1 });
const MODES = flags.modes === undefined ? ["sync", "sliced"] : listArg("bench overload", "modes", flags.modes, ["sync", "sliced"]);
/** The unloaded reference: a tenth of capacity. */
const UNLOADED_RATE = 20;
const UNLOADED_SECONDS = flags.quick ? 3 : 5;

/** Server processes: name, and its arguments after the handler kind. */
const SERVERS = {
  sync: [
    { name: "tasklet + admission (maxQueueDelay 10 ms)", kind: "tasklet-ac", args: ["inf", "0", "10"] },
    { name: "tasklet, no admission control", kind: "tasklet", args: [] },
    { name: "node:http", kind: "node-http", args: [] },
  ],
  sliced: [
    { name: "tasklet + admission (1 running, 2 queued)", kind: "tasklet-ac", args: ["1", "2"] },
    { name: "tasklet, no admission control", kind: "tasklet", args: [] },
    { name: "node:http", kind: "node-http", args: [] },
  ],
};

function startServer(kind, mode, args) {
  const child = spawn(process.execPath, [join(here, "servers", "overload.mjs"), kind, mode, ...args], { stdio: ["pipe", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    const waiting = [];
    child.stdout.on("data", (d) => {
      out += d;
      for (let m; (m = out.match(/stats (\d+) (\d+) (\d+)\n/)) !== null; out = out.slice(m.index + m[0].length)) {
        waiting.shift()?.({ served: Number(m[1]), shed: Number(m[2]), cpuUs: Number(m[3]) });
      }
      const m = out.match(/listening (\d+)\n/);
      if (m !== null) {
        out = out.slice(m.index + m[0].length);
        resolve({
          port: Number(m[1]),
          stats: () => new Promise((r) => (waiting.push(r), child.stdin.write("stats\n"))),
          stop: () => new Promise((r) => (child.once("exit", r), child.kill("SIGINT"))),
        });
      }
    });
    child.once("exit", (code) => reject(new Error(`server ${kind} exited (${code}) before listening`)));
  });
}

function load(port, rate, seconds) {
  const child = spawn(process.execPath, [join(here, "clients", "open-loop.mjs"), String(port), String(rate), String(seconds), "3"], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  return new Promise((resolve, reject) => child.once("exit", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`load generator exited ${code}`)))));
}

/** SYNs the kernel dropped because a listen queue was full, machine-wide (TcpExt ListenDrops); null where unreadable. */
function listenDrops() {
  try {
    const lines = readFileSync("/proc/net/netstat", "utf8").split("\n").filter((l) => l.startsWith("TcpExt:"));
    const names = lines[0].split(/\s+/);
    const values = lines[1].split(/\s+/);
    return Number(values[names.indexOf("ListenDrops")]);
  } catch {
    return null;
  }
}

/** One server: the unloaded run, then the overload, each on a fresh process. */
async function measure(mode, s) {
  progress(`${mode}: ${s.name}, unloaded`);
  let srv = await startServer(s.kind, mode, s.args);
  const unloaded = await load(srv.port, UNLOADED_RATE, UNLOADED_SECONDS);
  await srv.stop();
  progress(`${mode}: ${s.name}, ${RATE} req/s for ${SECONDS} s`);
  srv = await startServer(s.kind, mode, s.args);
  const drops0 = listenDrops();
  const loaded = await load(srv.port, RATE, SECONDS);
  const drops1 = listenDrops();
  await srv.stop();
  loaded.synDrops = drops0 === null ? null : drops1 - drops0;
  return { unloaded, loaded };
}

const ms = (x) => (x === null ? "-" : x >= 1000 ? `${fmt(x / 1000, 2)} s` : `${fmt(x, 1)} ms`);

export async function main() {
  const lines = [`# Overload: ${RATE} req/s open-loop against a 5 ms CPU handler`, "", `Machine: ${machine()}.`, ""];
  lines.push(
    `Each run: ${SECONDS} s at ${RATE} req/s (about twice the 200 req/s a 5 ms handler allows on one core), after an unloaded run of ${UNLOADED_SECONDS} s at ${UNLOADED_RATE} req/s on a fresh server. Latency of served (2xx) requests from their scheduled send time. 2 cores shared by the server, the generator and other work on the machine.`,
    "",
  );
  for (const mode of MODES) {
    const rows = [];
    let acP99 = null;
    let acRef = null;
    for (const s of SERVERS[mode]) {
      const { unloaded, loaded } = await measure(mode, s);
      if (s.kind === "tasklet-ac") {
        acP99 = loaded.p99;
        acRef = unloaded.p99;
      }
      rows.push([
        s.name,
        ms(unloaded.p99),
        fmt(loaded.goodput, 0),
        ms(loaded.p50),
        ms(loaded.p99),
        unloaded.p99 ? `${fmt(loaded.p99 / unloaded.p99, 1)}x` : "-",
        ms(loaded.p99last),
        ms(loaded.p99all),
        String(loaded.shed),
        String(loaded.unanswered + loaded.errors),
        loaded.synDrops === null ? "-" : String(loaded.synDrops),
        `${fmt(loaded.cpuShare * 100, 0)}%`,
      ]);
    }
    progressDone();
    lines.push(`## Handler: ${mode === "sync" ? "5 ms of CPU in one go" : "5 ms of CPU in five 1 ms slices, yielding between them"}`, "");
    lines.push(
      table(
        ["server", "unloaded p99", "goodput /s", "p50", "p99", "p99 / unloaded", "p99, last second", "p99 with unanswered", "503s", "unanswered or failed", "SYNs dropped (machine)", "generator CPU"],
        rows,
      ),
    );
    const met = acP99 !== null && acRef !== null && acP99 <= 3 * acRef;
    lines.push("", `Goal (admission control: p99 of served requests within 3x of its unloaded p99): ${met ? "met" : "not met"} (${ms(acP99)} vs ${ms(acRef)}).`, "");
  }
  const text = lines.join("\n") + "\n";
  process.stdout.write(text);
  const path = writeResult("overload.md", text);
  process.stderr.write(`written to ${path}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
