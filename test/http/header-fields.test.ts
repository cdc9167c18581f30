// The checks of response header fields (src/http/header-fields.ts): their
// answers are remembered, so every property asks twice, and interleaves
// names and values, to catch a remembered answer that differs from a fresh one.
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { badValue, lowerName, validValue } from "../../src/http/header-fields.js";

const TOKEN_CHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const isToken = (s: string): boolean => s.length > 0 && [...s].every((c) => TOKEN_CHARS.includes(c));
const isValidValue = (s: string): boolean => [...s].every((c) => c.charCodeAt(0) <= 0xff && c !== "\r" && c !== "\n" && c !== "\0");

/** Names: mostly tokens, some with a character a token may not hold. */
const nameArb = fc.oneof(
  fc.string({ unit: fc.constantFrom(...TOKEN_CHARS), minLength: 1, maxLength: 12 }),
  fc.string({ maxLength: 12 }),
  fc.constantFrom("Content-Type", "content-type", "X-Id", "bad name", "bad:name", "", "é"),
);
/** Values: mostly harmless latin1, some with CR, LF, NUL or a character past latin1. */
const valueArb = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 80 }),
  fc.string({ unit: fc.constantFrom("a", " ", "\r", "\n", "\0", "\t", "€", "ÿ"), maxLength: 8 }),
);

describe("header fields", () => {
  test.prop([fc.array(fc.oneof(nameArb.map((n) => ({ name: n })), valueArb.map((v) => ({ value: v }))), { maxLength: 40 })])(
    "a name is accepted, lower-cased, iff it is a token; a value iff it cannot split the response; the same answer every time",
    (calls) => {
      for (const round of [0, 1]) {
        for (const c of calls) {
          if ("name" in c) expect([round, lowerName(c.name)]).toEqual([round, isToken(c.name) ? c.name.toLowerCase() : null]);
          else expect([round, validValue(c.value)]).toEqual([round, isValidValue(c.value)]);
        }
      }
    },
  );

  test.prop([nameArb])("the error names the field", (name) => {
    const e = badValue(name);
    expect(e).toBeInstanceOf(TypeError);
    expect(e.message).toContain(`header ${name}:`);
  });
});
