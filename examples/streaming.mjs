// Streaming responses: a chunked body written piece by piece as it is
// produced, with backpressure (res.write waits while the client is not
// reading), and a streaming upload read chunk by chunk.
//
//   node examples/streaming.mjs           # 127.0.0.1:3002, or PORT
//   curl -sN localhost:3002/clock         # one line every 200 ms, 10 lines
//   curl -s --data-binary @/etc/services localhost:3002/count   # counts bytes as they arrive
import { serve, sleep } from "../dist/index.js";
import { serverPort } from "../scripts/_args.mjs";

const server = serve({ port: serverPort("streaming", 3002) }, function* (req, res) {
  if (req.path === "/clock") {
    res.setHeader("content-type", "text/plain; charset=utf-8");
    for (let i = 1; i <= 10; i++) {
      yield* res.write(`${i}: ${new Date().toISOString()}\n`);
      yield* sleep(200);
    }
    yield* res.end("done\n");
    return;
  }
  if (req.path === "/count" && req.method === "POST") {
    let bytes = 0;
    let chunks = 0;
    for (let c = yield* req.read(); c !== null; c = yield* req.read()) {
      bytes += c.length;
      chunks++;
    }
    return { body: { bytes, chunks } };
  }
  return { status: 404, body: "try /clock or POST /count\n" };
});
await server.ready;
console.log(`streaming examples on http://127.0.0.1:${server.port}/clock and /count`);
process.once("SIGINT", () => server.close({ timeout: 1000 }).then(() => process.exit(0)));
