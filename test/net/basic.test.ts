import net from "node:net";
import { describe, expect, it } from "vitest";
import {
  type Conn,
  NetError,
  TimeoutError,
  connect,
  listen,
  run,
  serveTcp,
  sleep,
  spawn,
  startTcpServer,
  withTimeout,
} from "../../src/index.js";
import { copyBytes } from "../../src/net/read-buffer.js";
import { BACKENDS, pausedPeer } from "../support/helpers.js";


const text = (b: Uint8Array | null): string | null => (b === null ? null : Buffer.from(b).toString("utf8"));

function* echo(conn: Conn) {
  for (let b = yield* conn.read(); b !== null; b = yield* conn.read()) yield* conn.write(b);
  conn.end();
}

/** A port nothing listens on: bind one, note it, close it. */
async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe.each(BACKENDS)("green sockets on the %s backend", (backend) => {
  it("write() of something that is not bytes or text is a TypeError naming it", async () => {
    const got = await run(
      function* () {
        const { listener, raw, conn } = yield* pausedPeer();
        try {
          const messages: string[] = [];
          for (const bad of [null, undefined, 42, { length: 3 }]) {
            try {
              yield* conn.write(bad as unknown as string);
            } catch (e) {
              messages.push(`${(e as Error).constructor.name}: ${(e as Error).message}`);
            }
          }
          return messages;
        } finally {
          conn.abort();
          raw.destroy();
          listener.close();
        }
      },
      { backend },
    );
    expect(got).toEqual([
      "TypeError: conn.write() takes a Uint8Array, a string or an array of them, got null",
      "TypeError: conn.write() takes a Uint8Array, a string or an array of them, got undefined",
      "TypeError: conn.write() takes a Uint8Array, a string or an array of them, got 42",
      "TypeError: conn.write() takes a Uint8Array, a string or an array of them, got an object",
    ]);
  });

  it("echoes lines between a green client and a green server", async () => {
    const got = await run(
      function* () {
        const server = yield* serveTcp({ port: 0 }, echo);
        const conn = yield* connect({ port: server.port });
        expect(conn.remoteAddress).toBe("127.0.0.1");
        expect(conn.remotePort).toBe(server.port);
        const lines: (string | null)[] = [];
        for (const msg of ["hello\n", "world\n", "x".repeat(10_000) + "\n"]) {
          yield* conn.write(msg);
          lines.push(text(yield* conn.readUntil("\n", 1 << 20)));
        }
        conn.end();
        lines.push(text(yield* conn.read()));
        conn.close();
        yield* server.close();
        return lines;
      },
      { backend },
    );
    expect(got).toEqual(["hello\n", "world\n", "x".repeat(10_000) + "\n", null]);
  });

  it("serves a plain node:net client (startTcpServer, outside any task)", async () => {
    const server = await startTcpServer({ port: 0, backend }, echo);
    const reply = await new Promise<string>((resolve, reject) => {
      const c = net.connect(server.port, "127.0.0.1", () => c.end("ping"));
      let acc = "";
      c.on("data", (d) => (acc += d));
      c.on("end", () => resolve(acc));
      c.on("error", reject);
    });
    expect(reply).toBe("ping");
    await server.close({ timeout: 1000 });
    expect(server.task.state).toBe("completed");
  });

  it("half-close: the client ends, the server still answers, then ends", async () => {
    const got = await run(
      function* () {
        const server = yield* serveTcp({ port: 0 }, function* (conn) {
          let n = 0;
          for (let b = yield* conn.read(); b !== null; b = yield* conn.read()) n += b.length;
          // The peer has ended; our side is still open.
          yield* conn.write(`got ${n} bytes`);
          conn.end();
        });
        const conn = yield* connect({ port: server.port });
        yield* conn.write("abc");
        yield* conn.write(new Uint8Array(1000));
        conn.end();
        const parts: string[] = [];
        for (let b = yield* conn.read(); b !== null; b = yield* conn.read()) parts.push(text(b)!);
        // Reading again after the end keeps returning null.
        const again = yield* conn.read();
        conn.close();
        yield* server.close();
        return [parts.join(""), again];
      },
      { backend },
    );
    expect(got).toEqual(["got 1003 bytes", null]);
  });

  it("readExactly and readUntil frame a stream split at odd places; writev of an array", async () => {
    const got = await run(
      function* () {
        const listener = yield* listen({ port: 0 });
        const client = spawn(function* () {
          const c = yield* connect({ port: listener.port });
          const frame = Buffer.alloc(4 + 5);
          frame.writeUInt32BE(5, 0);
          frame.write("hello", 4);
          const bytes = Buffer.concat([frame, Buffer.from("line one\r\nline two\r\npartial")]);
          for (let i = 0; i < bytes.length; i += 3) {
            yield* c.write(bytes.subarray(i, i + 3));
            yield* sleep(1);
          }
          yield* c.write([Buffer.from("HEAD|"), "body"]);
          c.end();
          c.close();
        });
        const conn = yield* listener.accept();
        const len = Buffer.from((yield* conn.readExactly(4))!).readUInt32BE(0);
        const out: (string | null)[] = [text(yield* conn.readExactly(len))];
        out.push(text(yield* conn.readUntil("\r\n", 100)));
        out.push(text(yield* conn.readUntil(new Uint8Array([13, 10]), 100)));
        out.push(text(yield* conn.readUntil("|", 100)));
        try {
          yield* conn.readExactly(1000);
        } catch (e) {
          out.push(`${(e as NetError).code}`);
        }
        yield* client;
        conn.close();
        listener.close();
        return out;
      },
      { backend },
    );
    expect(got).toEqual(["hello", "line one\r\n", "line two\r\n", "partialHEAD|", "EOF"]);
  });

  it("readUntil gives up at maxBytes with EMSGSIZE, the bytes stay readable", async () => {
    const got = await run(
      function* () {
        const server = yield* serveTcp({ port: 0 }, function* (conn) {
          yield* conn.write("0123456789abcdef");
          yield* sleep(Infinity);
        });
        const conn = yield* connect({ port: server.port });
        let code = "";
        try {
          yield* conn.readUntil("\n", 8);
        } catch (e) {
          code = (e as NetError).code;
        }
        const rest = text(yield* conn.readExactly(16));
        conn.close();
        yield* server.close({ timeout: 0 });
        return [code, rest];
      },
      { backend },
    );
    expect(got).toEqual(["EMSGSIZE", "0123456789abcdef"]);
  });

  it("readInto copies into the caller's buffer", async () => {
    const got = await run(
      function* () {
        const server = yield* serveTcp({ port: 0 }, function* (conn) {
          yield* conn.write("abcdefgh");
        });
        const conn = yield* connect({ port: server.port });
        const dst = new Uint8Array(16);
        let at = 0;
        for (let n = yield* conn.readInto(dst, at, 5); n !== null; n = yield* conn.readInto(dst, at, 5)) at += n;
        conn.close();
        yield* server.close();
        return Buffer.from(dst.subarray(0, at)).toString();
      },
      { backend },
    );
    expect(got).toBe("abcdefgh");
  });
});

