// Streamed response bodies under stress: a client that stops reading holds
// the producer back (bounded memory); a client that leaves, or a server that
// closes, stops the producer (a Readable is destroyed, a ReadableStream
// cancelled, an async generator's finally runs); a producer that fails part
// way cuts the response short (no valid end) and onError hears of it.
import { readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { request } from "node:http";
import { Readable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import type { HttpRequest } from "../../src/index.js";
import { COMBOS, raw, serverPool } from "./http-helpers.js";

const { start, closeAll } = serverPool();
afterEach(closeAll);

const CHUNK = 64 * 1024;
const MiB = 1 << 20;
/** The largest a TCP socket buffer may grow to (autotuning), from /proc; a generous guess where it cannot be read. */
function kernelMax(name: "tcp_rmem" | "tcp_wmem", guess: number): number {
  try {
    const max = Number(readFileSync(`/proc/sys/net/ipv4/${name}`, "utf8").trim().split(/\s+/)[2]);
    return Number.isFinite(max) && max > 0 ? max : guess;
  } catch {
    return guess;
  }
}
/**
 * Bytes a paused client may leave between produced and received: what the
 * kernel's socket buffers on loopback can hold at most (the client's receive
 * buffer and the server's send buffer), plus a few MiB for the server's and
 * the producer's own buffers. Only the bound matters: without backpressure
 * the producer runs on to PRODUCER_CAP.
 */
const BACKLOG_BOUND = kernelMax("tcp_rmem", 32 * MiB) + kernelMax("tcp_wmem", 32 * MiB) + 8 * MiB;
/** An infinite producer stops here, so a server without backpressure ends (and fails the bound) instead of eating memory. */
const PRODUCER_CAP = Math.max(256 * MiB, 4 * BACKLOG_BOUND);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Producers of an endless body of CHUNK-sized chunks, each counting the bytes it gave. */
type Producer = { produced: number; stopped: boolean; body: () => unknown };
function producers(): Record<string, Producer> {
  const make = (kind: string): Producer => {
    const p: Producer = {
      produced: 0,
      stopped: false,
      body() {
        const chunk = () => {
          p.produced += CHUNK;
          return new Uint8Array(CHUNK).fill(p.produced & 0xff);
        };
        const more = () => p.produced < PRODUCER_CAP;
        switch (kind) {
          case "readable":
            return new Readable({
              read() {
                this.push(more() ? chunk() : null);
              },
              destroy(err, cb) {
                p.stopped = true;
                cb(err);
              },
            });
          case "webstream":
            return new ReadableStream({
              pull(c) {
                if (more()) c.enqueue(chunk());
                else c.close();
              },
              cancel() {
                p.stopped = true;
              },
            });
          default:
            return (async function* () {
              try {
                while (more()) yield chunk();
              } finally {
                p.stopped = true;
              }
            })();
        }
      },
    };
    return p;
  };
  return { readable: make("readable"), webstream: make("webstream"), asyncgen: make("asyncgen") };
}

/** A raw client: sends a request, counts the bytes it got, reads only while `reading`. */
function rawClient(port: number, req: string): { sock: Socket; received: () => number; closed: () => boolean; text: () => string } {
  const sock = connect(port, "127.0.0.1");
  let received = 0;
  let closed = false;
  const head: Buffer[] = [];
  sock.on("data", (d: Buffer) => {
    received += d.length;
    if (head.length < 4) head.push(d);
  });
  sock.on("close", () => (closed = true));
  sock.on("error", () => {});
  sock.write(req);
  return { sock, received: () => received, closed: () => closed, text: () => Buffer.concat(head).toString("latin1") };
}

describe.each(COMBOS)("streamed bodies, $parser parser, $backend backend", (combo) => {
  for (const kind of ["readable", "webstream", "asyncgen"] as const) {
    it(`${kind}: a client that stops reading holds the producer back; leaving stops it`, async () => {
      const ps = producers();
      const p = ps[kind]!;
      const s = await start(combo, function* () {
        return { body: p.body() };
      });
      const c = rawClient(s.port, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
      // Read a little, then stop reading.
      await expect.poll(c.received, { timeout: 10_000 }).toBeGreaterThan(256 * 1024);
      c.sock.pause();
      // The producer stops being pulled once the socket buffers are full: wait until its count holds still.
      let last = -1;
      for (let i = 0; i < 100 && p.produced !== last; i++) {
        last = p.produced;
        await sleep(200);
      }
      expect(p.produced).toBe(last);
      expect(p.produced - c.received()).toBeLessThan(BACKLOG_BOUND);
      expect(p.stopped).toBe(false);
      // Reading again pulls more.
      const before = p.produced;
      c.sock.resume();
      await expect.poll(() => p.produced, { timeout: 10_000 }).toBeGreaterThan(before + 4 * CHUNK);
      expect(c.text()).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*Transfer-Encoding: chunked\r\n/);
      // The client leaves mid-stream: the producer is stopped.
      c.sock.destroy();
      await expect.poll(() => p.stopped, { timeout: 10_000 }).toBe(true);
      const at = p.produced;
      await sleep(100);
      expect(p.produced).toBe(at);
    });

    it(`${kind}: closing the server stops a producer that waits`, async () => {
      let stopped = false;
      let pulls = 0;
      const bodies: Record<string, () => unknown> = {
        // Each gives one chunk, then waits forever for the next.
        readable: () =>
          new Readable({
            read() {
              if (pulls++ === 0) this.push("first\n");
            },
            destroy(err, cb) {
              stopped = true;
              cb(err);
            },
          }),
        webstream: () =>
          new ReadableStream({
            pull(c) {
              if (pulls++ === 0) c.enqueue("first\n");
              else return new Promise(() => {});
            },
            cancel() {
              stopped = true;
            },
          }),
        asyncgen: () =>
          (async function* () {
            try {
              yield "first\n";
              // A slow producer: the server closes while it waits. (An async
              // generator takes `return()` only at a yield, so it must come to one.)
              for (;;) {
                pulls++;
                await sleep(300);
                yield "later\n";
              }
            } finally {
              stopped = true;
            }
          })(),
      };
      const s = await start(combo, function* () {
        return { body: bodies[kind]!() };
      });
      const c = rawClient(s.port, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
      await expect.poll(c.text, { timeout: 10_000 }).toMatch(/first\n/);
      expect(stopped).toBe(false);
      await s.close({ timeout: 50 });
      await expect.poll(() => stopped, { timeout: 10_000 }).toBe(true);
      await expect.poll(c.closed, { timeout: 10_000 }).toBe(true);
      // The client saw no end of the body: the last chunk never came.
      expect(c.text()).not.toMatch(/\r\n0\r\n\r\n$/);
    });
  }

  it("a producer that fails part way cuts the response short and onError hears of it", async () => {
    const errors: unknown[] = [];
    const boom = new Error("producer failed");
    const failing: Record<string, () => unknown> = {
      asyncgen: () =>
        (async function* () {
          yield "one\n";
          await sleep(5);
          yield "two\n";
          throw boom;
        })(),
      readable: () => {
        let n = 0;
        return new Readable({
          read() {
            if (n++ < 2) this.push(`chunk ${n}\n`);
            else setImmediate(() => this.destroy(boom));
          },
        });
      },
      webstream: () => {
        let n = 0;
        return new ReadableStream({
          pull(c) {
            if (n++ < 2) c.enqueue(`chunk ${n}\n`);
            else c.error(boom);
          },
        });
      },
      // The handler catches the failure and returns: the response must stay cut short all the same.
      caught: () => "caught",
    };
    const s = await start(
      combo,
      function* (req: HttpRequest, res) {
        const kind = req.path.slice(1);
        if (kind === "caught") {
          try {
            yield* res.end(failing.asyncgen!() as AsyncIterable<string>);
          } catch {
            return { body: "this must not be sent" };
          }
        }
        return { body: failing[kind]!() };
      },
      { onError: (e) => errors.push(e) },
    );
    for (const kind of Object.keys(failing)) {
      errors.length = 0;
      // node:http client: the response is aborted, never ends normally.
      const outcome = await new Promise<string>((resolve) => {
        const req = request(`http://127.0.0.1:${s.port}/${kind}`, { agent: false }, (res) => {
          res.on("data", () => {});
          res.on("end", () => resolve("end"));
          res.on("aborted", () => resolve("aborted"));
          res.on("error", () => resolve("error"));
        });
        req.on("error", () => resolve("request error"));
        req.end();
      });
      expect(outcome, kind).not.toBe("end");
      // Raw socket: some chunks, no terminating chunk, then the connection closes.
      const r = await raw(s.port, `GET /${kind} HTTP/1.1\r\nHost: a\r\n\r\nGET /${kind} HTTP/1.1\r\nHost: a\r\n\r\n`, { idleMs: 3000 });
      expect(r.closed, kind).toBe(true);
      expect(r.text, kind).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(r.text, kind).toMatch(/one\n|chunk 1\n/);
      expect(r.text, kind).not.toMatch(/0\r\n\r\n$/);
      expect(r.text, kind).not.toMatch(/must not be sent/);
      expect(r.text.match(/HTTP\/1\.1 /g), kind).toHaveLength(1);
      if (kind !== "caught") {
        expect(errors.length, kind).toBeGreaterThanOrEqual(2);
        expect(errors.every((e) => e === boom || (e as Error).cause === boom || (e as Error).message === boom.message), kind).toBe(true);
      }
    }
  });

  it("a producer that fails before its first chunk gets the client a plain 500", async () => {
    const errors: unknown[] = [];
    const s = await start(
      combo,
      function* () {
        return {
          body: (async function* () {
            throw new RangeError("no data today");
          })(),
        };
      },
      { onError: (e) => errors.push(e) },
    );
    const r = await fetch(`http://127.0.0.1:${s.port}/`);
    expect(r.status).toBe(500);
    expect(await r.text()).toBe("Internal Server Error\n");
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe("no data today");
  });
});
