/**
 * Responses for the response-mode parser tests: fast-check arbitraries of
 * valid response sequences that know what they encode (the model a parse is
 * checked against), and an observer that feeds a byte stream in pieces and
 * records what a response parser reports, keeping heads with retain() and
 * body chunks as the views handed out, read only after the last execute.
 */
import { fc } from "@fast-check/vitest";
import type { HttpParseError } from "../../src/http/parser/parse-error.js";
import { createResponseParser, type HeaderList, type ParserKind, type ResponseHead, type ResponseLimits, type ResponseParser } from "../../src/http/parser/parser.js";

/** One response as observed (or as the model expects it). Strings are latin1. */
export interface SeenResponse {
  status: number;
  reason: string;
  version: string;
  headers: [string, string][];
  framing: string;
  keepAlive: boolean;
  informational: boolean;
  /** hex of the de-chunked body; null for an informational head (no body, no end). */
  body: string | null;
  trailers: [string, string][] | null;
  complete: boolean;
}

export interface Seen {
  responses: SeenResponse[];
  error: string | null;
  upgradeAt: number | null;
  pending: number;
}

const parsers = new Map<string, ResponseParser>();
/** One parser per kind and limits, shared by every feed, so a view of its buffer would be overwritten by later feeds. */
export function parserFor(kind: ParserKind, limits: Partial<ResponseLimits> = {}): ResponseParser {
  const key = kind + JSON.stringify(limits);
  let p = parsers.get(key);
  if (p === undefined) parsers.set(key, (p = createResponseParser(kind, limits)));
  return p;
}

/** Copies of `input` cut at `cuts`: fresh Buffers nobody mutates afterwards. */
export function piecesOf(input: Uint8Array, cuts: readonly number[]): Buffer[] {
  const at = [...new Set(cuts.filter((c) => c > 0 && c < input.length))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of [...at, input.length]) {
    out.push(Buffer.from(input.subarray(prev, c)));
    prev = c;
  }
  return out;
}

const pairs = (h: HeaderList): [string, string][] => [...h.entries()];

/**
 * Feed `pieces` to a fresh connection of `kind`'s parser that expects
 * `methods`, then, with `eof`, finish(). Heads are retained and read at the
 * end; body chunks are kept as handed out and read at the end.
 */
export function observe(kind: ParserKind, methods: readonly string[], pieces: readonly Uint8Array[], eof: boolean, limits: Partial<ResponseLimits> = {}): Seen {
  const parser = parserFor(kind, limits);
  const conn = parser.createConnection();
  for (const m of methods) conn.expect(m);
  const heads: { head: ResponseHead; chunks: Uint8Array[]; trailers: [string, string][] | null; complete: boolean }[] = [];
  let error: string | null = null;
  let upgradeAt: number | null = null;
  let fed = 0;
  const sink = {
    onHead(h: ResponseHead) {
      heads.push({ head: h.retain(), chunks: [], trailers: null, complete: false });
    },
    onBody(c: Uint8Array) {
      heads[heads.length - 1].chunks.push(c);
    },
    onEnd(t: HeaderList | null) {
      const m = heads[heads.length - 1];
      m.complete = true;
      m.trailers = t === null ? null : pairs(t); // a view until the next execute: read now
    },
    onError(e: HttpParseError) {
      error = e.codeName;
    },
  };
  for (const piece of pieces) {
    const used = parser.execute(conn, piece, sink);
    if (conn.upgraded && upgradeAt === null) upgradeAt = fed + used;
    fed += piece.length;
    if (error !== null || conn.upgraded) break;
  }
  if (eof) parser.finish(conn, sink);
  return {
    responses: heads.map((m) => {
      const h = m.head;
      return {
        status: h.status,
        reason: h.reason,
        version: h.version,
        headers: pairs(h),
        framing: h.framing,
        keepAlive: h.keepAlive,
        informational: h.informational,
        body: h.informational ? null : Buffer.concat(m.chunks).toString("hex"),
        trailers: m.trailers,
        complete: h.informational ? false : m.complete,
      };
    }),
    error,
    upgradeAt,
    pending: conn.pending,
  };
}

/** A response the generator made: its bytes, its request method, and what a parser must report for it. */
export interface GenResponse {
  method: string;
  wire: Buffer;
  /** Interim heads, then the final one. */
  expected: SeenResponse[];
  /** The connection may carry another response after it. */
  keepAlive: boolean;
  /** The body runs until the connection closes. */
  untilClose: boolean;
}

const TOKEN_CHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const token = fc.string({ unit: fc.constantFrom(...TOKEN_CHARS), minLength: 1, maxLength: 12 });
/** Field values: visible ASCII and SP inside, none at the ends (trailing whitespace is not part of a value). */
const value = fc
  .string({ unit: fc.mapToConstant({ num: 95, build: (v) => String.fromCharCode(0x20 + v) }), maxLength: 24 })
  .map((s) => s.trim());
const reservedNames = new Set(["content-length", "transfer-encoding", "connection"]);
const extraHeader = fc.tuple(token, value).filter(([n]) => !reservedNames.has(n.toLowerCase()));
const reason = fc.oneof(fc.constantFrom("OK", "Not Found", "", "Whatever you like", "Déjà vu"), fc.string({ unit: fc.mapToConstant({ num: 95, build: (v) => String.fromCharCode(0x20 + v) }), maxLength: 20 }));

const latin1 = (s: string) => Buffer.from(s, "latin1");

