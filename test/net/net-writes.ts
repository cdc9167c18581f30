// The write paths of a Conn, shared by net-writes.test.ts (the default:
// small writes of a task are gathered for the end of the tick, the others go
// straight to the socket's handle where this Node allows it, else through
// node:net's stream), net-writes-direct.test.ts (TASKLET_NET_WRITE=direct:
// nothing gathered), net-writes-stream.test.ts (TASKLET_NET_WRITE=stream:
// every write through the stream, small ones gathered) and
// net-writes-each.test.ts (TASKLET_NET_GATHER=off with the stream: each write
// through the stream at once). The module under test is passed in, imported
// after the environment is set.
import net from "node:net";
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type * as Tasklet from "../../src/index.js";
import type { BackendName } from "../../src/index.js";
import { pattern, pausedPeer } from "../support/helpers.js";

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

/** Which write paths the module under test was loaded with: straight to the handle or through the stream; small writes of a tick gathered or not. */
export interface WriteMode {
  direct: boolean;
  gather: boolean;
}

/** A plain node:net client that collects all it receives until the end (or an error, then `error` is its code). */
function collector(port: number): Promise<{ data: Buffer; error: string | null }> {
  const socket = net.connect({ port, host: "127.0.0.1" });
  const parts: Buffer[] = [];
  return new Promise((resolve) => {
    socket.on("data", (d: Buffer) => parts.push(d));
    socket.on("end", () => resolve({ data: Buffer.concat(parts), error: null }));
    socket.on("error", (e: NodeJS.ErrnoException) => resolve({ data: Buffer.concat(parts), error: e.code ?? "?" }));
  });
}

