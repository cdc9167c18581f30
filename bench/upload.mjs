// Upload benchmark: 1 MiB request bodies, read whole by the handler, over
// keep-alive connections; tasklet (Wasm and TS parsers) against node:http,
// each server in its own process, measured in turn (ABAB) in one run.
//
//   npm run bench -- upload            3 s per measurement, 5 rounds
//   npm run bench -- upload --quick    2 s, 1 round
//
// The client is a raw-socket process that sends the next body when the
// answer to the last one is in. With `taskset` the server runs on core 0
// and the client on core 1 (the machine has 2 cores; they share them
// otherwise). Figures come from the server's own counters over a window.
import { spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { join } from "node:path";
import { parseCli } from "../scripts/_args.mjs";
import { fmt, have, here, interleave, machine, median, progressDone, table, writeResult } from "./lib.mjs";

const { values: flags } = parseCli({ name: "bench upload", usage: "npm run bench -- upload [--quick]", options: { quick: { type: "boolean", help: "2 s, 1 round" } } });
const quick = flags.quick === true;
const DURATION = quick ? 2 : 3;
const ROUNDS = quick ? 1 : 5;
const BODY = 1 << 20;
const CONNS = 8;
const SERVERS = ["tasklet-wasm", "tasklet-ts", "node-http"];
const PIN = have("taskset");
const SCRIPT = join(here, "servers", "upload.mjs");

function start(args, core) {
  const cmd = PIN ? "taskset" : process.execPath;
  return spawn(cmd, [...(PIN ? ["-c", String(core), process.execPath] : []), SCRIPT, ...args], { stdio: ["pipe", "pipe", "inherit"] });
}

function startServer(kind) {
  const child = start(["server", kind], 0);
  const server = { child, port: 0, waiting: [] };
  let out = "";
  return new Promise((resolve, reject) => {
    child.on("exit", (code) => reject(new Error(`${kind} server exited (${code})`)));
    child.stdout.on("data", (d) => {
      out += d;
      for (let m; (m = out.match(/stats (\d+) (\d+) ([\d.]+) (\d+)\n/)) !== null; out = out.slice(m.index + m[0].length)) {
        server.waiting.shift()?.({ requests: Number(m[1]), bytes: Number(m[2]), ms: Number(m[3]), cpuUs: Number(m[4]) });
      }
      const m = out.match(/listening (\d+)/);
      if (m && server.port === 0) {
        server.port = Number(m[1]);
        resolve(server);
      }
    });
  });
}

const stats = (s) => new Promise((resolve) => {
  s.waiting.push(resolve);
  s.child.stdin.write("stats\n");
});

async function measure(kind) {
  const server = await startServer(kind);
  const client = start(["client", String(server.port), String(CONNS), String(BODY)], 1);
  try {
    await sleep(1000); // warm-up
    const a = await stats(server);
    await sleep(DURATION * 1000);
    const b = await stats(server);
    const secs = (b.ms - a.ms) / 1000;
    const mb = (b.bytes - a.bytes) / 2 ** 20;
    const cpu = (b.cpuUs - a.cpuUs) / 1e6;
    return { mbps: mb / secs, cpuPerMb: (cpu / mb) * 1e3, serverCpu: cpu / secs };
  } finally {
    client.kill("SIGKILL");
    server.child.removeAllListeners("exit");
    server.child.kill("SIGKILL");
  }
}

export async function main() {
  const samples = await interleave("upload", SERVERS, ROUNDS, measure);
  progressDone();
  const med = (k, f) => median(samples.get(k).map((s) => s[f]));
  const node = med("node-http", "mbps");
  const rows = SERVERS.map((k) => [k, fmt(med(k, "mbps")), fmt(med(k, "cpuPerMb"), 2), `${fmt(med(k, "serverCpu") * 100)}%`, `${fmt(med(k, "mbps") / node, 2)}x`]);
  const text = [
    `# Upload: ${CONNS} keep-alive connections, ${BODY >> 20} MiB bodies read whole`,
    "",
    machine(),
    `${ROUNDS} rounds of ${DURATION} s, medians; server ${PIN ? "pinned to core 0, client to core 1" : "and client unpinned"}.`,
    "",
    table(["server", "MB/s", "server CPU ms per MB", "server CPU", "vs node:http"], rows),
    "",
  ].join("\n");
  console.log(text);
  if (!quick) writeResult("upload.md", text);
}
