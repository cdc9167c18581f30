// The WebSocket echo servers compared by bench/websocket.mjs, one per process:
//   node --expose-gc bench/servers/ws-echo.mjs <tasklet-wasm|tasklet-ts|ws|ws+addons>
// tasklet-wasm is tasklet on its Wasm scheduler core with the Wasm HTTP parser
// and frame codec; tasklet-ts the TypeScript core, parser and codec. `ws` is
// the ws package without its native add-ons, ws+addons with them: ws reads
// WS_NO_BUFFER_UTIL / WS_NO_UTF_8_VALIDATE when it loads, so this file sets
// them before importing it.
//
// Every server echoes each message as it came (text as text, binary as
// binary), allows messages up to 1 MiB and counts its open WebSockets.
// It prints "listening <port> <notes>" when ready, then answers lines on stdin:
// - "stats": "stats <open WebSockets> <ms on the process's clock> <CPU us, user + system>"
// - "mem": after two full GCs (needs --expose-gc),
//   "mem <rss> <heap used> <external> <arrayBuffers>" (bytes)
import { createRequire } from "node:module";

const kind = process.argv[2];
const MAX_MESSAGE = 1 << 20;
let open = 0; // WebSockets open now

async function startTasklet(kind) {
  const tasklet = await import("../../dist/index.js");
  if (typeof tasklet.upgrade !== "function") throw new Error("this build of tasklet has no upgrade(): the WebSocket servers need it (run npm run build on a branch that has it)");
  const { serve, upgrade } = tasklet;
  const ts = kind === "tasklet-ts";
  const server = serve(
    // Idle connections stay for the memory figure: no timeout cuts them.
    { port: 0, host: "127.0.0.1", parser: ts ? "ts" : "wasm", backend: ts ? "ts" : "wasm", keepAliveTimeout: 600_000, headersTimeout: 600_000 },
    function* echo(req) {
      if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") return { status: 426, body: "a WebSocket echo server\n" };
      const ws = yield* upgrade(req, { maxMessageSize: MAX_MESSAGE });
      open++;
      try {
        for (let m = yield* ws.receive(); m !== null; m = yield* ws.receive()) yield* ws.send(m);
      } finally {
        open--;
      }
    },
  );
  await server.ready;
  return { port: server.port, notes: `backend=${ts ? "ts" : "wasm"} parser+codec=${ts ? "ts" : "wasm"}` };
}

async function startWs(kind) {
  if (kind === "ws") {
    process.env.WS_NO_BUFFER_UTIL = "1";
    process.env.WS_NO_UTF_8_VALIDATE = "1";
  } else {
    delete process.env.WS_NO_BUFFER_UTIL;
    delete process.env.WS_NO_UTF_8_VALIDATE;
  }
  const { WebSocketServer } = await import("ws");
  const wss = new WebSocketServer({ port: 0, host: "127.0.0.1", maxPayload: MAX_MESSAGE, perMessageDeflate: false });
  wss.on("connection", (ws) => {
    open++;
    ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
    ws.on("close", () => open--);
    ws.on("error", () => {});
  });
  await new Promise((resolve, reject) => {
    wss.once("listening", resolve);
    wss.once("error", reject);
  });
  // Which add-ons ws actually loaded (it falls back silently when one is missing).
  const require = createRequire(import.meta.url);
  const loaded = (name) => {
    try {
      return require.cache[require.resolve(name)] !== undefined ? "yes" : "no";
    } catch {
      return "not installed";
    }
  };
  return { port: wss.address().port, notes: `bufferutil=${loaded("bufferutil")} utf-8-validate=${loaded("utf-8-validate")}` };
}

let started;
try {
  if (kind === "tasklet-wasm" || kind === "tasklet-ts") started = await startTasklet(kind);
  else if (kind === "ws" || kind === "ws+addons") started = await startWs(kind);
  else {
    console.error(`ws-echo: unknown server kind ${JSON.stringify(kind)}; one of tasklet-wasm, tasklet-ts, ws, ws+addons`);
    process.exit(2);
  }
} catch (e) {
  console.error(`ws-echo ${kind}: ${e?.message ?? e}`);
  process.exit(1);
}

let line = "";
process.stdin.on("data", (d) => {
  line += d;
  for (let i; (i = line.indexOf("\n")) >= 0; line = line.slice(i + 1)) {
    const cmd = line.slice(0, i);
    if (cmd === "stats") {
      const cpu = process.cpuUsage();
      process.stdout.write(`stats ${open} ${performance.now()} ${cpu.user + cpu.system}\n`);
    } else if (cmd === "mem") {
      globalThis.gc?.();
      globalThis.gc?.();
      const m = process.memoryUsage();
      process.stdout.write(`mem ${m.rss} ${m.heapUsed} ${m.external} ${m.arrayBuffers}\n`);
    }
  }
});
process.stdin.on("end", () => process.exit(0)); // the bench went away
process.stdout.write(`listening ${started.port} ${started.notes}\n`);
