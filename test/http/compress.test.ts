// compress(handler) on a real server, both parsers, node:http as the client
// (it shows the raw coded bytes and headers): gzip and brotli decode to the
// original for any body of any kind (property); the Accept-Encoding table
// (q-values, identity;q=0, *); Vary whenever the choice depended on the
// field; small, incompressible, partial, not-modified and HEAD responses left
// alone; and a client that stops reading a big compressed file holds the
// file reads back (the server does not read ahead).
import { Readable } from "node:stream";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { request } from "node:http";
import path from "node:path";
import zlib from "node:zlib";
import { randomBytes } from "node:crypto";
import { fc } from "@fast-check/vitest";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { compress, serveFiles, type HttpResponseInit } from "../../src/index.js";
import { negotiateEncoding } from "../../src/http/compress.js";
import { type Site, eventually, get, makeSite } from "./files-helpers.js";
import { COMBOS, serverPool } from "./http-helpers.js";

const { start, closeAll } = serverPool();
afterEach(closeAll);

function decode(encoding: string | undefined, body: Buffer): Buffer {
  if (encoding === "gzip") return zlib.gunzipSync(body);
  if (encoding === "br") return zlib.brotliDecompressSync(body);
  if (encoding === undefined) return body;
  throw new Error(`unexpected content-encoding ${encoding}`);
}

describe("negotiateEncoding (RFC 9110 §12.5.3)", () => {
  const table: [string | null, "br" | "gzip" | null][] = [
    [null, null],
    ["", null],
    ["gzip", "gzip"],
    ["br", "br"],
    ["GZIP", "gzip"],
    ["x-gzip", "gzip"],
    ["gzip, deflate, br", "br"],
    ["gzip, br", "br"],
    ["br;q=0.5, gzip", "gzip"],
    ["br;q=0.5, gzip;q=0.4", "br"],
    ["gzip;q=1.0, br;q=0.999", "gzip"],
    ["*", "br"],
    ["*;q=0", null],
    ["gzip;q=0, *", "br"],
    ["br;q=0, *", "gzip"],
    ["br;q=0, gzip;q=0, *", null],
    ["identity", null],
    ["identity;q=0", null],
    ["identity;q=0, gzip", "gzip"],
    ["deflate", null],
    ["gzip;q=0.5", "gzip"],
    ["gzip;q=0.8, identity;q=0.9", null],
    ["gzip;q=0.9, identity;q=0.8", "gzip"],
    ["*;q=0.5, identity;q=0.6", null],
    ["br;q=0.001", "br"],
    ["br ; q=0.3 , gzip ; q=0.2", "br"],
    ["gzip;q=0, gzip;q=1", "gzip"],
  ];
  it.each(table)("Accept-Encoding %j -> %s", (field, want) => {
    expect(negotiateEncoding(field, ["br", "gzip"])).toBe(want);
  });
  it("follows the server's order on ties and offers only what it was given", () => {
    expect(negotiateEncoding("gzip, br", ["gzip", "br"])).toBe("gzip");
    expect(negotiateEncoding("br", ["gzip"])).toBeNull();
    expect(negotiateEncoding("*", ["gzip"])).toBe("gzip");
  });
});

describe("compress() options", () => {
  it("rejects bad arguments with messages that name them", () => {
    const h = function* () {
      return { body: "x" };
    };
    expect(() => compress(42 as never)).toThrow(/compress\(\): handler must be a generator function/);
    expect(() => compress(h, { threshold: -1 })).toThrow(/compress\(\): threshold must be a number of bytes >= 0/);
    expect(() => compress(h, { encodings: ["zstd" as "br"] })).toThrow(/compress\(\): encodings must be a non-empty array of "br" and "gzip"/);
    expect(() => compress(h, { gzipLevel: 10 })).toThrow(RangeError);
    expect(() => compress(h, { level: 3 } as never)).toThrow(/compress\(\): unknown option "level"/);
  });
});

