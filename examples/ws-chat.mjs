// A WebSocket chat room: the page at / (ws-chat.html) opens a WebSocket to
// /ws; each connection is one task, with a writer child that drains the
// member's outbox (a Channel) onto the socket. A hub task owns the room: no
// state is shared between connection tasks, only messages, as in
// chat-server.mjs (the same room over plain TCP).
//
//   npm run build && npm run example:ws-chat     # or: node examples/ws-chat.mjs --port 8080
// then open the printed URL in two browser tabs.
import { readFileSync } from "node:fs";
import { Channel, ChannelClosedError, call, run, serve, spawn, upgrade } from "../dist/index.js";
import { serverPort } from "../scripts/_args.mjs";

const port = serverPort("ws-chat", 3001);
const PAGE = readFileSync(new URL("./ws-chat.html", import.meta.url), "utf8");
/** Messages waiting for a slow member before the hub drops them from the room. */
const OUTBOX = 64;
/** Longest message a member may send (bytes). */
const MAX_MESSAGE = 4096;

run(function* chat() {
  /** Messages to the hub: { kind: "join" | "say" | "leave", name, outbox?, text? }. */
  const hub = new Channel(1024, "hub");
  spawn(function* room() {
    const members = new Map(); // name -> outbox
    const broadcast = (text) => {
      for (const [name, outbox] of members) {
        // Never wait on one slow member: if their outbox is full, drop them.
        if (!outbox.trySend(text)) {
          members.delete(name);
          outbox.close();
        }
      }
    };
    for (;;) {
      const msg = yield* hub.recv();
      if (msg.kind === "join") {
        if (members.has(msg.name)) {
          msg.outbox.trySend(`* the name ${msg.name} is taken`);
          msg.outbox.close();
          continue;
        }
        broadcast(`* ${msg.name} joined`);
        members.set(msg.name, msg.outbox);
        msg.outbox.trySend(`* welcome, ${msg.name}; here: ${[...members.keys()].join(", ")}`);
      } else if (msg.kind === "say") {
        if (members.get(msg.name) === msg.outbox) broadcast(`<${msg.name}> ${msg.text}`);
      } else if (members.get(msg.name) === msg.outbox) {
        members.delete(msg.name);
        msg.outbox.close();
        broadcast(`* ${msg.name} left`);
      }
    }
  });

  let guests = 0;
  const server = yield* serve({ port }, function* member(req) {
    if (req.path === "/") return { headers: { "content-type": "text/html; charset=utf-8" }, body: PAGE };
    if (req.path !== "/ws") return { status: 404, body: "not found\n" };
    const ws = yield* upgrade(req, { maxMessageSize: MAX_MESSAGE, heartbeat: { interval: 30_000, timeout: 10_000 } });
    const name = (req.query.get("name") ?? "").trim().replace(/\s+/g, "_").slice(0, 32) || `guest${++guests}`;
    const outbox = new Channel(OUTBOX, `outbox of ${name}`);

    // The writer: a child task; it ends when the outbox closes (left, dropped, or a name taken).
    spawn(function* writer() {
      try {
        for (;;) yield* ws.send(yield* outbox.recv());
      } catch (e) {
        if (!(e instanceof ChannelClosedError)) throw e;
      }
      yield* ws.close(1000, "bye");
    });

    yield* hub.send({ kind: "join", name, outbox });
    try {
      for (let text = yield* ws.receive(); text !== null; text = yield* ws.receive()) {
        if (typeof text === "string" && text.trim() !== "") yield* hub.send({ kind: "say", name, outbox, text });
      }
    } finally {
      // Told even when this task is cancelled (the server stopping): trySend does not wait.
      if (!hub.trySend({ kind: "leave", name, outbox })) outbox.close();
    }
  });
  console.log(`tasklet ws-chat on http://127.0.0.1:${server.port}/ (open it in two tabs); Ctrl-C stops it`);
  yield* call(new Promise((resolve) => process.once("SIGINT", resolve)));
  console.log("\nclosing: open WebSockets get close 1001");
  yield* server.close({ timeout: 1000 });
  process.exit(0);
});
