/**
 * Differential property tests: random response shapes (status, fields,
 * Content-Length, chunked with random chunk sizes and trailers, or read
 * until close; GET or HEAD; the bytes written in random pieces) served by
 * a raw socket, read by node:http's client and by ours: both must see the
 * same status, fields and body. And random request shapes (method, fields,
 * body fixed or streamed) sent by ours and by node:http's client to one
 * node:http server: it must see the same request.
 */
import http from "node:http";
import { fc, test as ftest } from "@fast-check/vitest";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { HttpClient, run } from "../../src/index.js";
import { COMBOS } from "../http/http-helpers.js";
import { type TestServer, nodeServer, randomBytes, rawServer, readAll, sha256, writeSplit } from "./client-helpers.js";

interface Shape {
  status: number;
  fields: [string, string][];
  framing: "length" | "chunked" | "close";
  size: number;
  chunks: number;
  trailers: [string, string][];
  head: boolean;
  seed: number;
}

const token = fc.stringMatching(/^[a-z][a-z0-9-]{0,11}$/).map((s) => `x-${s}`);
const value = fc.stringMatching(/^[!-~]([ !-~]{0,30}[!-~])?$/);
const shape: fc.Arbitrary<Shape> = fc.record({
  status: fc.constantFrom(200, 201, 202, 203, 206, 299, 400, 404, 410, 500, 503),
  fields: fc.array(fc.tuple(token, value), { maxLength: 8 }),
  framing: fc.constantFrom("length" as const, "chunked" as const, "close" as const),
  size: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 400_000 })),
  chunks: fc.integer({ min: 1, max: 20 }),
  trailers: fc.array(fc.tuple(token, value), { maxLength: 3 }),
  head: fc.boolean(),
  seed: fc.integer(),
});

function wire(s: Shape): Buffer {
  const body = randomBytes(s.seed, s.size);
  let h = `HTTP/1.1 ${s.status} Reason ${s.status}\r\n`;
  for (const [n, v] of s.fields) h += `${n}: ${v}\r\n`;
  if (s.framing === "length") h += `Content-Length: ${s.size}\r\n`;
  if (s.framing === "chunked") h += "Transfer-Encoding: chunked\r\n";
  if (s.framing === "close") h += "Connection: close\r\n";
  h += "\r\n";
  if (s.head) return Buffer.from(h, "latin1");
  if (s.framing !== "chunked") return Buffer.concat([Buffer.from(h, "latin1"), body]);
  const parts: Buffer[] = [Buffer.from(h, "latin1")];
  const step = Math.max(1, Math.ceil(s.size / s.chunks));
  for (let at = 0; at < s.size; at += step) {
    const c = body.subarray(at, at + step);
    parts.push(Buffer.from(`${c.length.toString(16)}\r\n`), c, Buffer.from("\r\n"));
  }
  let t = "0\r\n";
  for (const [n, v] of s.trailers) t += `${n}: ${v}\r\n`;
  parts.push(Buffer.from(t + "\r\n"));
  return Buffer.concat(parts);
}

interface Seen {
  status: number;
  fields: [string, string][];
  sha: string;
  trailers: [string, string][];
}

let shapes: Map<string, Shape>;
let srv: TestServer;
beforeAll(async () => {
  shapes = new Map();
  srv = await rawServer((s) => {
    let buf = "";
    s.on("error", () => {});
    s.on("data", async (d) => {
      buf += d.toString("latin1");
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      const id = buf.split(" ")[1]!.slice(1);
      buf = buf.slice(end + 4);
      const sh = shapes.get(id)!;
      await writeSplit(s, wire(sh), sh.seed);
      s.end(); // one response per connection: the same for both clients
    });
  });
});
afterAll(() => srv.close());

