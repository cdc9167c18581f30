// The WebSocket echo servers compared by bench/websocket.mjs, one per process:
//   node --expose-gc bench/servers/ws-echo.mjs <tasklet-wasm|tasklet-ts|ws|ws+addons|raw-net>
// tasklet-wasm is tasklet on its Wasm scheduler core with the Wasm HTTP parser
// and frame codec; tasklet-ts the TypeScript core, parser and codec. `ws` is
// the ws package without its native add-ons, ws+addons with them: ws reads
// WS_NO_BUFFER_UTIL / WS_NO_UTF_8_VALIDATE when it loads, so this file sets
// them before importing it. raw-net is a control, not a WebSocket server:
// node:net with the least framing an echo needs (see startRawNet), the
// floor under any WebSocket server written on node:net.
//
// Every server echoes each message as it came (text as text, binary as
// binary), allows messages up to 1 MiB and counts its open WebSockets.
// It prints "listening <port> <notes>" when ready, then answers lines on stdin:
// - "stats": "stats <open WebSockets> <ms on the process's clock> <CPU us, user + system>"
// - "mem": after two full GCs (needs --expose-gc),
//   "mem <rss> <heap used> <external> <arrayBuffers> <young generation committed>" (bytes);
//   the young generation grows with the allocation rate, not the connections
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import net from "node:net";
import v8 from "node:v8";

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

/**
 * The floor: a handshake that only computes the accept value, then frames
 * cut out of the bytes as they come, unmasked in place and written back
 * with a server header, one write per frame. No control frames, no UTF-8
 * check, no limits, no close handshake: what is left is node:net's cost.
 */
async function startRawNet() {
  const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  const server = net.createServer({ noDelay: true }, (sock) => {
    let pending = null; // bytes of an incomplete head or frame
    let upgraded = false;
    sock.on("error", () => {});
    sock.on("close", () => upgraded && open--);
    sock.on("data", (d) => {
      let buf = pending === null ? d : Buffer.concat([pending, d]);
      pending = null;
      if (!upgraded) {
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) return void (pending = buf);
        const key = /\r\nsec-websocket-key:\s*([^\r]+)/i.exec(buf.toString("latin1", 0, end))?.[1];
        if (key === undefined) return void sock.destroy();
        const accept = createHash("sha1").update(key + GUID).digest("base64");
        sock.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
        upgraded = true;
        open++;
        buf = buf.subarray(end + 4);
      }
      let at = 0;
      while (buf.length - at >= 6) {
        const len7 = buf[at + 1] & 0x7f;
        const hl = len7 < 126 ? 2 : len7 === 126 ? 4 : 10;
        if (buf.length - at < hl + 4) break;
        const len = len7 < 126 ? len7 : len7 === 126 ? buf.readUInt16BE(at + 2) : Number(buf.readBigUInt64BE(at + 2));
        if (buf.length - at < hl + 4 + len) break;
        const mask = at + hl;
        const payload = at + hl + 4;
        for (let i = 0; i < len; i++) buf[payload + i] ^= buf[mask + (i & 3)];
        // The server's header goes right before the payload, over the mask.
        const out = payload - hl;
        buf[out] = buf[at];
        if (hl === 2) buf[out + 1] = len;
        else if (hl === 4) {
          buf[out + 1] = 126;
          buf.writeUInt16BE(len, out + 2);
        } else {
          buf[out + 1] = 127;
          buf.writeBigUInt64BE(BigInt(len), out + 2);
        }
        sock.write(buf.subarray(out, payload + len));
        at = payload + len;
      }
      if (at < buf.length) pending = Buffer.from(buf.subarray(at));
    });
  });
  server.listen(0, "127.0.0.1");
  await new Promise((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  return { port: server.address().port, notes: "a control: node:net, minimal framing" };
}

let started;
try {
  if (kind === "tasklet-wasm" || kind === "tasklet-ts") started = await startTasklet(kind);
  else if (kind === "ws" || kind === "ws+addons") started = await startWs(kind);
  else if (kind === "raw-net") started = await startRawNet();
  else {
    console.error(`ws-echo: unknown server kind ${JSON.stringify(kind)}; one of tasklet-wasm, tasklet-ts, ws, ws+addons, raw-net`);
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
      const young = v8.getHeapSpaceStatistics().find((sp) => sp.space_name === "new_space")?.physical_space_size ?? 0;
      process.stdout.write(`mem ${m.rss} ${m.heapUsed} ${m.external} ${m.arrayBuffers} ${young}\n`);
    }
  }
});
process.stdin.on("end", () => process.exit(0)); // the bench went away
process.stdout.write(`listening ${started.port} ${started.notes}\n`);
