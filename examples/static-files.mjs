// A static file server: serveFiles streams the files of a folder with their
// Content-Type, ETag/Last-Modified (304s), byte ranges (206) and gzip/brotli
// when the client accepts it. Requests it has no file for fall through to
// the rest of the handler, here a small JSON route and a 404 page.
//
//   node examples/static-files.mjs              # serves examples/ on 127.0.0.1:3000
//   node examples/static-files.mjs ./public --port 8080
//   PORT=0 node examples/static-files.mjs docs  # any free port
//
//   curl -i http://127.0.0.1:3000/static-files.mjs
//   curl -s --compressed -D - -o /dev/null http://127.0.0.1:3000/hello-http.mjs
//   curl -s -r 0-99 http://127.0.0.1:3000/static-files.mjs
import path from "node:path";
import { fileURLToPath } from "node:url";
import { serve, serveFiles } from "../dist/index.js";
import { intArg, parseCli } from "../scripts/_args.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const { values, positionals } = parseCli({
  name: "static-files",
  usage: "node examples/static-files.mjs [dir] [--port N]   (or PORT=N)",
  options: { port: { type: "string", value: "N", help: "port to listen on (default: PORT, else 3000; 0 picks a free one)" } },
  positionals: 1,
});
const root = path.resolve(positionals[0] ?? here);
const port = intArg("static-files", values.port !== undefined ? "--port" : "PORT", values.port ?? process.env.PORT ?? "3000", { max: 65535 });

const files = serveFiles(root, { maxAge: 60, fallthrough: true });

const server = serve({ port, host: "127.0.0.1" }, function* (req, res) {
  const answer = yield* files(req, res);
  if (answer !== undefined) return answer;
  if (req.path === "/_about") return { body: { root, server: "tasklet", parser: server.parser } };
  return { status: 404, headers: { "content-type": "text/html; charset=utf-8" }, body: `<h1>Not found</h1><p>No file for ${escape(req.path)}</p>\n` };
});

function escape(s) {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

try {
  await server.ready;
} catch (e) {
  console.error(`cannot listen on 127.0.0.1:${port}: ${e.message}`);
  process.exit(1);
}
console.log(`tasklet static-files serving ${root} on http://127.0.0.1:${server.port}/ ; Ctrl-C stops it`);

const stop = () => {
  server.close({ timeout: 2000 }).then(() => process.exit(0), () => process.exit(1));
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
