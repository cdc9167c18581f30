/**
 * llhttp's strict request corpus (fixtures/http-corpus/llhttp-requests.json,
 * 134 cases; read its README) against both parsers, whole, split at every
 * byte boundary, and one byte at a time.
 *
 * Every deliberate difference from llhttp is in DEVIATIONS below, the one
 * place where they are listed, each with the RFC text that supports it. The
 * tests check that each deviation behaves exactly as documented, so the list
 * cannot go stale.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ParseError } from "../../../src/http/parser/constants.js";
import { createParser, type HeaderList, type ParserKind, type ParserLimits } from "../../../src/http/parser/parser.js";

interface CorpusMessage {
  complete: boolean;
  method: string | null;
  url: string | null;
  version: string | null;
  headers: [string, string][];
  trailers?: [string, string][];
  body_base64: string;
  headers_complete?: unknown;
  upgrade?: boolean;
}
interface CorpusCase {
  location: string;
  name: string;
  noScan: boolean;
  skipBody?: boolean;
  input_base64: string;
  outcome: "ok" | "error" | "upgrade";
  error: { name: string; offset: number } | null;
  upgrade_pause: { name: string; offset: number } | null;
  messages: CorpusMessage[];
  trailing_incomplete?: boolean;
}

const CORPUS: CorpusCase[] = JSON.parse(readFileSync(new URL("../../fixtures/http-corpus/llhttp-requests.json", import.meta.url), "utf8"));

/** What our parser reports for one message. */
interface Msg {
  method: string;
  url: string;
  version: string;
  headers: [string, string][];
  body: string;
  trailers: [string, string][] | null;
  complete: boolean;
  upgrade: boolean;
}
interface Outcome {
  messages: Msg[];
  error: string | null;
  /** Offset in the whole input where the other protocol starts, after an upgrade. */
  upgradeAt: number | null;
}

/** Bytes as the corpus writes text: UTF-8 (our strings are latin1, one char per byte). */
const utf8 = (latin1: string) => Buffer.from(latin1, "latin1").toString("utf8");
const pairs = (h: HeaderList) => [...h.entries()].map(([n, v]) => [utf8(n), utf8(v)] as [string, string]);

/** Feed `input` cut at `cuts` (sorted offsets) and record everything. */
function feed(kind: ParserKind, limits: Partial<ParserLimits>, input: Buffer, cuts: number[]): Outcome {
  const parser = createParser(kind, limits);
  const conn = parser.createConnection();
  const out: Outcome = { messages: [], error: null, upgradeAt: null };
  let current: Msg | null = null;
  const body: Buffer[] = [];
  const sink = {
    onHead(h: import("../../../src/http/parser/parser.js").RequestHead) {
      current = { method: h.method, url: utf8(h.target), version: h.version, headers: pairs(h.headers), body: "", trailers: null, complete: false, upgrade: h.upgrade };
      out.messages.push(current);
      body.length = 0;
    },
    onBody(b: Uint8Array) {
      body.push(Buffer.from(b));
      current!.body = Buffer.concat(body).toString("latin1");
    },
    onEnd(t: HeaderList | null) {
      current!.complete = true;
      current!.trailers = t === null ? null : pairs(t);
    },
    onError(e: { codeName: string }) {
      out.error = e.codeName;
    },
  };
  let start = 0;
  for (const end of [...cuts, input.length]) {
    const used = parser.execute(conn, input.subarray(start, end), sink);
    if (conn.upgraded && out.upgradeAt === null) out.upgradeAt = start + used;
    if (out.error !== null || conn.upgraded) break;
    start = end;
  }
  return out;
}

/**
 * The deliberate differences from llhttp 9.4.2 strict mode. `host` ones are
 * checked with our default `requireHost: true`; the rest with it off.
 */
