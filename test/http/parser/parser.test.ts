/**
 * Behaviour of the HTTP/1.1 request parser, on both cores: every strict
 * rejection the issue lists (with its code and status), the limits, body
 * framing, connection semantics, pipelining, incremental input, and the
 * lazy views' lifetime rules.
 */
import { describe, expect, it } from "vitest";
import { ParseError } from "../../../src/http/parser/constants.js";
import { ERROR_STATUS, HttpParseError } from "../../../src/http/parser/parse-error.js";
import { createParser, parseRequest, type HeaderList, type ParserKind, type ParserLimits, type RequestHead } from "../../../src/http/parser/parser.js";
import * as pkg from "../../../src/index.js";

interface Seen {
  heads: { method: string; target: string; version: string; headers: [string, string][]; framing: string; keepAlive: boolean; expectContinue: boolean; expectOther: boolean; upgrade: boolean; contentLength: number }[];
  bodies: string[];
  ends: ([string, string][] | null)[];
  error: HttpParseError | null;
  used: number[];
  upgraded: boolean;
}

function parse(kind: ParserKind, input: string | Buffer, limits: Partial<ParserLimits> = {}, cuts: number[] = []): Seen {
  const bytes = typeof input === "string" ? Buffer.from(input, "latin1") : input;
  const parser = createParser(kind, limits);
  const conn = parser.createConnection();
  const seen: Seen = { heads: [], bodies: [], ends: [], error: null, used: [], upgraded: false };
  let body = "";
  const sink = {
    onHead(h: RequestHead) {
      seen.heads.push({
        method: h.method, target: h.target, version: h.version, headers: [...h.headers.entries()], framing: h.framing,
        keepAlive: h.keepAlive, expectContinue: h.expectContinue, expectOther: h.expectOther, upgrade: h.upgrade, contentLength: h.contentLength,
      });
      body = "";
    },
    onBody(b: Uint8Array) {
      body += Buffer.from(b).toString("latin1");
    },
    onEnd(t: HeaderList | null) {
      seen.bodies.push(body);
      seen.ends.push(t === null ? null : [...t.entries()]);
    },
    onError(e: HttpParseError) {
      seen.error = e;
    },
  };
  let start = 0;
  for (const end of [...cuts, bytes.length]) {
    seen.used.push(parser.execute(conn, bytes.subarray(start, end), sink));
    start = end;
  }
  seen.upgraded = conn.upgraded;
  return seen;
}

/** Parse whole, split at every byte, and byte by byte; all must agree. Returns the whole-input result. */
function parseEverySplit(kind: ParserKind, input: string, limits: Partial<ParserLimits> = {}): Seen {
  const whole = parse(kind, input, limits);
  const strip = (s: Seen) => ({ ...s, used: undefined, error: s.error?.code ?? null });
  for (let i = 1; i < input.length; i++) expect(strip(parse(kind, input, limits, [i])), `split at ${i}`).toEqual(strip(whole));
  expect(strip(parse(kind, input, limits, Array.from({ length: input.length - 1 }, (_, i) => i + 1)))).toEqual(strip(whole));
  return whole;
}

const H = "Host: a\r\n";