/** One valid response (with its interim 1xx heads), for a request with `method`. */
export const response: fc.Arbitrary<GenResponse> = fc
  .record({
    method: fc.constantFrom("GET", "GET", "POST", "HEAD", "DELETE", "CONNECT"),
    interim: fc.array(fc.constantFrom(100, 102, 103), { maxLength: 2 }),
    status: fc.constantFrom(200, 200, 201, 204, 206, 301, 304, 404, 500, 503, 999),
    version: fc.constantFrom("1.1", "1.1", "1.0"),
    reason,
    noSpace: fc.boolean(),
    headers: fc.array(extraHeader, { maxLength: 4 }),
    framing: fc.constantFrom("length", "length", "chunked", "chunked", "close", "te-close", "te-and-length"),
    connection: fc.constantFrom(undefined, undefined, "close", "keep-alive", "Keep-Alive, foo"),
    body: fc.uint8Array({ maxLength: 300 }),
    cuts: fc.array(fc.nat(300), { maxLength: 4 }),
    ext: fc.constantFrom("", ";a=b", ';q="x y"'),
    trailers: fc.array(extraHeader, { maxLength: 2 }),
    clRepeat: fc.boolean(),
  })
  // A 2xx to CONNECT switches protocols: covered by hand-written cases, not here.
  .filter((r) => !(r.method === "CONNECT" && r.status >= 200 && r.status < 300))
  .map((r): GenResponse => {
    const noBody = r.method === "HEAD" || r.status === 204 || r.status === 304;
    const parts: Buffer[] = [];
    const expected: SeenResponse[] = [];
    for (const s of r.interim) {
      parts.push(latin1(`HTTP/1.1 ${s} Interim\r\nX-I: ${s}\r\n\r\n`));
      expected.push({ status: s, reason: "Interim", version: "1.1", headers: [["X-I", String(s)]], framing: "none", keepAlive: true, informational: true, body: null, trailers: null, complete: false });
    }
    const headers: [string, string][] = [...r.headers];
    if (r.connection !== undefined) headers.push(["Connection", r.connection]);
    let bodyWire: Buffer = Buffer.alloc(0);
    let sentBody: Uint8Array = noBody ? new Uint8Array(0) : r.body;
    let framing: string;
    let trailers: [string, string][] | null = null;
    let untilClose = false;
    const chunkedBody = () => {
      const cuts = [...new Set(r.cuts.filter((c) => c > 0 && c < r.body.length))].sort((a, b) => a - b);
      const out: Buffer[] = [];
      let prev = 0;
      for (const c of [...cuts, r.body.length]) {
        if (c > prev) out.push(latin1(`${(c - prev).toString(16)}${r.ext}\r\n`), Buffer.from(r.body.subarray(prev, c)), latin1("\r\n"));
        prev = c;
      }
      out.push(latin1(`0\r\n${r.trailers.map(([n, v]) => `${n}: ${v}\r\n`).join("")}\r\n`));
      if (r.trailers.length > 0) trailers = r.trailers.map(([n, v]) => [n, v]);
      return Buffer.concat(out);
    };
    if (r.framing === "length") {
      headers.push(["Content-Length", String(r.body.length)]);
      if (r.clRepeat) headers.push(["content-length", String(r.body.length)]);
      framing = "length";
      bodyWire = Buffer.from(r.body);
    } else if (r.framing === "chunked" || r.framing === "te-and-length") {
      if (r.framing === "te-and-length") headers.push(["Content-Length", String(r.body.length + 7)]);
      headers.push(["Transfer-Encoding", "chunked"]);
      framing = "chunked";
      bodyWire = chunkedBody();
    } else {
      if (r.framing === "te-close") headers.push(["Transfer-Encoding", "gzip"]);
      framing = "close";
      untilClose = !noBody;
      bodyWire = Buffer.from(r.body);
    }
    if (noBody) {
      bodyWire = Buffer.alloc(0);
      trailers = null;
      sentBody = new Uint8Array(0);
      framing = "none";
    }
    const conn = (r.connection ?? "").toLowerCase();
    let keepAlive = r.version === "1.1" ? !conn.includes("close") : conn.includes("keep-alive") && !conn.includes("close");
    if (untilClose || r.framing === "te-and-length") keepAlive = false;
    if (r.version === "1.0" && r.framing !== "length" && r.framing !== "close") keepAlive = false; // any Transfer-Encoding in HTTP/1.0
    const line = r.noSpace && r.reason === "" ? `HTTP/${r.version} ${r.status}\r\n` : `HTTP/${r.version} ${r.status} ${r.reason}\r\n`;
    parts.push(latin1(line + headers.map(([n, v]) => `${n}: ${v}\r\n`).join("") + "\r\n"), bodyWire);
    expected.push({
      status: r.status,
      reason: r.reason,
      version: r.version,
      headers,
      framing,
      keepAlive,
      informational: false,
      body: Buffer.from(sentBody).toString("hex"),
      trailers,
      complete: true,
    });
    return { method: r.method, wire: Buffer.concat(parts), expected, keepAlive, untilClose };
  });

/** A pipelined sequence: every response but the last keeps the connection open (the last may run until close). */
export const sequence: fc.Arbitrary<{ methods: string[]; wire: Buffer; expected: SeenResponse[]; untilClose: boolean }> = fc.array(response, { minLength: 1, maxLength: 5 }).map((rs) => {
  const cut = rs.findIndex((r) => !r.keepAlive);
  const used = cut < 0 ? rs : rs.slice(0, cut + 1);
  return {
    methods: used.map((r) => r.method),
    wire: Buffer.concat(used.map((r) => r.wire)),
    expected: used.flatMap((r) => r.expected),
    untilClose: used[used.length - 1].untilClose,
  };
});
