// An access log built from tasklet's diagnostics_channel events, with no
// change to the handler: one line per request (client, method, target,
// status, bytes, duration) from tasklet:http:request:end, and the errors the
// server answered itself from tasklet:http:error. The same events give
// tracing spans: a span starts at tasklet:http:request:start and ends at the
// matching end (the `request` object is the same in both).
// The server answers a few requests to itself, then closes; the process
// exits by itself.
//
//   node examples/access-log.mjs
import diagnostics_channel from "node:diagnostics_channel";
import { connect } from "node:net";
import { serve } from "../dist/index.js";
import { parseCli } from "../scripts/_args.mjs";

parseCli({ name: "access-log", usage: "node examples/access-log.mjs", options: {} });

// Events published while nobody subscribes cost the server nothing; these
// subscriptions turn them on.
diagnostics_channel.subscribe("tasklet:http:request:end", ({ request, remoteAddress, status, bytesWritten, durationMs }) => {
  console.log(`${remoteAddress} "${request.method} ${request.target}" ${status} ${bytesWritten} ${durationMs.toFixed(2)}ms`);
});
diagnostics_channel.subscribe("tasklet:http:error", ({ phase, error, remoteAddress }) => {
  console.log(`${remoteAddress} error (${phase}): ${error.message}`);
});

const server = serve({ port: 0, host: "127.0.0.1", onError: () => {} }, function* app(req) {
  if (req.path === "/") return { body: "Hello!\n" };
  if (req.path === "/fail") throw new Error("the handler failed");
  return { status: 404, body: `no ${req.path}\n` };
});
await server.ready;
const base = `http://127.0.0.1:${server.port}`;

for (const path of ["/", "/missing", "/fail"]) await (await fetch(base + path)).text();
await (await fetch(base + "/", { method: "POST", body: "some data" })).text();
// A malformed request: answered 400 by the server, logged as a parse error.
await new Promise((resolve) => {
  const sock = connect(server.port, "127.0.0.1", () => sock.end("GET / HTTP/1.1\r\nBad Header\r\n\r\n"));
  sock.on("data", () => {}).on("close", resolve);
});

await server.close();
