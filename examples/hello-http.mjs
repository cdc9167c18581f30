// Hello, World over HTTP/1.1: one green thread per connection, the request
// parser in WebAssembly. This is what `npm start` runs.
//
//   node examples/hello-http.mjs          # 127.0.0.1:3000, or PORT
//   node examples/hello-http.mjs --port 8080   (or PORT=8080)
import { serve } from "../dist/index.js";
import { serverPort } from "../scripts/_args.mjs";

const port = serverPort("hello-http", 3000);
const server = serve({ port, host: "127.0.0.1" }, function* hello(req, res) {
  res.setHeader("content-type", "text/plain; charset=utf-8");
  yield* res.end("Hello, World!\n");
});

try {
  await server.ready;
} catch (e) {
  console.error(`cannot listen on 127.0.0.1:${port}: ${e.message}`);
  process.exit(1);
}
console.log(`tasklet hello-http listening on http://127.0.0.1:${server.port}/ (parser: ${server.parser}); Ctrl-C stops it`);

const stop = () => {
  console.log("closing: finishing requests in flight");
  server.close({ timeout: 2000 }).then(() => process.exit(0), () => process.exit(1));
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
