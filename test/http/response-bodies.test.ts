// Every kind of body a handler may give (text, bytes, ArrayBuffer, Blob, Node
// Readable, Web ReadableStream, async and sync iterables; returned as
// `{ body }` or passed to `res.end`) reaches real clients (fetch, the
// node:http client, curl) byte for byte, framed as its kind implies; and a
// value that is none of these is a TypeError that names it, answered 500.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { request } from "node:http";
import { Readable } from "node:stream";
import { fc, test as fcTest } from "@fast-check/vitest";
import { afterEach, describe, expect, it } from "vitest";
import type { HttpRequest } from "../../src/index.js";
import { COMBOS, raw, serverPool } from "./http-helpers.js";
import { pattern } from "../support/helpers.js";

const { start, closeAll } = serverPool();
afterEach(closeAll);

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** Text with two- and three-byte UTF-8 characters (none outside the BMP: a chunk boundary never splits a character). */
function text(seed: number, n: number): string {
  const key = `${seed}/${n}`;
  let t = texts.get(key);
  if (t === undefined) texts.set(key, (t = makeText(seed, n)));
  return t;
}
const texts = new Map<string, string>();
function makeText(seed: number, n: number): string {
  const alphabet = "abcdefghij éü€—\n0123456789";
  const p = pattern(seed, n);
  const chars = new Array<string>(n);
  for (let i = 0; i < n; i++) chars[i] = alphabet[p[i]! % alphabet.length]!;
  return chars.join("");
}

/** Split into pieces of pseudo-random sizes 1..maxPiece (deterministic in `seed`). */
function split<T extends string | Uint8Array>(whole: T, seed: number, maxPiece = 70_000): T[] {
  const out: T[] = [];
  let x = seed | 1;
  for (let at = 0; at < whole.length; ) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const n = 1 + ((x >>> 0) % maxPiece);
    out.push(whole.slice(at, at + n) as T);
    at += n;
  }
  return out;
}

type Kind = (typeof KINDS)[number];
const KINDS = [
  "buffer",
  "uint8array",
  "arraybuffer",
  "dataview",
  "string",
  "blob",
  "readable-bytes",
  "readable-text",
  "readable-classic",
  "webstream-bytes",
  "webstream-text",
  "asyncgen-bytes",
  "asyncgen-text",
  "syncgen-bytes",
  "syncgen-text",
] as const;
const isText = (k: Kind) => k === "string" || k.endsWith("-text");
const isStream = (k: Kind) => k.startsWith("readable") || k.startsWith("webstream") || k.includes("gen-");

function* gen<T>(xs: T[]): Generator<T> {
  yield* xs;
}
async function* agen<T>(xs: T[]): AsyncGenerator<T> {
  for (const x of xs) {
    yield x;
    if (Math.random() < 0.3) await new Promise((r) => setImmediate(r)); // some chunks take a while
  }
}
function webStream<T>(xs: T[]): ReadableStream<T> {
  let i = 0;
  return new ReadableStream<T>({
    pull(c) {
      if (i < xs.length) c.enqueue(xs[i++]!);
      else c.close();
    },
  });
}

