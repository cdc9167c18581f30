// Body chunks a parser reports are views of the caller's own chunk, never of
// the parser's buffer (Wasm memory), so a sink may keep them across executes.
import { describe, expect, it } from "vitest";
import { createParser, type ParserSink } from "../../../src/index.js";

describe.each(["wasm", "ts"] as const)("body views, %s parser", (kind) => {
  const body = "The quick brown fox jumps over the lazy dog";
  const framings = {
    chunked: `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nThe q\r\n${(body.length - 5).toString(16)}\r\n${body.slice(5)}\r\n0\r\n\r\n`,
    length: `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
  };
  it.each(Object.entries(framings))("a sink that keeps every %s body chunk across executes reads the body as sent", (_name, text) => {
    const parser = createParser(kind);
    const conn = parser.createConnection();
    const kept: Uint8Array[] = [];
    const fed: Uint8Array[] = [];
    const sink: ParserSink = { onHead() {}, onBody: (c) => void kept.push(c), onEnd() {}, onError: (e) => { throw e; } };
    const wire = Buffer.from(text);
    for (let i = 0; i < wire.length; i += 3) {
      const piece = Buffer.from(wire.subarray(i, i + 3));
      fed.push(piece);
      parser.execute(conn, piece, sink);
    }
    expect(Buffer.concat(kept).toString()).toBe(body);
    // Each chunk lies in one of the pieces the caller passed in.
    for (const c of kept) expect(fed.some((p) => p.buffer === c.buffer)).toBe(true);
  });
});

// CONNECT's target is authority-form only (RFC 9112 §3.2.3): uri-host ":" port.
describe.each(["wasm", "ts"] as const)("CONNECT targets, %s parser", (kind) => {
  const verdict = (target: string, bytewise: boolean): string => {
    const parser = createParser(kind);
    const conn = parser.createConnection();
    let got = "incomplete";
    const sink: ParserSink = { onHead: (h) => void (got = `ok ${h.target}`), onBody() {}, onEnd() {}, onError: (e) => void (got = `${e.status} ${e.codeName}`) };
    const bytes = Buffer.from(`CONNECT ${target} HTTP/1.1\r\nHost: a\r\n\r\n`);
    if (bytewise) for (const b of bytes) parser.execute(conn, Buffer.from([b]), sink);
    else parser.execute(conn, bytes, sink);
    return got;
  };
  it.each(["example.com:443", "[::1]:8080", "1.2.3.4:80", "h%41.test:1"])("accepts %s, whole and byte by byte", (target) => {
    expect([verdict(target, false), verdict(target, true)]).toEqual([`ok ${target}`, `ok ${target}`]);
  });
  it.each(["\\/qdq", '"', "example.com", "[::1]", "a:8x", "a{b:1"])("refuses %s with 400, whole and byte by byte", (target) => {
    expect([verdict(target, false), verdict(target, true)]).toEqual(["400 INVALID_TARGET", "400 INVALID_TARGET"]);
  });
});