const DEVIATIONS: Record<string, { expect: keyof typeof ParseError | "body-not-skipped" | "h2-preface-head"; why: string }> = {
  "method.md:372": {
    expect: "INVALID_VERSION",
    why: "`SOURCE … ICE/1.0`: RFC 9112 §2.3 HTTP-version = HTTP-name \"/\" DIGIT \".\" DIGIT with HTTP-name = %s\"HTTP\"; ICE is not HTTP.",
  },
  "method.md:400": {
    expect: "INVALID_VERSION",
    why: "`OPTIONS … RTSP/1.0`: RTSP is not HTTP (RFC 9112 §2.3, as above).",
  },
  "method.md:430": {
    expect: "UNKNOWN_METHOD",
    why: "`ANNOUNCE … RTSP/1.0`: ANNOUNCE is an RTSP method, not an HTTP one; an unrecognized method gets 501 (RFC 9110 §9.1), and RTSP/1.0 is not an HTTP-version (RFC 9112 §2.3).",
  },
  "sample.md:314": {
    expect: "UNSUPPORTED_VERSION",
    why: "`GET /` with no version is HTTP/0.9. RFC 9112 §3 requires HTTP-version in the request-line; we answer 505 (RFC 9110 §15.6.6) rather than speak HTTP/0.9.",
  },
  "transfer-encoding.md:751": {
    expect: "UNSUPPORTED_TRANSFER_CODING",
    why: "`Transfer-Encoding: deflate, chunked`: we do not decode deflate, and RFC 9112 §6.1 says a server that receives a transfer coding it does not understand SHOULD respond with 501 (Not Implemented). Passing deflated bytes to a handler as the body would be wrong.",
  },
  "transfer-encoding.md:793": {
    expect: "UNSUPPORTED_TRANSFER_CODING",
    why: "`Transfer-Encoding: deflate` then `Transfer-Encoding: chunked`: the same coding list over two field lines (RFC 9110 §5.3), so the same 501 (RFC 9112 §6.1).",
  },
  "content-length.md:444": {
    expect: "body-not-skipped",
    why: "Harness-only (corpus README caveat 5): llhttp's test callback asked it to skip the body, as for a response to HEAD. A request with Content-Length: 123 has a 123-byte body (RFC 9112 §6.3 item 6), so the second request line is body bytes and the message is still incomplete.",
  },
  "method.md:458": {
    expect: "h2-preface-head",
    why: "`PRI * HTTP/1.1` + `SM`: the HTTP/2 connection preface (RFC 9113 §3.4). We report the PRI head as an upgrade right after its blank line, so the hand-off receives `SM\\r\\n\\r\\n`, the rest of the preface, which an HTTP/2 implementation expects to read; llhttp consumes those 6 bytes before pausing (offset 24 against our 18).",
  },
};

/** RFC 9112 §3.2: "A server MUST respond with a 400 (Bad Request) status code to any HTTP/1.1 request message that lacks a Host header field". */
const HOST_RULE =
  "HTTP/1.1 requests without Host are rejected with MISSING_HOST by default (RFC 9112 §3.2: a server MUST respond 400). llhttp does not check Host, so most of its cases lack one; they are checked twice: rejected with the default limits, and parsed in full with requireHost: false.";

/** The first message that needs Host and lacks it, if any (the cases the Host rule turns into errors). */
function lacksHost(c: CorpusCase): boolean {
  const failedAt = c.outcome === "error" ? c.messages.findIndex((m) => !m.complete) : -1;
  return c.messages.some(
    (m, i) => (m.headers_complete !== undefined || m.complete) && i !== failedAt && m.version === "1.1" && !m.headers.some(([n]) => n.toLowerCase() === "host"),
  );
}

