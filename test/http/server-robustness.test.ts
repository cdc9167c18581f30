import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { sleep } from "../../src/index.js";
import { createParser, type RequestHead } from "../../src/http/parser/parser.js";
import { ParseError } from "../../src/http/parser/constants.js";
import type { HttpParseError } from "../../src/http/parser/parse-error.js";
import { COMBOS, raw, serverPool, statuses } from "./http-helpers.js";

const { start, closeAll } = serverPool();
afterEach(closeAll);

interface CorpusCase {
  name: string;
  location: string;
  input_base64: string;
  outcome: "ok" | "error" | "upgrade";
}
const corpus: CorpusCase[] = JSON.parse(readFileSync(new URL("../fixtures/http-corpus/llhttp-requests.json", import.meta.url), "utf8"));

/** What the server's own parser makes of some bytes: complete requests, then an error or an upgrade. */
function verdict(kind: "wasm" | "ts", bytes: Uint8Array): { complete: number; heads: number; error: HttpParseError | null; upgrade: boolean } {
  const parser = createParser(kind, { maxBodySize: 1 << 20 });
  const pc = parser.createConnection();
  let complete = 0;
  let heads = 0;
  let error: HttpParseError | null = null;
  let upgrade = false;
  parser.execute(pc, bytes, {
    onHead(h: RequestHead) {
      heads++;
      if (h.upgrade) upgrade = true;
    },
    onBody() {},
    onEnd() {
      complete++;
    },
    onError(e) {
      error = e;
    },
  });
  return { complete, heads, error, upgrade: upgrade || pc.upgraded };
}

