/**
 * Differential fuzzing: random valid requests and mutations of them (seeded,
 * bounded in time) go to the Wasm parser, the TS parser, and Node's own HTTP
 * server (node:http, strict: llhttp without lenient flags), each input on a
 * connection of its own over loopback.
 *
 * - Wasm and TS must agree exactly: every event, error code and offset, and
 *   the same result when the input is split at a random byte.
 * - Ours and Node's must agree on accept/reject and on the number of request
 *   heads, except for the classes in KNOWN, each a deliberate choice with its
 *   reason (the same choices as the corpus deviations in
 *   http-parser-corpus.test.ts). Anything else fails the test and prints the
 *   input.
 *
 * Node's server is the oracle rather than its parser binding
 * (process.binding('http_parser'), gone from Node 24): it is public API on
 * every Node, and what it does is what a user of node:http gets.
 */
import http from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createParser, type HeaderList, type ParserKind, type RequestHead } from "../src/http/parser.js";
import { HttpParseError } from "../src/http/parse-error.js";

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed2026);
const TIME_MS = Number(process.env.FUZZ_MS ?? 2500);
const MAX_CASES = Number(process.env.FUZZ_CASES ?? 20000);
/** Inputs on their way to Node's server at once (each on its own connection). */
const CONNECTIONS = 8;

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

/** What Node's HTTP server made of the bytes of one connection. */
interface NodeResult {
  /** Request heads it completed ('request', 'checkContinue', 'checkExpectation', 'upgrade' or 'connect'). */
  heads: number;
  /** The code of its parse error ('clientError'), or null. */
  error: string | null;
  /** It handed the connection over ('upgrade' or 'connect'), as llhttp does for Upgrade and CONNECT. */
  upgrade: boolean;
}

/**
 * Node's HTTP server, strict, with every event that completes a head
 * answered or taken over at once. Each input goes on a connection of its
 * own; the client half-closes after it, and the result is read when the
 * server's side of the connection has closed. A connection's server side is
 * matched to its client by the client's port.
 */
class NodeOracle {
  private server = http.createServer({ requireHostHeader: false, insecureHTTPParser: false });
  private results = new WeakMap<net.Socket, NodeResult>();
  /** By the client's local port: called with the result when the server's side closes. */
  private waiting = new Map<number, (r: NodeResult) => void>();

  constructor() {
    const s = this.server;
    const of = (socket: net.Socket) => this.results.get(socket)!;
    const answer = (req: http.IncomingMessage, res: http.ServerResponse) => {
      of(req.socket).heads++;
      res.end();
    };
    const takeOver = (_req: http.IncomingMessage, socket: net.Socket) => {
      const r = of(socket);
      r.heads++;
      r.upgrade = true;
      socket.destroy();
    };
    s.on("request", answer);
    s.on("checkContinue", answer);
    s.on("checkExpectation", answer);
    s.on("upgrade", takeOver);
    s.on("connect", takeOver);
    s.on("clientError", (e: NodeJS.ErrnoException, socket: net.Socket) => {
      // The client's end of stream makes llhttp finish: an incomplete message
      // is an error then. Our parsers, fed the same bytes, just wait for more.
      const r = of(socket);
      if (r.error === null && e.code !== "HPE_INVALID_EOF_STATE") r.error = String(e.code);
      socket.destroy();
    });
    s.on("connection", (socket: net.Socket) => {
      const r: NodeResult = { heads: 0, error: null, upgrade: false };
      this.results.set(socket, r);
      const port = socket.remotePort!;
      socket.on("close", () => {
        const done = this.waiting.get(port);
        this.waiting.delete(port);
        done?.(r);
      });
    });
  }