/** Body kinds a handler may return, each built from the same bytes. */
const KINDS = ["string", "bytes", "arraybuffer", "generator", "async-generator", "readable", "readablestream", "blob"] as const;
function bodyOf(kind: (typeof KINDS)[number], bytes: Buffer, text: string): unknown {
  const parts = (b: Buffer) => Array.from({ length: Math.ceil(b.length / 1000) }, (_, i) => b.subarray(i * 1000, (i + 1) * 1000));
  switch (kind) {
    case "string":
      return text;
    case "bytes":
      return new Uint8Array(bytes);
    case "arraybuffer":
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
    case "generator":
      // One buffer handed out over and over: compress must copy before zlib keeps it.
      return (function* () {
        const scratch = new Uint8Array(1000);
        for (const p of parts(bytes)) {
          scratch.set(p);
          yield scratch.subarray(0, p.length);
        }
      })();
    case "async-generator":
      return (async function* () {
        for (const p of parts(bytes)) yield p;
      })();
    case "readable":
      return Readable.from(parts(bytes));
    case "readablestream":
      return new ReadableStream({
        start(c) {
          for (const p of parts(bytes)) c.enqueue(new Uint8Array(p));
          c.close();
        },
      });
    case "blob":
      return new Blob([new Uint8Array(bytes)]);
  }
}

