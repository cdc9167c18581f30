// Cancellation crossing into Promise land: a fetch under withTimeout is
// aborted when the time runs out, so the request really stops: the server
// sees its socket close. Then the other direction: an AbortController from
// outside tasklet (as a framework would hand you) cancels a tasklet
// operation through `abortable`. Each task knows its request id through a
// TaskLocal, inherited by the tasks it spawns.
//
// Self-contained: it serves a slow endpoint on 127.0.0.1 with node:http,
// prints what happened, and exits by itself.
//
//   node examples/abort-fetch.mjs [timeoutMs=50]
import { createServer } from "node:http";
import { TaskLocal, TimeoutError, abortable, call, run, sleep, spawn, withTimeout } from "../dist/index.js";
import { intArg, parseCli } from "../scripts/_args.mjs";

const { positionals } = parseCli({ name: "abort-fetch", usage: "node examples/abort-fetch.mjs [timeoutMs=50]", positionals: 1 });
const TIMEOUT_MS = intArg("abort-fetch", "timeoutMs", positionals[0] ?? "50", { min: 1 });
const start = performance.now();
const at = () => `${(performance.now() - start).toFixed(0).padStart(4)} ms`;

// A backend that takes 10 s to answer `/slow`, and answers `/fast` at once.
const server = createServer((req, res) => {
  if (req.url === "/fast") return res.end("fast\n");
  console.log(`${at()}  server: ${req.url} arrived; answering in 10 s`);
  const timer = setTimeout(() => res.end("slow\n"), 10_000);
  req.socket.once("close", () => {
    clearTimeout(timer);
    console.log(`${at()}  server: the client closed the socket of ${req.url}`);
  });
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const base = `http://127.0.0.1:${server.address().port}`;
await (await fetch(`${base}/fast`)).text(); // load fetch's machinery before the clock starts

const requestId = new TaskLocal("none");

await run(function* main() {
  requestId.set("req-1");
  try {
    // The function declares a parameter, so `call` hands it an AbortSignal.
    yield* withTimeout(TIMEOUT_MS, call((signal) => fetch(`${base}/slow`, { signal })));
  } catch (e) {
    if (!(e instanceof TimeoutError)) throw e;
    console.log(`${at()}  client [${requestId.get()}]: ${e.message}; the fetch was aborted with it`);
  }

  // The other way round: a signal from outside cancels a tasklet operation.
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error("the user pressed Stop")), TIMEOUT_MS);
  requestId.set("req-2");
  try {
    yield* abortable(controller.signal, function* () {
      const worker = spawn(function* () {
        try {
          yield* sleep(60_000);
        } finally {
          console.log(`${at()}  worker [${requestId.get()}]: cancelled, cleaning up`);
        }
      });
      yield* worker;
    });
  } catch (e) {
    console.log(`${at()}  client [${requestId.get()}]: abortable threw "${e.message}"`);
  }
  yield* sleep(20); // let the server report the closed socket
});

server.closeAllConnections();
server.close();
console.log(`${at()}  done`);
