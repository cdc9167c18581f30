/**
 * Differential fuzzing of the twins: random valid requests and mutations of
 * them (seeded, bounded in time) go to the Wasm parser and the TS parser,
 * which must agree exactly: every event, error code and offset, and the same
 * result when the input is split at a random byte.
 *
 * The comparison with Node's own parser (through a node:http server, with
 * the allowed differences and their RFC clauses) is
 * http-node-differential.test.ts.
 */
import { describe, expect, it } from "vitest";
import { createParser, type HeaderList, type ParserKind, type RequestHead } from "../../../src/http/parser/parser.js";
import { HttpParseError } from "../../../src/http/parser/parse-error.js";

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed2026);
const TIME_MS = Number(process.env.FUZZ_MS ?? 2500);
const MAX_CASES = Number(process.env.FUZZ_CASES ?? 20000);

/** mulberry32: small, fast, seedable. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T,>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)],
    chance: (p: number) => next() < p,
  };
}
type Rng = ReturnType<typeof rng>;

const METHODS = ["GET", "GET", "GET", "POST", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "CONNECT", "M-SEARCH", "PURGE", "FOO"];
const TARGETS = ["/", "/index.html", "/a/b?c=d&e=f", "/%41%42", "*", "http://example.com/x", "/~user/#frag", "/p;q=1", "example.com:443"];
const NAMES = ["Accept", "User-Agent", "X-Custom", "Cookie", "Accept-Encoding", "If-None-Match", "x", "A-B_C.D~E!"];
const VALUES = ["*/*", "text/html, application/json;q=0.9", "", "a b  c", "\"quoted\"", "gzip, deflate", "v\tw", "ÿé", "x".repeat(40)];
const EXTS = ["", ";a", ";a=b", ';a="q \\" x"', ";a=b;c", ";long=" + "z".repeat(20)];
const INTERESTING = [" ", "\t", "\r", "\n", "\r\n", ":", ";", ",", '"', "\\", "\x00", "\x01", "\x7f", "\xff", "a", "A", "0", "9", "f", "-", "/", "=", "H", "1", "\r\n\r\n", " chunked", "0\r\n\r\n"];

function request(r: Rng): string {
  const method = r.pick(METHODS);
  const target = method === "CONNECT" ? "example.com:443" : r.pick(TARGETS);
  const version = r.chance(0.85) ? "1.1" : "1.0";
  const lines = [`${method} ${target} HTTP/${version}`];
  if (version === "1.1" || r.chance(0.5)) lines.push(`Host: ${r.pick(["a", "example.com", "localhost:3000", ""])}`);
  const n = r.int(5);
  for (let i = 0; i < n; i++) lines.push(`${r.pick(NAMES)}: ${r.pick(VALUES)}`);
  if (r.chance(0.2)) lines.push(`Connection: ${r.pick(["close", "keep-alive", "Upgrade", "foo, close", "keep-alive, upgrade"])}`);
  if (r.chance(0.1)) lines.push(`Upgrade: websocket`);
  if (r.chance(0.1)) lines.push(`Expect: ${r.pick(["100-continue", "something"])}`);
  let body = "";
  const framing = r.int(3);
  if (framing === 1) {
    body = "b".repeat(r.int(20));
    lines.push(`Content-Length: ${body.length}`);
  } else if (framing === 2) {
    lines.push(`Transfer-Encoding: chunked`);
    const chunks = r.int(4);
    for (let i = 0; i < chunks; i++) {
      const size = 1 + r.int(20);
      const hex = size.toString(16);
      body += `${r.chance(0.5) ? hex : hex.toUpperCase()}${r.pick(EXTS)}\r\n${"c".repeat(size)}\r\n`;
    }
    body += `0${r.pick(EXTS)}\r\n`;
    if (r.chance(0.3)) body += `Trailer-${r.int(9)}: ${r.pick(VALUES)}\r\n`;
    body += "\r\n";
  }
  return (r.chance(0.05) ? "\r\n" : "") + lines.join("\r\n") + "\r\n\r\n" + body;
}