function expectMatches(c: CorpusCase, got: Outcome): void {
  const expected = c.messages.filter((m) => m.headers_complete !== undefined || m.complete);
  // Messages llhttp finished (and, for ok cases, the head of one cut short) must be ours too.
  const compared = c.outcome === "error" ? expected.filter((m) => m.complete) : expected;
  expect(got.messages.length).toBeGreaterThanOrEqual(compared.length);
  compared.forEach((m, i) => {
    const g = got.messages[i];
    expect(g.method).toBe(m.method);
    expect(g.url).toBe(m.url);
    expect(g.version).toBe(m.version);
    // llhttp keeps trailing SP/HTAB in a value span; field values exclude it (RFC 9110 §5.5).
    expect(g.headers).toEqual(m.headers.map(([n, v]) => [n, v.replace(/[ \t]+$/, "")]));
    expect(Buffer.from(g.body, "latin1").toString("base64")).toBe(m.body_base64);
    expect(g.complete).toBe(m.complete);
    if (m.trailers) expect(g.trailers).toEqual(m.trailers.map(([n, v]) => [n, v.replace(/[ \t]+$/, "")]));
  });
  if (c.outcome === "error") {
    expect(got.error, "should be rejected").not.toBeNull();
    // An error may only come on the message llhttp rejected, never on one it finished.
    expect(got.messages.filter((m) => m.complete).length).toBe(compared.length);
  } else {
    expect(got.error, "should be accepted").toBeNull();
    expect(got.messages.length).toBe(compared.length);
  }
  if (c.outcome === "upgrade") {
    expect(got.upgradeAt).toBe(c.upgrade_pause!.offset);
    expect(got.messages.at(-1)!.upgrade).toBe(true);
  } else {
    expect(got.upgradeAt).toBeNull();
  }
}

function checkCase(kind: ParserKind, c: CorpusCase, input: Buffer, cuts: number[]): void {
  const dev = DEVIATIONS[c.location];
  const got = feed(kind, { requireHost: false }, input, cuts);
  if (dev === undefined) {
    expectMatches(c, got);
  } else if (dev.expect === "body-not-skipped") {
    expect(got.error).toBeNull();
    expect(got.messages).toHaveLength(1);
    expect(got.messages[0].complete).toBe(false);
    expect(got.messages[0].body).toBe(input.subarray(input.indexOf("\r\n\r\n") + 4).toString("latin1"));
  } else if (dev.expect === "h2-preface-head") {
    expect(got.error).toBeNull();
    expect(got.messages.map((m) => [m.method, m.url, m.upgrade])).toEqual([["PRI", "*", true]]);
    expect(got.upgradeAt).toBe(input.indexOf("SM\r\n\r\n"));
  } else {
    expect(got.error).toBe(dev.expect);
  }
  // With the default limits, the Host rule applies on top.
  const strict = feed(kind, {}, input, cuts);
  if (dev !== undefined && dev.expect in ParseError) expect(strict.error).toBe(dev.expect);
  else if (c.outcome === "error") expect(strict.error).not.toBeNull();
  else if (lacksHost(c) || dev?.expect === "h2-preface-head") expect(strict.error).toBe("MISSING_HOST");
  else expect(strict).toEqual(got);
}

describe.each(["ts", "wasm"] as const)("llhttp corpus on the %s parser", (kind) => {
  it("has the 134 cases the README describes", () => {
    expect(CORPUS).toHaveLength(134);
  });

  describe.each(CORPUS.map((c) => [`${c.location} ${c.name} (${c.outcome})`, c] as const))("%s", (_label, c) => {
    const input = Buffer.from(c.input_base64, "base64");
    it("whole", () => checkCase(kind, c, input, []));
    it("split at every byte boundary, and byte by byte", () => {
      for (let i = 1; i < input.length; i++) checkCase(kind, c, input, [i]);
      checkCase(kind, c, input, Array.from({ length: input.length - 1 }, (_, i) => i + 1));
    });
  });

  it("documents every deviation with an RFC reason, and the Host rule", () => {
    for (const [loc, d] of Object.entries(DEVIATIONS)) {
      expect(CORPUS.some((c) => c.location === loc), loc).toBe(true);
      expect(d.why).toMatch(/RFC \d+|README/);
    }
    expect(HOST_RULE).toMatch(/RFC 9112 §3\.2/);
  });
});