/** [description, request, expected error] for every rejection the issue lists. */
const REJECTIONS: [string, string, keyof typeof ParseError][] = [
  ["Transfer-Encoding with Content-Length", `POST / HTTP/1.1\r\n${H}Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, "TE_WITH_CONTENT_LENGTH"],
  ["Content-Length then Transfer-Encoding in the other order", `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n`, "TE_WITH_CONTENT_LENGTH"],
  ["duplicate Content-Length, same value", `POST / HTTP/1.1\r\n${H}Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc`, "DUPLICATE_CONTENT_LENGTH"],
  ["duplicate Content-Length, different values", `POST / HTTP/1.1\r\n${H}Content-Length: 3\r\ncontent-length: 4\r\n\r\nabc`, "DUPLICATE_CONTENT_LENGTH"],
  ["Content-Length with a sign", `POST / HTTP/1.1\r\n${H}Content-Length: +3\r\n\r\nabc`, "INVALID_CONTENT_LENGTH"],
  ["Content-Length negative", `POST / HTTP/1.1\r\n${H}Content-Length: -1\r\n\r\n`, "INVALID_CONTENT_LENGTH"],
  ["Content-Length with a space inside", `POST / HTTP/1.1\r\n${H}Content-Length: 1 2\r\n\r\n`, "INVALID_CONTENT_LENGTH"],
  ["Content-Length in hex", `POST / HTTP/1.1\r\n${H}Content-Length: 0x10\r\n\r\n`, "INVALID_CONTENT_LENGTH"],
  ["Content-Length as a list", `POST / HTTP/1.1\r\n${H}Content-Length: 3, 3\r\n\r\nabc`, "INVALID_CONTENT_LENGTH"],
  ["Content-Length empty", `POST / HTTP/1.1\r\n${H}Content-Length: \r\n\r\n`, "INVALID_CONTENT_LENGTH"],
  ["Content-Length overflow", `POST / HTTP/1.1\r\n${H}Content-Length: 99999999999999999999\r\n\r\n`, "INVALID_CONTENT_LENGTH"],
  ["Transfer-Encoding not ending in chunked", `POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip\r\n\r\n`, "INVALID_TRANSFER_ENCODING"],
  ["Transfer-Encoding: chunked, gzip", `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked, gzip\r\n\r\n`, "INVALID_TRANSFER_ENCODING"],
  ["chunked twice in one line", `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n`, "INVALID_TRANSFER_ENCODING"],
  ["chunked twice over two lines", `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, "INVALID_TRANSFER_ENCODING"],
  ["two codings without a comma", `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked chunked\r\n\r\n0\r\n\r\n`, "INVALID_TRANSFER_ENCODING"],
  ["parameters on chunked", `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked;a=b\r\n\r\n0\r\n\r\n`, "INVALID_TRANSFER_ENCODING"],
  ["Transfer-Encoding empty", `POST / HTTP/1.1\r\n${H}Transfer-Encoding: \r\n\r\n`, "INVALID_TRANSFER_ENCODING"],
  ["a coding we do not decode before chunked (501)", `POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`, "UNSUPPORTED_TRANSFER_CODING"],
  ["space between header name and colon", `GET / HTTP/1.1\r\n${H}Foo : bar\r\n\r\n`, "SPACE_BEFORE_COLON"],
  ["tab between header name and colon", `GET / HTTP/1.1\r\n${H}Foo\t: bar\r\n\r\n`, "SPACE_BEFORE_COLON"],
  ["obs-fold", `GET / HTTP/1.1\r\n${H}Foo: bar\r\n baz\r\n\r\n`, "OBS_FOLD"],
  ["obs-fold with a tab", `GET / HTTP/1.1\r\n${H}Foo: bar\r\n\tbaz\r\n\r\n`, "OBS_FOLD"],
  ["whitespace before the first header", `GET / HTTP/1.1\r\n ${H}\r\n`, "OBS_FOLD"],
  ["bare LF after the request-line", `GET / HTTP/1.1\n${H}\r\n`, "INVALID_LINE_ENDING"],
  ["bare LF after a header", `GET / HTTP/1.1\r\n${H}Foo: bar\n\r\n`, "INVALID_LINE_ENDING"],
  ["bare LF as the blank line", `GET / HTTP/1.1\r\n${H}\n`, "INVALID_LINE_ENDING"],
  ["bare CR inside a header value", `GET / HTTP/1.1\r\n${H}Foo: b\rar\r\n\r\n`, "INVALID_LINE_ENDING"],
  ["bare CR after the request-line", `GET / HTTP/1.1\rHost: a\r\n\r\n`, "INVALID_LINE_ENDING"],
  ["bare CR as the blank line", `GET / HTTP/1.1\r\n${H}\rX`, "INVALID_LINE_ENDING"],
  ["invalid token character in the method", `G@T / HTTP/1.1\r\n${H}\r\n`, "INVALID_METHOD"],
  ["lower-case method is not GET", `get / HTTP/1.1\r\n${H}\r\n`, "UNKNOWN_METHOD"],
  ["unknown method (501)", `BREW / HTTP/1.1\r\n${H}\r\n`, "UNKNOWN_METHOD"],
  ["invalid token character in a header name", `GET / HTTP/1.1\r\n${H}Fo(o: bar\r\n\r\n`, "INVALID_HEADER_NAME"],
  ["non-ASCII header name", `GET / HTTP/1.1\r\n${H}F\xe9e: bar\r\n\r\n`, "INVALID_HEADER_NAME"],
  ["empty header name", `GET / HTTP/1.1\r\n${H}: bar\r\n\r\n`, "INVALID_HEADER_NAME"],
  ["header line without a colon", `GET / HTTP/1.1\r\n${H}Foo\r\n\r\n`, "INVALID_HEADER_NAME"],
  ["NUL in a header value", `GET / HTTP/1.1\r\n${H}Foo: a\x00b\r\n\r\n`, "INVALID_HEADER_VALUE"],
  ["DEL in a header value", `GET / HTTP/1.1\r\n${H}Foo: a\x7fb\r\n\r\n`, "INVALID_HEADER_VALUE"],
  ["form feed in a header value", `GET / HTTP/1.1\r\n${H}Foo: a\x0cb\r\n\r\n`, "INVALID_HEADER_VALUE"],
  ["control character in the target", `GET /a\x01b HTTP/1.1\r\n${H}\r\n`, "INVALID_TARGET"],
  ["DEL in the target", `GET /a\x7f HTTP/1.1\r\n${H}\r\n`, "INVALID_TARGET"],
  ["non-ASCII in the target", `GET /\xce\xb4 HTTP/1.1\r\n${H}\r\n`, "INVALID_TARGET"],
  ["a target in none of the four forms", `GET foo HTTP/1.1\r\n${H}\r\n`, "INVALID_TARGET"],
  ["asterisk followed by more", `OPTIONS *x HTTP/1.1\r\n${H}\r\n`, "INVALID_TARGET"],
  ["absolute-form with a bad scheme", `GET 1http://a/ HTTP/1.1\r\n${H}\r\n`, "INVALID_TARGET"],
  ["tab in the target", `GET /a\tb HTTP/1.1\r\n${H}\r\n`, "INVALID_TARGET"],
  ["two spaces after the method", `GET  / HTTP/1.1\r\n${H}\r\n`, "INVALID_REQUEST_LINE"],
  ["two spaces before the version", `GET /  HTTP/1.1\r\n${H}\r\n`, "INVALID_VERSION"],
  // The version is read as the target, and "HTTP/" can start no target form (Node: HPE_INVALID_URL too).
  ["no target", `GET HTTP/1.1\r\n${H}\r\n`, "INVALID_TARGET"],
  ["HTTP/0.9 request-line (no version)", `GET /\r\n${H}\r\n`, "UNSUPPORTED_VERSION"],
  ["chunk size not hex", `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nxyz\r\n`, "INVALID_CHUNK_SIZE"],
  ["chunk size empty", `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n\r\n`, "INVALID_CHUNK_SIZE"],
  ["chunk size with a space", `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3 \r\nabc\r\n0\r\n\r\n`, "INVALID_CHUNK_SIZE"],
  ["chunk size with a sign", `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n+3\r\nabc\r\n0\r\n\r\n`, "INVALID_CHUNK_SIZE"],
  ["chunk size overflow", `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\n`, "INVALID_CHUNK_SIZE"],
  ["chunk size line ending in bare LF", `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n`, "INVALID_LINE_ENDING"],
  ["chunk extension without a name", `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3;\r\nabc\r\n0\r\n\r\n`, "INVALID_CHUNK_EXTENSION"],
  ["chunk extension with an unterminated quote", `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3;a="b\r\nabc\r\n0\r\n\r\n`, "INVALID_CHUNK_EXTENSION"],
  ["chunk extension with an empty value", `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3;a=\r\nabc\r\n0\r\n\r\n`, "INVALID_CHUNK_EXTENSION"],
  ["missing CRLF after chunk data", `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n`, "MISSING_CHUNK_CRLF"],
  ["LF only after chunk data", `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\n0\r\n\r\n`, "MISSING_CHUNK_CRLF"],
  ["CR then junk after chunk data", `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\rX0\r\n\r\n`, "MISSING_CHUNK_CRLF"],
  ["obs-fold in a trailer", `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n0\r\nA: b\r\n c\r\n\r\n`, "OBS_FOLD"],
  ["space before colon in a trailer", `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n0\r\nA : b\r\n\r\n`, "SPACE_BEFORE_COLON"],
  ["HTTP/2.0 (505)", `GET / HTTP/2.0\r\n${H}\r\n`, "UNSUPPORTED_VERSION"],
  ["HTTP/1.2 (505)", `GET / HTTP/1.2\r\n${H}\r\n`, "UNSUPPORTED_VERSION"],
  ["HTTP/0.9 request-line without a version (505)", `GET /\r\n\r\n`, "UNSUPPORTED_VERSION"],
  ["lower-case http", `GET / http/1.1\r\n${H}\r\n`, "INVALID_VERSION"],
  ["version with two digits", `GET / HTTP/1.10\r\n${H}\r\n`, "INVALID_VERSION"],
  ["space after the version", `GET / HTTP/1.1 \r\n${H}\r\n`, "INVALID_VERSION"],
  ["missing Host in HTTP/1.1", `GET / HTTP/1.1\r\nAccept: */*\r\n\r\n`, "MISSING_HOST"],
  ["two Host lines", `GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n`, "DUPLICATE_HOST"],
  ["bytes after Connection: close", `GET / HTTP/1.1\r\n${H}Connection: close\r\n\r\nGET / HTTP/1.1\r\n${H}\r\n`, "DATA_AFTER_CLOSE"],
  ["bytes after an HTTP/1.0 request", `GET / HTTP/1.0\r\n\r\n\r\n`, "DATA_AFTER_CLOSE"],
];

