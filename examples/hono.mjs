// A Hono app served by tasklet, unchanged: `serve(options, app)` takes any
// object with a fetch method (or a function (request) => Response). Routing,
// params, JSON, a middleware and a streamed response, all Hono's own code.
//
//   node examples/hono.mjs            # 127.0.0.1:3000, or PORT
//   node examples/hono.mjs --port 8080
//   curl http://127.0.0.1:3000/hello/you
//   curl -d '{"n": 2}' http://127.0.0.1:3000/double
import { Hono } from "hono";
import { streamText } from "hono/streaming";
import { serve } from "../dist/index.js";
import { serverPort } from "../scripts/_args.mjs";

const app = new Hono();
app.use("*", async (c, next) => {
  const t0 = performance.now();
  await next();
  c.header("server-timing", `app;dur=${(performance.now() - t0).toFixed(2)}`);
});
app.get("/", (c) => c.text("Hello from Hono on tasklet!\n"));
app.get("/hello/:name", (c) => c.json({ hello: c.req.param("name") }));
app.post("/double", async (c) => {
  const { n } = await c.req.json();
  return c.json({ n, doubled: n * 2 });
});
app.get("/count", (c) =>
  streamText(c, async (s) => {
    for (let i = 1; i <= 5; i++) {
      await s.writeln(String(i));
      await s.sleep(100);
    }
  }),
);

const port = serverPort("hono", 3000);
const server = serve({ port, host: "127.0.0.1" }, app);
try {
  await server.ready;
} catch (e) {
  console.error(`cannot listen on 127.0.0.1:${port}: ${e.message}`);
  process.exit(1);
}
console.log(`Hono on tasklet listening on http://127.0.0.1:${server.port}/ ; Ctrl-C stops it`);

const stop = () => server.close({ timeout: 2000 }).then(() => process.exit(0), () => process.exit(1));
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
