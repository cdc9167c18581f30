/**
 * The parser in response mode (src/http/parser/response.ts), on both cores:
 * generated pipelined response sequences checked against what the generator
 * encoded, whole, byte by byte and cut at random points, the two cores
 * against each other, and the rules of RFC 9112 §4 and §6.3 one by one
 * (status-line, no-body responses, framing, limits, upgrade, EOF).
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { createResponseParser, DEFAULT_RESPONSE_LIMITS, type HeaderList, type ResponseHead, type ResponseSink } from "../../../src/http/parser/parser.js";
import { HttpParseError } from "../../../src/http/parser/parse-error.js";
import { observe, parserFor, piecesOf, sequence } from "../response-gen.js";

const KINDS = ["wasm", "ts"] as const;
const b = (s: string) => Buffer.from(s, "latin1");

/** Every byte on its own. */
const bytewise = (wire: Uint8Array) => Array.from({ length: wire.length - 1 }, (_, i) => i + 1);

/** Parse `text` whole and byte by byte; both must agree; returns the verdict "ok ..." or the error code. */
function verdict(kind: (typeof KINDS)[number], text: string, methods: string[] = ["GET"], limits = {}): string {
  const wire = b(text);
  const whole = observe(kind, methods, [wire], true, limits);
  const split = observe(kind, methods, piecesOf(wire, bytewise(wire)), true, limits);
  expect(split).toEqual(whole);
  if (whole.error !== null) return whole.error;
  return whole.responses.map((r) => `${r.status} ${r.framing}${r.keepAlive ? " ka" : ""}${r.body ? ` ${Buffer.from(r.body, "hex").toString("latin1")}` : ""}`).join(" | ");
}