describe.each(["ts", "wasm"] as const)("the %s parser", (kind) => {
  describe("rejects, with a specific code, status and message", () => {
    it.each(REJECTIONS)("%s", (_what, input, code) => {
      const seen = parseEverySplit(kind, input);
      expect(seen.error?.codeName).toBe(code);
      expect(seen.error).toBeInstanceOf(HttpParseError);
      expect(seen.error!.status).toBe(ERROR_STATUS[ParseError[code]]);
      expect(seen.error!.message).toMatch(/ \(\w+ at byte \d+\)$/);
    });
  });

  describe("limits, each with its own error", () => {
    const long = (n: number) => "a".repeat(n);
    it("request-line length (414), counted without CRLF", () => {
      const ok = `GET /${long(94)} HTTP/1.1\r\n${H}\r\n`; // request-line of 108 bytes
      expect(parse(kind, ok, { maxRequestLine: 108 }).error).toBeNull();
      expect(parseEverySplit(kind, ok, { maxRequestLine: 107 }).error?.codeName).toBe("REQUEST_LINE_TOO_LONG");
      expect(parse(kind, ok, { maxRequestLine: 107 }).error?.status).toBe(414);
      // An endless request-line is cut at the limit, without waiting for its end.
      expect(parse(kind, `GET /${long(200)}`, { maxRequestLine: 100 }).error?.codeName).toBe("REQUEST_LINE_TOO_LONG");
      // Bytes that cannot start a known method are refused at once, before any limit.
      expect(parse(kind, `${long(200)}`, { maxRequestLine: 100 }).error?.codeName).toBe("UNKNOWN_METHOD");
    });
    it("total head size (431), default 16 KiB", () => {
      const head = `GET / HTTP/1.1\r\n${H}X: ${long(100)}\r\n\r\n`;
      expect(parse(kind, head, { maxHeaderSize: head.length }).error).toBeNull();
      expect(parseEverySplit(kind, head, { maxHeaderSize: head.length - 1 }).error?.codeName).toBe("HEADERS_TOO_LARGE");
      const big = `GET / HTTP/1.1\r\n${H}X: ${long(16 * 1024)}\r\n\r\n`;
      expect(parse(kind, big).error?.status).toBe(431);
      // An endless head is cut at the limit, without waiting for its end.
      const endless = `GET / HTTP/1.1\r\n${H}${"X: y\r\n".repeat(3000)}`;
      expect(parse(kind, endless, { maxHeaders: 10000 }).error?.codeName).toBe("HEADERS_TOO_LARGE");
    });
    it("header count (431), default 100", () => {
      const n = (k: number) => `GET / HTTP/1.1\r\n${H}${Array.from({ length: k - 1 }, (_, i) => `X-${i}: v\r\n`).join("")}\r\n`;
      expect(parse(kind, n(100)).error).toBeNull();
      expect(parse(kind, n(100)).heads[0].headers).toHaveLength(100);
      expect(parse(kind, n(101)).error?.codeName).toBe("TOO_MANY_HEADERS");
      expect(parse(kind, n(5), { maxHeaders: 4 }).error?.status).toBe(431);
    });
    it("chunk-extension bytes per chunk (413)", () => {
      const ext = `;a=${long(20)}`;
      const req = `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3${ext}\r\nabc\r\n0${ext}\r\n\r\n`;
      expect(parse(kind, req, { maxChunkExtension: ext.length }).error).toBeNull();
      expect(parseEverySplit(kind, req, { maxChunkExtension: ext.length - 1 }).error?.codeName).toBe("CHUNK_EXTENSION_TOO_LONG");
      expect(parse(kind, `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3;a=${long(50000)}`).error?.status).toBe(413);
    });
    it("body size (413), Content-Length at the head and chunked as it arrives", () => {
      expect(parse(kind, `POST / HTTP/1.1\r\n${H}Content-Length: 10\r\n\r\n0123456789`, { maxBodySize: 10 }).error).toBeNull();
      const cl = parse(kind, `POST / HTTP/1.1\r\n${H}Content-Length: 11\r\n\r\n`, { maxBodySize: 10 });
      expect(cl.error?.codeName).toBe("BODY_TOO_LARGE");
      expect(cl.heads).toHaveLength(0);
      const chunked = `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n6\r\n012345\r\n5\r\n67890\r\n0\r\n\r\n`;
      expect(parse(kind, chunked, { maxBodySize: 11 }).error).toBeNull();
      const over = parseEverySplit(kind, chunked, { maxBodySize: 10 });
      expect(over.error?.codeName).toBe("BODY_TOO_LARGE");
      expect(over.error?.status).toBe(413);
    });
    it("refuses limits that are not non-negative integers", () => {
      expect(() => createParser(kind, { maxHeaders: -1 })).toThrow(RangeError);
      expect(() => createParser(kind, { maxRequestLine: 1.5 })).toThrow(/maxRequestLine/);
    });
  });

  describe("body framing", () => {
    it("none: a request without Content-Length or Transfer-Encoding has no body", () => {
      const seen = parseEverySplit(kind, `GET / HTTP/1.1\r\n${H}\r\n`);
      expect(seen.heads[0].framing).toBe("none");
      expect(seen.heads[0].contentLength).toBe(-1);
      expect(seen.bodies).toEqual([""]);
    });
    it("Content-Length, including 0 and leading zeros", () => {
      const seen = parseEverySplit(kind, `POST /a HTTP/1.1\r\n${H}Content-Length: 005\r\n\r\nhelloPOST /b HTTP/1.1\r\n${H}Content-Length: 0\r\n\r\n`);
      expect(seen.heads.map((h) => [h.target, h.framing, h.contentLength])).toEqual([["/a", "length", 5], ["/b", "length", 0]]);
      expect(seen.bodies).toEqual(["hello", ""]);
    });
    it("a large Content-Length is carried exactly", () => {
      const seen = parse(kind, `POST / HTTP/1.1\r\n${H}Content-Length: 9007199254740991\r\n\r\nab`, { maxBodySize: Infinity });
      expect(seen.heads[0].contentLength).toBe(9007199254740991);
      expect(seen.ends).toHaveLength(0);
    });
    it("chunked, with extensions (token and quoted) and trailers", () => {
      const req = `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5;a=b;c="d \\"e\\"";f\r\nhello\r\nA\r\n, world!!!\r\n0;last\r\nDigest: x\r\nExpires: never \r\n\r\n`;
      const seen = parseEverySplit(kind, req);
      expect(seen.heads[0].framing).toBe("chunked");
      expect(seen.bodies).toEqual(["hello, world!!!"]);
      expect(seen.ends).toEqual([[["Digest", "x"], ["Expires", "never"]]]);
    });
    it("Transfer-Encoding is matched case-insensitively, with empty list elements", () => {
      const seen = parseEverySplit(kind, `POST / HTTP/1.1\r\n${H}transfer-encoding: , CHUNKED \r\n\r\n0\r\n\r\n`);
      expect(seen.error).toBeNull();
      expect(seen.heads[0].framing).toBe("chunked");
    });
    it("body bytes reach the sink without waiting for the whole body", () => {
      const seen = parse(kind, `POST / HTTP/1.1\r\n${H}Content-Length: 10\r\n\r\n01234`);
      expect(seen.heads).toHaveLength(1);
      expect(seen.ends).toHaveLength(0);
      const bodies: string[] = [];
      const parser = createParser(kind);
      const conn = parser.createConnection();
      const sink = { onHead() {}, onBody: (b: Uint8Array) => bodies.push(Buffer.from(b).toString()), onEnd() {}, onError(e: Error) { throw e; } };
      parser.execute(conn, Buffer.from(`POST / HTTP/1.1\r\n${H}Content-Length: 10\r\n\r\n01234`), sink);
      parser.execute(conn, Buffer.from("567"), sink);
      parser.execute(conn, Buffer.from("89GET"), sink);
      expect(bodies).toEqual(["01234", "567", "89"]);
      expect(conn.idle).toBe(false); // "GET" of the next request is kept
    });
  });

  describe("connection semantics", () => {
    const head = (input: string) => parseEverySplit(kind, input).heads[0];
    it("HTTP/1.1 keeps the connection open unless Connection: close", () => {
      expect(head(`GET / HTTP/1.1\r\n${H}\r\n`).keepAlive).toBe(true);
      expect(head(`GET / HTTP/1.1\r\n${H}Connection: close\r\n\r\n`).keepAlive).toBe(false);
      expect(head(`GET / HTTP/1.1\r\n${H}Connection: Keep-Alive, CLOSE\r\n\r\n`).keepAlive).toBe(false);
      expect(head(`GET / HTTP/1.1\r\n${H}Connection: closed\r\n\r\n`).keepAlive).toBe(true);
    });
    it("HTTP/1.0 closes unless Connection: keep-alive", () => {
      expect(head(`GET / HTTP/1.0\r\n\r\n`).keepAlive).toBe(false);
      expect(head(`GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n`).keepAlive).toBe(true);
      expect(head(`GET / HTTP/1.0\r\nConnection: foo,  keep-alive \r\n\r\n`).keepAlive).toBe(true);
      expect(head(`GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n`).keepAlive).toBe(false);
    });
    it("HTTP/1.0 does not need Host", () => {
      expect(parse(kind, `GET / HTTP/1.0\r\n\r\n`).error).toBeNull();
    });
    it("Expect: 100-continue, and other expectations", () => {
      const h = head(`POST / HTTP/1.1\r\n${H}Expect: 100-Continue\r\nContent-Length: 2\r\n\r\nhi`);
      expect([h.expectContinue, h.expectOther]).toEqual([true, false]);
      const o = head(`POST / HTTP/1.1\r\n${H}Expect: teapot\r\nContent-Length: 2\r\n\r\nhi`);
      expect([o.expectContinue, o.expectOther]).toEqual([false, true]);
      expect(head(`GET / HTTP/1.1\r\n${H}\r\n`).expectContinue).toBe(false);
    });
    it("Upgrade: hands over after the message, and reports where the new protocol starts", () => {
      const req = `GET /ws HTTP/1.1\r\n${H}Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n`;
      const seen = parseEverySplit(kind, req + "\x81\x05hello");
      expect(seen.heads[0].upgrade).toBe(true);
      expect(seen.upgraded).toBe(true);
      expect(seen.used).toEqual([req.length]);
      // Upgrade without the connection option, or in HTTP/1.0, is ignored (RFC 9110 §7.8).
      expect(head(`GET / HTTP/1.1\r\n${H}Upgrade: websocket\r\n\r\n`).upgrade).toBe(false);
      expect(head(`GET / HTTP/1.0\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n`).upgrade).toBe(false);
    });
    it("an empty Upgrade list proposes no protocol: no hand-off, the next request is parsed (RFC 9110 §7.8)", () => {
      for (const value of ["", " , ,", ","]) {
        const seen = parseEverySplit(kind, `GET / HTTP/1.1\r\n${H}Connection: upgrade\r\nUpgrade:${value}\r\n\r\nGET /next HTTP/1.1\r\n${H}\r\n`);
        expect(seen.upgraded, JSON.stringify(value)).toBe(false);
        expect(seen.heads.map((h) => [h.target, h.upgrade])).toEqual([["/", false], ["/next", false]]);
      }
      expect(head(`GET / HTTP/1.1\r\n${H}Connection: upgrade\r\nUpgrade: , h2c\r\n\r\n`).upgrade).toBe(true);
    });
    it("Upgrade with a body: the body is read first", () => {
      const req = `POST / HTTP/1.1\r\n${H}Connection: upgrade\r\nUpgrade: x\r\nContent-Length: 3\r\n\r\nabc`;
      const seen = parse(kind, req + "NEWPROTO");
      expect(seen.bodies).toEqual(["abc"]);
      expect(seen.used).toEqual([req.length]);
    });
    it("CONNECT: a tunnel with no body; execute returns where the tunnel bytes start", () => {
      const req = `CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nContent-Length: 5\r\n\r\n`;
      const seen = parseEverySplit(kind, req + "\x16\x03\x01");
      expect(seen.heads[0]).toMatchObject({ method: "CONNECT", target: "example.com:443", upgrade: true, framing: "none" });
      expect(seen.bodies).toEqual([""]);
      expect(seen.used).toEqual([req.length]);
      // Later calls do nothing: the bytes are the tunnel's.
      const parser = createParser(kind);
      const conn = parser.createConnection();
      const sink = { onHead() {}, onBody() {}, onEnd() {}, onError(e: Error) { throw e; } };
      expect(parser.execute(conn, Buffer.from(req + "xy"), sink)).toBe(req.length);
      expect(parser.execute(conn, Buffer.from("more"), sink)).toBe(0);
    });
    it("after an error, nothing more is parsed (no smuggling)", () => {
      const parser = createParser(kind);
      const conn = parser.createConnection();
      const heads: string[] = [];
      const errors: number[] = [];
      const sink = { onHead: (h: RequestHead) => heads.push(h.target), onBody() {}, onEnd() {}, onError: (e: HttpParseError) => errors.push(e.code) };
      parser.execute(conn, Buffer.from(`GET /a HTTP/1.1\r\n${H}\r\nGET /b HTTP/1.1\r\n${H}Content-Length: 1\r\nContent-Length: 2\r\n\r\nGET /c HTTP/1.1\r\n${H}\r\n`), sink);
      parser.execute(conn, Buffer.from(`GET /d HTTP/1.1\r\n${H}\r\n`), sink);
      expect(heads).toEqual(["/a"]);
      expect(errors).toEqual([ParseError.DUPLICATE_CONTENT_LENGTH]);
      expect(conn.error?.code).toBe(ParseError.DUPLICATE_CONTENT_LENGTH);
    });
  });

  describe("request-line and fields", () => {
    it("reads method, target, version and fields; values lose surrounding whitespace, names keep their case", () => {
      const seen = parseEverySplit(kind, `\r\n\r\nDELETE http://x.org/a?b=c#d HTTP/1.0\r\nX-A:\t 1 2 \t\r\nEmpty:\r\nHost: h\r\n\r\n`);
      expect(seen.heads[0]).toMatchObject({ method: "DELETE", target: "http://x.org/a?b=c#d", version: "1.0" });
      expect(seen.heads[0].headers).toEqual([["X-A", "1 2"], ["Empty", ""], ["Host", "h"]]);
    });
    it("rejects an absolute-form authority with a byte RFC 3986 §3.2 does not allow there; path and query pass through", () => {
      for (const c of ['"', "<", ">", "\\", "^", "`", "{", "|", "}"]) {
        expect(parse(kind, `GET http://a${c}b/ HTTP/1.1\r\n${H}\r\n`).error?.codeName, c).toBe("INVALID_TARGET");
      }
      for (const t of ["http://[::1]:8080/", "http://u:p@a.b-c_d~e!$&'()*+,;=%41:1", "http://h/\\{|}^?`<>", "http://h?x=\\{", "urn:x\\y"]) {
        const seen = parse(kind, `GET ${t} HTTP/1.1\r\n${H}\r\n`);
        expect(seen.error, t).toBeNull();
        expect(seen.heads[0].target).toBe(t);
      }
    });
    it("refuses a request-target as soon as it cannot become one of the four forms, not at its end", () => {
      for (const t of ["(", "*x", "ht!p", "1http:", "http://a\\"]) {
        expect(parse(kind, `GET ${t}`).error?.codeName, t).toBe("INVALID_TARGET");
        expect(parse(kind, `GET ${t} HTTP/1.1\r\n${H}\r\n`).error?.codeName, t).toBe("INVALID_TARGET");
      }
      for (const t of ["/", "*", "http", "http:/x(", "urn:a", "http://a"]) expect(parse(kind, `GET ${t}`).error, t).toBeNull();
      expect(parse(kind, "CONNECT (").error).toBeNull(); // authority-form is not checked here
    });
    it("skips CR and LF bytes before a request-line (RFC 9112 §2.2), not inside a head", () => {
      const seen = parseEverySplit(kind, `\n\r\r\nGET /a HTTP/1.1\r\n${H}\r\n\r\n\nGET /b HTTP/1.1\r\n${H}\r\n`);
      expect(seen.error).toBeNull();
      expect(seen.heads.map((h) => h.target)).toEqual(["/a", "/b"]);
    });
    it("accepts obs-text (bytes 0x80-0xFF) in values, read as latin1", () => {
      const seen = parse(kind, Buffer.concat([Buffer.from(`GET / HTTP/1.1\r\n${H}X: `), Buffer.from("Düsseldorf"), Buffer.from("\r\n\r\n")]));
      expect(Buffer.from(seen.heads[0].headers[1][1], "latin1").toString("utf8")).toBe("Düsseldorf");
    });
    it("accepts every method of the table", () => {
      for (const m of pkg.METHODS.slice(1)) {
        const seen = parse(kind, `${m} * HTTP/1.1\r\n${H}\r\n`);
        expect(seen.error, m).toBeNull();
        expect(seen.heads[0].method).toBe(m);
      }
    });
    it("header lookup is case-insensitive and lazy", () => {
      const parser = createParser(kind);
      const conn = parser.createConnection();
      let got: unknown[] = [];
      parser.execute(conn, Buffer.from(`GET / HTTP/1.1\r\nHost: a\r\nX-Token: 1\r\nx-token: 2\r\n\r\n`), {
        onHead(h) {
          got = [h.headers.get("x-TOKEN"), h.headers.getAll("X-Token"), h.headers.has("host"), h.headers.get("missing"), h.headers.indexOf("X-Token"), h.headers.length, h.headers.name(1)];
        },
        onBody() {}, onEnd() {}, onError(e) { throw e; },
      });
      expect(got).toEqual(["1", ["1", "2"], true, null, 1, 3, "X-Token"]);
    });
  });

  describe("pipelining and incremental input", () => {
    it("parses several pipelined requests in one call, in order", () => {
      const one = (i: number) => `GET /${i} HTTP/1.1\r\n${H}\r\n`;
      const seen = parse(kind, Array.from({ length: 40 }, (_, i) => one(i)).join(""));
      expect(seen.heads.map((h) => h.target)).toEqual(Array.from({ length: 40 }, (_, i) => `/${i}`));
    });
    it("parses more pipelined requests than its tables hold in one run", () => {
      const one = `POST /x HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n1\r\na\r\n1\r\nb\r\n0\r\n\r\n`;
      const seen = parse(kind, one.repeat(2000));
      expect(seen.error).toBeNull();
      expect(seen.heads).toHaveLength(2000);
      expect(seen.bodies.every((b) => b === "ab")).toBe(true);
    });
    it("a mixed pipeline gives the same result for every split", () => {
      const req =
        `POST /a HTTP/1.1\r\n${H}Content-Length: 3\r\n\r\nabc` +
        `PUT /b HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n2;x=y\r\nde\r\n0\r\nT: 1\r\n\r\n` +
        `\r\nGET /c HTTP/1.1\r\n${H}Connection: close\r\n\r\n`;
      const seen = parseEverySplit(kind, req);
      expect(seen.heads.map((h) => h.target)).toEqual(["/a", "/b", "/c"]);
      expect(seen.bodies).toEqual(["abc", "de", ""]);
      expect(seen.ends).toEqual([null, [["T", "1"]], null]);
      expect(seen.error).toBeNull();
    });
    it("a long head sent one byte at a time: same result, one parse per line, limits still enforced", () => {
      const head = `GET /slow HTTP/1.1\r\n${H}${`X-Long: ${"w".repeat(100)}\r\n`.repeat(40)}\r\n`;
      const bytes = Array.from({ length: head.length - 1 }, (_, i) => i + 1);
      const seen = parse(kind, head, {}, bytes);
      expect(seen.error).toBeNull();
      expect(seen.heads).toHaveLength(1);
      expect(seen.heads[0].headers).toHaveLength(41);
      expect(seen.heads[0].headers[40]).toEqual(["X-Long", "w".repeat(100)]);
      // A bad byte in the unfinished last line of a long head is reported at the latest when the line ends.
      const bad = `GET / HTTP/1.1\r\n${H}${`X: ${"v".repeat(100)}\r\n`.repeat(20)}Y: a\x01b\r\n\r\n`;
      expect(parse(kind, bad, {}, Array.from({ length: bad.length - 1 }, (_, i) => i + 1)).error?.codeName).toBe("INVALID_HEADER_VALUE");
      // A head that never ends is cut at the size limit.
      const endless = `GET / HTTP/1.1\r\n${H}X: ${"z".repeat(5000)}`;
      expect(parse(kind, endless, { maxHeaderSize: 4096 }, Array.from({ length: endless.length - 1 }, (_, i) => i + 1)).error?.codeName).toBe("HEADERS_TOO_LARGE");
    });
    it("keeps nothing between requests: an idle connection holds no bytes", () => {
      const parser = createParser(kind);
      const conn = parser.createConnection();
      const sink = { onHead() {}, onBody() {}, onEnd() {}, onError(e: Error) { throw e; } };
      parser.execute(conn, Buffer.from(`GET / HTTP/1.1\r\n${H}\r\nGET / HT`), sink);
      expect(conn.idle).toBe(false);
      expect(conn.pending).toHaveLength(8);
      parser.execute(conn, Buffer.from(`TP/1.1\r\n${H}\r\n`), sink);
      expect(conn.idle).toBe(true);
      expect(conn.pending).toBeNull();
    });
    it("one parser serves many connections, each with its own state", () => {
      const parser = createParser(kind);
      const a = parser.createConnection(), b = parser.createConnection();
      const targets: string[] = [];
      const sink = { onHead: (h: RequestHead) => targets.push(h.target), onBody: (x: Uint8Array) => targets.push(Buffer.from(x).toString()), onEnd() {}, onError(e: Error) { throw e; } };
      parser.execute(a, Buffer.from(`POST /a HTTP/1.1\r\n${H}Content-Length: 4\r\n\r\nab`), sink);
      parser.execute(b, Buffer.from(`GET /b HTTP/1.1\r\nHo`), sink);
      parser.execute(a, Buffer.from(`cd`), sink);
      parser.execute(b, Buffer.from(`st: x\r\n\r\n`), sink);
      expect(targets).toEqual(["/a", "ab", "cd", "/b"]);
    });
  });

  describe("lazy views", () => {
    it("a head is valid until the next execute; retain() keeps it", () => {
      const parser = createParser(kind);
      const conn = parser.createConnection();
      const heads: RequestHead[] = [];
      const sink = { onHead: (h: RequestHead) => heads.push(h), onBody() {}, onEnd() {}, onError(e: Error) { throw e; } };
      parser.execute(conn, Buffer.from(`GET /kept HTTP/1.1\r\nHost: a\r\nX: 1\r\n\r\nGET /dropped HTTP/1.1\r\n${H}\r\n`), sink);
      heads[0].retain();
      parser.execute(conn, Buffer.from(`GET /other HTTP/1.1\r\nHost: zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\r\n\r\n`), sink);
      expect(heads[0].target).toBe("/kept");
      expect([...heads[0].headers.entries()]).toEqual([["Host", "a"], ["X", "1"]]);
      expect(Buffer.from(heads[0].raw).toString()).toBe("GET /kept HTTP/1.1\r\nHost: a\r\nX: 1\r\n\r\n");
      expect(() => heads[1].target).toThrow(/retain\(\)/);
      expect(() => heads[1].headers.get("host")).toThrow(/after the next execute/);
      expect(heads[2].target).toBe("/other");
    });

    it("a head kept in its chunk (retainInChunk) reads the same before and after later executes, pending bytes and all", () => {
      const parser = createParser(kind);
      const conn = parser.createConnection();
      const kept: RequestHead[] = [];
      const sink = { onHead: (h: RequestHead) => kept.push(parser.retainInChunk(h)), onBody() {}, onEnd() {}, onError(e: Error) { throw e; } };
      const fields = (i: number) => Array.from({ length: i }, (_, k) => `X-F${k}:  v${i}-${k} \t\r\n`).join("");
      const req = (i: number) => `GET /r${i}?q=${i} HTTP/1.1\r\nHost: h${i}\r\n${fields(i)}\r\n`;
      // Three heads in one chunk; the third starts here and ends in the next chunk.
      const first = Buffer.from(req(0) + req(5) + req(2).slice(0, 20), "latin1");
      parser.execute(conn, first, sink);
      const fresh = kept.map((h) => ({ target: h.target, fields: [...h.headers.entries()], raw: Buffer.from(h.raw).toString("latin1") }));
      parser.execute(conn, Buffer.from(req(2).slice(20) + req(9), "latin1"), sink);
      expect(kept.length).toBe(4);
      // Read only now, after the parse buffer moved on: each head parses its kept bytes again.
      for (let i = 2; i < 4; i++) fresh.push({ target: kept[i]!.target, fields: [...kept[i]!.headers.entries()], raw: Buffer.from(kept[i]!.raw).toString("latin1") });
      parser.execute(conn, Buffer.from(`GET /later HTTP/1.1\r\nHost: zzzzzzzzzzzzzzzzzzzzzzzzzzzzz\r\nA: b\r\n\r\n`), sink);
      for (const [j, i] of [0, 5, 2, 9].entries()) {
        const h = kept[j]!;
        const want = { target: `/r${i}?q=${i}`, fields: [["Host", `h${i}`], ...Array.from({ length: i }, (_, k) => [`X-F${k}`, `v${i}-${k}`])], raw: req(i) };
        expect(fresh[j]).toEqual(want);
        expect({ target: h.target, fields: [...h.headers.entries()], raw: Buffer.from(h.raw).toString("latin1") }).toEqual(want);
        expect(h.headers.get(`x-f${i - 1}`)).toBe(i > 0 ? `v${i}-${i - 1}` : null);
        expect(h.retain()).toBe(h);
      }
    });
  });
});

