// The read paths of a Conn, shared by net-reads.test.ts (reads of bytes are
// taken straight from the socket's handle when this Node allows it) and
// net-reads-stream.test.ts (TASKLET_NET_READ=stream: node:net's own
// onStreamRead hands every read to the Conn). The module under test is
// passed in, imported after the environment is set.
import net from "node:net";
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type * as Tasklet from "../../src/index.js";
import type { BackendName } from "../../src/index.js";
import { pattern } from "../support/helpers.js";

type Lib = typeof Tasklet;

const onreadName = (conn: Tasklet.Conn): string => (conn.socket as unknown as { _handle: { onread: { name: string } } })._handle.onread.name;

const sha = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

export function readSuite(lib: Lib, backends: readonly BackendName[], direct: boolean): void {
  const { run, listen, connect, spawn, sleep, NetError, READ_HIGH_WATER } = lib;

  describe.each(backends)(`reads ${direct ? "taken from the handle" : "through node's onStreamRead"} on the %s backend`, (backend) => {
    it(direct ? "accepted and connected sockets read through tasklet's onread" : "sockets keep node's onStreamRead", async () => {
      const names = await run(
        function* () {
          const listener = yield* listen({ port: 0 });
          const client = yield* connect({ port: listener.port });
          const server = yield* listener.accept();
          const got = { server: onreadName(server), client: onreadName(client) };
          client.close();
          server.close();
          listener.close();
          return got;
        },
        { backend },
      );
      if (direct) {
        expect(names.server).not.toBe("onStreamRead");
        expect(names.client).toBe(names.server);
      } else {
        expect(names).toEqual({ server: "onStreamRead", client: "onStreamRead" });
      }
    });

    it("a peer sending 4 MiB to a task that does not read: the socket stops reading at the limit, then every byte arrives in order", async () => {
      const data = Buffer.from(pattern(0x9e3779b9, 4 << 20));
      const got = await run(
        function* () {
          const listener = yield* listen({ port: 0 });
          const raw = net.connect({ port: listener.port, host: "127.0.0.1" });
          raw.end(data);
          const conn = yield* listener.accept();
          yield* conn.waitReadable(); // starts reading; then nobody reads for a while
          yield* sleep(150);
          const held = { buffered: conn.bufferedLength, paused: conn.readPaused };
          const parts: Uint8Array[] = [];
          for (let b = yield* conn.read(); b !== null; b = yield* conn.read()) parts.push(b);
          conn.close();
          listener.close();
          return { held, all: Buffer.concat(parts) };
        },
        { backend },
      );
      expect(got.held.paused).toBe(true);
      expect(got.held.buffered).toBeGreaterThanOrEqual(READ_HIGH_WATER);
      expect(got.held.buffered).toBeLessThanOrEqual(READ_HIGH_WATER + 64 * 1024);
      expect(got.all.length).toBe(data.length);
      expect(sha(got.all)).toBe(sha(data));
    });

    it("the end of the stream and a reset after bytes still reach the Conn", async () => {
      const got = await run(
        function* () {
          const listener = yield* listen({ port: 0 });
          const ending = net.connect({ port: listener.port, host: "127.0.0.1" });
          ending.end("abc");
          const a = yield* listener.accept();
          const first = Buffer.from((yield* a.readExactly(3))!).toString();
          const end = yield* a.read();
          const resetting = net.connect({ port: listener.port, host: "127.0.0.1" });
          resetting.write("xyz");
          setTimeout(() => resetting.resetAndDestroy(), 30);
          const b = yield* listener.accept();
          const before = Buffer.from((yield* b.readExactly(3))!).toString();
          let code = "none";
          try {
            yield* b.read();
          } catch (e) {
            if (!(e instanceof NetError)) throw e;
            code = e.code;
          }
          a.close();
          b.close();
          listener.close();
          return { first, end, before, code };
        },
        { backend },
      );
      expect(got).toEqual({ first: "abc", end: null, before: "xyz", code: "ECONNRESET" });
    });

    it("socket.setTimeout is pushed back by every read and every write, and fires once they stop", async () => {
      // 50-ms steps for 1.5 s against a 500-ms timeout: without the refresh it
      // would fire twice during each phase.
      const got = await run(
        function* () {
          const listener = yield* listen({ port: 0 });
          const raw = net.connect({ port: listener.port, host: "127.0.0.1" });
          raw.on("data", () => {});
          const conn = yield* listener.accept();
          const start = performance.now();
          const fired: number[] = [];
          conn.socket.setTimeout(500, () => fired.push(performance.now() - start));
          // Phase 1: the peer sends a byte every 50 ms, the task reads them.
          const sender = setInterval(() => raw.write("r"), 50);
          let read = 0;
          while (performance.now() - start < 1500) read += (yield* conn.read())!.length;
          clearInterval(sender);
          // Phase 2: the task writes a byte every 50 ms, nobody sends.
          const phase2 = performance.now() - start;
          while (performance.now() - start < phase2 + 1500) {
            yield* conn.write(Buffer.from("w"));
            yield* sleep(50);
          }
          const quiet = performance.now() - start;
          const timedOut = spawn(function* () {
            while (fired.length === 0) yield* sleep(20);
          });
          yield* timedOut;
          raw.destroy();
          conn.close();
          listener.close();
          return { fired, read, quiet };
        },
        { backend },
      );
      expect(got.read).toBeGreaterThan(10);
      expect(got.fired.length).toBe(1);
      expect(got.fired[0]!).toBeGreaterThanOrEqual(got.quiet + 400);
    });
  });
}