describe.each(COMBOS)("HTTP server robustness, $parser parser, $backend backend", (combo) => {
  it("answers every llhttp corpus case as its parser judges it: each complete request once, then the error status and a close", async () => {
    const handled: string[] = [];
    const s = await start(combo, function* (req) {
      handled.push(req.target);
      return { body: "ok" };
    });
    let checked = 0;
    for (const c of corpus) {
      const bytes = Buffer.from(c.input_base64, "base64");
      const v = verdict(combo.parser, bytes);
      if (v.upgrade) continue; // CONNECT/Upgrade: covered below
      handled.length = 0;
      // An error case ends on the close, so it may wait long for it; a valid one once its
      // responses are in (then a short settle catches any extra), or, expecting none, after a short silence.
      const expected = v.complete;
      const r =
        v.error !== null
          ? await raw(s.port, bytes, { idleMs: 2000 })
          : expected === 0
            ? await raw(s.port, bytes, { idleMs: 150 })
            : await raw(s.port, bytes, { idleMs: 2000, until: (text) => statuses(text).length >= expected });
      const got = statuses(r.text);
      const where = `${c.location} ${c.name}`;
      if (v.error !== null && v.error.code === ParseError.DATA_AFTER_CLOSE) {
        // Not a malformed request but bytes after "Connection: close": the valid ones are
        // answered, the connection closes, and nothing after it is handled (corpus README, caveat 1).
        expect(got, where).toEqual(Array(v.complete).fill(200));
        expect(r.closed, where).toBe(true);
        expect(handled.length, where).toBe(v.complete);
      } else if (v.error !== null) {
        // Requests before the error are answered normally; the bad one gets its status; the connection closes.
        expect(got.slice(0, -1), where).toEqual(Array(got.length - 1).fill(200));
        expect(got.at(-1), where).toBe(v.error.status);
        expect([400, 413, 414, 431, 501, 505], where).toContain(v.error.status);
        expect(r.closed, where).toBe(true);
        expect(handled.length, where).toBe(v.complete);
      } else {
        expect(got, where).toEqual(Array(v.complete).fill(200));
        expect(handled.length, where).toBe(v.complete);
      }
      checked++;
    }
    expect(checked).toBeGreaterThan(100);
  });

  it("refuses CONNECT with 501; an Upgrade reaches the handler, whose answer closes the connection", async () => {
    const seen: string[] = [];
    const s = await start(combo, function* (req) {
      seen.push(req.path);
      return { body: "not upgraded" };
    });
    const a = await raw(s.port, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", { idleMs: 1000 });
    expect(statuses(a.text)).toEqual([501]);
    expect(a.closed).toBe(true);
    // The parser reads no HTTP after an upgrade request: a request behind it is never handled.
    const b = await raw(s.port, "GET /chat HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\nGET /next HTTP/1.1\r\nHost: a\r\n\r\n", { idleMs: 1000 });
    expect(statuses(b.text)).toEqual([200]);
    expect(b.text).toMatch(/\r\nConnection: close\r\n/i);
    expect(b.closed).toBe(true);
    expect(seen).toEqual(["/chat"]);
  });

  it("never handles a smuggled request hidden behind a framing error", async () => {
    const seen: string[] = [];
    const s = await start(combo, function* (req) {
      seen.push(`${req.method} ${req.path}`);
      return { body: "ok" };
    });
    const attacks = [
      // Content-Length and Transfer-Encoding together
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: a\r\n\r\n",
      // a second Transfer-Encoding that is not chunked last
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: a\r\n\r\n",
      // duplicate Content-Length with different values
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 40\r\n\r\nhelloGET /admin HTTP/1.1\r\nHost: a\r\n\r\n",
      // obs-fold hiding a Transfer-Encoding
      "POST / HTTP/1.1\r\nHost: a\r\nX: y\r\n Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\nabcdGET /admin HTTP/1.1\r\nHost: a\r\n\r\n",
      // a space before the colon
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\nContent-Length: 4\r\n\r\nabcdGET /admin HTTP/1.1\r\nHost: a\r\n\r\n",
      // a malformed chunk size, then a request inside the "body"
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n4x\r\nabcd\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: a\r\n\r\n",
      // bare LF line endings
      "GET / HTTP/1.1\nHost: a\n\nGET /admin HTTP/1.1\nHost: a\n\n",
    ];
    for (const attack of attacks) {
      const r = await raw(s.port, attack, { idleMs: 1000 });
      expect(statuses(r.text).at(-1), attack).toBeGreaterThanOrEqual(400);
      expect(r.closed, attack).toBe(true);
    }
    expect(seen.filter((x) => x.includes("/admin"))).toEqual([]);
  });

  it("enforces its limits and framing rules with 414, 431, 413, 505, 400 and 501", async () => {
    const s = await start(
      combo,
      function* (req) {
        return { body: `read ${(yield* req.body()).length}` };
      },
      { maxRequestLine: 200, maxHeaderSize: 1024, maxHeaders: 10, maxBodySize: 1000 },
    );
    const longUri = await raw(s.port, `GET /${"a".repeat(300)} HTTP/1.1\r\nHost: a\r\n\r\n`, { idleMs: 1000 });
    expect(statuses(longUri.text)).toEqual([414]);
    const bigHeader = await raw(s.port, `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${"b".repeat(2000)}\r\n\r\n`, { idleMs: 1000 });
    expect(statuses(bigHeader.text)).toEqual([431]);
    const many = Array.from({ length: 20 }, (_, i) => `X-${i}: v\r\n`).join("");
    const manyHeaders = await raw(s.port, `GET / HTTP/1.1\r\nHost: a\r\n${many}\r\n`, { idleMs: 1000 });
    expect(statuses(manyHeaders.text)).toEqual([431]);
    const bigBody = await raw(s.port, `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n${"x".repeat(5000)}`, { idleMs: 1000 });
    expect(statuses(bigBody.text)).toEqual([413]);
    const chunks = Array.from({ length: 10 }, () => `c8\r\n${"y".repeat(200)}\r\n`).join("");
    const bigChunked = await raw(s.port, `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n${chunks}0\r\n\r\n`, { idleMs: 1000 });
    expect(statuses(bigChunked.text)).toEqual([413]);
    expect(bigChunked.closed).toBe(true);
    const version = await raw(s.port, "GET / HTTP/2.0\r\nHost: a\r\n\r\n", { idleMs: 1000 });
    expect(statuses(version.text)).toEqual([505]);
    // chunked not last: the length cannot be known, so 400 (RFC 9112 §6.3) ...
    const notLast = await raw(s.port, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", { idleMs: 1000 });
    expect(statuses(notLast.text)).toEqual([400]);
    // ... while a coding the server does not decode before chunked is 501 (RFC 9112 §6.1)
    const coding = await raw(s.port, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", { idleMs: 1000 });
    expect(statuses(coding.text)).toEqual([501]);
    // and the server still serves well-formed requests
    expect(await (await fetch(`http://127.0.0.1:${s.port}/`, { method: "POST", body: "small" })).text()).toBe("read 5");
  });

  it("cuts slowloris (a head sent a byte at a time) with 408", async () => {
    const s = await start(combo, function* () {
      return { body: "too late" };
    }, { headersTimeout: 300 });
    const head = "GET / HTTP/1.1\r\nHost: a\r\nX-Slow: " + "z".repeat(40) + "\r\n\r\n";
    const r = await raw(s.port, [...head].map((ch) => ch), { gapMs: 25, idleMs: 3000 });
    expect(statuses(r.text)).toEqual([408]);
    expect(r.closed).toBe(true);
    expect(r.sent).toBeLessThan(head.length); // cut before the head was complete
  });

  it("cuts a body that arrives too slowly with 408", async () => {
    const s = await start(combo, function* (req) {
      return { body: `got ${(yield* req.body()).length}` };
    }, { requestTimeout: 300 });
    const r = await raw(s.port, ["POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nab"], { idleMs: 3000 });
    expect(r.text).toMatch(/^HTTP\/1\.1 408 /);
    expect(r.closed).toBe(true);
  });

  it("closes an idle keep-alive connection after keepAliveTimeout, without a response", async () => {
    const s = await start(combo, function* () {
      return { body: "x" };
    }, { keepAliveTimeout: 200 });
    const t0 = Date.now();
    const r = await raw(s.port, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", { idleMs: 5000 });
    expect(statuses(r.text)).toEqual([200]);
    expect(r.closed).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
    expect(s.connections).toBe(0);
  });

  it("an idle keep-alive connection holds no task; its next request starts one", async () => {
    const s = await start(combo, function* (req) {
      return { body: `hi ${req.path}` };
    });
    const sched = s._root!._sched;
    const baseline = sched.liveTasks; // the server, its accept loop and its reaper
    const socks = await Promise.all(
      Array.from({ length: 20 }, () => new Promise<import("node:net").Socket>((resolve, reject) => {
        const sock = connect(s.port, "127.0.0.1", () => resolve(sock));
        sock.on("error", reject);
      })),
    );
    const exchange = (sock: import("node:net").Socket, path: string) =>
      new Promise<string>((resolve) => {
        let got = "";
        const onData = (d: Buffer) => {
          got += d.toString("latin1");
          if (got.endsWith(`hi ${path}`)) {
            sock.off("data", onData);
            resolve(got);
          }
        };
        sock.on("data", onData);
        sock.write(`GET ${path} HTTP/1.1\r\nHost: a\r\n\r\n`);
      });
    for (const round of ["/one", "/two"]) {
      const texts = await Promise.all(socks.map((sock, i) => exchange(sock, `${round}/${i}`)));
      for (const t of texts) expect(statuses(t)).toEqual([200]);
      await new Promise((r) => setTimeout(r, 50));
      expect(s.connections).toBe(20);
      expect(sched.liveTasks).toBe(baseline);
    }
    for (const sock of socks) sock.destroy();
    await new Promise((r) => setTimeout(r, 200));
    expect(s.connections).toBe(0);
    expect(sched.liveTasks).toBe(baseline);
  });

  it("closes a connection that never sends a request after headersTimeout, and a shorter keep-alive deadline is not held up by it", async () => {
    const s = await start(combo, function* () {
      return { body: "x" };
    }, { headersTimeout: 1500, keepAliveTimeout: 150 });
    const closedAt: Record<string, number> = {};
    const silent = connect(s.port, "127.0.0.1");
    let silentGot = "";
    silent.on("data", (d) => (silentGot += d));
    silent.on("close", () => (closedAt.silent = Date.now()));
    await new Promise((r) => setTimeout(r, 100)); // the reaper now sleeps until the silent one's deadline
    const t0 = Date.now();
    const kept = await raw(s.port, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", { idleMs: 5000 });
    closedAt.kept = Date.now();
    expect(statuses(kept.text)).toEqual([200]);
    expect(kept.closed).toBe(true);
    expect(closedAt.kept - t0).toBeGreaterThanOrEqual(100);
    await new Promise<void>((r) => (closedAt.silent !== undefined ? r() : silent.on("close", () => r())));
    expect(closedAt.kept).toBeLessThan(closedAt.silent!);
    expect(silentGot).toBe(""); // closed without a word: it never started a request
    expect(s.connections).toBe(0);
  });

  it("parks the connection task when the client never reads; memory stays bounded", async () => {
    let written = 0;
    const chunk = new Uint8Array(64 * 1024);
    const s = await start(combo, function* (_req, res) {
      for (let i = 0; i < 2000; i++) {
        yield* res.write(chunk); // 125 MiB if nothing stopped it
        written += chunk.length;
      }
      yield* res.end();
    });
    const sock = connect(s.port, "127.0.0.1");
    sock.pause(); // never reads
    sock.write("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    await new Promise((r) => setTimeout(r, 400));
    const first = written;
    await new Promise((r) => setTimeout(r, 400));
    expect(written).toBe(first); // the writer is parked
    expect(written).toBeLessThan(16 * 1024 * 1024); // kernel buffers plus one high-water mark, not 125 MiB
    sock.destroy();
    await new Promise((r) => setTimeout(r, 200));
    expect(s.connections).toBe(0); // the vanished client freed its task
  });

  it("graceful close: in-flight and already-received pipelined requests complete, idle connections close at once, new ones are refused", async () => {
    const s = await start(combo, function* (req) {
      yield* sleep(150);
      return { body: `done ${req.path}` };
    });
    // An idle keep-alive connection (it got its response and waits).
    const idle = connect(s.port, "127.0.0.1");
    let idleClosedAt = 0;
    idle.on("close", () => (idleClosedAt = Date.now()));
    idle.on("data", () => {});
    idle.write("GET /warm HTTP/1.1\r\nHost: a\r\n\r\n");
    await new Promise((r) => setTimeout(r, 250));
    // Busy connections: one request each in flight, and one with three pipelined.
    let firstBusyDone = Infinity;
    const busy = [1, 2, 3].map((i) =>
      raw(s.port, `GET /busy${i} HTTP/1.1\r\nHost: a\r\n\r\n`, { idleMs: 3000 }).then((r) => {
        firstBusyDone = Math.min(firstBusyDone, Date.now());
        return r;
      }),
    );
    const piped = raw(s.port, "GET /p1 HTTP/1.1\r\nHost: a\r\n\r\nGET /p2 HTTP/1.1\r\nHost: a\r\n\r\nGET /p3 HTTP/1.1\r\nHost: a\r\n\r\n", { idleMs: 3000 });
    await new Promise((r) => setTimeout(r, 50));
    const closed = s.close({ timeout: 5000 });
    const results = await Promise.all(busy);
    for (const [i, r] of results.entries()) {
      expect(statuses(r.text)).toEqual([200]);
      expect(r.text.endsWith(`done /busy${i + 1}`)).toBe(true);
      expect(r.text).toMatch(/Connection: close/);
      expect(r.closed).toBe(true);
    }
    const p = await piped;
    expect(statuses(p.text)).toEqual([200, 200, 200]);
    expect(p.text.match(/Connection: close/g)).toHaveLength(1); // only on the last
    expect(idleClosedAt).toBeGreaterThan(0);
    expect(idleClosedAt).toBeLessThanOrEqual(firstBusyDone); // closed at once, not after the in-flight ones
    await closed;
    await expect(fetch(`http://127.0.0.1:${s.port}/`)).rejects.toThrow();
  });
});
