// A chat room in the Kamaelia/Concurrence style: no shared state between
// connection tasks, only messages. One hub task owns the room; each
// connection has a reader (this handler) that sends what the user types to
// the hub, and a writer task that drains the user's outbox onto the socket.
//
// Run:  npm run build && node examples/chat-server.mjs
// then, in two terminals:  nc 127.0.0.1 7001
import { Channel, run, serveTcp, spawn } from "../dist/index.js";
import { serverPort } from "../scripts/_args.mjs";

const port = serverPort("chat-server", 7001);
/** Lines waiting for a slow user before the hub drops them from the room. */
const OUTBOX = 64;

run(function* chat() {
  /** Messages to the hub: { kind: "join" | "say" | "leave", ... }. */
  const hub = new Channel(1024, "hub");
  spawn(function* room() {
    const members = new Map(); // name -> { outbox, conn }
    const broadcast = (line) => {
      for (const [name, m] of members) {
        // Never wait on one slow user: if their outbox is full, drop them.
        if (!m.outbox.trySend(line)) {
          members.delete(name);
          m.outbox.close();
          m.conn.close();
        }
      }
    };
    for (;;) {
      const msg = yield* hub.recv();
      if (msg.kind === "join") {
        if (members.has(msg.name)) {
          msg.outbox.trySend(`* the name ${msg.name} is taken, bye\n`);
          msg.outbox.close();
          continue;
        }
        broadcast(`* ${msg.name} joined\n`);
        members.set(msg.name, { outbox: msg.outbox, conn: msg.conn });
        msg.outbox.trySend(`* welcome, ${msg.name}; ${members.size} here: ${[...members.keys()].join(", ")}\n`);
      } else if (msg.kind === "say") {
        if (members.has(msg.name)) broadcast(`<${msg.name}> ${msg.text}\n`);
      } else if (msg.kind === "leave") {
        const m = members.get(msg.name);
        if (m !== undefined && m.outbox === msg.outbox) {
          members.delete(msg.name);
          m.outbox.close();
          broadcast(`* ${msg.name} left\n`);
        }
      }
    }
  });

  let guests = 0;
  const server = yield* serveTcp({ port }, function* user(conn) {
    yield* conn.write("your name? ");
    const first = yield* conn.readUntil("\n", 256);
    if (first === null) return;
    const name = new TextDecoder().decode(first).trim().replace(/\s+/g, "_") || `guest${++guests}`;
    const outbox = new Channel(OUTBOX, `outbox of ${name}`);

    // The writer: a child task, cancelled when this handler ends.
    spawn(function* writer() {
      try {
        for (;;) yield* conn.write(yield* outbox.recv());
      } catch {
        conn.close(); // outbox closed (left, or dropped as too slow) or socket gone
      }
    });

    yield* hub.send({ kind: "join", name, outbox, conn });
    try {
      for (;;) {
        const line = yield* conn.readUntil("\n", 4096);
        if (line === null) break;
        const text = new TextDecoder().decode(line).trim();
        if (text === "/quit") break;
        if (text !== "") yield* hub.send({ kind: "say", name, text });
      }
    } finally {
      hub.trySend({ kind: "leave", name, outbox }); // trySend: never park in cleanup
    }
  });

  console.log(`chat server listening on 127.0.0.1:${server.port} (try: nc 127.0.0.1 ${server.port} in two terminals); Ctrl-C to stop`);
  process.once("SIGINT", () => {
    console.log("\nclosing");
    server.close({ timeout: 500 });
  });
  yield* server.task;
  process.exit(0);
});
