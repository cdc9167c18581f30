// The upload benchmark's processes (bench/upload.mjs), one per process:
//   node bench/servers/upload.mjs server <tasklet-wasm|tasklet-ts|node-http>
//     a server that reads each request's whole body into memory and answers
//     its length; prints "listening <port>", then answers "stats" lines on
//     stdin with "stats <requests> <body bytes> <ms> <CPU us>".
//   node bench/servers/upload.mjs client <port> <connections> <body bytes>
//     keep-alive raw-socket clients, each sending one request with a
//     Content-Length body at a time, until killed.
import http from "node:http";
import net from "node:net";
import { serve } from "../../dist/index.js";

const [mode, ...args] = process.argv.slice(2);

if (mode === "server") {
  const kind = args[0];
  process.on("SIGINT", () => process.exit(0)); // lets --cpu-prof write its profile
  let requests = 0;
  let bytes = 0;
  const ready = (p) => process.stdout.write(`listening ${p}\n`);
  let line = "";
  process.stdin.on("data", (d) => {
    line += d;
    for (let i; (i = line.indexOf("\n")) >= 0; line = line.slice(i + 1)) {
      if (line.slice(0, i) !== "stats") continue;
      const cpu = process.cpuUsage();
      process.stdout.write(`stats ${requests} ${bytes} ${performance.now()} ${cpu.user + cpu.system}\n`);
    }
  });
  if (kind === "tasklet-wasm" || kind === "tasklet-ts") {
    const server = serve({ port: 0, parser: kind === "tasklet-wasm" ? "wasm" : "ts", maxBodySize: 64 << 20 }, function* (req) {
      const body = yield* req.body();
      requests++;
      bytes += body.length;
      return { body: String(body.length) };
    });
    await server.ready;
    ready(server.port);
  } else if (kind === "node-http") {
    const server = http.createServer((req, res) => {
      const parts = [];
      req.on("data", (c) => parts.push(c));
      req.on("end", () => {
        const body = Buffer.concat(parts);
        requests++;
        bytes += body.length;
        res.end(String(body.length));
      });
    });
    server.listen(0, "127.0.0.1", () => ready(server.address().port));
  } else {
    console.error(`unknown server kind ${kind}`);
    process.exit(2);
  }
} else if (mode === "client") {
  const [port, conns, size] = args.map(Number);
  const body = Buffer.alloc(size, 0x61);
  const request = Buffer.concat([Buffer.from(`POST /upload HTTP/1.1\r\nHost: bench\r\nContent-Length: ${size}\r\n\r\n`), body]);
  const answer = `\r\n\r\n${size}`;
  for (let c = 0; c < conns; c++) {
    const sock = net.connect(port, "127.0.0.1");
    sock.on("error", () => process.exit(1));
    let got = "";
    sock.on("data", (d) => {
      got += d.toString("latin1");
      // One answer at a time per connection: the next upload starts when it is complete.
      if (got.endsWith(answer)) {
        got = "";
        sock.write(request);
      }
    });
    sock.write(request);
  }
} else {
  console.error("usage: upload.mjs server <kind> | client <port> <connections> <bytes>");
  process.exit(2);
}