describe.each(BACKENDS)("reading without a buffer of one's own on the %s backend", (backend) => {
  it("an accepted socket reads nothing until its first read, then gets every byte and the end", async () => {
    const got = await run(
      function* () {
        const listener = yield* listen({ port: 0 });
        const raw = net.connect({ port: listener.port, host: "127.0.0.1" });
        raw.on("error", () => {});
        raw.end("sent before accept"); // bytes and FIN wait in the kernel
        const conn = yield* listener.accept();
        yield* sleep(100);
        const before = [conn.bufferedLength, conn.readPaused];
        const parts: string[] = [];
        for (let b = yield* conn.read(); b !== null; b = yield* conn.read()) parts.push(text(b)!);
        conn.close();
        listener.close();
        return { before, text: parts.join("") };
      },
      { backend },
    );
    expect(got.before).toEqual([0, true]);
    expect(got.text).toBe("sent before accept");
  });

  it("waitReadable waits without taking; false at the end of the stream", async () => {
    const got = await run(
      function* () {
        const server = yield* serveTcp({ port: 0 }, function* (conn) {
          yield* sleep(20);
          yield* conn.write("abc");
          conn.end();
        });
        const conn = yield* connect({ port: server.port });
        const first = yield* conn.waitReadable();
        const buffered = conn.bufferedLength;
        const shared = new Uint8Array(64);
        const n = yield* conn.readInto(shared);
        const second = yield* conn.waitReadable();
        conn.close();
        yield* server.close();
        return [first, buffered, n, Buffer.from(shared.subarray(0, n!)).toString(), second];
      },
      { backend },
    );
    expect(got).toEqual([true, 3, 3, "abc", false]);
  });

  it("readInto on one scratch buffer shared by many connections: each gets its own bytes", async () => {
    const got = await run(
      function* () {
        const listener = yield* listen({ port: 0 });
        const N = 20;
        const clients: Conn[] = [];
        const conns: Conn[] = [];
        for (let i = 0; i < N; i++) {
          clients.push(yield* connect({ port: listener.port }));
          conns.push(yield* listener.accept());
        }
        const scratch = new Uint8Array(256);
        const seen: string[] = [];
        const readers = conns.map((conn, i) =>
          spawn(function* () {
            const n = yield* conn.readInto(scratch);
            seen[i] = Buffer.from(scratch.subarray(0, n!)).toString(); // consumed before the next park
          }),
        );
        yield* sleep(20);
        // Every client writes in the same turn: the bytes arrive in one poll phase.
        for (let i = 0; i < N; i++) yield* clients[i]!.write(`message from client ${i}`);
        for (const r of readers) yield* r;
        for (const c of [...clients, ...conns]) c.close();
        listener.close();
        return seen;
      },
      { backend },
    );
    expect(got).toEqual(Array.from({ length: 20 }, (_, i) => `message from client ${i}`));
  });

  it("a readInto target detached while waiting: RangeError, and the bytes stay for the next read", async () => {
    const got = await run(
      function* () {
        const listener = yield* listen({ port: 0 });
        const client = yield* connect({ port: listener.port });
        const conn = yield* listener.accept();
        const ab = new ArrayBuffer(16);
        const reader = spawn(function* () {
          try {
            yield* conn.readInto(new Uint8Array(ab));
            return "no error";
          } catch (e) {
            return (e as Error).name;
          }
        });
        yield* sleep(10);
        structuredClone(ab, { transfer: [ab] }); // detach, as a growing WebAssembly.Memory does
        yield* client.write("kept");
        const outcome = yield* reader;
        const rest = text(yield* conn.readExactly(4));
        client.close();
        conn.close();
        listener.close();
        return [outcome, rest];
      },
      { backend },
    );
    expect(got).toEqual(["RangeError", "kept"]);
  });
});

