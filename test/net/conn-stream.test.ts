/**
 * A Conn with Node's streams: `stream.pipeline` from a real file through
 * `conn.stream()` to a real 127.0.0.1 socket and back, byte for byte;
 * `Conn.from` over a Duplex pair and over a node:net socket; a slow reader
 * on the far side keeps the writer's queued bytes bounded; the Duplex's
 * readable side stops the socket when nobody reads; `for await` and
 * `each` over a Conn's reads, each chunk its own memory.
 */
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";
import { Duplex, Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Conn, type Operation, connect, each, listen, run, sleep, spawn } from "../../src/index.js";
import { sharedReadBuffer } from "../../src/net/read-buffer.js";
import { BACKENDS, pattern } from "../support/helpers.js";

const FILE_BYTES = 6 * 1024 * 1024 + 123;
let dir: string;
let source: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "tasklet-conn-stream-"));
  source = path.join(dir, "source.bin");
  fs.writeFileSync(source, randomBytes(FILE_BYTES));
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const sha = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Open a connection or a listener that outlives the run opening it (no task owns it): plain code below uses it. */
function* unowned<T extends { transfer(owner: null): void }>(open: Operation<T>) {
  const r = yield* open;
  r.transfer(null);
  return r;
}

/** A node:net echo server; resolves with it listening on 127.0.0.1. */
async function echoServer(): Promise<net.Server> {
  const server = net.createServer({ allowHalfOpen: true }, (s) => s.pipe(s));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return server;
}
const portOf = (s: net.Server): number => (s.address() as net.AddressInfo).port;
const closeServer = (s: net.Server): Promise<void> => new Promise((r) => s.close(() => r()));

/** Two Duplexes wired to each other: what one writes, the other reads (Node 20 has no stream.duplexPair). */
function duplexPair(): [Duplex, Duplex] {
  const ends: Duplex[] = [];
  const make = (i: number) =>
    new Duplex({
      read() {},
      write(chunk, _enc, cb) {
        ends[1 - i]!.push(chunk);
        cb();
      },
      final(cb) {
        ends[1 - i]!.push(null);
        cb();
      },
    });
  ends.push(make(0), make(1));
  return [ends[0]!, ends[1]!];
}

