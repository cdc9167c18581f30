import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import net from "node:net";
import { describe, expect, it } from "vitest";
import {
  type Conn,
  Event,
  NetError,
  READ_HIGH_WATER,
  Semaphore,
  call,
  connect,
  listen,
  run,
  serveTcp,
  sleep,
  spawn,
  type Task,
  withTimeout,
} from "../../src/index.js";
import { BACKENDS, pattern, pausedPeer } from "../support/helpers.js";


function* echo(conn: Conn) {
  for (let b = yield* conn.read(); b !== null; b = yield* conn.read()) yield* conn.write(b);
  conn.end();
}

/** The soft limit on open files, or Infinity if it cannot be read. */
function openFileLimit(): number {
  try {
    const v = execFileSync("sh", ["-c", "ulimit -n"], { encoding: "utf8" }).trim();
    return v === "unlimited" ? Infinity : Number(v);
  } catch {
    return Infinity;
  }
}

/** A short synchronous sleep: keeps the event loop (and so node's accepting) blocked. */
const PAUSE = new Int32Array(new SharedArrayBuffer(4));
/** How long the burst test lets the kernel queue the connections, and then accept them all (bounds, not timings). */
const QUEUE_WAIT_MS = 3000;
const ACCEPT_ALL_MS = 15_000;

/** Connections waiting in the listen queue of the socket listening on `port` (Linux: rx_queue of a LISTEN row of /proc/net/tcp{,6}). */
function acceptQueueLength(port: number): number {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(file, "latin1");
    } catch {
      continue;
    }
    for (const line of text.split("\n")) {
      const f = line.trim().split(/\s+/);
      // sl local_address rem_address st tx_queue:rx_queue ...; LISTEN is st 0A
      if (f[1]?.endsWith(`:${hexPort}`) && f[3] === "0A") return parseInt(f[4]!.split(":")[1]!, 16);
    }
  }
  return -1;
}

