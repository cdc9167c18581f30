// Request bodies must reach the handler byte for byte, however they arrive:
// every size around the 64 KiB read size, Content-Length and chunked framing
// (with chunk extensions and trailers), sent by curl, fetch, the node:http
// client and a raw socket that writes in paced pieces, read whole or chunk by
// chunk (the chunks kept until the end, so a view that is overwritten later
// shows). Each upload is followed by another request on the same connection,
// whose answer must be right too. The server counts the socket reads that
// brought each body, so the tests check that split uploads really were split.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { type Socket, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { HttpRequest } from "../../src/http/request.js";
import { prng as rng } from "../support/core-helpers.js";
import { pattern } from "../support/helpers.js";
import { COMBOS, serverPool } from "./http-helpers.js";
import { parseResponses } from "./http-wire.js";

const { start, closeAll } = serverPool();
afterEach(closeAll);

const KiB = 1024;
const MiB = 1024 * KiB;
/** Sizes around the server's 64 KiB read size, and beyond it. */
const SIZES = [0, 1, 64 * KiB - 1, 64 * KiB, 64 * KiB + 1, MiB];
const HUGE = 16 * MiB;
/** Room for the 16 MiB bodies read whole. */
const MAX_BODY = 32 * MiB;
type Mode = "buffered" | "streamed";
const MODES: Mode[] = ["buffered", "streamed"];

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const bodyOf = (size: number) => pattern(size + 1, size);


/** Cut `b` into pieces of random sizes: mostly small to mid-sized, now and then large (up to `max`). */
function cut(b: Uint8Array, next: () => number, max: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < b.length; ) {
    const r = next();
    const n = r < 0.3 ? 1 + Math.floor(next() * 16) : r < 0.8 ? 1 + Math.floor(next() * 4096) : 1 + Math.floor(next() * max);
    out.push(b.subarray(at, at + n));
    at += n;
  }
  return out;
}

/** What the handler saw of an upload. */
interface Seen {
  sha: string;
  len: number;
  reads: number;
  framing: string;
  trailers: [string, string][] | null;
  peer: string;
}

function* handler(req: HttpRequest) {
  if (req.path === "/after") return { body: `after ${req.query.get("n")} ${req.remoteAddress}\n` };
  let body: Uint8Array;
  if (req.path === "/buffered") body = yield* req.body();
  else {
    // Keep every chunk until the end: a chunk that is a view of memory reused later would hash wrong.
    const chunks: Uint8Array[] = [];
    for (let c = yield* req.read(); c !== null; c = yield* req.read()) chunks.push(c);
    body = Buffer.concat(chunks);
  }
  const seen: Seen = { sha: sha(body), len: body.length, reads: req._bodyReads, framing: req.framing, trailers: req.trailers as [string, string][] | null, peer: req.remoteAddress ?? "" };
  return { body: `${JSON.stringify(seen)}\n` };
}

/**
 * The upload arrived intact, framed as sent (`framing` null: either, for
 * clients that send an empty body with Content-Length: 0 even when they
 * stream); `split`: the body came in more than one read.
 */
function expectIntact(seen: Seen, body: Uint8Array, framing: "length" | "chunked" | null, where: string, split: boolean): void {
  expect({ len: seen.len, sha: seen.sha, framing: framing === null ? seen.framing : seen.framing === framing }, where).toEqual({ len: body.length, sha: sha(body), framing: framing === null ? seen.framing : true });
  if (split) expect(seen.reads, `${where}: reads of the body`).toBeGreaterThan(1);
}

/** Bodies of 64 KiB + 1 and more cannot fit one read of at most 64 KiB. */
const mustSplit = (size: number) => size > 64 * KiB;

// ---------------------------------------------------------------- clients

const tmp = mkdtempSync(join(tmpdir(), "tasklet-body-integrity-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const files = new Map<number, string>();
function fileOf(size: number): string {
  let f = files.get(size);
  if (f === undefined) {
    f = join(tmp, `body-${size}.bin`);
    writeFileSync(f, bodyOf(size));
    files.set(size, f);
  }
  return f;
}

/** curl uploads the file, then asks for /after on the same connection (`--next`). */
function curl(port: number, mode: Mode, size: number, chunked: boolean): Promise<[Seen, string]> {
  const args = ["-sS", "--data-binary", `@${fileOf(size)}`, ...(chunked ? ["-H", "Transfer-Encoding: chunked"] : []), `http://127.0.0.1:${port}/${mode}`, "--next", `http://127.0.0.1:${port}/after?n=${size}`];
  return new Promise((resolve, reject) => {
    execFile("curl", args, { maxBuffer: 4 * MiB }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`curl failed: ${err.message} ${stderr}`));
      const [first, second] = stdout.split("\n");
      resolve([JSON.parse(first!) as Seen, second!]);
    });
  });
}

