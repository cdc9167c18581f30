/**
 * WebSocket messages end to end with the `ws` package's client, on both
 * parsers (and so both frame codecs) and both scheduler backends: random
 * text and binary at the sizes where the frame header changes form,
 * fragmented messages, large messages checked byte for byte, pings both
 * ways, and `each(ws)`.
 */
import { createHash } from "node:crypto";
import { fc } from "@fast-check/vitest";
import { afterEach, describe, expect, it } from "vitest";
import { call, each, upgrade } from "../../src/index.js";
import { COMBOS, bounded, echoHandler, inboxOf, openClient, wsPool } from "./ws-helpers.js";

const pool = wsPool();
afterEach(pool.closeAll);

/** Sizes around the header's forms (7-bit, 16-bit, 64-bit lengths) and a few MiB. */
const SIZES = [0, 1, 124, 125, 126, 127, 65535, 65536, 65537, 3 * 1024 * 1024 + 7];
const size = fc.oneof(fc.constantFrom(...SIZES), fc.integer({ min: 0, max: 70_000 }));

/** Text of about `n` UTF-8 bytes with non-ASCII characters (2, 3 and 4 bytes each) mixed in. */
function textOf(n: number, seed: number): string {
  const alphabet = ["a", "Z", "0", " ", "é", "ß", "中", "€", "😀", "𝄞", "\u0000", "\n"];
  let s = "";
  let bytes = 0;
  let x = seed | 1;
  while (bytes < n) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const ch = alphabet[(x >>> 0) % alphabet.length]!;
    const len = Buffer.byteLength(ch);
    if (bytes + len > n) {
      s += "a".repeat(n - bytes);
      break;
    }
    s += ch;
    bytes += len;
  }
  return s;
}

const sha = (b: Uint8Array | string): string => createHash("sha256").update(b).digest("hex");

describe.each(COMBOS)("WebSocket echo, $parser parser, $backend backend", (combo) => {
  it("echoes random text and binary messages of every header size, byte for byte", async () => {
    const s = await pool.start(combo, echoHandler({ maxMessageSize: 4 << 20 }));
    const c = await openClient(s.url);
    const inbox = inboxOf(c);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(size, fc.boolean(), fc.integer(), async (len, binary, seed) => {
        if (binary) {
          const data = Buffer.alloc(len);
          for (let i = 0; i < len; i++) data[i] = (i * 31 + seed) & 0xff;
          c.send(data);
          const got = await inbox.nth(++n);
          expect(got.binary).toBe(true);
          expect(got.data.length).toBe(len);
          expect(sha(got.data)).toBe(sha(data));
        } else {
          const text = textOf(len, seed);
          c.send(text);
          const got = await inbox.nth(++n);
          expect(got.binary).toBe(false);
          expect(got.data.toString("utf8")).toBe(text);
        }
      }),
      { numRuns: 30, examples: SIZES.map((l, i) => [l, i % 2 === 0, i]) },
    );
    c.close();
    expect((await inbox.closed()).code).toBe(1000);
  });

  it("assembles fragmented messages, with pings between the fragments", async () => {
    const s = await pool.start(combo, echoHandler());
    const c = await openClient(s.url);
    const inbox = inboxOf(c);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.string({ unit: "grapheme", maxLength: 200 }), { minLength: 1, maxLength: 8 }), fc.boolean(), async (pieces, binary) => {
        const before = inbox.messages.length;
        for (let i = 0; i < pieces.length; i++) {
          const last = i === pieces.length - 1;
          c.send(binary ? Buffer.from(pieces[i]!) : pieces[i]!, { fin: last, binary });
          if (!last && i % 2 === 0) c.ping(`between ${i}`);
        }
        const got = await inbox.nth(before + 1);
        expect(got.binary).toBe(binary);
        expect(got.data.toString("utf8")).toBe(pieces.join(""));
      }),
      { numRuns: 25 },
    );
    // Every ping between fragments was answered.
    await inbox.until(() => inbox.pongs.length > 0, "the pongs");
    expect(inbox.pongs.every((p) => p.toString().startsWith("between "))).toBe(true);
    c.close();
  });

  it("answers pings with pongs carrying the same payload, and its own pings reach the client", async () => {
    const s = await pool.start(combo, function* (req) {
      const ws = yield* upgrade(req);
      const first = yield* ws.receive(); // "ping me"
      ws.ping(`server ping: ${String(first)}`);
      for (let m = yield* ws.receive(); m !== null; m = yield* ws.receive()) yield* ws.send(m);
    });
    const c = await openClient(s.url);
    const inbox = inboxOf(c);
    c.send("ping me");
    await inbox.until(() => inbox.pings.length === 1, "the server's ping");
    expect(inbox.pings[0]!.toString()).toBe("server ping: ping me");
    const payloads = ["", "x", "a".repeat(125), "é"];
    for (const p of payloads) c.ping(p);
    c.send("after the pings");
    await inbox.nth(1);
    await inbox.until(() => inbox.pongs.length === payloads.length, "every pong");
    expect(inbox.pongs.map((p) => p.toString())).toEqual(payloads);
    c.close();
  });

  it("loops over messages with each(ws)", async () => {
    const seen: string[] = [];
    const s = await pool.start(combo, function* (req) {
      const ws = yield* upgrade(req);
      for (const m of yield* each(ws)) {
        seen.push(String(m));
        yield* ws.send(`#${seen.length} ${String(m)}`);
        yield* each.next();
      }
    });
    const c = await openClient(s.url);
    const inbox = inboxOf(c);
    for (const w of ["one", "two", "three"]) c.send(w);
    await inbox.nth(3);
    expect(inbox.messages.map((m) => m.data.toString())).toEqual(["#1 one", "#2 two", "#3 three"]);
    c.close(1000);
    expect((await inbox.closed()).code).toBe(1000);
    expect(seen).toEqual(["one", "two", "three"]);
  });

  it("receives with for await from plain async code, while the handler's task keeps the WebSocket", async () => {
    const got: string[] = [];
    const s = await pool.start(combo, function* (req) {
      const ws = yield* upgrade(req);
      yield* ws.send("ready");
      // Plain async code consumes the messages; this task waits for it.
      yield* call(
        (async () => {
          for await (const m of ws) got.push(String(m));
        })(),
      );
      got.push(`end ${ws.closeCode}`);
    });
    const c = await openClient(s.url);
    await inboxOf(c).nth(1);
    for (const w of ["a", "b", "c"]) c.send(w);
    c.close(4005);
    await inboxOf(c).closed();
    await bounded(
      (async () => {
        while (got.length < 4) await new Promise((r) => setTimeout(r, 5));
      })(),
      "the loop to end",
    );
    expect(got).toEqual(["a", "b", "c", "end 4005"]);
  });

  it("keeps the frames of messages sent by several tasks at once whole", async () => {
    const { spawn } = await import("../../src/index.js");
    const s = await pool.start(combo, function* (req) {
      const ws = yield* upgrade(req);
      const senders = [0, 1, 2, 3].map((k) =>
        spawn(function* () {
          for (let i = 0; i < 50; i++) yield* ws.send(k % 2 === 0 ? `${k}:${i}:${"x".repeat(i * 97)}` : Buffer.alloc(i * 131 + 1, k));
        }),
      );
      for (const t of senders) yield* t;
      yield* ws.send("done");
      yield* ws.receive();
    });
    const c = await openClient(s.url);
    const inbox = inboxOf(c);
    await inbox.until(() => inbox.messages.some((m) => m.data.toString() === "done"), "the last message");
    const msgs = inbox.messages.slice(0, -1);
    expect(msgs.length).toBe(200);
    for (const k of [0, 2]) {
      const mine = msgs.filter((m) => !m.binary && m.data.toString().startsWith(`${k}:`)).map((m) => m.data.toString());
      expect(mine).toEqual(Array.from({ length: 50 }, (_, i) => `${k}:${i}:${"x".repeat(i * 97)}`));
    }
    for (const k of [1, 3]) {
      const mine = msgs.filter((m) => m.binary && m.data[0] === k);
      expect(mine.map((m) => m.data.length)).toEqual(Array.from({ length: 50 }, (_, i) => i * 131 + 1));
      expect(mine.every((m) => m.data.every((b) => b === k))).toBe(true);
    }
    c.close();
  });
});