/** The body of kind `kind` for `/kind/size/seed`, and the bytes a client must get. */
function makeBody(kind: Kind, size: number, seed: number): { body: unknown; bytes: Uint8Array } {
  if (isText(kind)) {
    const t = text(seed, size);
    const bytes = Buffer.from(t, "utf8");
    const parts = split(t, seed);
    switch (kind) {
      case "string":
        return { body: t, bytes };
      case "readable-text":
        return { body: Readable.from(parts), bytes };
      case "webstream-text":
        return { body: webStream(parts), bytes };
      case "asyncgen-text":
        return { body: agen(parts), bytes };
      case "syncgen-text":
        return { body: gen(parts), bytes };
    }
  }
  const bytes = pattern(seed, size);
  const parts = split(bytes, seed);
  switch (kind) {
    case "buffer":
      return { body: Buffer.from(bytes), bytes };
    case "uint8array":
      return { body: bytes.slice(), bytes };
    case "arraybuffer":
      return { body: bytes.slice().buffer, bytes };
    case "dataview": {
      // A view into the middle of a larger buffer: only the view's bytes go.
      const big = new Uint8Array(size + 10);
      big.set(bytes, 3);
      return { body: new DataView(big.buffer, 3, size), bytes };
    }
    case "blob":
      return { body: new Blob(parts as BlobPart[]), bytes };
    case "readable-bytes":
      return { body: Readable.from(parts.map((p) => Buffer.from(p))), bytes };
    case "readable-classic": {
      let i = 0;
      const r = new Readable({
        read() {
          // Pushes from a later turn now and then, like a file or socket does.
          const push = () => this.push(i < parts.length ? Buffer.from(parts[i++]!) : null);
          if (i % 3 === 0) setImmediate(push);
          else push();
        },
      });
      return { body: r, bytes };
    }
    case "webstream-bytes":
      return { body: webStream(parts), bytes };
    case "asyncgen-bytes":
      return { body: agen(parts), bytes };
    case "syncgen-bytes":
      return { body: gen(parts), bytes };
  }
  throw new Error(`unknown kind ${kind}`);
}

function* bodyHandler(req: HttpRequest, res: import("../../src/index.js").HttpResponse) {
  const [, kind, size, seed, how] = req.path.split("/");
  const { body } = makeBody(kind as Kind, Number(size), Number(seed));
  if (how === "end") {
    yield* res.end(body as never);
    return;
  }
  return { body };
}

interface Got {
  status: number;
  headers: Record<string, string | undefined>;
  bytes: Uint8Array;
}

async function viaFetch(url: string): Promise<Got> {
  const r = await fetch(url);
  const bytes = new Uint8Array(await r.arrayBuffer());
  const headers: Record<string, string> = {};
  r.headers.forEach((v, k) => (headers[k] = v));
  return { status: r.status, headers, bytes };
}

