// The server of bench/offload.mjs, one per process:
//   node bench/servers/offload.mjs <inline|offload> <port> <rounds>
// GET /hash hashes a fresh 1 MiB buffer (SHA-256, `rounds` times: see
// hash-work.mjs), in the handler's own step (inline) or on the shared worker
// pool through offload(), the buffer moved there; GET /ping answers at once.
// Prints "listening <port>" when ready; "stats" on stdin prints
// "stats <CPU us of the process, user + system>".
import { randomFillSync } from "node:crypto";
import { offload, serve } from "../../dist/index.js";
import { hashMiB } from "./hash-work.mjs";

const [kind, portArg, roundsArg] = process.argv.slice(2);
const rounds = Number(roundsArg ?? 4);
const WORK = new URL("./hash-work.mjs", import.meta.url);

process.on("SIGINT", () => process.exit(0));
process.stdin.on("data", (d) => {
  if (String(d).includes("stats")) {
    const cpu = process.cpuUsage();
    process.stdout.write(`stats ${cpu.user + cpu.system}\n`);
  }
});

const server = serve({ port: Number(portArg), keepAliveTimeout: 600_000, headersTimeout: 600_000 }, function* (req, res) {
  if (req.path === "/hash") {
    const bytes = randomFillSync(new Uint8Array(1 << 20));
    const hex = kind === "offload" ? yield* offload(WORK, "hashMiB", [bytes, rounds], { transfer: [bytes.buffer] }) : hashMiB(bytes, rounds);
    yield* res.end(hex);
    return;
  }
  yield* res.end("pong");
});
await server.ready;
if (kind === "offload") {
  // Start the pool's threads before the measurement (as a server would at boot).
  const { run } = await import("../../dist/index.js");
  await Promise.all([0, 1].map(() => run(() => offload(WORK, "hashMiB", [new Uint8Array(1), 1]))));
}
process.stdout.write(`listening ${server.port}\n`);
