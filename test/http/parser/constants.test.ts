/**
 * The parser's shared numbers are generated from one source,
 * constants/http-parser.mjs, into assembly/http/constants.ts and
 * src/http/parser/constants.ts. These tests check that the committed files are
 * what the source makes, that the built http-parser.wasm was compiled from the
 * same numbers, that the tables are well formed, and that every error code has
 * a status and a message.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { Control, EventKind, HeadFlag, HeadRecord, LAYOUT_HASH, Layout, Method, METHOD_COUNT, METHODS, ParseError, ParserState } from "../../../src/http/parser/constants.js";
import { ERROR_MESSAGE, ERROR_STATUS, HttpParseError } from "../../../src/http/parser/parse-error.js";
import { instantiateWasm } from "../../../src/wasm/load.js";

describe("constants shared by the Wasm and TS parsers", () => {
  it("are generated files that match their source", () => {
    const r = spawnSync(process.execPath, ["scripts/gen-constants.mjs", "--check", "http-parser"], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("are the ones the built http-parser.wasm was compiled with", () => {
    const ex = instantiateWasm("http-parser").exports as { layoutHash(): number };
    expect(ex.layoutHash(), "dist/http-parser.wasm is stale: run `npm run build:wasm`").toBe(LAYOUT_HASH);
  });

  it("has distinct values in every enumeration and single bits in HeadFlag", () => {
    for (const table of [ParseError, ParserState, EventKind, HeadRecord, Method]) {
      const values = Object.values(table);
      expect(new Set(values).size).toBe(values.length);
    }
    for (const bit of Object.values(HeadFlag)) expect(bit & (bit - 1)).toBe(0);
  });

  it("numbers the words of a HEAD record 0 .. HEAD_WORDS - 1", () => {
    expect(Object.values(HeadRecord).sort((a, b) => a - b)).toEqual([...Array(Layout.HEAD_WORDS).keys()]);
  });

  it("lays out CONTROL with aligned fields inside it", () => {
    const f64: number[] = [Control.REMAINING, Control.BODY_SO_FAR];
    for (const [name, at] of Object.entries(Control)) {
      if (name === "BYTES") continue;
      const size = f64.includes(at) ? 8 : 4;
      expect(at % size, name).toBe(0);
      expect(at + size, name).toBeLessThanOrEqual(Control.BYTES);
    }
  });

  it("names each Method id after its entry in METHODS", () => {
    expect(METHODS[0]).toBe("");
    expect(METHODS).toHaveLength(METHOD_COUNT);
    for (const [name, id] of Object.entries(Method)) expect(METHODS[id]).toBe(name);
  });

  it("gives every error code a status and a message", () => {
    const codes = Object.values(ParseError);
    expect(ERROR_STATUS).toHaveLength(codes.length);
    expect(ERROR_MESSAGE).toHaveLength(codes.length);
    for (const code of codes.slice(1)) {
      expect([400, 413, 414, 431, 501, 502, 505]).toContain(ERROR_STATUS[code]);
      const e = new HttpParseError(code, 7);
      expect(e.message).toContain(ERROR_MESSAGE[code]);
      expect(e.message).toContain("at byte 7");
      expect(ParseError[e.codeName as keyof typeof ParseError]).toBe(code);
    }
    expect(ERROR_STATUS[ParseError.REQUEST_LINE_TOO_LONG]).toBe(414);
    expect(ERROR_STATUS[ParseError.HEADERS_TOO_LARGE]).toBe(431);
    expect(ERROR_STATUS[ParseError.TOO_MANY_HEADERS]).toBe(431);
    expect(ERROR_STATUS[ParseError.BODY_TOO_LARGE]).toBe(413);
    expect(ERROR_STATUS[ParseError.UNSUPPORTED_TRANSFER_CODING]).toBe(501);
    expect(ERROR_STATUS[ParseError.UNKNOWN_METHOD]).toBe(501);
    expect(ERROR_STATUS[ParseError.UNSUPPORTED_VERSION]).toBe(505);
  });
});