describe.each(BACKENDS)("green sockets under load on the %s backend", (backend) => {
  it("64 MiB through one echo connection, nothing lost or reordered (sha256 both ways)", async () => {
    const TOTAL = 64 << 20;
    const CHUNK = 256 << 10;
    const block = pattern(12345, CHUNK);
    const got = await run(
      function* () {
        const server = yield* serveTcp({ port: 0 }, echo);
        const conn = yield* connect({ port: server.port });
        const sent = createHash("sha256");
        const writer = spawn(function* () {
          for (let off = 0, i = 0; off < TOTAL; off += CHUNK, i++) {
            // Vary the chunk so a swapped pair of chunks shows in the digest.
            const c = block.subarray(i % 7, CHUNK);
            const n = Math.min(c.length, TOTAL - off);
            const piece = new Uint8Array(c.subarray(0, n));
            piece[0] = i & 0xff;
            sent.update(piece);
            yield* conn.write(piece);
            off -= CHUNK - n;
          }
          conn.end();
        });
        const recv = createHash("sha256");
        let total = 0;
        for (let b = yield* conn.read(); b !== null; b = yield* conn.read()) {
          recv.update(b);
          total += b.length;
        }
        yield* writer;
        conn.close();
        yield* server.close();
        return { total, same: sent.digest("hex") === recv.digest("hex") };
      },
      { backend },
    );
    expect(got).toEqual({ total: TOTAL, same: true });
  });

  it("a client that never reads: the writer parks and the server's buffered bytes stay bounded", async () => {
    const CHUNK = 64 << 10;
    // A raw client that connects and never reads (paused).
    const got = await run(
      function* () {
        const { listener, raw, conn } = yield* pausedPeer();
        let written = 0;
        const writer = spawn(function* () {
          const chunk = new Uint8Array(CHUNK);
          for (;;) {
            yield* conn.write(chunk);
            written += CHUNK;
          }
        });
        // Let the kernel buffers fill; the writer must end up parked.
        let stable = 0;
        let last = -1;
        for (let i = 0; i < 200 && stable < 5; i++) {
          yield* sleep(20);
          if (writer.state === "parked" && written === last) stable++;
          else stable = 0;
          last = written;
        }
        const state = writer.state;
        const queued = conn.writableLength;
        const writtenThen = written;
        yield* sleep(100);
        const grewAfter = written - writtenThen;
        writer.cancel();
        raw.destroy();
        conn.close();
        listener.close();
        return { state, queued, grewAfter, written };
      },
      { backend },
    );
    expect(got.state).toBe("parked");
    // Node's queue holds at most the high-water mark (16 KiB) plus the chunk that crossed it.
    expect(got.queued).toBeLessThanOrEqual(16 * 1024 + CHUNK);
    expect(got.grewAfter).toBe(0);
    // What was accepted is what the kernel's socket buffers hold: a few MiB at most, not unbounded.
    expect(got.written).toBeLessThan(64 << 20);
  });

  it("a sender faster than the reader: the socket pauses and buffered bytes stay bounded", async () => {
    const got = await run(
      function* () {
        const listener = yield* listen({ port: 0 });
        const raw = net.connect({ port: listener.port, host: "127.0.0.1" });
        let rawWritten = 0;
        const blob = Buffer.alloc(256 << 10, 1);
        const pump = (): void => {
          while (rawWritten < 32 << 20) {
            rawWritten += blob.length;
            if (!raw.write(blob)) return;
          }
        };
        raw.on("connect", pump);
        raw.on("drain", pump);
        raw.on("error", () => {});
        const conn = yield* listener.accept();
        yield* conn.read(1); // start reading, then stop consuming
        yield* sleep(300);
        const buffered = conn.bufferedLength;
        const paused = conn.readPaused;
        // A reader that comes back gets every byte, in order.
        let total = 1;
        raw.end();
        for (let b = yield* conn.read(); b !== null; b = yield* conn.read()) total += b.length;
        conn.close();
        listener.close();
        return { buffered, paused, total, rawWritten };
      },
      { backend },
    );
    expect(got.paused).toBe(true);
    expect(got.buffered).toBeGreaterThanOrEqual(READ_HIGH_WATER);
    expect(got.buffered).toBeLessThanOrEqual(READ_HIGH_WATER + 64 * 1024);
    expect(got.total).toBe(got.rawWritten);
  });

  it("a client that vanishes mid-transfer: the handler gets a NetError, nothing leaks", async () => {
    const got = await run(
      function* () {
        const outcomes: string[] = [];
        const server = yield* serveTcp(
          { port: 0, onError: (e) => outcomes.push(e instanceof NetError ? `NetError ${e.code}` : String(e)) },
          function* (conn) {
            const chunk = new Uint8Array(64 << 10);
            for (let i = 0; i < 100_000; i++) yield* conn.write(chunk);
            outcomes.push("wrote everything?!");
          },
        );
        const reader = server; // for readability below
        const vanish: Promise<void>[] = [];
        for (let k = 0; k < 3; k++) {
          vanish.push(
            new Promise<void>((resolve) => {
              const raw = net.connect({ port: reader.port, host: "127.0.0.1" });
              let seen = 0;
              raw.on("data", (d) => {
                seen += d.length;
                if (seen > 1 << 20) {
                  // Mid-transfer: k=0 resets, k=1 just closes, k=2 closes without reading more.
                  if (k === 0) raw.resetAndDestroy();
                  else raw.destroy();
                  resolve();
                }
              });
              raw.on("error", () => resolve());
            }),
          );
        }
        // The raw clients run on the event loop; wait for them and for the handlers to notice.
        for (let i = 0; i < 200 && (outcomes.length < 3 || server.connections > 0); i++) yield* sleep(10);
        yield* withTimeout(5000, server.close({ timeout: 1000 }));
        const open = yield* countConnections(server.listener.server);
        return { outcomes: outcomes.sort(), connections: server.connections, open };
      },
      { backend },
    );
    expect(got.connections).toBe(0);
    expect(got.open).toBe(0);
    expect(got.outcomes).toHaveLength(3);
    for (const o of got.outcomes) expect(o).toMatch(/^NetError (ECONNRESET|EPIPE)$/);
  });

  it("a burst of 1,000 connections before the first accept: the listen queue holds them all (no SYN waits for a retransmission)", async () => {
    // listen() asks for the system's limit (net.core.somaxconn); with Node's
    // 511 the kernel drops the SYNs of the rest, and each of those clients
    // only tries again a second later.
    let somaxconn = 511;
    try {
      somaxconn = Number(readFileSync("/proc/sys/net/core/somaxconn", "latin1").trim());
    } catch {}
    const N = Math.min(1000, somaxconn, Math.floor((openFileLimit() - 200) / 2));
    const got = await run(
      function* () {
        const listener = yield* listen({ port: 0 });
        const clients: net.Socket[] = [];
        for (let i = 0; i < N; i++) {
          const c = net.connect(listener.port, "127.0.0.1");
          c.on("error", () => {});
          clients.push(c);
        }
        // The connects go out in nextTicks; this one runs after them and keeps
        // the process from accepting while the kernel completes the
        // handshakes (the process is not needed for that) and queues them:
        // until all are in the listen queue, or a bound.
        let queued = -1;
        process.nextTick(() => {
          const t = Date.now();
          do {
            queued = acceptQueueLength(listener.port);
            if (queued >= N) break;
            Atomics.wait(PAUSE, 0, 0, 10);
          } while (Date.now() - t < QUEUE_WAIT_MS);
        });
        let accepted = 0;
        try {
          yield* withTimeout(ACCEPT_ALL_MS, function* () {
            while (accepted < N) {
              (yield* listener.accept()).close();
              accepted++;
            }
          });
        } catch {}
        for (const c of clients) c.destroy();
        listener.close();
        return { queued, accepted };
      },
      { backend },
    );
    // All were in the kernel's queue at once: none had its SYN dropped (and
    // would have waited a second for a retransmission); then all accepted.
    if (process.platform === "linux") expect(got.queued).toBe(N);
    expect(got.accepted).toBe(N);
  });

  it("5,000 connections held open at once, all served", async () => {
    const limit = openFileLimit();
    // Both ends live in this process: two descriptors per connection, plus slack.
    const N = Math.min(5000, Math.floor((limit - 200) / 2));
    if (N < 5000) console.warn(`net-load: ulimit -n is ${limit}; holding ${N} connections instead of 5000`);
    const got = await run(
      function* () {
        const allIn = new Event("all connected");
        let peak = 0;
        let served = 0;
        const server = yield* serveTcp({ port: 0, backlog: 1024 }, function* (conn) {
          const line = yield* conn.readUntil("\n", 64);
          peak = Math.max(peak, server.connections);
          yield* allIn.wait(); // hold every connection open until all are in
          yield* conn.write(line!);
          served++;
          yield* conn.read(); // until the client closes
        });
        const gate = new Semaphore(200, "connects in flight"); // do not overrun the accept backlog
        let connected = 0;
        let replies = 0;
        const clients: Task<void>[] = [];
        for (let i = 0; i < N; i++) {
          clients.push(
            spawn(function* () {
              yield* gate.acquire();
              let conn: Conn;
              try {
                conn = yield* connect({ port: server.port, timeout: 20_000 });
                yield* conn.write(`hello ${i}\n`);
              } finally {
                gate.release();
              }
              if (++connected === N) {
                // Every client is connected and has sent its line; wait till every handler read it.
                while (peak < N) yield* sleep(5);
                allIn.set();
              }
              try {
                const reply = yield* conn.readUntil("\n", 64);
                if (Buffer.from(reply!).toString() === `hello ${i}\n`) replies++;
              } finally {
                conn.close();
              }
            }),
          );
        }
        yield* withTimeout(90_000, function* () {
          for (const c of clients) yield* c;
        });
        yield* server.close({ timeout: 2000 });
        return { peak, served, replies };
      },
      { backend },
    );
    expect(got).toEqual({ peak: N, served: N, replies: N });
  }, 120_000);
});

function countConnections(server: net.Server) {
  return {
    *[Symbol.iterator]() {
      for (let i = 0; i < 100; i++) {
        const n = yield* callbackOp<number>((cb) => server.getConnections((e, c) => cb(e ? 0 : c)));
        if (n === 0) return 0;
        yield* sleep(10);
      }
      return yield* callbackOp<number>((cb) => server.getConnections((e, c) => cb(e ? -1 : c)));
    },
  };
}

function* callbackOp<T>(start: (cb: (v: T) => void) => void) {
  return (yield* call(() => new Promise<T>((resolve) => start(resolve)))) as T;
}