/** A node:http request on `agent`; a Content-Length body in one piece, or a chunked one written in `pieces`. */
function nodeRequest(agent: http.Agent, port: number, path: string, body: Uint8Array | null, pieces: Uint8Array[] | null): Promise<string> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = body !== null ? { "content-length": body.length } : {};
    const req = http.request({ host: "127.0.0.1", port, path, method: body === null && pieces === null ? "GET" : "POST", agent, headers }, (res) => {
      const got: Buffer[] = [];
      res.on("data", (d: Buffer) => got.push(d));
      res.on("end", () => resolve(Buffer.concat(got).toString()));
      res.on("error", reject);
    });
    req.on("error", reject);
    if (pieces !== null) {
      for (const p of pieces) req.write(p);
      req.end();
    } else req.end(body ?? undefined);
  });
}

/** The request line and fields of a raw upload. */
const rawHead = (mode: Mode, framing: "length" | "chunked", size: number) =>
  `POST /${mode} HTTP/1.1\r\nHost: a\r\n${framing === "length" ? `Content-Length: ${size}` : "Transfer-Encoding: chunked"}\r\n\r\n`;

/** `body` as chunked framing: random chunk sizes, each with extensions, and trailer fields. */
function chunkedWire(body: Uint8Array, next: () => number): { wire: Buffer; data: [number, number][]; trailers: [string, string][] } {
  const parts: Uint8Array[] = [];
  const data: [number, number][] = [];
  let i = 0;
  let at = 0;
  for (const piece of cut(body, next, 256 * KiB)) {
    const line = Buffer.from(`${piece.length.toString(16)};ext=${i++};flag\r\n`);
    parts.push(line, piece, Buffer.from("\r\n"));
    data.push([at + line.length, at + line.length + piece.length]);
    at += line.length + piece.length + 2;
  }
  const trailers: [string, string][] = [["X-Sum", sha(body)], ["X-Chunks", String(i)]];
  parts.push(Buffer.from(`0;last=yes\r\n${trailers.map(([n, v]) => `${n}: ${v}\r\n`).join("")}\r\n`));
  return { wire: Buffer.concat(parts), data, trailers };
}

/** How many of `pieces` (laid end to end) hold a byte of the `data` ranges. */
function piecesWithData(pieces: Uint8Array[], data: [number, number][]): number {
  let n = 0;
  let at = 0;
  for (const p of pieces) {
    const end = at + p.length;
    if (data.some(([s, e]) => e > s && s < end && e > at)) n++;
    at = end;
  }
  return n;
}

/**
 * Write `pieces` on a fresh socket, each after the previous one went to the
 * kernel and the event loop turned (so the server reads them one by one),
 * then collect the responses until the server closes.
 */
function paced(port: number, pieces: Uint8Array[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock: Socket = connect(port, "127.0.0.1");
    const got: Buffer[] = [];
    sock.on("data", (d: Buffer) => got.push(d));
    sock.on("error", reject);
    sock.on("close", () => resolve(Buffer.concat(got)));
    sock.on("connect", async () => {
      for (const p of pieces) await new Promise<void>((r) => sock.write(p, () => setImmediate(r)));
    });
  });
}

/**
 * A raw upload in paced pieces (one byte each, or random sizes), with a
 * pipelined GET /after behind it in the same stream; checks both answers.
 */
async function rawUpload(port: number, mode: Mode, framing: "length" | "chunked", size: number, split: "bytes" | "random", seed: number, body: Uint8Array = bodyOf(size)): Promise<void> {
  const next = rng(seed);
  const framed = framing === "length" ? { wire: Buffer.from(body), data: [[0, body.length]] as [number, number][], trailers: null } : chunkedWire(body, next);
  const head = Buffer.from(rawHead(mode, framing, size));
  const after = `GET /after?n=${size} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`;
  const wire = Buffer.concat([head, framed.wire, Buffer.from(after)]);
  const pieces = split === "bytes" ? [...wire].map((b) => Uint8Array.of(b)) : cut(wire, next, size >= MiB ? 256 * KiB : 64 * KiB);
  const spread = piecesWithData(pieces, framed.data.map(([s, e]) => [head.length + s, head.length + e]));
  const where = `raw ${split} ${framing} ${mode} ${size} B, body in ${spread} of ${pieces.length} pieces`;
  const { responses } = parseResponses(await paced(port, pieces));
  expect(responses.map((r) => r.status), where).toEqual([200, 200]);
  const seen = JSON.parse(responses[0]!.body.toString()) as Seen;
  expectIntact(seen, body, framing, where, spread > 1);
  if (process.env.TASKLET_TEST_VERBOSE) console.log(`${where}: ${seen.reads} reads`);
  if (framed.trailers !== null) expect(seen.trailers, where).toEqual(framed.trailers);
  expect(responses[1]!.body.toString(), where).toBe(`after ${size} ${seen.peer}\n`);
}

