// The write paths of a Conn, shared by net-writes.test.ts (writes go straight
// to the socket's handle when this Node allows it) and
// net-writes-stream.test.ts (TASKLET_NET_WRITE=stream: every write goes
// through node:net's stream). The module under test is passed in, imported
// after the environment is set.
import net from "node:net";
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type * as Tasklet from "../src/index.js";
import type { BackendName } from "../src/index.js";
import { pausedPeer } from "./helpers.js";

type Lib = typeof Tasklet;

/** The pieces written in order: sizes and kinds vary so that both paths and libuv's queue mix. */
function pieces(): (Uint8Array | string | Uint8Array[])[] {
  const out: (Uint8Array | string | Uint8Array[])[] = [];
  const sizes = [64 * 1024, 4096, 3, 5000, 70_000, 1, 16 * 1024];
  for (let i = 0; i < 240; i++) {
    const n = sizes[i % sizes.length]!;
    const fill = (k: number, tag: number) => new Uint8Array(k).map((_, j) => (tag * 31 + j) & 255);
    switch (i % 4) {
      case 0:
        out.push(fill(n, i));
        break;
      case 1:
        out.push([fill(Math.ceil(n / 2), i), fill(Math.floor(n / 2) + 1, i + 1)]);
        break;
      case 2:
        out.push(`<${i}:${"x".repeat(n % 997)}>`);
        break;
      default:
        out.push(fill(n, i).subarray(1));
    }
  }
  return out;
}

function digestOf(ps: (Uint8Array | string | Uint8Array[])[]): { bytes: number; sha: string } {
  const h = createHash("sha256");
  let bytes = 0;
  for (const p of ps) {
    for (const b of Array.isArray(p) ? p : [p]) {
      const buf = typeof b === "string" ? Buffer.from(b) : b;
      h.update(buf);
      bytes += buf.length;
    }
  }
  return { bytes, sha: h.digest("hex") };
}

/**
 * A plain node:net client that starts paused, resumes after `ms`, and
 * digests all it receives until the end. With `throttle` it also pauses for
 * a millisecond after every chunk, so that the sender's queues stay full.
 */
function slowReader(port: number, ms: number, throttle = false): { done: Promise<{ bytes: number; sha: string }>; socket: net.Socket } {
  const socket = net.connect({ port, host: "127.0.0.1" });
  socket.pause();
  setTimeout(() => socket.resume(), ms);
  const h = createHash("sha256");
  let bytes = 0;
  const done = new Promise<{ bytes: number; sha: string }>((resolve, reject) => {
    socket.on("data", (d: Buffer) => {
      h.update(d);
      bytes += d.length;
      if (throttle) {
        socket.pause();
        setTimeout(() => socket.resume(), 1);
      }
    });
    socket.on("end", () => resolve({ bytes, sha: h.digest("hex") }));
    socket.on("error", reject);
  });
  return { done, socket };
}