describe("parseRequest and the package exports", () => {
  it("parses one complete request on either core", () => {
    for (const kind of ["ts", "wasm"] as const) {
      const { head, body, trailers, consumed } = parseRequest(Buffer.from(`POST /x HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\nT: v\r\n\r\nGET /next HTTP/1.1\r\n`), { kind });
      expect([head.method, head.target, Buffer.from(body).toString(), trailers?.get("t")]).toEqual(["POST", "/x", "hi", "v"]);
      expect(consumed).toBeGreaterThan(0);
    }
  });
  it("throws HttpParseError with status for a bad request, and an Error for an incomplete one", () => {
    expect(() => parseRequest(Buffer.from("GET / HTTP/1.1\r\n\r\n"))).toThrow(HttpParseError);
    try {
      parseRequest(Buffer.from(`GET / HTTP/1.1\r\n${H}Foo : bar\r\n\r\n`));
    } catch (e) {
      expect((e as HttpParseError).status).toBe(400);
      expect((e as HttpParseError).codeName).toBe("SPACE_BEFORE_COLON");
    }
    expect(() => parseRequest(Buffer.from(`GET / HTTP/1.1\r\n${H}`))).toThrow(/incomplete/);
  });
  it("exports the parser surface from the package", () => {
    expect(pkg.createParser).toBe(createParser);
    expect(pkg.parseRequest).toBe(parseRequest);
    expect(pkg.HttpParseError).toBe(HttpParseError);
    expect(pkg.ERROR_STATUS[pkg.ParseError.TOO_MANY_HEADERS]).toBe(431);
    expect(() => createParser("nope" as ParserKind)).toThrow(/unknown parser kind/);
  });
});