describe.each(COMBOS)("compress ($parser parser, $backend backend)", (combo) => {
  it("gzip and br decode to the original for any body of any kind (property)", async () => {
    let next: { body: unknown; type: string } = { body: "", type: "text/plain" };
    const server = await start(
      combo,
      compress(
        function* () {
          return { headers: { "content-type": next.type }, body: next.body };
        },
        { threshold: 0 },
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ unit: "grapheme", maxLength: 3000 }), fc.string({ unit: "binary", maxLength: 200 }).map((s) => s.repeat(20))),
        fc.constantFrom(...KINDS),
        fc.constantFrom("gzip", "br", "gzip;q=0.5, br;q=0.1", "*"),
        async (text, kind, accept) => {
          const bytes = Buffer.from(text, "utf8");
          next = { body: bodyOf(kind, bytes, text), type: "text/plain; charset=utf-8" };
          const r = await get(server.port, "/", { "accept-encoding": accept });
          expect(r.status).toBe(200);
          expect(r.headers["content-encoding"]).toBe(accept.startsWith("gzip") ? "gzip" : "br");
          // A body known in full is compressed whole and keeps a (new) Content-Length; a stream goes chunked.
          const whole = kind === "string" || kind === "bytes" || kind === "arraybuffer";
          expect(r.headers["content-length"]).toBe(whole ? String(r.body.length) : undefined);
          expect(r.headers.vary).toBe("Accept-Encoding");
          expect(decode(r.headers["content-encoding"] as string, r.body).equals(bytes)).toBe(true);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("adds Vary whenever Accept-Encoding was looked at, and leaves what it must alone", async () => {
    const big = "tasklet ".repeat(400);
    const cases: { init: HttpResponseInit; method?: string; accept?: string; encoded: string | undefined; vary: string | undefined }[] = [
      // Compressed: the Vary the handler set is kept and extended.
      { init: { headers: { "content-type": "text/html", vary: "Origin" }, body: big }, encoded: "br", vary: "Origin, Accept-Encoding" },
      { init: { body: { list: new Array(300).fill("item") } }, encoded: "br", vary: "Accept-Encoding" },
      // Not compressed, but the answer depended on Accept-Encoding.
      { init: { headers: { "content-type": "text/html" }, body: big }, accept: "identity", encoded: undefined, vary: "Accept-Encoding" },
      { init: { headers: { "content-type": "text/html" }, body: big }, accept: "", encoded: undefined, vary: "Accept-Encoding" },
      { init: { headers: { "content-type": "text/html" }, body: "small" }, encoded: undefined, vary: "Accept-Encoding" },
      { init: { headers: { "content-type": "text/html" }, body: big }, method: "HEAD", encoded: undefined, vary: "Accept-Encoding" },
      { init: { headers: { "content-type": "text/html", vary: "*" }, body: big }, encoded: "br", vary: "*" },
      // Left alone entirely.
      { init: { headers: { "content-type": "image/png" }, body: Buffer.alloc(5000) }, encoded: undefined, vary: undefined },
      { init: { body: Buffer.alloc(5000) }, encoded: undefined, vary: undefined },
      { init: { headers: { "content-type": "text/event-stream" }, body: big }, encoded: undefined, vary: undefined },
      { init: { status: 206, headers: { "content-type": "text/html", "content-range": `bytes 0-${big.length - 1}/9999` }, body: big }, encoded: undefined, vary: undefined },
      { init: { status: 304, headers: { etag: '"x"' } }, encoded: undefined, vary: undefined },
      { init: { headers: { "content-type": "text/html", "cache-control": "public, no-transform" }, body: big }, encoded: undefined, vary: undefined },
    ];
    let current = cases[0]!;
    const server = await start(
      combo,
      compress(function* () {
        return current.init;
      }),
    );
    for (const c of cases) {
      current = c;
      const r = await get(server.port, "/", { "accept-encoding": c.accept ?? "gzip, br" }, c.method ?? "GET");
      const label = JSON.stringify({ ...c, init: { ...c.init, body: undefined } });
      expect(r.headers["content-encoding"], label).toBe(c.encoded);
      expect(r.headers.vary, label).toBe(c.vary);
      if (c.encoded === undefined && c.method !== "HEAD" && c.init.status !== 304) {
        const b = c.init.body;
        const want = typeof b === "string" ? Buffer.from(b) : b instanceof Uint8Array ? Buffer.from(b) : Buffer.from(JSON.stringify(b));
        expect(r.body.equals(want), label).toBe(true);
        expect(r.headers["content-length"], label).toBe(String(want.length));
      }
    }
  });

  it("keeps a Content-Encoding the handler set, and makes a strong ETag weak", async () => {
    const text = "compress me ".repeat(300);
    const pre = zlib.gzipSync(text);
    let mode: "pre" | "etag" | "weak" = "pre";
    const server = await start(
      combo,
      compress(function* (_req, res): Generator<never, HttpResponseInit, unknown> {
        res.setHeader("content-type", "text/plain"); // set on the response object: compress reads it there too
        if (mode === "pre") return { headers: { "content-encoding": "gzip" }, body: pre };
        return { headers: { etag: mode === "etag" ? '"v1"' : 'W/"v1"' }, body: text };
      }),
    );
    const r = await get(server.port, "/", { "accept-encoding": "br, gzip" });
    expect(r.headers["content-encoding"]).toBe("gzip");
    expect(zlib.gunzipSync(r.body).toString()).toBe(text);
    mode = "etag";
    const e = await get(server.port, "/", { "accept-encoding": "br" });
    expect(e.headers["content-encoding"]).toBe("br");
    expect(e.headers.etag).toBe('W/"v1"');
    expect(zlib.brotliDecompressSync(e.body).toString()).toBe(text);
    mode = "weak";
    expect((await get(server.port, "/", { "accept-encoding": "gzip" })).headers.etag).toBe('W/"v1"');
    // Uncompressed, the tag stays as the handler made it.
    mode = "etag";
    expect((await get(server.port, "/", {})).headers.etag).toBe('"v1"');
    // fetch decodes it like a browser.
    const f = await fetch(`http://127.0.0.1:${server.port}/`);
    expect(await f.text()).toBe(text);
  });

  it("compresses what a handler writes itself with res.write and res.end (property)", async () => {
    let plan: { type: string; parts: string[]; last: string | undefined } = { type: "text/plain", parts: [], last: undefined };
    const server = await start(
      combo,
      compress(
        function* (_req, res) {
          res.setHeader("content-type", plan.type);
          // One scratch buffer for every write: compress must not keep it.
          const scratch = Buffer.alloc(4096);
          for (const p of plan.parts) {
            const n = scratch.write(p, "utf8");
            yield* res.write(scratch.subarray(0, n));
          }
          yield* res.end(plan.last);
        },
        { threshold: 0 },
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.string({ unit: "grapheme-ascii", maxLength: 1000 }), { maxLength: 8 }),
        fc.option(fc.string({ maxLength: 200 }), { nil: undefined }),
        fc.constantFrom("gzip", "br", "identity"),
        fc.constantFrom("text/plain", "application/json", "image/png"),
        async (parts, last, accept, type) => {
          plan = { type, parts, last };
          const r = await get(server.port, "/", { "accept-encoding": accept });
          const want = Buffer.from(parts.join("") + (last ?? ""), "utf8");
          const coded = type !== "image/png" && accept !== "identity";
          expect(r.headers["content-encoding"]).toBe(coded ? accept : undefined);
          expect(r.headers.vary).toBe(type === "image/png" ? undefined : "Accept-Encoding");
          expect(decode(r.headers["content-encoding"] as string | undefined, r.body).equals(want)).toBe(true);
        },
      ),
      { numRuns: 30 },
    );
  });

  it("compresses a body given to res.end() like a returned one", async () => {
    const text = "ended ".repeat(500);
    const server = await start(
      combo,
      compress(function* (_req, res) {
        res.setHeader("content-type", "text/plain");
        yield* res.end(text);
      }),
    );
    const r = await get(server.port, "/", { "accept-encoding": "gzip" });
    expect(r.headers["content-encoding"]).toBe("gzip");
    expect(r.headers["content-length"]).toBe(String(r.body.length)); // whole: compressed in one go, length known
    expect(zlib.gunzipSync(r.body).toString()).toBe(text);
    const small = await get(server.port, "/", {});
    expect(small.body.toString()).toBe(text);
    expect(small.headers.vary).toBe("Accept-Encoding");
  });
});

/** The largest a TCP socket buffer may grow to (autotuning), from /proc; a generous guess where it cannot be read. */
function kernelMax(name: "tcp_rmem" | "tcp_wmem", guess: number): number {
  try {
    const max = Number(readFileSync(`/proc/sys/net/ipv4/${name}`, "utf8").trim().split(/\s+/)[2]);
    return Number.isFinite(max) && max > 0 ? max : guess;
  } catch {
    return guess;
  }
}

describe("a slow client of a big compressed file", () => {
  const MiB = 1 << 20;
  // Raw bytes behind what the socket buffers can hold: base64 compresses to
  // about 3/4, so 1.5x the buffers, plus a few MiB for zlib's and the file
  // stream's own buffers; at most 40 MiB (a paused reader's buffers do not
  // grow near the kernel's maximum: about 5 MiB were read here). Without
  // backpressure the whole 64 MiB file would be read.
  const bound = Math.min(40 * MiB, Math.ceil(1.5 * (kernelMax("tcp_rmem", 32 * MiB) + kernelMax("tcp_wmem", 32 * MiB))) + 8 * MiB);
  const size = 64 * MiB;
  let site: Site;
  beforeAll(() => {
    site = makeSite(4096);
    writeFileSync(path.join(site.root, "huge.txt"), randomBytes(Math.ceil((size * 3) / 4)).toString("base64"));
  });
  afterAll(() => site.cleanup());

  // Both parsers, on one scheduler backend (the Wasm one where it loads): the 64 MiB file makes each run seconds long.
  it.each(COMBOS.filter((c) => c.backend === "wasm" || COMBOS.every((x) => x.backend !== "wasm")))(
    "does not read the file ahead of the client ($parser parser)",
    async (combo) => {
      // Count the bytes read through FileHandle.read (which the file stream uses).
      const probe = await open(path.join(site.root, "small.txt"));
      const proto = Object.getPrototypeOf(probe) as { read: (...a: unknown[]) => Promise<{ bytesRead: number }> };
      await probe.close();
      const original = proto.read;
      let readBytes = 0;
      proto.read = function (this: unknown, ...args: unknown[]) {
        const p = original.apply(this, args);
        p.then((r) => (readBytes += r.bytesRead), () => {});
        return p;
      };
      try {
        const server = await start(combo, serveFiles(site.root));
        let received = 0;
        const req = request({ host: "127.0.0.1", port: server.port, path: "/huge.txt", headers: { "accept-encoding": "gzip" }, agent: false });
        const res = await new Promise<import("node:http").IncomingMessage>((resolve, reject) => {
          req.on("response", resolve);
          req.on("error", reject);
          req.end();
        });
        expect(res.headers["content-encoding"]).toBe("gzip");
        const gunzip = zlib.createGunzip();
        let plain = 0;
        gunzip.on("data", (c: Buffer) => (plain += c.length));
        const done = new Promise<void>((resolve, reject) => {
          gunzip.on("end", resolve);
          gunzip.on("error", reject);
        });
        await new Promise<void>((resolve) =>
          res.once("data", (c: Buffer) => {
            received += c.length;
            gunzip.write(c);
            res.pause();
            resolve();
          }),
        );
        // Let the server fill every buffer it can, then check it stopped.
        let last = -1;
        await eventually(() => {
          const settled = readBytes === last;
          last = readBytes;
          return settled && readBytes > 0;
        }, 5000);
        await new Promise((r) => setTimeout(r, 300));
        expect(readBytes).toBeGreaterThan(0);
        expect(readBytes).toBeLessThan(bound);
        expect(readBytes).toBeLessThan(size);
        // Reading on resumes the file: the rest arrives and decodes to the whole file.
        res.pipe(gunzip);
        res.resume();
        await done;
        expect(received).toBeGreaterThan(0);
        expect(plain).toBe(statSync(path.join(site.root, "huge.txt")).size);
      } finally {
        proto.read = original;
      }
    },
    60_000,
  );
});