export function writeSuite(lib: Lib, backends: readonly BackendName[], mode: WriteMode): void {
  const { direct, gather } = mode;

  /** `k` collectors (above), each with the Conn accepted for it. */
  function* collectors(listener: Tasklet.Listener, k: number) {
    const out: { got: ReturnType<typeof collector>; conn: Tasklet.Conn }[] = [];
    for (let i = 0; i < k; i++) {
      const got = collector(listener.port);
      out.push({ got, conn: yield* listener.accept() });
    }
    return out;
  }
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

  describe.each(backends)(`small writes of a tick ${gather ? "are gathered for its end" : "leave at once"} ${direct ? "for the handle" : "for the stream"} on the %s backend`, (backend) => {
    it(gather ? "they wait in the outbox until the tick ends, as copies, and then leave" : "nothing waits after a small write", async () => {
      const got = await run(
        function* () {
          const listener = yield* listen({ port: 0 });
          const [{ got: a, conn: ca }, { got: b, conn: cb }] = yield* collectors(listener, 2);
          const piece = Buffer.alloc(100, 0x61);
          // Alternating between two connections in one step of this task.
          for (let i = 0; i < 10; i++) {
            yield* ca.write(piece);
            piece.fill(0x62); // reusing the buffer at once is fine: it was copied (or written)
            yield* cb.write(piece);
            piece.fill(0x61);
          }
          const inTick = { a: ca.writableLength, b: cb.writableLength, retained: ca._retainedLength + cb._retainedLength };
          yield* lib.yieldNow();
          const after = { a: ca.writableLength, b: cb.writableLength };
          ca.end();
          cb.end();
          const [ra, rb] = yield* lib.call(Promise.all([a, b]));
          ca.close();
          cb.close();
          listener.close();
          return { inTick, after, a: ra.data.toString(), b: rb.data.toString() };
        },
        { backend },
      );
      expect(got.inTick).toEqual(gather ? { a: 1000, b: 1000, retained: 0 } : { a: 0, b: 0, retained: 0 });
      expect(got.after).toEqual({ a: 0, b: 0 });
      expect(got.a).toBe("a".repeat(1000));
      expect(got.b).toBe("b".repeat(1000));
    });

    it(gather ? "ten small writes of one step leave in one write call at the tick's end" : "ten small writes leave in ten write calls", async () => {
      const got = await run(
        function* () {
          const listener = yield* listen({ port: 0 });
          const [{ got: p, conn }] = yield* collectors(listener, 1);
          // Count the calls on the path in use: the handle's writeBuffer, or the stream's write.
          let calls = 0;
          const target = (direct ? (conn.socket as unknown as { _handle: object })._handle : conn.socket) as Record<string, (...a: unknown[]) => unknown>;
          const key = direct ? "writeBuffer" : "write";
          const original = target[key]!;
          target[key] = function (this: unknown, ...a: unknown[]) {
            calls++;
            return original.apply(this, a);
          };
          for (let i = 0; i < 10; i++) yield* conn.write(Buffer.from(`piece ${i};`));
          yield* lib.yieldNow();
          const made = calls;
          conn.end();
          const r = yield* lib.call(p);
          conn.close();
          listener.close();
          return { made, data: r.data.toString() };
        },
        { backend },
      );
      expect(got.made).toBe(gather ? 1 : 10);
      expect(got.data).toBe(Array.from({ length: 10 }, (_, i) => `piece ${i};`).join(""));
    });

    if (gather) {
      it("a gathered run that has to wait keeps its bytes while other connections gather on in later ticks", async () => {
        const got = await run(
          function* () {
            const { listener, raw, conn: a } = yield* pausedPeer();
            const pb = collector(listener.port);
            const b = yield* listener.accept();
            const sentA: Buffer[] = [];
            const sentB: Buffer[] = [];
            // A's peer does not read: sooner or later the kernel takes only part
            // of A's run, and the rest waits holding a view of the arena. B goes
            // on gathering in the ticks after.
            let waited = -1;
            for (let t = 0; t < 8192 && (waited < 0 || t < waited + 8); t++) {
              const x = Buffer.from(pattern(2 * t + 1, 4000));
              const y = Buffer.from(pattern(2 * t + 2, 4000));
              a._write(x); // (never reused: once A's stream holds bytes, they are not copied)
              b._write(y);
              sentA.push(x);
              sentB.push(y);
              yield* lib.yieldNow();
              if (waited < 0 && a._retainedLength > 0) waited = t;
            }
            const parts: Buffer[] = [];
            const gotA = new Promise<Buffer>((resolve, reject) => {
              raw.on("data", (d: Buffer) => parts.push(d));
              raw.on("end", () => resolve(Buffer.concat(parts)));
              raw.on("error", reject);
            });
            raw.resume();
            a.end();
            b.end();
            const [da, rb] = yield* lib.call(Promise.all([gotA, pb]));
            a.close();
            b.close();
            raw.destroy();
            listener.close();
            return { waited, a: Buffer.compare(da, Buffer.concat(sentA)) === 0, b: Buffer.compare(rb.data, Buffer.concat(sentB)) === 0, bytes: da.length };
          },
          { backend },
        );
        expect(got.waited).toBeGreaterThanOrEqual(0);
        expect(got).toMatchObject({ a: true, b: true });
      });
    }

    it("one tick writing more than the outbox holds, mixed with larger writes, strings and arrays: every connection gets its bytes in order", async () => {
      const got = await run(
        function* () {
          const listener = yield* listen({ port: 0 });
          const peers = yield* collectors(listener, 8);
          const conns = peers.map((p) => p.conn);
          const clients = peers.map((p) => p.got);
          // 8 connections x 100 rounds of up to 4 KiB: about 1.9 MiB in one step, several arenas' worth.
          const sent: Buffer[][] = conns.map(() => []);
          for (let r = 0; r < 100; r++) {
            for (let i = 0; i < conns.length; i++) {
              const n = 1 + ((r * 977 + i * 131) % 4096);
              const b = Buffer.alloc(n, (r * 7 + i) & 255);
              sent[i]!.push(b);
              if (r % 25 === 7) {
                yield* conns[i]!.write(b.toString("latin1")); // a string goes through the stream: what was gathered must go first
                sent[i]![sent[i]!.length - 1] = Buffer.from(b.toString("latin1"));
              } else if (r % 25 === 13) {
                const big = Buffer.alloc(9000, 0xee);
                sent[i]!.push(big);
                yield* conns[i]!.write([b, big]);
              } else if (r % 25 === 19) {
                const big = Buffer.alloc(20_000, 0xdd);
                sent[i]!.push(big);
                yield* conns[i]!.write(b);
                yield* conns[i]!.write(big);
              } else {
                yield* conns[i]!.write(b);
              }
            }
          }
          for (const c of conns) c.end();
          const rs = yield* lib.call(Promise.all(clients));
          for (const c of conns) c.close();
          listener.close();
          return rs.map((r, i) => ({ error: r.error, same: Buffer.compare(r.data, Buffer.concat(sent[i]!)) === 0, bytes: r.data.length }));
        },
        { backend },
      );
      for (const r of got) expect(r).toMatchObject({ error: null, same: true });
    });

    it("close() and end() in the tick of the writes: the bytes first, then the end of stream; abort() drops its own and no other's", async () => {
      const got = await run(
        function* () {
          const listener = yield* listen({ port: 0 });
          const [{ got: pa, conn: a }, { got: pb, conn: b }, { got: pc, conn: c }] = yield* collectors(listener, 3);
          yield* a.write(Buffer.from("to a, then close"));
          yield* c.write(Buffer.from("to c, then abort"));
          yield* b.write(Buffer.from("to b, then end"));
          c.abort();
          a.close();
          b.end();
          const [ra, rb, rc] = yield* lib.call(Promise.all([pa, pb, pc]));
          b.close();
          listener.close();
          return { a: ra, b: rb, c: rc };
        },
        { backend },
      );
      expect(got.a).toEqual({ data: Buffer.from("to a, then close"), error: null });
      expect(got.b).toEqual({ data: Buffer.from("to b, then end"), error: null });
      // Gathered bytes of an aborted connection are dropped: its peer gets the
      // reset alone. Bytes written at once are in the peer's kernel already,
      // and whether it reads them before it sees the reset is up to the kernel.
      if (gather) expect(got.c).toEqual({ data: Buffer.alloc(0), error: "ECONNRESET" });
      else expect(["", "to c, then abort"]).toContain(got.c.data.toString());
    });

    it("a task writing small pieces to a peer that does not read parks at the high-water mark and goes on once they leave", async () => {
      const got = await run(
        function* () {
          const { listener, raw, conn } = yield* pausedPeer();
          const piece = new Uint8Array(4096);
          let written = 0;
          const writer = spawn(function* () {
            // 16 MiB: far more than the kernel takes from a peer that does not read.
            try {
              for (; written < 4096; written++) yield* conn.write(piece);
            } catch (e) {
              if (!(e instanceof NetError)) throw e; // closed below
            }
          });
          yield* sleep(150);
          const state = writer.state;
          const queued = conn.writableLength;
          raw.destroy();
          conn.close();
          listener.close();
          return { state, queued, written };
        },
        { backend },
      );
      expect(got.state).toBe("parked");
      expect(got.written).toBeGreaterThan(4); // it got past the first high-water mark: the flush woke it
      expect(got.written).toBeLessThan(4096);
      expect(got.queued).toBeLessThan(64 * 1024 + 4096 * 8);
    });

    it("writes made outside any task are not gathered", async () => {
      const got = await run(
        function* () {
          const listener = yield* listen({ port: 0 });
          const p = collector(listener.port);
          const conn = yield* listener.accept();
          const queued = yield* lib.call(
            new Promise<number>((resolve) =>
              setTimeout(() => {
                conn._write(Buffer.from("from a timer"));
                resolve(conn.writableLength);
              }, 1),
            ),
          );
          conn.end();
          const r = yield* lib.call(p);
          conn.close();
          listener.close();
          return { queued, r };
        },
        { backend },
      );
      expect(got.queued).toBe(0);
      expect(got.r).toEqual({ data: Buffer.from("from a timer"), error: null });
    });
  });
}