describe.each(BACKENDS)("Conn and Node streams on the %s backend", (backend) => {
  it("stream.pipeline: a real file through conn.stream() to a 127.0.0.1 echo socket and back, byte for byte", async () => {
    const server = await echoServer();
    try {
      const conn = await run(() => unowned(connect({ port: portOf(server), host: "127.0.0.1" })), { backend });
      const duplex = conn.stream();
      const out = path.join(dir, `echoed-${backend}.bin`);
      await Promise.all([pipeline(fs.createReadStream(source), duplex), pipeline(duplex, fs.createWriteStream(out))]);
      const a = fs.readFileSync(source);
      const b = fs.readFileSync(out);
      expect(b.length).toBe(a.length);
      expect(sha(b)).toBe(sha(a));
      expect(conn.closed).toBe(true); // both sides done: the Duplex destroyed itself and closed the Conn
    } finally {
      await closeServer(server);
    }
  });

  it("a task serving over the Conn, plain code piping a file into the other end: the bytes arrive whole", async () => {
    const listener = await run(() => unowned(listen({ port: 0, host: "127.0.0.1" })), { backend });
    const server = run(
      function* () {
        const conn = yield* listener.accept();
        const chunks: Uint8Array[] = [];
        for (const chunk of yield* each(conn)) {
          chunks.push(chunk);
          yield* each.next();
        }
        yield* conn.write(sha(Buffer.concat(chunks)));
        conn.close();
        return Buffer.concat(chunks).length;
      },
      { backend },
    );
    try {
      const socket = net.connect({ port: listener.port, host: "127.0.0.1", allowHalfOpen: true });
      const client = Conn.from(socket);
      expect(client.socket).toBe(socket); // a plain net.Socket is used as it is
      const duplex = client.stream();
      const reply: Buffer[] = [];
      await Promise.all([
        pipeline(fs.createReadStream(source), duplex),
        pipeline(
          duplex,
          new Writable({
            write(chunk, _e, cb) {
              reply.push(chunk);
              cb();
            },
          }),
        ),
      ]);
      expect(await server).toBe(FILE_BYTES);
      expect(Buffer.concat(reply).toString()).toBe(sha(fs.readFileSync(source)));
    } finally {
      listener.close();
    }
  });

  it("Conn.from over a Duplex pair: tasks read and write through it, end and close reach the other side", async () => {
    const [a, b] = duplexPair();
    const r = await run(
      function* () {
        const ca = Conn.from(a);
        const cb = Conn.from(b);
        const echo = spawn(function* () {
          for (let x = yield* cb.read(); x !== null; x = yield* cb.read()) yield* cb.write(Buffer.from(Buffer.from(x).toString().toUpperCase()));
          cb.end();
        });
        yield* ca.write("hello ");
        yield* ca.write(pattern(1, 3).length === 3 ? "duplex" : "");
        ca.end();
        const got: string[] = [];
        for (let x = yield* ca.read(); x !== null; x = yield* ca.read()) got.push(Buffer.from(x).toString());
        yield* echo;
        ca.close();
        cb.close();
        yield* sleep(1);
        return { got: got.join(""), destroyed: [a.destroyed, b.destroyed], address: ca.address };
      },
      { backend },
    );
    expect(r).toEqual({ got: "HELLO DUPLEX", destroyed: [true, true], address: "?:?" });
  });

  it("Conn.from over a TLSSocket: a task talks TLS through it, and a file pipes through its stream() and back", async () => {
    const fixtures = path.resolve(import.meta.dirname, "../fixtures/tls");
    const cert = fs.readFileSync(path.join(fixtures, "localhost-cert.pem"));
    const key = fs.readFileSync(path.join(fixtures, "localhost-key.pem"));
    const server = tls.createServer({ cert, key, allowHalfOpen: true }, (s) => s.pipe(s));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const open = () => tls.connect({ port: portOf(server as unknown as net.Server), host: "127.0.0.1", ca: cert, servername: "localhost" });
    try {
      const line = await run(
        function* () {
          const conn = Conn.from(open());
          try {
            yield* conn.write("over tls\n");
            return Buffer.from((yield* conn.readUntil("\n", 100))!).toString();
          } finally {
            conn.close();
          }
        },
        { backend },
      );
      expect(line).toBe("over tls\n");
      const duplex = Conn.from(open()).stream();
      const out: Buffer[] = [];
      await Promise.all([
        pipeline(fs.createReadStream(source, { end: 1024 * 1024 - 1 }), duplex),
        pipeline(
          duplex,
          new Writable({
            write(chunk, _e, cb) {
              out.push(chunk);
              cb();
            },
          }),
        ),
      ]);
      expect(sha(Buffer.concat(out))).toBe(sha(fs.readFileSync(source).subarray(0, 1024 * 1024)));
    } finally {
      await closeServer(server as unknown as net.Server);
    }
  });

  it("Conn.from rejects what is not a live Duplex, naming itself", () => {
    expect(() => Conn.from({} as never)).toThrow(/Conn\.from\(\) takes a Duplex stream/);
    const d = new Duplex({ read() {}, write(_c, _e, cb) { cb(); } });
    d.destroy();
    expect(() => Conn.from(d)).toThrow(/Conn\.from\(\): the stream is destroyed already/);
  });

  it("a slow reader on the far side: the bytes queued on the writing side stay bounded", async () => {
    const TOTAL = 16 * 1024 * 1024;
    const CHUNK = 64 * 1024;
    let peer!: net.Socket;
    const accepted = new Promise<net.Socket>((r) => {
      const server = net.createServer((s) => {
        server.close();
        r(s);
      });
      server.listen(0, "127.0.0.1", () => {
        void run(() => unowned(connect({ port: (server.address() as net.AddressInfo).port, host: "127.0.0.1" })), { backend }).then((c) => (conn = c));
      });
    });
    let conn!: Conn;
    peer = await accepted;
    while (conn === undefined) await tick();
    peer.pause();
    let produced = 0;
    const block = Buffer.from(pattern(7, CHUNK));
    const src = new Readable({
      read() {
        if (produced >= TOTAL) this.push(null);
        else {
          produced += CHUNK;
          this.push(block);
        }
      },
    });
    const duplex = conn.stream();
    let maxQueued = 0;
    let received = 0;
    const sampler = setInterval(() => {
      maxQueued = Math.max(maxQueued, duplex.writableLength + conn.writableLength);
    }, 1);
    const done = pipeline(src, duplex);
    // The peer reads a little now and then: far slower than the writer could write.
    for (let round = 0; received < TOTAL && round < 100_000; round++) {
      await new Promise((r) => setTimeout(r, 2));
      maxQueued = Math.max(maxQueued, duplex.writableLength + conn.writableLength);
      for (let b: Buffer | null; (b = peer.read() as Buffer | null) !== null; ) received += b.length;
      if (round % 4 === 0) {
        // How far ahead of the peer the source was read: the kernel's socket buffers plus the bounded queues.
        expect(produced - received).toBeLessThan(12 * 1024 * 1024);
      }
    }
    await done;
    clearInterval(sampler);
    peer.destroy();
    conn.close();
    expect(received).toBe(TOTAL);
    // The Duplex's writable buffer (16 KiB), the Conn's queue (its socket's high-water mark) and a chunk or two.
    expect(maxQueued).toBeLessThan(512 * 1024);
  });

  it("nobody reads the Duplex: the Conn stops its socket instead of buffering everything", async () => {
    const server = net.createServer((s) => {
      const big = Buffer.alloc(8 * 1024 * 1024, 1);
      s.write(big);
      s.on("error", () => {});
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const conn = await run(() => unowned(connect({ port: portOf(server), host: "127.0.0.1" })), { backend });
      const duplex = conn.stream({ readableHighWaterMark: 16 * 1024 });
      duplex.once("readable", () => {}); // start reading, then never consume
      for (let i = 0; i < 2500 && !conn.readPaused; i++) await new Promise((r) => setTimeout(r, 2));
      expect(conn.readPaused).toBe(true);
      for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 2)); // and it stays stopped
      expect(conn.bufferedLength + duplex.readableLength).toBeLessThan(512 * 1024);
      // Then consume it all: every byte comes through.
      let n = duplex.readableLength;
      duplex.on("data", (c: Buffer) => (n += c.length));
      duplex.read(0);
      while (n - duplex.readableLength < 8 * 1024 * 1024) await new Promise((r) => setTimeout(r, 2));
      duplex.destroy();
      expect(conn.closed).toBe(true);
    } finally {
      await closeServer(server);
    }
  });

  it("the peer resets while the Duplex writes: the pipeline fails with the Conn's error, the Conn is closed", async () => {
    let peer!: net.Socket;
    const server = net.createServer((s) => {
      peer = s;
      s.pause();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const conn = await run(() => unowned(connect({ port: portOf(server), host: "127.0.0.1" })), { backend });
      while (peer === undefined) await tick();
      const src = new Readable({
        read() {
          this.push(Buffer.alloc(64 * 1024, 2));
        },
      });
      const done = pipeline(src, conn.stream());
      while (conn.writableLength === 0) await tick(); // writing, and waiting for the peer
      peer.resetAndDestroy();
      await expect(done).rejects.toMatchObject({ name: "NetError" });
      expect(conn.closed).toBe(true);
      expect(src.destroyed).toBe(true);
    } finally {
      await closeServer(server);
    }
  });

  it("for await over a Conn's reads from plain code: every byte, in order, each chunk its own memory", async () => {
    const data = Buffer.from(pattern(3, 1024 * 1024 + 17));
    const server = net.createServer(async (s) => {
      for (let i = 0; i < data.length; i += 10_000) {
        s.write(data.subarray(i, i + 10_000));
        if (i % 200_000 === 0) await tick();
      }
      s.end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const conn = await run(() => unowned(connect({ port: portOf(server), host: "127.0.0.1" })), { backend });
      const chunks: Uint8Array[] = [];
      for await (const chunk of conn) {
        expect(chunk.buffer).not.toBe(sharedReadBuffer.buffer);
        chunks.push(chunk);
        if (chunks.length % 7 === 0) await tick(); // let later reads land while we hold earlier chunks
      }
      conn.close();
      // Held across many later reads: had any been a view of reused memory, this would differ.
      expect(sha(Buffer.concat(chunks))).toBe(sha(data));
    } finally {
      await closeServer(server);
    }
  });

  it("break out of for await leaves the Conn open and unread bytes in it; a later read gets them", async () => {
    const server = net.createServer((s) => {
      s.write("first");
      setTimeout(() => s.end("second"), 20);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const conn = await run(() => unowned(connect({ port: portOf(server), host: "127.0.0.1" })), { backend });
      let first = "";
      for await (const chunk of conn) {
        first = Buffer.from(chunk).toString();
        break;
      }
      expect(first).toBe("first");
      expect(conn.closed).toBe(false);
      const rest = await run(
        function* () {
          const parts: string[] = [];
          for (let b = yield* conn.read(); b !== null; b = yield* conn.read()) parts.push(Buffer.from(b).toString());
          conn.close();
          return parts.join("");
        },
        { backend },
      );
      expect(rest).toBe("second");
    } finally {
      await closeServer(server);
    }
  });

  it("a local close() ends a for await that waits, with ECLOSED", async () => {
    const server = net.createServer(() => {});
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const conn = await run(() => unowned(connect({ port: portOf(server), host: "127.0.0.1" })), { backend });
      const loop = (async () => {
        for await (const _ of conn) {
        }
      })();
      await tick();
      conn.close();
      await expect(loop).rejects.toMatchObject({ code: "ECLOSED" });
    } finally {
      server.close();
    }
  });
});
