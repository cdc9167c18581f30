/**
 * Closing, errors and lifetimes: the close handshake both ways with random
 * codes and reasons, every close code that is invalid on the wire, bad
 * UTF-8, protocol errors (each with the code the server closes with), the
 * size limits (1009), timeouts and the heartbeat, and how the end of the
 * handler's task closes the WebSocket (return 1000, throw 1011, cancel
 * 1001, server stop 1001).
 */
import { fc } from "@fast-check/vitest";
import { afterEach, describe, expect, it } from "vitest";
import { type Instruction, type Task, WsClosedError, current, sleep, spawn, upgrade } from "../../src/index.js";
import { COMBOS, RawClient, bounded, clientFrame, closePayload, codeOf, echoHandler, inboxOf, openClient, wsPool } from "./ws-helpers.js";

const pool = wsPool();
afterEach(pool.closeAll);

/** Codes a peer may send (RFC 6455 §7.4 and the IANA registry). */
const wireCode = fc.oneof(fc.constantFrom(1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014), fc.integer({ min: 3000, max: 4999 }));
/** A reason of at most 123 UTF-8 bytes. */
const reason = fc.string({ unit: "grapheme", maxLength: 30 }).filter((r) => Buffer.byteLength(r) <= 123);

/** A deferred the server's handler settles with what it saw. */
function seen<T>(): { readonly promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const settled = new Promise<T>((r) => (resolve = r));
  // Bounded when awaited (a deferred nobody awaits must not fail later).
  return { get promise() { return bounded(settled, "the server's side"); }, resolve };
}