describe.each(KINDS)("response mode, %s core", (kind) => {
  test.prop([sequence, fc.array(fc.nat(4000), { maxLength: 6 })], { numRuns: 150 })("pipelined sequences parse as generated, whole and cut anywhere", (seq, cuts) => {
    const want = { responses: seq.expected, error: null, upgradeAt: null, pending: 0 };
    expect(observe(kind, seq.methods, [seq.wire], true)).toEqual(want);
    expect(observe(kind, seq.methods, piecesOf(seq.wire, cuts), true)).toEqual(want);
  });

  test.prop([sequence.filter((s) => s.wire.length <= 600)], { numRuns: 25 })("small sequences parse as generated when cut at every byte, and in two at every offset", (seq) => {
    const want = { responses: seq.expected, error: null, upgradeAt: null, pending: 0 };
    expect(observe(kind, seq.methods, piecesOf(seq.wire, bytewise(seq.wire)), true)).toEqual(want);
    for (let i = 1; i < seq.wire.length; i += 7) expect(observe(kind, seq.methods, piecesOf(seq.wire, [i]), true)).toEqual(want);
  });

  it("skips no body after HEAD, 1xx, 204 and 304, whatever the framing fields say", () => {
    expect(verdict(kind, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", ["HEAD"])).toBe("200 none ka");
    expect(verdict(kind, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", ["HEAD"])).toBe("200 none ka");
    expect(verdict(kind, "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n")).toBe("204 none ka");
    expect(verdict(kind, "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n")).toBe("304 none ka");
    expect(verdict(kind, "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", ["DELETE", "GET"])).toBe("204 none ka | 200 length ka x");
    expect(verdict(kind, "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx")).toBe("103 none ka | 200 length ka x");
  });

  it("frames by Transfer-Encoding first, then Content-Length, else until close (RFC 9112 §6.3)", () => {
    expect(verdict(kind, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n2\r\nhi\r\n0\r\n\r\n")).toBe("200 chunked hi");
    expect(verdict(kind, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n")).toBe("200 chunked hi");
    expect(verdict(kind, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nraw bytes")).toBe("200 close raw bytes");
    expect(verdict(kind, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\nraw")).toBe("200 close raw");
    // A malformed Transfer-Encoding (refused in a request) leaves chunked not known to be last: until close.
    expect(verdict(kind, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked;x=1\r\n\r\nraw")).toBe("200 close raw");
    expect(verdict(kind, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked chunked\r\n\r\nraw")).toBe("200 close raw");
    // Transfer-Encoding in HTTP/1.0 is faulty framing (RFC 9112 §6.1): close after the message.
    expect(verdict(kind, "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")).toBe("200 chunked");
    expect(verdict(kind, "HTTP/1.1 200 OK\r\n\r\nuntil the end")).toBe("200 close until the end");
    expect(verdict(kind, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nhi")).toBe("200 length ka hi");
    expect(verdict(kind, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")).toBe("200 length ka");
    expect(verdict(kind, "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi")).toBe("200 length hi");
    expect(verdict(kind, "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nhi")).toBe("200 length ka hi");
    expect(verdict(kind, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi")).toBe("200 length hi");
  });

  it.each([
    ["HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nhi", "DUPLICATE_CONTENT_LENGTH"],
    ["HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nhi", "INVALID_CONTENT_LENGTH"],
    ["HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "INVALID_CONTENT_LENGTH"],
    ["HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", "INVALID_CONTENT_LENGTH"],
    ["HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n", "INVALID_CONTENT_LENGTH"],
    ["HTTP/2.0 200 OK\r\n\r\n", "UNSUPPORTED_VERSION"],
    ["HTTP/1.2 200 OK\r\n\r\n", "UNSUPPORTED_VERSION"],
    ["HTTP/0.9 200 OK\r\n\r\n", "UNSUPPORTED_VERSION"],
    ["HTTPS/1.1 200 OK\r\n\r\n", "INVALID_VERSION"],
    ["http/1.1 200 OK\r\n\r\n", "INVALID_VERSION"],
    ["HTTP/1.x 200 OK\r\n\r\n", "INVALID_VERSION"],
    ["HTTP/1.1  200 OK\r\n\r\n", "INVALID_STATUS"],
    ["HTTP/1.1\t200 OK\r\n\r\n", "INVALID_STATUS_LINE"],
    ["HTTP/1.1\r\n\r\n", "INVALID_STATUS_LINE"],
    ["HTTP/1.1 20 OK\r\n\r\n", "INVALID_STATUS"],
    ["HTTP/1.1 2000 OK\r\n\r\n", "INVALID_STATUS"],
    ["HTTP/1.1 099 OK\r\n\r\n", "INVALID_STATUS"],
    ["HTTP/1.1 2x0 OK\r\n\r\n", "INVALID_STATUS"],
    ["HTTP/1.1 200\tOK\r\n\r\n", "INVALID_STATUS"],
    ["HTTP/1.1 200 O\x01K\r\n\r\n", "INVALID_STATUS_LINE"],
    ["HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", "INVALID_LINE_ENDING"],
    ["HTTP/1.1 200\n\r\n", "INVALID_LINE_ENDING"],
    ["HTTP/1.1 200 OK\rX", "INVALID_LINE_ENDING"],
    ["HTTP/1.1 200 OK\r\nX: 1\n\r\n", "INVALID_LINE_ENDING"],
    ["HTTP/1.1 200 OK\r\n Folded: 1\r\n\r\n", "OBS_FOLD"],
    ["HTTP/1.1 200 OK\r\nBad@Name: 1\r\n\r\n", "INVALID_HEADER_NAME"],
    ["HTTP/1.1 200 OK\r\nName : 1\r\n\r\n", "SPACE_BEFORE_COLON"],
    ["HTTP/1.1 200 OK\r\nX: a\x00b\r\n\r\n", "INVALID_HEADER_VALUE"],
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "INVALID_CHUNK_SIZE"],
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhiX", "MISSING_CHUNK_CRLF"],
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;\r\nhi\r\n", "INVALID_CHUNK_EXTENSION"],
    ["HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxHTTP/1.1 200 OK\r\n\r\n", "UNEXPECTED_RESPONSE"],
    ["HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nxy", "DATA_AFTER_CLOSE"],
    ["HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx\r\n\r\nHTTP/1.1 200 OK\r\n", "DATA_AFTER_CLOSE"],
  ])("rejects %j with %s, whole and byte by byte", (text, code) => {
    expect(verdict(kind, text)).toBe(code);
  });

  it("parses a long head fed a byte at a time (appended, parsed again per line), and still refuses a bad byte in it", () => {
    const fields = Array.from({ length: 60 }, (_, i) => `X-Field-${i}: ${"v".repeat(40)}\r\n`).join("");
    const good = `HTTP/1.1 200 OK\r\n${fields}Content-Length: 3\r\n\r\nabc`;
    expect(good.length).toBeGreaterThan(3000);
    expect(verdict(kind, good)).toBe("200 length ka abc");
    const seen = observe(kind, ["GET"], piecesOf(b(good), bytewise(b(good))), true);
    expect(seen.responses[0].headers).toHaveLength(61);
    expect(seen.responses[0].headers[59]).toEqual(["X-Field-59", "v".repeat(40)]);
    expect(verdict(kind, good.replace("X-Field-50: v", "X-Field-50: \x01"))).toBe("INVALID_HEADER_VALUE");
    expect(verdict(kind, good, ["GET"], { maxHeaderSize: 2048 })).toBe("HEADERS_TOO_LARGE");
  });

  it("accepts a status-line without a reason, with or without its SP, and keeps the reason as sent", () => {
    expect(verdict(kind, "HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n")).toBe("200 length ka");
    expect(verdict(kind, "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n")).toBe("200 length ka");
    const seen = observe(kind, ["GET"], [b("HTTP/1.1 404  Not\tFound \xff\r\nContent-Length: 0\r\n\r\n")], false);
    expect(seen.responses[0].reason).toBe(" Not\tFound \xff");
  });

  it("skips empty lines before a response, as before a request", () => {
    expect(verdict(kind, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\ny", ["GET", "GET"])).toBe("200 length ka x | 200 length ka y");
  });

  it("refuses a response when nothing was expected, and one beyond those expected", () => {
    expect(verdict(kind, "HTTP/1.1 200 OK\r\n\r\n", [])).toBe("UNEXPECTED_RESPONSE");
    expect(verdict(kind, "H", [])).toBe("UNEXPECTED_RESPONSE");
    expect(verdict(kind, "\r\n\r\n", [])).toBe("");
  });

  it("enforces each limit with its own code, and accepts what is just under it", () => {
    const line = "HTTP/1.1 200 " + "r".repeat(20);
    expect(verdict(kind, `${line}\r\nContent-Length: 0\r\n\r\n`, ["GET"], { maxStatusLine: line.length })).toBe("200 length ka");
    expect(verdict(kind, `${line}\r\nContent-Length: 0\r\n\r\n`, ["GET"], { maxStatusLine: line.length - 1 })).toBe("STATUS_LINE_TOO_LONG");
    expect(verdict(kind, "HTTP/1.1 200 OK\r\n\r\n", ["GET"], { maxStatusLine: 5 })).toBe("STATUS_LINE_TOO_LONG");
    const head = "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nContent-Length: 0\r\n\r\n";
    expect(verdict(kind, head, ["GET"], { maxHeaderSize: head.length })).toBe("200 length ka");
    expect(verdict(kind, head, ["GET"], { maxHeaderSize: head.length - 1 })).toBe("HEADERS_TOO_LARGE");
    expect(verdict(kind, head, ["GET"], { maxHeaders: 3 })).toBe("200 length ka");
    expect(verdict(kind, head, ["GET"], { maxHeaders: 2 })).toBe("TOO_MANY_HEADERS");
    const trailers = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
    expect(verdict(kind, trailers, ["GET"], { maxHeaders: 2 })).toBe("TOO_MANY_HEADERS");
    const ext = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;abc=def\r\nx\r\n0\r\n\r\n";
    expect(verdict(kind, ext, ["GET"], { maxChunkExtension: 8 })).toBe("200 chunked ka x");
    expect(verdict(kind, ext, ["GET"], { maxChunkExtension: 7 })).toBe("CHUNK_EXTENSION_TOO_LONG");
    expect(verdict(kind, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc", ["GET"], { maxBodySize: 3 })).toBe("200 length ka abc");
    expect(verdict(kind, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabcd", ["GET"], { maxBodySize: 3 })).toBe("BODY_TOO_LARGE");
    expect(verdict(kind, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n", ["GET"], { maxBodySize: 3 })).toBe("BODY_TOO_LARGE");
    expect(verdict(kind, "HTTP/1.1 200 OK\r\n\r\nabc", ["GET"], { maxBodySize: 3 })).toBe("200 close abc");
    expect(verdict(kind, "HTTP/1.1 200 OK\r\n\r\nabcd", ["GET"], { maxBodySize: 3 })).toBe("BODY_TOO_LARGE");
    // A HEAD response's Content-Length announces no body here: no limit applies to it.
    expect(verdict(kind, "HTTP/1.1 200 OK\r\nContent-Length: 4000\r\n\r\n", ["HEAD"], { maxBodySize: 3 })).toBe("200 none ka");
    expect(DEFAULT_RESPONSE_LIMITS).toEqual({ maxStatusLine: 8192, maxHeaderSize: 16384, maxHeaders: 100, maxChunkExtension: 4096, maxBodySize: Infinity });
    expect(() => createResponseParser(kind, { maxHeaders: -1 })).toThrow(RangeError);
    expect(() => createResponseParser(kind, { maxStatusLine: 1.5 })).toThrow(/maxStatusLine/);
    expect(() => createResponseParser(kind, { maxRequestLine: 5 } as never)).toThrow(/unknown response parser limit maxRequestLine/);
  });

  it("switches protocols after a 101 and after a 2xx to CONNECT, returning where the other protocol starts", () => {
    const ws = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x05hello";
    const headLen = ws.indexOf("\x81");
    for (const [text, methods, at] of [
      [ws, ["GET"], headLen],
      ["HTTP/1.1 200 Connection established\r\n\r\nTUNNEL", ["CONNECT"], 39],
    ] as const) {
      const whole = observe(kind, methods, [b(text)], false);
      expect(whole.upgradeAt).toBe(at);
      expect(whole.pending).toBe(0);
      expect(whole.responses).toHaveLength(1);
      expect(whole.responses[0].framing).toBe("none");
      for (let cut = 1; cut < text.length; cut++) expect(observe(kind, methods, piecesOf(b(text), [cut]), false).upgradeAt).toBe(at);
    }
    // A CONNECT refused is an ordinary response.
    expect(verdict(kind, "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 2\r\n\r\nno", ["CONNECT"])).toBe("407 length ka no");
    const parser = createResponseParser(kind);
    const conn = parser.createConnection();
    conn.expect("GET");
    const sink = sinkOf([]);
    expect(parser.execute(conn, b(ws), sink)).toBe(headLen);
    expect(conn.upgraded).toBe(true);
    expect(parser.execute(conn, b("more"), sink)).toBe(0);
  });

  it("ends a read-until-close body at finish(), reports a response cut short, and does nothing when idle", () => {
    const events: string[] = [];
    const parser = createResponseParser(kind);
    const feed = (text: string, eof: boolean) => {
      const conn = parser.createConnection();
      conn.expect("GET");
      events.length = 0;
      parser.execute(conn, b(text), sinkOf(events));
      if (eof) parser.finish(conn, sinkOf(events));
      return { events: [...events], idle: conn.idle, pending: conn.pending };
    };
    expect(feed("HTTP/1.1 200 OK\r\n\r\nsome bytes", true)).toEqual({ events: ["head 200", "body some bytes", "end"], idle: true, pending: 0 });
    expect(feed("HTTP/1.1 200 OK\r\n\r\nsome bytes", false)).toEqual({ events: ["head 200", "body some bytes"], idle: false, pending: 1 });
    for (const cut of ["HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: 1\r\n", "HTTP/1.1 200 OK\r\nContent-Le", "H"]) {
      const got = feed(cut, true);
      expect(got.events[got.events.length - 1]).toBe("error INCOMPLETE_MESSAGE 502");
      expect(got.pending).toBe(1);
    }
    expect(feed("", true)).toEqual({ events: [], idle: true, pending: 1 });
    expect(feed("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", true)).toEqual({ events: ["head 200", "body x", "end"], idle: true, pending: 0 });
  });

  it("tracks pending requests through interim, pipelined and bodiless responses", () => {
    const parser = createResponseParser(kind);
    const conn = parser.createConnection();
    const events: string[] = [];
    const sink = sinkOf(events);
    for (const m of ["GET", "HEAD", "GET"]) conn.expect(m);
    expect([conn.pending, conn.idle]).toEqual([3, true]);
    parser.execute(conn, b("HTTP/1.1 100 Continue\r\n\r\n"), sink);
    expect(conn.pending).toBe(3);
    parser.execute(conn, b("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab"), sink);
    expect([conn.pending, conn.idle]).toEqual([3, false]);
    parser.execute(conn, b("cdHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nHTTP/1.1 200 OK\r\nContent-"), sink);
    expect([conn.pending, conn.idle]).toEqual([1, false]);
    parser.execute(conn, b("Length: 1\r\n\r\nz"), sink);
    expect([conn.pending, conn.idle]).toEqual([0, true]);
    expect(events).toEqual(["head 100", "head 200", "body ab", "body cd", "end", "head 200", "end", "head 200", "body z", "end"]);
    expect(() => conn.expect("")).toThrow(TypeError);
  });

  it("matches more pipelined requests than one core call takes (EXPECT_CAPACITY) in one chunk", () => {
    const n = 150;
    const methods = Array.from({ length: n }, (_, i) => (i % 3 === 1 ? "HEAD" : "GET"));
    const wire = b(methods.map((m, i) => `HTTP/1.1 200 OK\r\nContent-Length: ${String(i).length}\r\n\r\n${m === "HEAD" ? "" : i}`).join(""));
    const seen = observe(kind, methods, [wire], true);
    expect(seen.error).toBeNull();
    expect(seen.pending).toBe(0);
    expect(seen.responses.map((r) => Buffer.from(r.body!, "hex").toString())).toEqual(methods.map((m, i) => (m === "HEAD" ? "" : String(i))));
  });

  it("hands out body chunks that survive later executes, and retained heads that parser reuse cannot change", () => {
    const parser = createResponseParser(kind);
    const conn = parser.createConnection();
    const kept: Uint8Array[] = [];
    const heads: ResponseHead[] = [];
    const views: ResponseHead[] = [];
    const sink: ResponseSink = {
      onHead: (h) => {
        views.push(h);
        heads.push(h.retain());
      },
      onBody: (c) => void kept.push(c),
      onEnd() {},
      onError: (e) => {
        throw e;
      },
    };
    const one = (i: number) => `HTTP/1.1 2${i}0 R${i}\r\nX-N: ${i}${"x".repeat(i * 10)}\r\nContent-Length: 10\r\n\r\n${String(i).repeat(10)}`;
    for (let i = 0; i < 5; i++) conn.expect("GET");
    const wire = b([0, 1, 2, 3, 4].map(one).join(""));
    const fed: Buffer[] = [];
    for (let i = 0; i < wire.length; i += 7) {
      const piece = Buffer.from(wire.subarray(i, i + 7));
      fed.push(piece);
      parser.execute(conn, piece, sink);
    }
    // The same parser then parses other bytes into the same buffer (for the Wasm core, the same linear memory).
    const other = parser.createConnection();
    other.expect("GET");
    parser.execute(other, b("HTTP/1.1 599 ZZZZZZZZZZZZZZZZZZ\r\nX-N: zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\r\n\r\n"), { onHead() {}, onBody() {}, onEnd() {}, onError() {} });
    expect(heads.map((h) => [h.status, h.reason, h.get("x-n"), Buffer.from(h.raw).toString().split("\r\n")[0]])).toEqual([0, 1, 2, 3, 4].map((i) => [200 + 10 * i, `R${i}`, `${i}${"x".repeat(i * 10)}`, `HTTP/1.1 2${i}0 R${i}`]));
    expect(Buffer.concat(kept).toString()).toBe("00000000001111111111222222222233333333334444444444");
    for (const c of kept) expect(fed.some((p) => p.buffer === c.buffer)).toBe(true);
    // A head that was not retained is a view: reading it after the parser moved on throws, it never shows other bytes.
    const parser2 = createResponseParser(kind);
    const c2 = parser2.createConnection();
    c2.expect("GET");
    c2.expect("GET");
    let view: ResponseHead | null = null;
    parser2.execute(c2, b("HTTP/1.1 200 OK\r\nA: 1\r\nContent-Length: 0\r\n\r\n"), { onHead: (h) => void (view = h), onBody() {}, onEnd() {}, onError() {} });
    parser2.execute(c2, b("HTTP/1.1 500 NO\r\nA: 2\r\nContent-Length: 0\r\n\r\n"), { onHead() {}, onBody() {}, onEnd() {}, onError() {} });
    expect(() => view!.get("a")).toThrow(/view used after the next execute/);
  });

  it("reports errors as HttpParseError with a code, a 502 status for response-only codes, and stops", () => {
    const parser = createResponseParser(kind);
    const conn = parser.createConnection();
    conn.expect("GET");
    const errors: HttpParseError[] = [];
    parser.execute(conn, b("HTTP/1.1 20x OK\r\n"), { onHead() {}, onBody() {}, onEnd() {}, onError: (e) => void errors.push(e) });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(HttpParseError);
    expect([errors[0].codeName, errors[0].status, errors[0].offset]).toEqual(["INVALID_STATUS", 502, 11]);
    expect(errors[0].message).toMatch(/status code/);
    expect(conn.error).toBe(errors[0]);
    expect(parser.execute(conn, b("HTTP/1.1 200 OK\r\n\r\n"), { onHead() {}, onBody() {}, onEnd() {}, onError: (e) => void errors.push(e) })).toBe(0);
    expect(errors).toHaveLength(1);
  });
});

/** Everything a parser of `kind` reports for `pieces`, offsets and consumed counts included. */
function trace(kind: (typeof KINDS)[number], methods: readonly string[], pieces: readonly Uint8Array[], limits = {}): string[] {
  const parser = parserFor(kind, limits);
  const conn = parser.createConnection();
  for (const m of methods) conn.expect(m);
  const out: string[] = [];
  const sink: ResponseSink = {
    onHead: (h) => void out.push(`head ${h.status} ${JSON.stringify(h.reason)} ${h.version} ${h.flags} ${h.contentLength} ${JSON.stringify([...h])}`),
    onBody: (c) => void out.push(`body ${Buffer.from(c).toString("hex")}`),
    onEnd: (t) => void out.push(`end ${t === null ? "" : JSON.stringify([...t])}`),
    onError: (e) => void out.push(`error ${e.codeName} ${e.offset}`),
  };
  for (const piece of pieces) out.push(`used ${parser.execute(conn, piece, sink)} ${conn.pending} ${conn.idle}`);
  parser.finish(conn, sink);
  return out;
}

/** `wire` with a few bytes replaced, inserted or deleted, picked by `edits`. */
function mutate(wire: Buffer, edits: readonly [number, number, number][]): Buffer {
  let out = wire;
  const special = [13, 10, 32, 9, 0, 0x7f, 0xff, 58, 59, 44, 48, 49, 65];
  for (const [kind, pos, byte] of edits) {
    const at = out.length === 0 ? 0 : pos % out.length;
    const value = byte < special.length * 4 ? special[byte % special.length] : byte & 0xff;
    if (kind === 0) out = Buffer.concat([out.subarray(0, at), Buffer.from([value]), out.subarray(at + 1)]);
    else if (kind === 1) out = Buffer.concat([out.subarray(0, at), Buffer.from([value]), out.subarray(at)]);
    else out = Buffer.concat([out.subarray(0, at), out.subarray(at + 1)]);
  }
  return out;
}

describe("response mode, the Wasm core and the TS twin", () => {
  const edit = fc.tuple(fc.integer({ min: 0, max: 2 }), fc.nat(100000), fc.nat(255));
  test.prop([sequence, fc.array(edit, { maxLength: 3 }), fc.nat(100000), fc.constantFrom({}, { maxHeaders: 3 }, { maxStatusLine: 20 }, { maxHeaderSize: 90 }, { maxBodySize: 50 }, { maxChunkExtension: 2 })], { numRuns: 300 })(
    "report the same events, offsets and errors for valid and mutated responses, whole and cut in two",
    (seq, edits, cut, limits) => {
      const wire = mutate(seq.wire, edits);
      const at = wire.length === 0 ? 0 : cut % wire.length;
      const whole = [wire];
      const two = [Buffer.from(wire.subarray(0, at)), Buffer.from(wire.subarray(at))];
      expect(trace("wasm", seq.methods, whole, limits)).toEqual(trace("ts", seq.methods, whole, limits));
      expect(trace("wasm", seq.methods, two, limits)).toEqual(trace("ts", seq.methods, two, limits));
    },
  );
});

/** A sink that logs what it gets as short strings. */
function sinkOf(events: string[]): ResponseSink {
  return {
    onHead: (h: ResponseHead) => void events.push(`head ${h.status}`),
    onBody: (c: Uint8Array) => void events.push(`body ${Buffer.from(c).toString("latin1")}`),
    onEnd: (t: HeaderList | null) => void events.push(t === null ? "end" : `end ${[...t].join(";")}`),
    onError: (e: HttpParseError) => void events.push(`error ${e.codeName} ${e.status}`),
  };
}