function mutate(r: Rng, s: string): string {
  const count = 1 + r.int(3);
  for (let k = 0; k < count; k++) {
    const at = r.int(s.length + 1);
    switch (r.int(6)) {
      case 0: // replace a byte
        s = s.slice(0, at) + r.pick(INTERESTING) + s.slice(at + 1);
        break;
      case 1: // insert
        s = s.slice(0, at) + r.pick(INTERESTING) + s.slice(at);
        break;
      case 2: // delete a run
        s = s.slice(0, at) + s.slice(at + 1 + r.int(3));
        break;
      case 3: { // duplicate a line
        const lines = s.split("\r\n");
        const i = r.int(lines.length);
        lines.splice(i, 0, lines[i]);
        s = lines.join("\r\n");
        break;
      }
      case 4: // add a framing header that conflicts
        s = s.replace("\r\n", `\r\n${r.pick(["Content-Length: 3", "Transfer-Encoding: chunked", "Content-Length: 1x", "Transfer-Encoding: gzip", "Host: b", "Content-Length : 2"])}\r\n`);
        break;
      default: // change case
        s = s.slice(0, at) + s.slice(at, at + 6).toUpperCase() + s.slice(at + 6);
    }
  }
  return s;
}

interface Result {
  log: string[];
  heads: number;
  error: HttpParseError | null;
  upgradedAt: number | null;
}

function ours(kind: ParserKind, input: Buffer, cut = -1): Result {
  const parser = createParser(kind, { requireHost: false });
  const conn = parser.createConnection();
  const res: Result = { log: [], heads: 0, error: null, upgradedAt: null };
  let body = "";
  const sink = {
    onHead(h: RequestHead) {
      res.heads++;
      res.log.push(`head ${h.method} ${h.target} ${h.version} ${h.flags} ${h.contentLength} ${JSON.stringify([...h.headers.entries()])}`);
    },
    onBody(b: Uint8Array) {
      body += Buffer.from(b).toString("latin1");
    },
    onEnd(t: HeaderList | null) {
      res.log.push(`end ${JSON.stringify(body)} ${t === null ? "" : JSON.stringify([...t.entries()])}`);
      body = "";
    },
    onError(e: HttpParseError) {
      res.error = e;
    },
  };
  const parts = cut < 0 ? [input] : [input.subarray(0, cut), input.subarray(cut)];
  let start = 0;
  for (const part of parts) {
    const used = parser.execute(conn, part, sink);
    if (conn.upgraded && res.upgradedAt === null) res.upgradedAt = start + used;
    start += part.length;
  }
  if (body !== "") res.log.push(`partial body ${JSON.stringify(body)}`);
  return res;
}

/** One random input: a request or two, mutated more often than not. */
function input(r: Rng): string {
  let text = request(r);
  if (r.chance(0.3)) text += request(r);
  if (r.chance(0.6)) text = mutate(r, text);
  return text;
}

describe("differential fuzz: Wasm parser vs TS parser", () => {
  it(`the twins agree exactly on random and mutated requests, whole and cut at a random byte (seed ${SEED}, ${TIME_MS} ms at most)`, () => {
    const r = rng(SEED);
    const deadline = performance.now() + TIME_MS;
    let cases = 0;
    while (cases < MAX_CASES && performance.now() < deadline) {
      cases++;
      const text = input(r);
      const bytes = Buffer.from(text, "latin1");
      const wasm = ours("wasm", bytes);
      const ts = ours("ts", bytes);
      expect(ts.log, text).toEqual(wasm.log);
      expect([ts.error?.code, ts.error?.offset, ts.upgradedAt], text).toEqual([wasm.error?.code, wasm.error?.offset, wasm.upgradedAt]);
      const cut = r.int(bytes.length + 1);
      const split = ours(r.chance(0.5) ? "wasm" : "ts", bytes, cut);
      expect(split.log, `${JSON.stringify(text)} cut at ${cut}`).toEqual(wasm.log);
      expect(split.error?.code, `${JSON.stringify(text)} cut at ${cut}`).toBe(wasm.error?.code);
    }
    expect(cases).toBeGreaterThan(200);
  });

});