describe.each(COMBOS)("WebSocket close and errors, $parser parser, $backend backend", (combo) => {
  it("a client's close: receive() returns null with its code and reason, and the server echoes the code", async () => {
    let report = seen<{ code: number | null; reason: string }>();
    const s = await pool.start(combo, function* (req) {
      const ws = yield* upgrade(req);
      while ((yield* ws.receive()) !== null);
      report.resolve({ code: ws.closeCode, reason: ws.closeReason });
    });
    await fc.assert(
      fc.asyncProperty(wireCode.filter((c) => c !== 1004), reason, async (code, why) => {
        report = seen();
        // ws refuses to send some codes itself (1002...): a raw frame says what we mean.
        const raw = await RawClient.open(s.port);
        raw.write(clientFrame(8, closePayload(code, why)));
        const echo = await raw.frame();
        expect(codeOf(echo)).toBe(code);
        await raw.closed();
        expect(await report.promise).toEqual({ code, reason: why });
      }),
      { numRuns: 15 },
    );
  });

  it("a close frame without a code is answered with 1000 and reads as 1005", async () => {
    const report = seen<number | null>();
    const s = await pool.start(combo, function* (req) {
      const ws = yield* upgrade(req);
      while ((yield* ws.receive()) !== null);
      report.resolve(ws.closeCode);
    });
    const raw = await RawClient.open(s.port);
    raw.write(clientFrame(8, Buffer.alloc(0)));
    expect(codeOf(await raw.frame())).toBe(1000);
    expect(await report.promise).toBe(1005);
  });

  it("close(code, reason) from the server reaches the client and completes with its echo", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.constantFrom(1000, 1001, 1008, 1011), fc.integer({ min: 3000, max: 4999 })), reason, async (code, why) => {
        const report = seen<{ code: number | null; closed: boolean }>();
        const s = await pool.start(combo, function* (req) {
          const ws = yield* upgrade(req);
          yield* ws.close(code, why);
          report.resolve({ code: ws.closeCode, closed: ws.closed });
        });
        const c = await openClient(s.url);
        const closed = await inboxOf(c).closed();
        expect(closed).toEqual({ code, reason: why });
        expect(await report.promise).toEqual({ code, closed: true });
      }),
      { numRuns: 8 },
    );
  });

  it("close() refuses codes that may not be sent and reasons over 123 bytes", async () => {
    const errors = seen<string[]>();
    const s = await pool.start(combo, function* (req) {
      const ws = yield* upgrade(req);
      const out: string[] = [];
      for (const [code, why] of [[1005, ""], [1006, ""], [999, ""], [2000, ""], [5000, ""], [1000, "é".repeat(62)]] as const) {
        try {
          yield* ws.close(code, why);
          out.push(`${code} accepted`);
        } catch (e) {
          out.push(`${(e as Error).name}: ${(e as Error).message.slice(0, 40)}`);
        }
      }
      errors.resolve(out);
      yield* ws.close(1000, "é".repeat(61)); // 122 bytes: fine
    });
    const c = await openClient(s.url);
    const out = await errors.promise;
    expect(out).toHaveLength(6);
    expect(out.every((l) => l.startsWith("RangeError: close():"))).toBe(true);
    expect((await inboxOf(c).closed()).reason).toBe("é".repeat(61));
  });

  it("answers every close code that is invalid on the wire, and a 1-byte close, with 1002", async () => {
    const s = await pool.start(combo, echoHandler());
    const bad = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535];
    for (const code of bad) {
      const raw = await RawClient.open(s.port);
      raw.write(clientFrame(8, closePayload(code)));
      const frames = await raw.framesToEnd();
      expect(frames.map(codeOf), `code ${code}`).toEqual([1002]);
    }
    const raw = await RawClient.open(s.port);
    raw.write(clientFrame(8, Buffer.from([3])));
    expect((await raw.framesToEnd()).map(codeOf)).toEqual([1002]);
  });

  it("closes with 1007 on text that is not UTF-8, whole, fragmented, or as a close reason", async () => {
    const report = seen<(number | null)[]>();
    const codes: (number | null)[] = [];
    const s = await pool.start(combo, function* (req) {
      const ws = yield* upgrade(req);
      while ((yield* ws.receive()) !== null);
      codes.push(ws.closeCode);
      if (codes.length === 4) report.resolve(codes);
    });
    const cases = [
      [clientFrame(1, Buffer.from([0x61, 0xff, 0x62]))],
      [clientFrame(1, Buffer.from([0xed, 0xa0, 0x80]))], // a UTF-16 surrogate
      [clientFrame(1, Buffer.from([0xe2, 0x82]), { fin: false }), clientFrame(0, Buffer.from([0x28]))], // broken across fragments
      [clientFrame(8, closePayload(1000, Buffer.from([0xc0, 0xaf])))], // an overlong "/"
    ];
    for (const frames of cases) {
      const raw = await RawClient.open(s.port);
      raw.write(Buffer.concat(frames));
      expect((await raw.framesToEnd()).map(codeOf)).toEqual([1007]);
    }
    expect(await report.promise).toEqual([1007, 1007, 1007, 1007]);
  });

  it("keeps a character split across fragments (valid UTF-8 in pieces)", async () => {
    const s = await pool.start(combo, echoHandler());
    const raw = await RawClient.open(s.port);
    const euro = Buffer.from("a€b");
    raw.write(Buffer.concat([clientFrame(1, euro.subarray(0, 2), { fin: false }), clientFrame(0, euro.subarray(2, 3), { fin: false }), clientFrame(0, euro.subarray(3))]));
    const f = await raw.frame();
    expect(f!.payload.toString()).toBe("a€b");
    raw.destroy();
  });

  it("closes with 1002 on protocol errors", async () => {
    const s = await pool.start(combo, echoHandler());
    const cases: [string, Buffer][] = [
      ["an unmasked frame", clientFrame(1, "hi", { mask: false })],
      ["RSV1 without an extension", clientFrame(1, "hi", { rsv: 4 })],
      ["RSV2", clientFrame(2, "hi", { rsv: 2 })],
      ["a reserved data opcode", clientFrame(3, "hi")],
      ["a reserved control opcode", clientFrame(11, "")],
      ["a ping of 126 bytes", clientFrame(9, Buffer.alloc(126))],
      ["a fragmented ping", clientFrame(9, "a", { fin: false })],
      ["a continuation with nothing to continue", clientFrame(0, "x")],
      ["a new message inside a fragmented one", Buffer.concat([clientFrame(1, "a", { fin: false }), clientFrame(1, "b")])],
    ];
    for (const [what, bytes] of cases) {
      const raw = await RawClient.open(s.port);
      raw.write(bytes);
      expect((await raw.framesToEnd()).map(codeOf), what).toEqual([1002]);
    }
  });

  it("closes with 1009 past maxMessageSize (whole or fragmented) or maxFrameSize, before reading the payload", async () => {
    const s = await pool.start(combo, function* (req) {
      const ws = yield* upgrade(req, req.path === "/frame" ? { maxMessageSize: 1000, maxFrameSize: 100 } : { maxMessageSize: 1000 });
      for (let m = yield* ws.receive(); m !== null; m = yield* ws.receive()) yield* ws.send(m);
    });
    const fits = await openClient(s.url);
    fits.send(Buffer.alloc(1000, 7));
    expect((await inboxOf(fits).nth(1)).data.length).toBe(1000);
    fits.send(Buffer.alloc(1001, 7));
    expect((await inboxOf(fits).closed()).code).toBe(1009);

    const pieces = await openClient(s.url);
    pieces.send("a".repeat(600), { fin: false });
    pieces.send("a".repeat(401), { fin: true });
    expect((await inboxOf(pieces).closed()).code).toBe(1009);

    const frames = await openClient(`${s.url}frame`);
    frames.send("b".repeat(60), { fin: false });
    frames.send("b".repeat(60), { fin: true });
    expect((await inboxOf(frames).nth(1)).data.toString()).toBe("b".repeat(120));
    frames.send("c".repeat(101));
    expect((await inboxOf(frames).closed()).code).toBe(1009);

    // A header that announces 2^40 bytes is refused without waiting for them.
    const raw = await RawClient.open(s.port);
    raw.write(Buffer.from([0x82, 0xff, 0, 0, 1, 0, 0, 0, 0, 0, 1, 2, 3, 4]));
    expect((await raw.framesToEnd()).map(codeOf)).toEqual([1009]);
  });

  it("maxMessageSize 0 means no limit (a 2 MiB message, over the default 1 MiB, passes)", async () => {
    const s = await pool.start(combo, echoHandler({ maxMessageSize: 0 }));
    const c = await openClient(s.url);
    const big = Buffer.alloc(2 << 20, 0x5a);
    c.send(big);
    const got = await inboxOf(c).nth(1);
    expect(got.data.equals(big)).toBe(true);
    c.close();
  });

  it("refuses bad arguments to send() and ping() with typed errors, and stays open", async () => {
    const report = seen<string[]>();
    const s = await pool.start(combo, function* (req) {
      const ws = yield* upgrade(req);
      const out: string[] = [];
      for (const bad of [123, null, { a: 1 }]) {
        try {
          yield* ws.send(bad as never);
        } catch (e) {
          out.push(`${(e as Error).name}: ${(e as Error).message}`);
        }
      }
      try {
        ws.ping(Buffer.alloc(126));
      } catch (e) {
        out.push(`${(e as Error).name}: ${(e as Error).message}`);
      }
      yield* ws.send("still open");
      report.resolve(out);
      yield* ws.receive();
    });
    const c = await openClient(s.url);
    expect((await inboxOf(c).nth(1)).data.toString()).toBe("still open");
    expect(await report.promise).toEqual([
      "TypeError: send(): data must be a string, a Uint8Array or an ArrayBuffer, got 123",
      "TypeError: send(): data must be a string, a Uint8Array or an ArrayBuffer, got null",
      "TypeError: send(): data must be a string, a Uint8Array or an ArrayBuffer, got an object",
      "RangeError: ping(): the payload is 126 bytes; a control frame carries at most 125",
    ]);
    c.close();
  });

  it("send() after the close throws WsClosedError with the code", async () => {
    const report = seen<unknown>();
    const s = await pool.start(combo, function* (req) {
      const ws = yield* upgrade(req);
      yield* ws.receive(); // null: the client closed
      try {
        yield* ws.send("too late");
      } catch (e) {
        report.resolve(e);
      }
    });
    const c = await openClient(s.url);
    c.close(4321, "bye");
    const e = await report.promise;
    expect(e).toBeInstanceOf(WsClosedError);
    expect((e as WsClosedError).code).toBe(4321);
    expect((e as Error).message).toMatch(/send\(\): the WebSocket .* is closed \(code 4321: bye\)/);
  });

  it("close() while another task receives: the receiver gets null, close() returns after the echo", async () => {
    const report = seen<string[]>();
    const s = await pool.start(combo, function* (req) {
      const ws = yield* upgrade(req);
      const log: string[] = [];
      const reader = spawn(function* () {
        for (let m = yield* ws.receive(); m !== null; m = yield* ws.receive()) log.push(`got ${String(m)}`);
        log.push("reader saw the end");
      });
      yield* ws.send("hello");
      yield* waitFor(() => log.length > 0);
      yield* ws.close(4000, "done");
      log.push(`closed ${ws.closeCode}`);
      yield* reader;
      report.resolve(log);
    });
    const c = await openClient(s.url);
    await inboxOf(c).nth(1);
    c.send("one");
    expect(await report.promise).toEqual(["got one", "reader saw the end", "closed 4000"]);
  });

  it("close() takes over reading when the receiving task has moved on to other work", async () => {
    const report = seen<{ code: number | null; log: string[] }>();
    const s = await pool.start(combo, function* (req) {
      const ws = yield* upgrade(req, { closeTimeout: 4000 });
      const log: string[] = [];
      const busy = spawn(function* () {
        log.push(`got ${String(yield* ws.receive())}`);
        yield* sleep(300); // busy elsewhere: not receiving
      });
      yield* waitFor(() => log.length > 0);
      yield* ws.close(4002, "going");
      log.push("closed");
      yield* busy;
      report.resolve({ code: ws.closeCode, log });
    });
    const c = await openClient(s.url);
    c.send("one");
    expect(await inboxOf(c).closed()).toEqual({ code: 4002, reason: "going" });
    // The client's echo was read by close() itself: 4002 came back, not a timeout's 1006.
    expect(await report.promise).toEqual({ code: 4002, log: ["got one", "closed"] });
  });

  it("idleTimeout closes a silent peer with 1001", async () => {
    const s = await pool.start(combo, echoHandler({ idleTimeout: 150 }));
    const c = await openClient(s.url);
    const closed = await inboxOf(c).closed();
    expect(closed.code).toBe(1001);
    expect(closed.reason).toMatch(/idle for more than 150 ms/);
  });

  it("the heartbeat pings a silent peer, keeps one that answers, and drops one that does not", async () => {
    const report = seen<{ code: number | null; reason: string }>();
    const s = await pool.start(combo, function* (req) {
      const ws = yield* upgrade(req, { heartbeat: { interval: 60, timeout: 60 } });
      for (let m = yield* ws.receive(); m !== null; m = yield* ws.receive()) yield* ws.send(m);
      if (req.path === "/dead") report.resolve({ code: ws.closeCode, reason: ws.closeReason });
    });
    // ws answers pings by itself: still open after several intervals.
    const alive = await openClient(s.url);
    await inboxOf(alive).until(() => inboxOf(alive).pings.length >= 3, "three heartbeat pings");
    alive.send("still here");
    expect((await inboxOf(alive).nth(1)).data.toString()).toBe("still here");
    alive.close();
    // A raw client does not answer: a ping, then the TCP connection just closes.
    const c = await RawClient.connect(s.port);
    c.write(handshakeDeadPath(s.port));
    await c.head();
    const frames = await c.framesToEnd();
    expect(frames.map((f) => f.opcode)).toEqual([9]);
    expect(await report.promise).toEqual({ code: 1006, reason: "no answer to a heartbeat ping within 60 ms" });
  });

  it("close() gives up on a peer that never answers after closeTimeout (code 1006)", async () => {
    const report = seen<{ code: number | null; closed: boolean }>();
    const s = await pool.start(combo, function* (req) {
      const ws = yield* upgrade(req, { closeTimeout: 100 });
      yield* ws.close(1000);
      report.resolve({ code: ws.closeCode, closed: ws.closed });
    });
    const raw = await RawClient.open(s.port);
    const frames = await raw.framesToEnd(); // the close frame, then the end
    expect(frames.map(codeOf)).toEqual([1000]);
    expect(await report.promise).toEqual({ code: 1006, closed: true });
  });
});