describe.each(BACKENDS)("socket errors on the %s backend", (backend) => {
  it("connection refused is a NetError naming the address", async () => {
    const port = await freePort();
    const err = await run(
      function* () {
        try {
          yield* connect({ port });
        } catch (e) {
          return e;
        }
        return null;
      },
      { backend },
    );
    expect(err).toBeInstanceOf(NetError);
    expect((err as NetError).code).toBe("ECONNREFUSED");
    expect((err as NetError).message).toBe(`connect to 127.0.0.1:${port}: connection refused (ECONNREFUSED)`);
  });

  it("address in use is a NetError naming the address", async () => {
    const err = await run(
      function* () {
        const a = yield* listen({ port: 0 });
        try {
          yield* listen({ port: a.port });
        } catch (e) {
          return [e, a.port] as const;
        } finally {
          a.close();
        }
        return [null, 0] as const;
      },
      { backend },
    );
    expect(err[0]).toBeInstanceOf(NetError);
    expect((err[0] as NetError).code).toBe("EADDRINUSE");
    expect((err[0] as NetError).message).toBe(`listen on 127.0.0.1:${err[1]}: address already in use (EADDRINUSE)`);
  });

  it("startTcpServer on a port in use rejects with EADDRINUSE", async () => {
    const first = await startTcpServer({ port: 0, backend }, echo);
    const err = await startTcpServer({ port: first.port, backend }, echo).then(
      () => null,
      (e: unknown) => e,
    );
    await first.close();
    expect(err).toBeInstanceOf(NetError);
    expect((err as NetError).code).toBe("EADDRINUSE");
  });

  it("a handler that throws is reported to onError; the server keeps serving", async () => {
    const got = await run(
      function* () {
        const errors: string[] = [];
        const server = yield* serveTcp({ port: 0, onError: (e, conn) => errors.push(`${(e as Error).message} (${conn.remoteAddress})`) }, function* (conn) {
          const line = text(yield* conn.readUntil("\n", 100));
          if (line === "boom\n") throw new Error("handler exploded");
          yield* conn.write(line!);
        });
        const a = yield* connect({ port: server.port });
        yield* a.write("boom\n");
        const closed = yield* a.read(); // the server closed it after the failure
        const b = yield* connect({ port: server.port });
        yield* b.write("fine\n");
        const reply = text(yield* b.readUntil("\n", 100));
        a.close();
        b.close();
        yield* server.close();
        return { errors, closed, reply };
      },
      { backend },
    );
    expect(got).toEqual({ errors: ["handler exploded (127.0.0.1)"], closed: null, reply: "fine\n" });
  });

  it("reset by peer wakes the parked reader with ECONNRESET", async () => {
    const err = await run(
      function* () {
        const server = yield* serveTcp({ port: 0 }, function* (conn) {
          yield* conn.read();
          conn.abort(); // RST
        });
        const conn = yield* connect({ port: server.port });
        yield* conn.write("x");
        try {
          yield* conn.read();
          return null;
        } catch (e) {
          return e;
        } finally {
          conn.close();
          yield* server.close();
        }
      },
      { backend },
    );
    expect(err).toBeInstanceOf(NetError);
    expect((err as NetError).code).toBe("ECONNRESET");
    expect((err as NetError).message).toMatch(/^read from 127\.0\.0\.1:\d+: connection reset by peer \(ECONNRESET\)$/);
  });

  it("connect timeout: a listener whose backlog is full never answers the SYN", async () => {
    // A listener in a child process that never accepts (its event loop is
    // blocked): once its accept queue is full, the kernel drops new SYNs, so a
    // connect hangs. Loopback only.
    const { spawn: spawnProcess } = await import("node:child_process");
    const child = spawnProcess(
      process.execPath,
      [
        "-e",
        `const s=require("net").createServer();s.listen({port:0,host:"127.0.0.1",backlog:1},()=>{console.log(s.address().port);setTimeout(()=>{const t=Date.now();while(Date.now()-t<30000);},50)});`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    try {
      const port = await new Promise<number>((resolve) => child.stdout!.once("data", (d) => resolve(Number(String(d).trim()))));
      await new Promise((r) => setTimeout(r, 200));
      const outcome = await run(
        function* () {
          const held: Conn[] = [];
          try {
            for (let i = 0; i < 20; i++) {
              try {
                held.push(yield* connect({ port, timeout: 300 }));
              } catch (e) {
                return { i, e };
              }
            }
            return { i: -1, e: null };
          } finally {
            for (const c of held) c.close();
          }
        },
        { backend },
      );
      expect(outcome.e).toBeInstanceOf(NetError);
      expect((outcome.e as NetError).code).toBe("ETIMEDOUT");
      expect((outcome.e as NetError).message).toBe(`connect to 127.0.0.1:${port}: no connection after 300 ms (ETIMEDOUT)`);
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("a read timeout via withTimeout: a server that accepts but never answers", async () => {
    const got = await run(
      function* () {
        const server = yield* serveTcp({ port: 0 }, function* () {
          yield* sleep(Infinity);
        });
        const conn = yield* connect({ port: server.port });
        let err: unknown = null;
        try {
          yield* withTimeout(50, conn.read());
        } catch (e) {
          err = e;
        }
        // The connection is still usable after the timed-out read.
        yield* conn.write("still open");
        const closedAfter = conn.closed;
        conn.close();
        yield* server.close({ timeout: 0 });
        return [err instanceof TimeoutError, closedAfter, server.connections];
      },
      { backend },
    );
    expect(got).toEqual([true, false, 0]);
  });
});

describe.each(BACKENDS)("readTimeout and writeTimeout on the %s backend", (backend) => {
  it("a read wait past readTimeout throws ETIMEDOUT and consumes nothing", async () => {
    const got = await run(
      function* () {
        const listener = yield* listen({ port: 0 });
        const client = yield* connect({ port: listener.port });
        const conn = yield* listener.accept();
        conn.readTimeout = 30;
        const errors: string[] = [];
        for (const op of [conn.read(), conn.readExactly(2), conn.readUntil("\n", 10), conn.waitReadable()]) {
          try {
            yield* op;
          } catch (e) {
            errors.push((e as NetError).code);
          }
        }
        yield* client.write("x\n");
        conn.readTimeout = 0;
        const line = text(yield* conn.readUntil("\n", 10));
        client.close();
        conn.close();
        listener.close();
        return { errors, line };
      },
      { backend },
    );
    expect(got).toEqual({ errors: ["ETIMEDOUT", "ETIMEDOUT", "ETIMEDOUT", "ETIMEDOUT"], line: "x\n" });
  });

  it("a write parked past writeTimeout throws ETIMEDOUT naming the peer", async () => {
    const got = await run(
      function* () {
        const { listener, raw, conn } = yield* pausedPeer();
        conn.writeTimeout = 50;
        const chunk = new Uint8Array(1 << 20);
        let message = "";
        try {
          for (let i = 0; i < 1000; i++) yield* conn.write(chunk);
        } catch (e) {
          message = (e as Error).message;
        }
        raw.destroy();
        conn.close();
        listener.close();
        return message;
      },
      { backend },
    );
    expect(got).toMatch(/^write to 127\.0\.0\.1:\d+: the peer read nothing for 50 ms \(the bytes stay queued\) \(ETIMEDOUT\)$/);
  });
});

describe.each(BACKENDS)("cancellation and close on the %s backend", (backend) => {
  it("cancelling a parked read consumes nothing: later bytes go to the next read", async () => {
    const got = await run(
      function* () {
        const listener = yield* listen({ port: 0 });
        const client = yield* connect({ port: listener.port });
        const conn = yield* listener.accept();
        const reader = spawn(function* () {
          return yield* conn.read();
        });
        yield* sleep(20);
        expect(reader.state).toBe("parked");
        yield* reader.cancel();
        yield* client.write("after cancel");
        const b = yield* conn.readExactly(12);
        client.close();
        conn.close();
        listener.close();
        return [reader.state, text(b)];
      },
      { backend },
    );
    expect(got).toEqual(["cancelled", "after cancel"]);
  });

  it("cancelling a parked write unparks it; its bytes were queued and still arrive", async () => {
    const got = await run(
      function* () {
        const listener = yield* listen({ port: 0 });
        const client = yield* connect({ port: listener.port });
        const conn = yield* listener.accept();
        const big = new Uint8Array(8 << 20).fill(7);
        const writer = spawn(function* () {
          yield* conn.write(big); // the client does not read yet: parks
        });
        yield* sleep(50);
        const parked = writer.state;
        yield* writer.cancel();
        conn.end();
        let total = 0;
        for (let b = yield* client.read(); b !== null; b = yield* client.read()) total += b.length;
        client.close();
        conn.close();
        listener.close();
        return [parked, writer.state, total];
      },
      { backend },
    );
    expect(got).toEqual(["parked", "cancelled", 8 << 20]);
  });

  it("close() wakes every task parked on the socket with ECLOSED", async () => {
    const got = await run(
      function* () {
        const listener = yield* listen({ port: 0 });
        const client = yield* connect({ port: listener.port });
        const conn = yield* listener.accept();
        const errors: string[] = [];
        const reader = spawn(function* () {
          try {
            yield* conn.read();
          } catch (e) {
            errors.push(`reader: ${(e as Error).message}`);
          }
        });
        const writer = spawn(function* () {
          try {
            yield* conn.write(new Uint8Array(8 << 20));
          } catch (e) {
            errors.push(`writer: ${(e as NetError).code}`);
          }
        });
        const acceptor = spawn(function* () {
          try {
            yield* listener.accept();
          } catch (e) {
            errors.push(`acceptor: ${(e as NetError).code}`);
          }
        });
        yield* sleep(50);
        const states = [reader.state, writer.state, acceptor.state];
        conn.close();
        listener.close();
        yield* reader;
        yield* writer;
        yield* acceptor;
        let late = "";
        try {
          yield* conn.read();
        } catch (e) {
          late = (e as NetError).code;
        }
        client.close();
        return { states, errors: errors.sort(), late };
      },
      { backend },
    );
    expect(got.states).toEqual(["parked", "parked", "parked"]);
    expect(got.errors).toHaveLength(3);
    expect(got.errors[0]).toBe("acceptor: ECLOSED");
    expect(got.errors[1]).toMatch(/^reader: read from 127\.0\.0\.1:\d+: the socket is closed \(ECLOSED\)$/);
    expect(got.errors[2]).toBe("writer: ECLOSED");
    expect(got.late).toBe("ECLOSED");
  });

  it("two tasks reading one connection at once: the second gets EBUSY", async () => {
    const code = await run(
      function* () {
        const server = yield* serveTcp({ port: 0 }, function* () {
          yield* sleep(Infinity);
        });
        const conn = yield* connect({ port: server.port });
        const first = spawn(function* () {
          yield* conn.read();
        });
        yield* sleep(10);
        let c = "";
        try {
          yield* conn.read();
        } catch (e) {
          c = (e as NetError).code;
        }
        first.cancel();
        conn.close();
        yield* server.close({ timeout: 0 });
        return c;
      },
      { backend },
    );
    expect(code).toBe("EBUSY");
  });

  it("graceful close waits for handlers, then cancels stragglers at the deadline", async () => {
    const got = await run(
      function* () {
        const log: string[] = [];
        const server = yield* serveTcp({ port: 0 }, function* (conn) {
          const line = text(yield* conn.readUntil("\n", 100));
          try {
            if (line === "slow\n") yield* sleep(Infinity);
            yield* sleep(30);
            yield* conn.write("done\n");
            log.push(`finished ${line!.trim()}`);
          } finally {
            if (line === "slow\n") log.push("slow cancelled");
          }
        });
        const quick = yield* connect({ port: server.port });
        const slow = yield* connect({ port: server.port });
        yield* quick.write("quick\n");
        yield* slow.write("slow\n");
        yield* sleep(10);
        const before = server.connections;
        yield* server.close({ timeout: 100 });
        const reply = text(yield* quick.read());
        let refused = "";
        try {
          yield* connect({ port: server.port });
        } catch (e) {
          refused = (e as NetError).code;
        }
        quick.close();
        slow.close();
        return { before, after: server.connections, log, reply, refused };
      },
      { backend },
    );
    expect(got).toEqual({ before: 2, after: 0, log: ["finished quick", "slow cancelled"], reply: "done\n", refused: "ECONNREFUSED" });
  });

  it("maxConnections: extra connections wait in the backlog until a handler ends", async () => {
    const got = await run(
      function* () {
        let peak = 0;
        const server = yield* serveTcp({ port: 0, maxConnections: 2 }, function* (conn) {
          peak = Math.max(peak, server.connections);
          yield* conn.readUntil("\n", 10);
          yield* conn.write("ok\n");
        });
        const conns: Conn[] = [];
        for (let i = 0; i < 5; i++) conns.push(yield* connect({ port: server.port }));
        yield* sleep(20);
        const handling = server.connections;
        const replies: string[] = [];
        for (const c of conns) {
          yield* c.write("go\n");
          replies.push(text(yield* c.readUntil("\n", 10))!);
          c.close();
        }
        yield* server.close();
        return { handling, peak, replies };
      },
      { backend },
    );
    expect(got).toEqual({ handling: 2, peak: 2, replies: ["ok\n", "ok\n", "ok\n", "ok\n", "ok\n"] });
  });
});

describe("copyBytes (short copies by loop, long ones by set)", () => {
  it("copies exactly the range asked for, on either side of the loop's limit", () => {
    const src = Uint8Array.from({ length: 600 }, (_, i) => (i * 7 + 3) & 255);
    for (const n of [0, 1, 2, 191, 192, 193, 400, 597]) {
      for (const from of [0, 3]) {
        const dst = new Uint8Array(610).fill(0xee);
        copyBytes(dst, 5, src, from, n);
        expect(Array.from(dst.subarray(5, 5 + n))).toEqual(Array.from(src.subarray(from, from + n)));
        expect(dst.subarray(0, 5).every((b) => b === 0xee)).toBe(true);
        expect(dst.subarray(5 + n).every((b) => b === 0xee)).toBe(true);
      }
    }
  });
});

describe.each(BACKENDS)("reads of every size near the copy limit on the %s backend", (backend) => {
  it("delivers every byte, buffered while no task reads and straight to a parked reader", async () => {
    const sizes = [1, 100, 191, 192, 193, 194, 300, 1000];
    const pattern = (n: number, k: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + k * 17 + n) & 255));
    const got = await run(
      function* () {
        const listener = yield* listen({ port: 0 });
        const raw = net.connect({ port: listener.port, host: "127.0.0.1" });
        raw.on("error", () => {});
        raw.setNoDelay(true);
        const conn = yield* listener.accept();
        // An accepted socket reads from its first read on (see above): start it.
        raw.write("x");
        const first = yield* conn.read();
        if (first === null || first.length !== 1) throw new Error("the first byte did not arrive alone");
        const out: [number, boolean][] = [];
        for (let k = 0; k < sizes.length; k++) {
          const want = pattern(sizes[k]!, k);
          raw.write(want);
          // Even k: the bytes wait in the connection's FIFO first; odd k: the reader is parked already.
          if (k % 2 === 0) {
            for (let w = 0; w < 200 && conn.bufferedLength < want.length; w++) yield* sleep(5);
          }
          const buffered = conn.bufferedLength;
          const parts: Buffer[] = [];
          let have = 0;
          while (have < want.length) {
            const b = yield* conn.read();
            if (b === null) break;
            parts.push(Buffer.from(b));
            have += b.length;
          }
          out.push([buffered, Buffer.concat(parts).equals(want)]);
        }
        raw.destroy();
        conn.close();
        listener.close();
        return out;
      },
      { backend },
    );
    // Even k went through the FIFO (all of it buffered before the read), odd k to the parked reader.
    expect(got).toEqual(sizes.map((n, k) => [k % 2 === 0 ? n : 0, true]));
  });
});