function nodeSees(id: string, head: boolean): Promise<Seen> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port: srv.port, path: `/${id}`, method: head ? "HEAD" : "GET", agent: false }, async (res) => {
      const body = await readAll(res);
      const f: [string, string][] = [];
      for (let i = 0; i < res.rawHeaders.length; i += 2) f.push([res.rawHeaders[i]!.toLowerCase(), res.rawHeaders[i + 1]!]);
      const t: [string, string][] = [];
      for (let i = 0; i < res.rawTrailers.length; i += 2) t.push([res.rawTrailers[i]!.toLowerCase(), res.rawTrailers[i + 1]!]);
      resolve({ status: res.statusCode!, fields: f, sha: sha256(body), trailers: t });
    });
    req.on("error", reject);
    req.end();
  });
}

let ids = 0;
describe.each(COMBOS)("differential against node:http's client (parser $parser, backend $backend)", ({ parser, backend }) => {
  ftest.prop([shape], { numRuns: 25 })("random responses are seen as node:http sees them", async (s) => {
    const id = String(++ids);
    shapes.set(id, s);
    const theirs = await nodeSees(id, s.head);
    const ours = await run(
      function* () {
        const client = new HttpClient({ parser });
        const res = yield* client.request(`${srv.url}/${id}`, { method: s.head ? "HEAD" : "GET" });
        const body = yield* res.bytes();
        return { status: res.status, fields: [...res.headers], sha: sha256(body), trailers: res.trailers === null ? [] : [...res.trailers] } as Seen;
      },
      { backend },
    );
    expect(ours).toEqual(theirs);
  });
});

describe.each(COMBOS)("requests as node:http's client sends them (parser $parser, backend $backend)", ({ parser, backend }) => {
  let echo: TestServer;
  beforeAll(async () => {
    echo = await nodeServer(async (req, res) => {
      const body = await readAll(req);
      const f: string[] = [];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        const n = req.rawHeaders[i]!.toLowerCase();
        if (n.startsWith("x-")) f.push(`${n}=${req.rawHeaders[i + 1]}`);
      }
      res.end(JSON.stringify({ m: req.method, u: req.url, f, sha: sha256(body), n: body.length }));
    });
  });
  afterAll(() => echo.close());

  const req = fc.record({
    method: fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"),
    path: fc.stringMatching(/^\/[a-z0-9/_~-]{0,30}(\?[a-z0-9=&]{0,20})?$/), // no dot segments: a URL resolves them, node:http sends them raw
    fields: fc.array(fc.tuple(token, value), { maxLength: 6 }),
    size: fc.integer({ min: 0, max: 200_000 }),
    streamed: fc.boolean(),
    seed: fc.integer(),
  });

  ftest.prop([req], { numRuns: 15 })("random requests reach the server as node:http's do", async (r) => {
    const hasBody = r.method !== "GET" && r.method !== "DELETE" && r.method !== "OPTIONS";
    const body = hasBody ? randomBytes(r.seed, r.size) : null;
    const theirs = await new Promise<string>((resolve, reject) => {
      const q = http.request({ host: "127.0.0.1", port: echo.port, path: r.path, method: r.method, headers: Object.fromEntries(dedupe(r.fields)), agent: false }, async (res) => resolve((await readAll(res)).toString()));
      q.on("error", reject);
      q.end(body ?? undefined);
    });
    const ours = await run(
      function* () {
        const client = new HttpClient({ parser });
        const b = body === null ? undefined : r.streamed ? (function* () { for (let i = 0; i < body.length; i += 7000) yield body.subarray(i, i + 7000); })() : body;
        const res = yield* client.request(`${echo.url}${r.path}`, { method: r.method, headers: dedupe(r.fields), body: b });
        return yield* res.text();
      },
      { backend },
    );
    expect(JSON.parse(ours)).toEqual(JSON.parse(theirs));
  });
});

/** One field per name (node:http's object form cannot carry a repeated name). */
function dedupe(f: [string, string][]): [string, string][] {
  const m = new Map<string, string>();
  for (const [n, v] of f) if (!m.has(n)) m.set(n, v);
  return [...m];
}