describe.each(COMBOS)("WebSocket lifetimes, $parser parser, $backend backend", (combo) => {
  it("closes the connection once the handler's task ends, whatever its end; nothing stays open", async () => {
    const tasks: Task[] = [];
    const s = await pool.start(combo, function* (req) {
      const ws = yield* upgrade(req, { perMessageDeflate: true });
      tasks.push(current());
      const m = yield* ws.receive();
      if (m === "throw") throw new Error("on purpose");
      if (m === "wait") yield* sleep(60_000);
    }, { onError: () => {} });
    const clients = await Promise.all(["return", "throw", "wait", "leave"].map(() => openClient(s.url, undefined, { perMessageDeflate: true })));
    await bounded(waitUntil(() => tasks.length === 4), "four handlers");
    expect(s.connections()).toBe(4);
    clients[0]!.send("return");
    clients[1]!.send("throw");
    clients[2]!.send("wait");
    clients[3]!.terminate(); // gone without a close frame
    await bounded(waitUntil(() => tasks.filter((t) => !t.done).length === 1), "three handlers to end");
    tasks.find((t) => !t.done)!.cancel("test");
    const codes = await Promise.all(clients.slice(0, 3).map((c) => inboxOf(c).closed().then((x) => x.code)));
    expect(codes).toEqual([1000, 1011, 1001]);
    await bounded(waitUntil(() => s.connections() === 0), "every connection to close");
  });

  it("a WebSocket upgraded by a child task of the handler is owned by that task: closed when it ends", async () => {
    const log: string[] = [];
    const s = await pool.start(combo, function* (req) {
      const child = spawn(function* () {
        const ws = yield* upgrade(req);
        const m = yield* ws.receive();
        yield* ws.send(`child got ${String(m)}`);
        return ws;
      });
      const ws = yield* child;
      log.push(`closed when the child ended: ${ws.closed} ${ws.closeCode}`);
    });
    const c = await openClient(s.url);
    c.send("hi");
    expect((await inboxOf(c).nth(1)).data.toString()).toBe("child got hi");
    expect((await inboxOf(c).closed()).code).toBe(1001);
    await bounded(waitUntil(() => log.length === 1), "the handler");
    expect(log).toEqual(["closed when the child ended: true 1001"]);
  });

  it("closes with 1000 when the handler returns, 1011 when it throws (reported to onError)", async () => {
    const errors: unknown[] = [];
    const s = await pool.start(
      combo,
      function* (req) {
        const ws = yield* upgrade(req);
        const m = yield* ws.receive();
        if (m === "throw") throw new Error("handler broke");
      },
      { onError: (e) => errors.push(e) },
    );
    const a = await openClient(s.url);
    a.send("return");
    expect((await inboxOf(a).closed()).code).toBe(1000);
    const b = await openClient(s.url);
    b.send("throw");
    expect(await inboxOf(b).closed()).toEqual({ code: 1011, reason: "internal error" });
    expect(errors.map((e) => (e as Error).message)).toEqual(["handler broke"]);
  });

  it("closes with 1001 when the handler's task is cancelled", async () => {
    const tasks: Task[] = [];
    const ends = seen<string>();
    const s = await pool.start(combo, function* (req) {
      const ws = yield* upgrade(req);
      tasks.push(current());
      try {
        yield* ws.receive();
      } finally {
        ends.resolve("finally ran");
      }
    });
    const c = await openClient(s.url);
    await bounded(waitUntil(() => tasks.length === 1), "the handler");
    tasks[0]!.cancel("test");
    expect((await inboxOf(c).closed()).code).toBe(1001);
    expect(await ends.promise).toBe("finally ran");
  });

  it("server close() sends 1001 to open WebSockets; their handlers see the end and the server stops", async () => {
    const report = seen<(number | null)[]>();
    const codes: (number | null)[] = [];
    const s = await pool.start(combo, function* (req) {
      const ws = yield* upgrade(req);
      while ((yield* ws.receive()) !== null);
      codes.push(ws.closeCode);
      if (codes.length === 3) report.resolve(codes);
    });
    const clients = await Promise.all([0, 1, 2].map(() => openClient(s.url)));
    expect(s.connections()).toBe(3);
    await s.close(5000);
    for (const c of clients) expect(await inboxOf(c).closed()).toEqual({ code: 1001, reason: "server shutting down" });
    expect(await report.promise).toEqual([1001, 1001, 1001]);
    expect(s.connections()).toBe(0);
  });

  it("a server stopping with a handler that ignores the close cancels it after the timeout; nothing stays open", async () => {
    const s = await pool.start(combo, function* (req) {
      yield* upgrade(req);
      for (;;) yield* sleep(1000); // never receives
    });
    const c = await openClient(s.url);
    await s.close(100);
    const closed = await inboxOf(c).closed();
    expect(closed.code).toBe(1001);
  });
});

/** Wait (polling on the event loop) until `cond` holds. */
async function waitUntil(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
}

function* waitFor(cond: () => boolean): Generator<Instruction, void, any> {
  while (!cond()) yield* sleep(1);
}

function handshakeDeadPath(port: number): string {
  return `GET /dead HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${Buffer.alloc(16, 5).toString("base64")}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
}