describe.each(COMBOS)("Node's global WebSocket client, $parser parser, $backend backend", (combo) => {
  // Node 22+ has a global WebSocket; on Node 20 it exists only behind --experimental-websocket,
  // so there the same client runs in a child Node started with that flag.
  it("echoes text and binary and closes", async () => {
    const s = await pool.start(combo, echoHandler());
    const result = await globalClientExchange(s.url);
    expect(result).toEqual({ text: "héllo wörld", binary: [0, 1, 2, 254, 255], code: 4001, reason: "done" });
  });
});

/** Text, binary, then a close with 4001 "done", from Node's own WebSocket client (in this process, or a flagged child on Node 20). */
async function globalClientExchange(url: string): Promise<unknown> {
  const script = `
    const ws = new WebSocket(${JSON.stringify(url)});
    ws.binaryType = "arraybuffer";
    const out = {};
    ws.onopen = () => { ws.send("héllo wörld"); ws.send(new Uint8Array([0, 1, 2, 254, 255])); };
    ws.onmessage = (e) => {
      if (typeof e.data === "string") out.text = e.data;
      else { out.binary = [...new Uint8Array(e.data)]; ws.close(4001, "done"); }
    };
    ws.onclose = (e) => { out.code = e.code; out.reason = e.reason; finish(out); };
  `;
  if (typeof (globalThis as { WebSocket?: unknown }).WebSocket === "function") {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("global WebSocket exchange timed out")), 5000);
      new Function("finish", script)((v: unknown) => {
        clearTimeout(timer);
        resolve(v);
      });
    });
  }
  const { execFile } = await import("node:child_process");
  const child = `const finish = (v) => { console.log(JSON.stringify(v)); process.exit(0); }; ${script}; setTimeout(() => process.exit(3), 5000);`;
  return await new Promise((resolve, reject) => {
    execFile(process.execPath, ["--experimental-websocket", "--no-warnings", "-e", child], { timeout: 8000 }, (err, stdout) => {
      if (err) reject(err);
      else resolve(JSON.parse(stdout));
    });
  });
}