describe.each(COMBOS)("request body integrity, $parser parser, $backend backend", (combo) => {
  const opts = { maxBodySize: MAX_BODY };

  it("curl: --data-binary with Content-Length and chunked, then a second request on the connection", async () => {
    const s = await start(combo, handler, opts);
    // One read mode per size and framing, alternating (curl is slow to start; fetch, node:http and raw cover both).
    for (const [i, size] of SIZES.entries()) {
      for (const chunked of [false, true]) {
        const mode = MODES[(i + (chunked ? 1 : 0)) % 2]!;
        const where = `curl ${chunked ? "chunked" : "length"} ${mode} ${size} B`;
        const [seen, after] = await curl(s.port, mode, size, chunked);
        expectIntact(seen, bodyOf(size), chunked ? "chunked" : "length", where, mustSplit(size));
        expect(after, where).toBe(`after ${size} ${seen.peer}`);
      }
    }
  });

  it("fetch: a Uint8Array body and a ReadableStream body (chunked), then a second request on the connection", async () => {
    const s = await start(combo, handler, opts);
    const base = `http://127.0.0.1:${s.port}`;
    for (const size of SIZES) {
      const body = bodyOf(size);
      for (const mode of MODES) {
        for (const stream of [false, true]) {
          const where = `fetch ${stream ? "stream" : "bytes"} ${mode} ${size} B`;
          const pieces = cut(body, rng(size + 7), 64 * KiB);
          const init: RequestInit & { duplex?: "half" } = stream
            ? { method: "POST", duplex: "half", body: new ReadableStream<Uint8Array>({ start(c) { for (const p of pieces) c.enqueue(p); c.close(); } }) }
            : { method: "POST", body: body as Uint8Array<ArrayBuffer> };
          const res = await fetch(`${base}/${mode}`, init);
          const seen = JSON.parse(await res.text()) as Seen;
          expectIntact(seen, body, stream ? (size === 0 ? null : "chunked") : "length", where, mustSplit(size));
          expect(await (await fetch(`${base}/after?n=${size}`)).text(), where).toBe(`after ${size} ${seen.peer}\n`);
        }
      }
    }
  });

  it("node:http client: Content-Length in one piece and chunked written in pieces, then a second request on the connection", async () => {
    const s = await start(combo, handler, opts);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (const size of SIZES) {
        const body = bodyOf(size);
        for (const mode of MODES) {
          for (const chunked of [false, true]) {
            const where = `node:http ${chunked ? "chunked" : "length"} ${mode} ${size} B`;
            const text = await nodeRequest(agent, s.port, `/${mode}`, chunked ? null : body, chunked ? cut(body, rng(size + 11), 64 * KiB) : null);
            const seen = JSON.parse(text) as Seen;
            expectIntact(seen, body, chunked ? (size === 0 ? null : "chunked") : "length", where, mustSplit(size));
            expect(await nodeRequest(agent, s.port, `/after?n=${size}`, null, null), where).toBe(`after ${size} ${seen.peer}\n`);
          }
        }
      }
    } finally {
      agent.destroy();
    }
  });

  it("raw socket, one byte per write: head, body, chunk lines and trailers all split", async () => {
    const s = await start(combo, handler, opts);
    for (const size of [0, 1, 300]) {
      for (const framing of ["length", "chunked"] as const) {
        await rawUpload(s.port, framing === "length" ? "buffered" : "streamed", framing, size, "bytes", size + 1);
      }
    }
  });

  it("raw socket, pieces of random (seeded) sizes", async () => {
    const s = await start(combo, handler, opts);
    let seed = 100;
    for (const size of SIZES) {
      for (const framing of ["length", "chunked"] as const) {
        for (const mode of MODES) await rawUpload(s.port, mode, framing, size, "random", seed++);
      }
    }
  });

  it("16 MiB: curl with Content-Length read whole, raw chunked in paced pieces read chunk by chunk", async () => {
    const s = await start(combo, handler, opts);
    const body = bodyOf(HUGE);
    const [seen, after] = await curl(s.port, "buffered", HUGE, false);
    expectIntact(seen, body, "length", "curl 16 MiB", true);
    expect(after).toBe(`after ${HUGE} ${seen.peer}`);
    await rawUpload(s.port, "streamed", "chunked", HUGE, "random", 16, body);
  });
});
