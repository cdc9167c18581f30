// The servers of bench/overload.mjs, one per process: every request burns
// 5 ms of CPU, then answers "done".
//   node bench/servers/overload.mjs <tasklet-ac|tasklet|node-http> <sync|sliced> [maxConcurrent] [maxQueued] [maxQueueDelay]
// `sync` burns the 5 ms in one go; `sliced` in five 1 ms slices, giving the
// loop back between them (yieldNow in tasklet, setImmediate in node:http),
// as a cooperative CPU-bound handler does. tasklet-ac is tasklet with
// admission control (maxConcurrentRequests, maxQueuedRequests; "inf" for
// no limit; maxQueueDelay in ms when given).
// Prints "listening <port>"; "stats" on stdin prints "stats <served> <shed> <cpu us>".
import http from "node:http";
import { serve, yieldNow } from "../../dist/index.js";

const [kind, mode, maxC = "1", maxQ = "0", maxDelay] = process.argv.slice(2);
const num = (x) => (x === "inf" ? Infinity : Number(x));
const WORK_MS = 5;
const SLICES = 5;

function burn(ms) {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

let served = 0;
let shedCount = () => 0;
process.on("SIGINT", () => process.exit(0));
process.stdin.on("data", (d) => {
  if (String(d).includes("stats")) {
    const cpu = process.cpuUsage();
    process.stdout.write(`stats ${served} ${shedCount()} ${cpu.user + cpu.system}\n`);
  }
});

if (kind === "tasklet" || kind === "tasklet-ac") {
  const limits = kind === "tasklet-ac" ? { maxConcurrentRequests: num(maxC), maxQueuedRequests: num(maxC) === Infinity ? 0 : num(maxQ), maxQueueDelay: maxDelay === undefined ? undefined : num(maxDelay) } : {};
  const server = serve({ port: 0, keepAliveTimeout: 600_000, headersTimeout: 600_000, ...limits }, function* work() {
    if (mode === "sync") burn(WORK_MS);
    else
      for (let i = 0; i < SLICES; i++) {
        burn(WORK_MS / SLICES);
        yield* yieldNow();
      }
    served++;
    return { body: "done" };
  });
  await server.ready;
  shedCount = () => server.stats().shed;
  process.stdout.write(`listening ${server.port}\n`);
} else if (kind === "node-http") {
  const server = http.createServer({ keepAliveTimeout: 600_000 }, async (_req, res) => {
    if (mode === "sync") burn(WORK_MS);
    else
      for (let i = 0; i < SLICES; i++) {
        burn(WORK_MS / SLICES);
        await new Promise((r) => setImmediate(r));
      }
    served++;
    res.end("done");
  });
  server.listen(0, "127.0.0.1", () => process.stdout.write(`listening ${server.address().port}\n`));
} else {
  console.error(`unknown server ${kind}`);
  process.exit(2);
}