function viaNode(url: string): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (d: Buffer) => parts.push(d));
      res.on("aborted", () => reject(new Error("response aborted")));
      res.on("error", reject);
      res.on("end", () =>
        resolve({ status: res.statusCode!, headers: res.headers as Record<string, string | undefined>, bytes: Buffer.concat(parts) }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

function viaCurl(url: string): Promise<Got> {
  return new Promise((resolve, reject) => {
    execFile("curl", ["-sS", "--fail-with-body", "-D", "-", "-o", "-", url], { encoding: "buffer", maxBuffer: 64 << 20 }, (err, stdout) => {
      if (err) return reject(err);
      const end = stdout.indexOf("\r\n\r\n");
      const head = stdout.subarray(0, end).toString("latin1").split("\r\n");
      const headers: Record<string, string> = {};
      for (const line of head.slice(1)) {
        const i = line.indexOf(":");
        headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
      }
      resolve({ status: Number(head[0]!.split(" ")[1]), headers, bytes: stdout.subarray(end + 4) });
    });
  });
}

const CLIENTS = { fetch: viaFetch, node: viaNode, curl: viaCurl } as const;
const BIG = 2 << 20;
const SIZES = [0, 100_000, BIG]; // (small sizes: the property below)

describe.each(COMBOS)("response bodies, $parser parser, $backend backend", (combo) => {
  it("every kind of body reaches fetch, node:http and curl intact, framed as its kind implies", async () => {
    // (a long keep-alive: fetch's pool must not race the server closing an idle connection on a busy machine)
    const s = await start(combo, bodyHandler, { keepAliveTimeout: 60_000 });
    const base = `http://127.0.0.1:${s.port}`;
    let n = 0;
    for (const [k, kind] of KINDS.entries()) {
      for (const size of SIZES) {
        for (const [c, [client, get]] of Object.entries(CLIENTS).entries()) {
          // Every client gets the 100 kB body; the others go once per kind, to each client in turn.
          if (size !== 100_000 && c !== (k + size) % 3) continue;
          // Both ways of sending (returned `{ body }` and `res.end(body)`), alternately.
          const how = n++ % 2 === 0 ? "init" : "end";
          const seed = size + 7 * c + 1;
          const got = await get(`${base}/${kind}/${size}/${seed}/${how}`).catch((e) => {
            throw new Error(`${kind}, ${size} bytes, ${client}, ${how}: ${e}`, { cause: e });
          });
          const want = makeBody(kind, size, seed).bytes;
          const what = `${kind}, ${size} bytes, ${client}, ${how}`;
          expect(got.status, what).toBe(200);
          expect(got.bytes.length, what).toBe(want.length);
          expect(sha(got.bytes), what).toBe(sha(want));
          if (isStream(kind) && size > 0) {
            expect(got.headers["transfer-encoding"], what).toBe("chunked");
            expect(got.headers["content-length"], what).toBeUndefined();
          } else {
            expect(got.headers["content-length"], what).toBe(String(want.length));
          }
          // `res.end` of a string or bytes adds no type (as before); every other way says what the body is.
          const plain = how === "end" && (kind === "string" || kind === "buffer" || kind === "uint8array");
          const textual = isText(kind) && (size > 0 || !isStream(kind));
          expect(got.headers["content-type"], what).toBe(plain ? undefined : textual ? "text/plain; charset=utf-8" : "application/octet-stream");
        }
      }
    }
  });

  fcTest.prop([fc.constantFrom(...KINDS), fc.integer({ min: 0, max: 300_000 }), fc.integer({ min: 1, max: 1 << 30 })], { seed: 4242, numRuns: 30 })(
    "any size and split of any kind arrives intact (property)",
    async (kind, size, seed) => {
      const s = await start(combo, bodyHandler);
      const got = await viaFetch(`http://127.0.0.1:${s.port}/${kind}/${size}/${seed}/init`);
      const want = makeBody(kind, size, seed).bytes;
      expect(sha(got.bytes)).toBe(sha(want));
      await closeAll();
    },
  );

  it("a Blob keeps its type and size; an HTTP/1.0 client gets a stream ended by closing", async () => {
    const big = pattern(3, 200_000);
    const s = await start(combo, function* (req) {
      if (req.path === "/blob") return { body: new Blob([big as BlobPart], { type: "image/x-test" }) };
      return { body: agen(split(big, 5)) };
    });
    const blob = await viaNode(`http://127.0.0.1:${s.port}/blob`);
    expect(blob.headers["content-type"]).toBe("image/x-test");
    expect(blob.headers["content-length"]).toBe(String(big.length));
    expect(sha(blob.bytes)).toBe(sha(big));

    const r = await raw(s.port, "GET /stream HTTP/1.0\r\nHost: a\r\n\r\n", { idleMs: 3000 });
    expect(r.closed).toBe(true);
    const at = r.text.indexOf("\r\n\r\n");
    const head = r.text.slice(0, at);
    expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(head).not.toMatch(/transfer-encoding/i);
    expect(head).not.toMatch(/content-length/i);
    expect(head).toMatch(/\r\nConnection: close(\r\n|$)/);
    expect(sha(Buffer.from(r.text.slice(at + 4), "latin1"))).toBe(sha(big));
  });

  it("HEAD gets the head a GET would, with no body, and the producer is stopped", async () => {
    let stopped = 0;
    const s = await start(combo, function* (req) {
      if (req.path === "/blob") return { body: new Blob([pattern(1, 100_000) as BlobPart]) };
      return {
        body: (async function* () {
          try {
            for (;;) yield "tick\n";
          } finally {
            stopped++;
          }
        })(),
      };
    });
    const r = await raw(s.port, "HEAD /blob HTTP/1.1\r\nHost: a\r\n\r\nHEAD /gen HTTP/1.1\r\nHost: a\r\n\r\nGET /blob HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", {
      idleMs: 3000,
    });
    const heads = r.text.split("HTTP/1.1 ").slice(1);
    expect(heads).toHaveLength(3);
    expect(heads[0]).toMatch(/content-length: 100000\r\n/i);
    expect(heads[0]!.endsWith("\r\n\r\n")).toBe(true);
    expect(heads[1]).toMatch(/Transfer-Encoding: chunked\r\n/);
    expect(heads[1]).toMatch(/content-type: text\/plain; charset=utf-8\r\n/i);
    expect(heads[1]!.endsWith("\r\n\r\n")).toBe(true);
    expect(heads[2]!.length).toBeGreaterThan(100_000);
    await expect.poll(() => stopped).toBe(1);
  });

  it("a producer that reuses one buffer for every chunk still arrives intact", async () => {
    // The client reads in bursts, so the socket is often busy with a large
    // chunk: the next may be pulled (and the buffer refilled) only once the
    // socket is done with it, or the chunk is copied.
    const CHUNK = 256 * 1024;
    const COUNT = 32;
    const s = await start(combo, function* () {
      const buf = new Uint8Array(CHUNK);
      return {
        body: (async function* () {
          for (let i = 0; i < COUNT; i++) {
            buf.fill(i + 1);
            yield buf;
          }
        })(),
      };
    });
    const got = await new Promise<Buffer>((resolve, reject) => {
      const req = request(`http://127.0.0.1:${s.port}/`, { agent: false }, (res) => {
        const parts: Buffer[] = [];
        res.on("data", (d: Buffer) => {
          parts.push(d);
          res.pause();
          setTimeout(() => res.resume(), 2);
        });
        res.on("end", () => resolve(Buffer.concat(parts)));
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end();
    });
    expect(got.length).toBe(CHUNK * COUNT);
    for (let i = 0; i < COUNT; i++) {
      const piece = got.subarray(i * CHUNK, (i + 1) * CHUNK);
      expect(piece.every((b) => b === i + 1), `chunk ${i}`).toBe(true);
    }
  });

  it("plain objects, arrays, numbers, booleans, null and toJSON objects are JSON", async () => {
    const values: Record<string, unknown> = {
      object: { a: 1, b: [true, null, "é"] },
      nullproto: Object.assign(Object.create(null), { x: 2 }),
      array: [1, "two", { three: 3 }],
      number: 42.5,
      zero: 0,
      boolean: false,
      null: null,
      date: new Date(Date.UTC(2020, 0, 2)),
    };
    const s = await start(combo, function* (req, res) {
      const v = values[req.path.slice(1)];
      if (req.query.get("end") !== null) {
        yield* res.end(v as never);
        return;
      }
      return { body: v };
    });
    for (const [name, v] of Object.entries(values)) {
      for (const q of ["", "?end"]) {
        const r = await viaFetch(`http://127.0.0.1:${s.port}/${name}${q}`);
        expect(r.headers["content-type"], name).toBe("application/json");
        expect(Buffer.from(r.bytes).toString("utf8"), name).toBe(JSON.stringify(v));
      }
    }
  });

  it("a body that is none of the kinds is a TypeError naming it: the client gets 500, onError the error", async () => {
    class Thing {
      x = 1;
    }
    const bad: Record<string, [unknown, RegExp]> = {
      instance: [new Thing(), /an instance of Thing/],
      function: [function producer() {}, /a function \(producer\)/],
      symbol: [Symbol("sym"), /a symbol \(sym\)/],
      bigint: [12n, /a bigint \(12n\)/],
      map: [new Map([["k", "v"]]), /the iterable body produced an array/],
      promise: [Promise.resolve("x"), /an instance of Promise/],
      numbers: [new Set([1, 2]), /the iterable body produced 1; body chunks must be strings or bytes/],
      objectchunk: [agen([{ not: "bytes" }]), /the async iterable body produced an object/],
    };
    const errors: unknown[] = [];
    const s = await start(
      combo,
      function* (req, res) {
        const v = bad[req.path.slice(1)]![0];
        if (req.query.get("end") !== null) {
          yield* res.end(v as never);
          return;
        }
        return { body: v };
      },
      { onError: (e) => errors.push(e) },
    );
    for (const [name, [, message]] of Object.entries(bad)) {
      for (const q of name === "objectchunk" || name === "map" || name === "numbers" ? [""] : ["", "?end"]) {
        errors.length = 0;
        const r = await viaNode(`http://127.0.0.1:${s.port}/${name}${q}`);
        expect(r.status, name).toBe(500);
        expect(errors, name).toHaveLength(1);
        expect(errors[0], name).toBeInstanceOf(TypeError);
        expect((errors[0] as Error).message, name).toMatch(message);
      }
    }
  });
});
