// The hello-world servers of bench/workers.mjs, one process or a primary
// with workers, on a port the bench gives:
//   node bench/servers/cluster-hello.mjs <tasklet|node-http> <workers> <port>
// tasklet: serve({ workers }) (workers 0: one process). node-http:
// http.createServer, with node:cluster forking <workers> processes when
// workers > 0 (round-robin, as tasklet). The primary prints
// "listening <port> <pid> <pid>..." (itself and its workers) once every
// process listens; the bench sums their CPU from /proc.
import cluster from "node:cluster";
import http from "node:http";
import { serve } from "../../dist/index.js";

const [kind, n, portArg] = process.argv.slice(2);
const workers = Number(n);
const port = Number(portArg);
const BODY = "Hello, World!";

if (kind === "tasklet") {
  const server = serve({ port, workers }, function* (_req, res) {
    yield* res.end(BODY);
  });
  await server.ready;
  if (cluster.isPrimary) console.log(`listening ${server.port} ${[process.pid, ...server.workers.map((w) => w.pid)].join(" ")}`);
} else if (kind === "node-http") {
  if (workers > 0 && cluster.isPrimary) {
    const pids = [];
    let up = 0;
    for (let i = 0; i < workers; i++) pids.push(cluster.fork().process.pid);
    cluster.on("listening", () => {
      if (++up === workers) console.log(`listening ${port} ${[process.pid, ...pids].join(" ")}`);
    });
    const stop = () => {
      for (const w of Object.values(cluster.workers)) w.kill();
      process.exit(0);
    };
    process.on("SIGTERM", stop);
  } else {
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain", "content-length": BODY.length });
      res.end(BODY);
    });
    server.keepAliveTimeout = 5000;
    server.listen(port, "127.0.0.1", () => {
      if (cluster.isPrimary) console.log(`listening ${port} ${process.pid}`);
    });
  }
} else {
  console.error(`unknown server ${kind}`);
  process.exit(2);
}
