// The hello-world servers compared by bench/http.mjs, one per process:
//   node bench/servers/hello.mjs <tasklet-wasm|tasklet-ts|node-http|raw-net|hono-tasklet|hono-node|tasklet-https|node-https> <port>
// The two Hono servers run the same Hono app ("/" text, "/json" a small JSON
// object), on tasklet's fetch-style handler path and on @hono/node-server.
// The two HTTPS servers (tasklet's green handler with the Wasm parser, and
// node:https) read their key and certificate from the PEM files named by
// BENCH_TLS_KEY and BENCH_TLS_CERT (bench/http.mjs makes them with openssl).
// Prints "listening <port>" when ready, and "heap <bytes in use>" after the full GC
// that SIGUSR2 asks for (the memory benchmark).
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import { serve } from "../../dist/index.js";

const [kind, portArg] = process.argv.slice(2);
const port = Number(portArg);
const BODY = "Hello, World!";

process.on("SIGINT", () => process.exit(0)); // lets --cpu-prof write its profile
// The memory benchmark collects garbage before reading RSS (run with --expose-gc).
process.on("SIGUSR2", () => {
  globalThis.gc?.();
  process.stdout.write(`heap ${process.memoryUsage().heapUsed}\n`);
  if (process.env.BENCH_MEM_REPORT) console.error(JSON.stringify(process.memoryUsage()));
});

// Requests answered, and how to count the connections open (it calls back
// with the count), for the "stats" line below.
let requests = 0;
let connections = (cb) => cb(0);

// A bench writes lines to stdin and reads the answers on stdout:
// - "stats": "stats <requests answered> <connections open> <ms on the
//   process's clock> <CPU us, user + system>". bench/http.mjs measures between
//   two of these, once every connection is open.
// - "alloc" (with BENCH_ALLOC set; bench/http-alloc.mjs): the bytes in use in
//   V8's young generation and the number of garbage collections so far. With a
//   young generation too large to fill, the difference of two readings is what
//   the server allocated between them.
let gcs = 0;
let v8 = null;
if (process.env.BENCH_ALLOC) {
  const { PerformanceObserver } = await import("node:perf_hooks");
  v8 = await import("node:v8");
  new PerformanceObserver((list) => (gcs += list.getEntries().length)).observe({ entryTypes: ["gc"] });
}
let line = "";
process.stdin.on("data", (d) => {
  line += d;
  for (let i; (i = line.indexOf("\n")) >= 0; line = line.slice(i + 1)) {
    const cmd = line.slice(0, i);
    if (cmd === "stats") {
      connections((open) => {
        const cpu = process.cpuUsage();
        process.stdout.write(`stats ${requests} ${open} ${performance.now()} ${cpu.user + cpu.system}\n`);
      });
    } else if (cmd === "alloc" && v8 !== null) {
      const young = v8.getHeapSpaceStatistics().find((sp) => sp.space_name === "new_space");
      process.stdout.write(`alloc ${young.space_used_size} ${gcs}\n`);
    }
  }
});

/** The open connections of a node:net or node:http server, as node:net counts them (nothing added per connection). */
function countConnections(server) {
  connections = (cb) => server.getConnections((_e, n) => cb(n));
}

function ready(p) {
  process.stdout.write(`listening ${p}\n`);
}

if (kind === "tasklet-wasm" || kind === "tasklet-ts") {
  const server = serve({ port, parser: kind === "tasklet-wasm" ? "wasm" : "ts", keepAliveTimeout: 600_000, headersTimeout: 600_000 }, function* hello(_req, res) {
    requests++;
    res.setHeader("content-type", "text/plain");
    yield* res.end(BODY);
  });
  await server.ready;
  connections = (cb) => cb(server.connections);
  ready(server.port);
} else if (kind === "tasklet-https") {
  const tls = { key: readFileSync(process.env.BENCH_TLS_KEY), cert: readFileSync(process.env.BENCH_TLS_CERT) };
  const server = serve({ port, tls, keepAliveTimeout: 600_000, headersTimeout: 600_000 }, function* hello(_req, res) {
    requests++;
    res.setHeader("content-type", "text/plain");
    yield* res.end(BODY);
  });
  await server.ready;
  connections = (cb) => cb(server.connections);
  ready(server.port);
} else if (kind === "node-https") {
  const server = https.createServer({ key: readFileSync(process.env.BENCH_TLS_KEY), cert: readFileSync(process.env.BENCH_TLS_CERT) }, (_req, res) => {
    requests++;
    res.setHeader("content-type", "text/plain");
    res.end(BODY);
  });
  server.keepAliveTimeout = 600_000;
  server.headersTimeout = 600_000;
  server.requestTimeout = 0;
  countConnections(server);
  server.listen(port, "127.0.0.1", () => ready(server.address().port));
} else if (kind === "node-http") {
  const server = http.createServer((_req, res) => {
    requests++;
    res.setHeader("content-type", "text/plain");
    res.end(BODY);
  });
  server.keepAliveTimeout = 600_000;
  server.headersTimeout = 600_000;
  server.requestTimeout = 0;
  countConnections(server);
  server.listen(port, "127.0.0.1", () => ready(server.address().port));
} else if (kind === "raw-net") {
  // No parsing at all: one fixed response per blank line seen. The ceiling for Node.
  const response = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`);
  const server = net.createServer((sock) => {
    let tail = 0; // bytes of "\r\n\r\n" matched across chunks
    sock.on("data", (d) => {
      let n = 0;
      for (let i = 0; i < d.length; i++) {
        const c = d[i];
        if ((tail === 0 || tail === 2) && c === 13) tail++;
        else if ((tail === 1 || tail === 3) && c === 10) {
          if (++tail === 4) {
            n++;
            tail = 0;
          }
        } else tail = c === 13 ? 1 : 0;
      }
      requests += n;
      if (n === 1) sock.write(response);
      else if (n > 1) sock.write(Buffer.concat(Array(n).fill(response)));
    });
    sock.on("error", () => {});
  });
  countConnections(server);
  server.listen(port, "127.0.0.1", () => ready(server.address().port));
} else if (kind === "hono-tasklet" || kind === "hono-node") {
  const { Hono } = await import("hono");
  const app = new Hono();
  app.get("/", (c) => {
    requests++;
    return c.text(BODY);
  });
  app.get("/json", (c) => {
    requests++;
    return c.json({ message: BODY, n: requests });
  });
  if (kind === "hono-tasklet") {
    const server = serve({ port, keepAliveTimeout: 600_000, headersTimeout: 600_000 }, app);
    await server.ready;
    connections = (cb) => cb(server.connections);
    ready(server.port);
  } else {
    const { serve: nodeServe } = await import("@hono/node-server");
    const server = nodeServe({ fetch: app.fetch, port, hostname: "127.0.0.1" }, (info) => ready(info.port));
    server.keepAliveTimeout = 600_000;
    server.headersTimeout = 600_000;
    server.requestTimeout = 0;
    countConnections(server);
  }
} else {
  console.error(`unknown server kind ${kind}`);
  process.exit(2);
}
