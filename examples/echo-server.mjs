// A TCP echo server: one green thread per connection, written as plain
// sequential code. Run:  npm run build && node examples/echo-server.mjs
// then, in another terminal:  nc 127.0.0.1 7000   (PORT=... to change; 0 picks one)
import { startTcpServer } from "../dist/index.js";
import { serverPort } from "../scripts/_args.mjs";

const port = serverPort("echo-server", 7000);

const server = await startTcpServer({ port }, function* echo(conn) {
  console.log(`+ ${conn.address}`);
  try {
    // read() parks this task until bytes arrive (null at end of stream);
    // write() parks it while the peer is not reading fast enough.
    for (let bytes = yield* conn.read(); bytes !== null; bytes = yield* conn.read()) {
      yield* conn.write(bytes);
    }
  } finally {
    console.log(`- ${conn.address}`);
  }
});

console.log(`echo server listening on 127.0.0.1:${server.port} (try: nc 127.0.0.1 ${server.port}); Ctrl-C to stop`);

process.once("SIGINT", async () => {
  console.log("\nclosing: waiting up to 1 s for connections to finish");
  await server.close({ timeout: 1000 });
  process.exit(0);
});