export function writeSuite(lib: Lib, backends: readonly BackendName[], direct: boolean): void {
  const { run, listen, spawn, sleep, NetError } = lib;

  describe.each(backends)(`writes ${direct ? "straight to the handle" : "through the stream"} on the %s backend`, (backend) => {
    it(direct ? "bytes that must wait are held in libuv's queue, not the stream's" : "bytes that must wait are held in the stream's queue", async () => {
      const got = await run(
        function* () {
          const { listener, raw, conn } = yield* pausedPeer();
          const writer = spawn(function* () {
            try {
              yield* conn.write(new Uint8Array(16 << 20)); // more than the kernel buffers for a peer that does not read
            } catch (e) {
              if (!(e instanceof NetError)) throw e; // closed below
            }
          });
          yield* sleep(50);
          const held = { conn: conn.writableLength, stream: conn.socket.writableLength, writer: writer.state };
          raw.destroy();
          conn.close();
          listener.close();
          return held;
        },
        { backend },
      );
      expect(got.writer).toBe("parked");
      expect(got.conn).toBeGreaterThan(0);
      if (direct) expect(got.stream).toBe(0);
      else expect(got.stream).toBe(got.conn);
    });

    it("buffers, arrays and strings written while the peer is slow arrive whole and in order", async () => {
      const ps = pieces();
      const want = digestOf(ps);
      const got = await run(
        function* () {
          const listener = yield* listen({ port: 0 });
          const client = slowReader(listener.port, 40, true);
          const conn = yield* listener.accept();
          for (const p of ps) yield* conn.write(p);
          conn.end();
          const r = yield* lib.call(client.done);
          conn.close();
          listener.close();
          return r;
        },
        { backend },
      );
      expect(got).toEqual(want);
    });

    it("pieces queued behind a full socket by both paths at once leave in the order written", async () => {
      // As the HTTP server writes: `_write` queues and says whether to wait,
      // and here nobody waits, so every piece queues (in the stream or in
      // libuv's queue) behind a filler the kernel cannot take whole.
      const filler = Buffer.alloc(12 << 20, 0x5a);
      const ps = [filler, ...pieces()];
      const want = digestOf(ps);
      const got = await run(
        function* () {
          const listener = yield* listen({ port: 0 });
          const client = slowReader(listener.port, 30);
          const conn = yield* listener.accept();
          for (const p of ps) conn._write(p);
          const queued = conn.writableLength;
          conn.end();
          const r = yield* lib.call(client.done);
          conn.close();
          listener.close();
          return { r, queued };
        },
        { backend },
      );
      expect(got.queued).toBeGreaterThan(1 << 20);
      expect(got.r).toEqual(want);
    });

    it("close() with bytes still queued sends them all, then the end of stream", async () => {
      const size = 16 << 20;
      const got = await run(
        function* () {
          const listener = yield* listen({ port: 0 });
          const client = slowReader(listener.port, 60);
          const conn = yield* listener.accept();
          const body = Buffer.alloc(size, Buffer.from(Array.from({ length: 251 }, (_, j) => j)));
          const writer = spawn(function* () {
            try {
              yield* conn.write(body);
              return "written";
            } catch (e) {
              return (e as InstanceType<typeof NetError>).code;
            }
          });
          yield* sleep(20);
          const parked = writer.state;
          conn.close(); // the writer wakes with ECLOSED; its bytes stay queued and go out first
          const woken = yield* writer;
          const r = yield* lib.call(client.done);
          listener.close();
          return { parked, woken, r, want: createHash("sha256").update(body).digest("hex") };
        },
        { backend },
      );
      expect(got.parked).toBe("parked");
      expect(got.woken).toBe("ECLOSED");
      expect(got.r).toEqual({ bytes: size, sha: got.want });
    });

    it("a write to a peer that reset fails with a NetError naming the peer; the task goes on", async () => {
      const got = await run(
        function* () {
          const listener = yield* listen({ port: 0 });
          const raw = net.connect({ port: listener.port, host: "127.0.0.1" });
          const conn = yield* listener.accept();
          yield* lib.call(new Promise<void>((r) => (raw.readyState === "open" ? r() : raw.once("connect", () => r()))));
          raw.resetAndDestroy();
          yield* sleep(30);
          let err: unknown = null;
          let writes = 0;
          try {
            for (; writes < 100; writes++) {
              yield* conn.write(new Uint8Array(1000));
              yield* sleep(1);
            }
          } catch (e) {
            err = e;
          }
          conn.close();
          listener.close();
          return { err, writes };
        },
        { backend },
      );
      expect(got.err).toBeInstanceOf(NetError);
      expect(["ECONNRESET", "EPIPE"]).toContain((got.err as InstanceType<typeof NetError>).code);
      // The peer's address was read at accept: the reset, before any use, does not take it along.
      expect((got.err as Error).message).toMatch(/^write to 127\.0\.0\.1:\d+: (connection reset by peer \(ECONNRESET\)|.*\(EPIPE\))$/);
      expect(got.writes).toBeLessThan(100);
    });
  });
}
