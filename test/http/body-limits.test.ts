// maxBodySize bounds what a handler reads whole (req.body(), text(), json());
// a handler that streams with req.read() is bound only by maxStreamedBodySize,
// which the parser enforces on every body as it arrives.
import { createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { serve } from "../../src/index.js";
import type { HttpRequest } from "../../src/http/request.js";
import { pattern } from "../support/helpers.js";
import { COMBOS, serverPool } from "./http-helpers.js";
import { exchange } from "./http-wire.js";

const { start, closeAll } = serverPool();
afterEach(closeAll);

const MiB = 1 << 20;
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** A handler that streams the body, hashing as it goes (keeps none of it). */
function* streamed(req: HttpRequest) {
  const h = createHash("sha256");
  let n = 0;
  for (let c = yield* req.read(); c !== null; c = yield* req.read()) {
    h.update(c);
    n += c.length;
  }
  return { body: `${h.digest("hex")} ${n}` };
}

/** A handler that reads the body whole. */
function* buffered(req: HttpRequest) {
  const b = yield* req.body();
  return { body: `${sha(b)} ${b.length}` };
}

/** A chunked request carrying `body` in chunks of `size` bytes. */
function chunked(body: Uint8Array, size: number): Buffer {
  const parts: Buffer[] = [Buffer.from("POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")];
  for (let at = 0; at < body.length; at += size) {
    const piece = body.subarray(at, at + size);
    parts.push(Buffer.from(`${piece.length.toString(16)}\r\n`), Buffer.from(piece), Buffer.from("\r\n"));
  }
  parts.push(Buffer.from("0\r\n\r\n"));
  return Buffer.concat(parts);
}

const withLength = (body: Uint8Array) => Buffer.concat([Buffer.from(`POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: ${body.length}\r\n\r\n`), body]);

describe.each(COMBOS)("body size limits, $parser parser, $backend backend", (combo) => {
  const big = pattern(31, 3 * MiB);

  it("a 3 MiB body streamed with req.read() passes intact under the default limits (Content-Length and chunked)", async () => {
    const s = await start(combo, streamed);
    const res = await fetch(`http://127.0.0.1:${s.port}/up`, { method: "POST", body: big as Uint8Array<ArrayBuffer> });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(`${sha(big)} ${big.length}`);
    const ex = await exchange(s.port, Buffer.concat([chunked(big, 100_000), Buffer.from("GET /after HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")]));
    expect(ex.responses.map((r) => r.status)).toEqual([200, 200]);
    expect(ex.responses[0]!.body.toString()).toBe(`${sha(big)} ${big.length}`);
  });

  it("a 3 MiB body read whole gets 413 under the default maxBodySize, and the connection closes", async () => {
    const s = await start(combo, buffered);
    const res = await fetch(`http://127.0.0.1:${s.port}/up`, { method: "POST", body: big as Uint8Array<ArrayBuffer> });
    expect(res.status).toBe(413);
    expect(res.headers.get("connection")).toBe("close");
    expect(await res.text()).toMatch(/maxBodySize/);
    const ex = await exchange(s.port, chunked(big, 64 * 1024));
    expect(ex.responses.map((r) => r.status)).toEqual([413]);
    expect(ex.closed).toBe(true);
  });

  it("a Content-Length over maxBodySize is refused before any of the body is sent", async () => {
    const s = await start(combo, buffered);
    // Only the head: a server that waited for the body would never answer.
    const ex = await exchange(s.port, `POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: ${3 * MiB}\r\n\r\n`);
    expect(ex.responses.map((r) => r.status)).toEqual([413]);
    expect(ex.responses[0]!.headers.get("connection")).toBe("close");
    expect(ex.closed).toBe(true);
  });

  it("maxBodySize: a body of exactly the limit is read whole, one byte more gets 413 from body(), text() and json()", async () => {
    const limit = 1000;
    const s = await start(combo, function* (req) {
      if (req.path === "/text") return { body: `${(yield* req.text()).length}` };
      if (req.path === "/json") return { body: `${(yield* req.json<string>()).length}` };
      return yield* buffered(req);
    }, { maxBodySize: limit });
    const at = pattern(5, limit);
    const over = pattern(5, limit + 1);
    for (const framing of ["length", "chunked"] as const) {
      const wire = (b: Uint8Array) => (framing === "length" ? withLength(b) : chunked(b, 300));
      const ok = await exchange(s.port, Buffer.concat([wire(at), Buffer.from("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")]));
      expect(ok.responses.map((r) => r.status), framing).toEqual([200, 200]);
      expect(ok.responses[0]!.body.toString(), framing).toBe(`${sha(at)} ${limit}`);
      const no = await exchange(s.port, wire(over));
      expect(no.responses.map((r) => r.status), framing).toEqual([413]);
      expect(no.closed, framing).toBe(true);
    }
    const text = "é".repeat(limit / 2 + 1); // 1002 bytes of UTF-8
    const t = await fetch(`http://127.0.0.1:${s.port}/text`, { method: "POST", body: text });
    expect(t.status).toBe(413);
    const j = await fetch(`http://127.0.0.1:${s.port}/json`, { method: "POST", body: JSON.stringify("j".repeat(limit)) });
    expect(j.status).toBe(413);
    const jOk = await fetch(`http://127.0.0.1:${s.port}/json`, { method: "POST", body: JSON.stringify("j".repeat(limit - 2)) });
    expect(await jOk.text()).toBe(`${limit - 2}`);
  });

  it("maxStreamedBodySize bounds a streamed body: exactly the limit passes, more gets 413 (Content-Length before the handler runs; chunked as it arrives)", async () => {
    const limit = 64 * 1024;
    let ran = 0;
    const s = await start(combo, function* (req) {
      ran++;
      return yield* streamed(req);
    }, { maxStreamedBodySize: limit });
    const at = pattern(9, limit);
    const over = pattern(9, limit + 1);
    const ok = await exchange(s.port, Buffer.concat([withLength(at), chunked(at, 5000), Buffer.from("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")]));
    expect(ok.responses.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(ok.responses[0]!.body.toString()).toBe(`${sha(at)} ${limit}`);
    expect(ok.responses[1]!.body.toString()).toBe(`${sha(at)} ${limit}`);
    ran = 0;
    const cl = await exchange(s.port, withLength(over));
    expect(cl.responses.map((r) => r.status)).toEqual([413]);
    expect(cl.closed).toBe(true);
    expect(ran).toBe(0);
    const ch = await exchange(s.port, chunked(over, 5000));
    expect(ch.responses.map((r) => r.status)).toEqual([413]);
    expect(ch.responses[0]!.headers.get("connection")).toBe("close");
    expect(ch.closed).toBe(true);
  });

  it("rejects a maxBodySize or maxStreamedBodySize that is not a number of bytes, naming it", () => {
    expect(() => serve({ maxBodySize: -1, parser: combo.parser }, function* () {})).toThrow(RangeError);
    expect(() => serve({ maxBodySize: Number.NaN, parser: combo.parser }, function* () {})).toThrow(/serve\(\): maxBodySize/);
    expect(() => serve({ maxStreamedBodySize: -5, parser: combo.parser }, function* () {})).toThrow(/serve\(\): maxStreamedBodySize/);
  });
});
