/**
 * The parser's numbers live in one table on each side of the Wasm boundary:
 * assembly/http/constants.ts and src/http/parser/constants.ts. This test
 * reads the AssemblyScript file as text and checks that every table agrees,
 * name for name and value for value.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ERROR_MESSAGE, ERROR_STATUS, EventKind, HeadFlag, Layout, Method, METHODS, ParseError, ParserState } from "../../../src/http/parser/constants.js";
import { HttpParseError } from "../../../src/http/parser/parse-error.js";

const asSource = readFileSync(new URL("../../../assembly/http/constants.ts", import.meta.url), "utf8");

/** `export namespace Name { @inline export const KEY: i32 = 1; ... }` blocks of the AssemblyScript file. */
function asTables(): Map<string, Record<string, number>> {
  const tables = new Map<string, Record<string, number>>();
  const block = /export namespace (\w+) \{([^}]*)\}/g;
  for (const m of asSource.matchAll(block)) {
    const entries: Record<string, number> = {};
    for (const c of m[2].matchAll(/@inline export const (\w+): i32 = (-?\d+);/g)) entries[c[1]] = Number(c[2]);
    tables.set(m[1], entries);
  }
  return tables;
}

const TS_TABLES: Record<string, Record<string, number>> = { ParseError, ParserState, HeadFlag, EventKind, Layout, Method };

describe("constants shared by the Wasm and TS parsers", () => {
  const tables = asTables();

  it("has the same tables on both sides", () => {
    expect([...tables.keys()].sort()).toEqual(Object.keys(TS_TABLES).sort());
  });

  it.each(Object.keys(TS_TABLES))("%s agrees name for name and value for value", (name) => {
    expect(tables.get(name)).toEqual({ ...TS_TABLES[name] });
  });

  it("lists the same methods in the same order", () => {
    const m = /export const METHODS = "([^"]*)";/.exec(asSource);
    expect(m).not.toBeNull();
    expect(["", ...m![1].split(" ")]).toEqual([...METHODS]);
    for (const [name, id] of Object.entries(Method)) expect(METHODS[id]).toBe(name);
  });

  it("has distinct values in every enumeration and single bits in HeadFlag", () => {
    for (const name of ["ParseError", "ParserState", "EventKind"]) {
      const values = Object.values(TS_TABLES[name]);
      expect(new Set(values).size).toBe(values.length);
    }
    for (const bit of Object.values(HeadFlag)) expect(bit & (bit - 1)).toBe(0);
  });

  it("gives every error code a status and a message", () => {
    const codes = Object.values(ParseError);
    expect(ERROR_STATUS).toHaveLength(codes.length);
    expect(ERROR_MESSAGE).toHaveLength(codes.length);
    for (const code of codes.slice(1)) {
      expect([400, 413, 414, 431, 501, 505]).toContain(ERROR_STATUS[code]);
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