  listen(): Promise<void> {
    return new Promise((resolve) => this.server.listen(0, "127.0.0.1", resolve));
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Send `input` on a new connection and report what the server made of it. */
  ask(input: Buffer): Promise<NodeResult> {
    const { port } = this.server.address() as AddressInfo;
    return new Promise((resolve) => {
      const client = net.connect({ port, host: "127.0.0.1" });
      // Registered before end(): this listener runs before the one that sends the bytes.
      client.once("connect", () =>
        this.waiting.set(client.localPort!, (r) => {
          client.destroy();
          resolve(r);
        }),
      );
      client.on("data", () => {}); // responses: drained, not needed
      client.on("error", () => {}); // a reset after an error response
      client.end(input);
    });
  }
}

/** Some Transfer-Encoding line is not a list of tokens with optional `;` parameters (RFC 9112 §6.1). */
function malformedCodings(s: string): boolean {
  return s
    .split("\r\n")
    .filter((l) => /^transfer-encoding:/i.test(l))
    .some((l) => l.slice(18).split(",").some((e) => e.trim() !== "" && !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+[ \t]*(;.*)?$/.test(e.trim())));
}

/**
 * Disagreements with llhttp that are deliberate. Each gets the input, our
 * result and llhttp's, and returns true when it explains the difference.
 */
const KNOWN: Record<string, (s: string, our: Result, node: NodeResult) => boolean> = {
  "we reject a second Host (RFC 9112 §3.2: MUST respond 400 to more than one Host); llhttp does not look at Host": (_s, our) => our.error?.codeName === "DUPLICATE_HOST",
  "we answer 501 to transfer codings we do not decode (RFC 9112 §6.1); llhttp passes e.g. `gzip, chunked` through": (_s, our) => our.error?.codeName === "UNSUPPORTED_TRANSFER_CODING",
  "we reject a request-target in none of the four forms of RFC 9112 §3.2 (e.g. `GET foo`), or accept an absolute-form llhttp's URL states refuse (e.g. `http:/x`, RFC 3986 allows it)": (s, our, node) =>
    our.error?.codeName === "INVALID_TARGET" || (node.error === "HPE_INVALID_URL" && our.error === null),
  "we reject `GET /` with no version (HTTP/0.9, RFC 9112 §3 needs HTTP-version; 505); llhttp accepts it": (_s, our) => our.error?.codeName === "UNSUPPORTED_VERSION",
  "limits llhttp does not have: the request-line (8 KiB), chunk extensions (4 KiB) and the body (1 MiB by default; a chunk size over it is refused at once)": (_s, our) =>
    our.error?.codeName === "REQUEST_LINE_TOO_LONG" || our.error?.codeName === "CHUNK_EXTENSION_TOO_LONG" || our.error?.codeName === "BODY_TOO_LARGE",
  "we check the framing fields of CONNECT too (a bad Transfer-Encoding is a smuggling signal whatever the method); llhttp skips them since CONNECT has no content": (s, our) =>
    /(^|\n)CONNECT /.test(s) && our.error !== null && ["INVALID_TRANSFER_ENCODING", "TE_WITH_CONTENT_LENGTH", "INVALID_CONTENT_LENGTH", "DUPLICATE_CONTENT_LENGTH"].includes(our.error.codeName),
  "we check that each transfer coding is a token, with parameters only after `;` (RFC 9112 §6.1, RFC 9110 §10.1.4); llhttp only looks for a final chunked": (s, our, node) =>
    our.error?.codeName === "INVALID_TRANSFER_ENCODING" && node.error === null && malformedCodings(s),
  "we take exactly one SP between the parts of the request-line (RFC 9112 §3, which warns that lenient whitespace parsing enables request smuggling); llhttp accepts several": (s, our) =>
    s.split("\r\n").some((l) => / HTTP\/\d/.test(l) && / {2}/.test(l)) && ["INVALID_REQUEST_LINE", "INVALID_VERSION", "INVALID_TARGET"].includes(our.error?.codeName ?? ""),
  "we ignore Upgrade in an HTTP/1.0 request (RFC 9110 §7.8: a server MUST ignore it) and go on parsing HTTP; llhttp hands the connection over": (s, our, node) =>
    node.upgrade && s.includes("HTTP/1.0") && our.heads >= node.heads,
  "Node's binding stops reporting parse errors once a request asked for Upgrade (node_http_parser.cc checks `upgrade` before the error); we still reject a malformed body": (_s, our, node) =>
    node.upgrade && node.error === null && our.error !== null,
  "we reject an empty chunk-extension name such as `;;a` or `;=b` (RFC 9112 §7.1.1: chunk-ext-name = token, at least one byte); llhttp 9.3 lets some through": (_s, our) =>
    our.error?.codeName === "INVALID_CHUNK_EXTENSION",
  "we reject chunk sizes above 2^53-1 (JS-safe integers, and far beyond any body limit); llhttp accepts up to 2^64-1 and waits for the data": (s, our) =>
    our.error?.codeName === "INVALID_CHUNK_SIZE" && /\r\n[0-9a-fA-F]{14,}/.test(s),
  "llhttp 9.3 (Node 20) accepts bytes after `Connection: close` when its value has trailing whitespace; 9.4.2 (the corpus) and we reject them (fix #866)": (_s, our, node) =>
    our.error?.codeName === "DATA_AFTER_CLOSE" && node.error === null,
  "llhttp 9.3 (Node 20) rejects Content-Length or Transfer-Encoding values that end in whitespace; 9.4.2 and we trim it (RFC 9110 §5.5: field values exclude trailing whitespace)": (s, our, node) =>
    our.error === null && (node.error === "HPE_INVALID_CONTENT_LENGTH" || node.error === "HPE_INVALID_TRANSFER_ENCODING") && /(content-length|transfer-encoding):[^\r\n]*[ \t]\r\n/i.test(s),
};

/** One random input: a request or two, mutated more often than not. */
function input(r: Rng): string {
  let text = request(r);
  if (r.chance(0.3)) text += request(r);
  if (r.chance(0.6)) text = mutate(r, text);
  return text;
}

describe("differential fuzz: Wasm parser vs TS parser vs Node's HTTP server", () => {
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

  describe("against Node", () => {
    const oracle = new NodeOracle();
    beforeAll(() => oracle.listen());
    afterAll(() => oracle.close());

    // Each input costs Node's server a connection: far fewer cases than above in the same time.
    it(`ours and Node's server agree on accept/reject and on the heads before, but for the documented choices (seed ${SEED + 1}, ${TIME_MS} ms at most)`, async () => {
      const r = rng(SEED + 1);
      const deadline = performance.now() + TIME_MS;
      const unexplained: string[] = [];
      const explained = new Map<string, number>();
      const inFlight = new Set<Promise<void>>();
      let cases = 0, rejected = 0;
      while (cases < MAX_CASES && performance.now() < deadline) {
        cases++;
        const text = input(r);
        const bytes = Buffer.from(text, "latin1");
        const wasm = ours("wasm", bytes);
        if (wasm.error) rejected++;
        const asked = oracle.ask(bytes).then((node) => {
          const agree = (wasm.error === null) === (node.error === null) && (wasm.error !== null || wasm.heads === node.heads);
          if (agree) return;
          const known = Object.entries(KNOWN).find(([, test]) => test(text, wasm, node));
          if (known) explained.set(known[0], (explained.get(known[0]) ?? 0) + 1);
          else unexplained.push(`${JSON.stringify(text)}: ours ${wasm.error?.codeName ?? "ok"} (${wasm.heads} heads), node ${node.error ?? "ok"} (${node.heads} heads)`);
        });
        const tracked = asked.then(() => void inFlight.delete(tracked));
        inFlight.add(tracked);
        if (inFlight.size >= CONNECTIONS) await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
      console.log(`fuzz against node:http: ${cases} cases (${rejected} rejected by us), seed ${SEED + 1}; documented disagreements (llhttp ${process.versions.llhttp}):`, Object.fromEntries(explained));
      expect(cases).toBeGreaterThan(100);
      expect(unexplained.slice(0, 20)).toEqual([]);
    });
  });
});
