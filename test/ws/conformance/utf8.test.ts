/**
 * Autobahn section 6 as data: text messages that are valid UTF-8 (boundary
 * code points, non-characters, a BOM that must survive) and the categories
 * of invalid UTF-8 (overlongs, surrogates, code points past U+10FFFF, lone
 * continuation bytes, sequences cut off at the end), each whole and split
 * into 1-byte fragments so the cut falls inside every sequence. A server
 * may fail as soon as it sees bad bytes or at the message's end: sending
 * stops quietly once the server has closed, so both pass. Random bytes are
 * checked against TextDecoder as the oracle.
 */
import { fc, test as fcTest } from "@fast-check/vitest";
import { afterAll, describe, expect } from "vitest";
import { decodeStrict, Op } from "../../support/ws-wire.js";
import { DEFAULT_CONFIG, every, fragmented, playCase, text, verdict, type WsCase } from "./runner.js";
import { serverCache, suite, TARGETS } from "./targets.js";

const hex = (s: string) => Uint8Array.from(s.split(/\s+/).filter(Boolean).map((h) => parseInt(h, 16)));
const kosme = "κόσμε";
const kosmeBytes = Buffer.from(kosme);

/** Valid text: [title, string]. */
const VALID: [string, string][] = [
  ["mixed Latin-1 and ASCII", "Hello-µ@ßöäüàá-UTF-8!!"],
  ["Greek", kosme],
  ["first 1-byte code point U+0000", "\u0000"],
  ["first 2-byte code point U+0080", "\u0080"],
  ["first 3-byte code point U+0800", "\u0800"],
  ["first 4-byte code point U+10000", "\u{10000}"],
  ["last 1-byte code point U+007F", "\u007f"],
  ["last 2-byte code point U+07FF", "\u07ff"],
  ["last 3-byte code point U+FFFF (a non-character, still valid)", "\uffff"],
  ["last code point U+10FFFF", "\u{10ffff}"],
  ["U+D7FF before the surrogates", "\ud7ff"],
  ["U+E000 after the surrogates", "\ue000"],
  ["U+FFFD", "\ufffd"],
  ["U+FFFE, a non-character", "\ufffe"],
  ["a byte order mark at the start, kept", "\ufeffBOM"],
  ["an emoji between ASCII", "a😀b"],
];

/** Invalid bytes: [category, title, hex]. */
const INVALID: [string, string, string][] = [
  ["overlong", "2-byte '/'", "c0 af"],
  ["overlong", "3-byte '/'", "e0 80 af"],
  ["overlong", "4-byte '/'", "f0 80 80 af"],
  ["overlong", "5-byte '/'", "f8 80 80 80 af"],
  ["overlong", "6-byte '/'", "fc 80 80 80 80 af"],
  ["overlong", "largest 2-byte overlong U+007F", "c1 bf"],
  ["overlong", "largest 3-byte overlong U+07FF", "e0 9f bf"],
  ["overlong", "largest 4-byte overlong U+FFFF", "f0 8f bf bf"],
  ["overlong", "2-byte NUL", "c0 80"],
  ["overlong", "3-byte NUL", "e0 80 80"],
  ["surrogate", "U+D800", "ed a0 80"],
  ["surrogate", "U+DB7F", "ed ad bf"],
  ["surrogate", "U+DB80", "ed ae 80"],
  ["surrogate", "U+DBFF", "ed af bf"],
  ["surrogate", "U+DC00", "ed b0 80"],
  ["surrogate", "U+DF80", "ed be 80"],
  ["surrogate", "U+DFFF", "ed bf bf"],
  ["surrogate", "pair U+D800 U+DC00", "ed a0 80 ed b0 80"],
  ["surrogate", "pair U+DBFF U+DFFF", "ed af bf ed bf bf"],
  ["past U+10FFFF", "U+110000", "f4 90 80 80"],
  ["past U+10FFFF", "U+1FFFFF", "f7 bf bf bf"],
  ["past U+10FFFF", "lead byte F5", "f5 80 80 80"],
  ["past U+10FFFF", "5-byte form", "f8 88 80 80 80"],
  ["impossible byte", "FE", "fe"],
  ["impossible byte", "FF", "ff"],
  ["impossible byte", "FE FE FF FF", "fe fe ff ff"],
  ["lone continuation", "80", "80"],
  ["lone continuation", "BF", "bf"],
  ["lone continuation", "80 BF 80", "80 bf 80"],
  ["lone start", "C0 then space", "c0 20"],
  ["lone start", "E0 then space", "e0 20"],
  ["lone start", "F0 then space", "f0 20"],
  ["lone start", "all 2-byte leads then spaces", Array.from({ length: 32 }, (_, i) => `${(0xc0 + i).toString(16)} 20`).join(" ")],
  ["truncated at end", "Greek, then a cut 2-byte sequence", `${kosmeBytes.toString("hex").replace(/(..)/g, "$1 ")} cf`],
  ["truncated at end", "Greek, then a cut 3-byte sequence", `${kosmeBytes.toString("hex").replace(/(..)/g, "$1 ")} e1 bd`],
  ["truncated at end", "Greek, then a cut 4-byte sequence", `${kosmeBytes.toString("hex").replace(/(..)/g, "$1 ")} f0 9f 98`],
  ["in the middle", "Greek, a surrogate, then ASCII", `${kosmeBytes.toString("hex").replace(/(..)/g, "$1 ")} ed a0 80 65 64 69 74 65 64`],
];

const section6: WsCase[] = [];
VALID.forEach(([title, s], i) => {
  const bytes = Buffer.from(s);
  section6.push(
    { id: `6.1.${i + 1}`, title: `valid: ${title}`, send: [text(bytes)], expect: { echo: [{ text: s }] } },
    { id: `6.2.${i + 1}`, title: `valid: ${title}, 1-byte fragments`, send: fragmented(Op.TEXT, bytes, every(1, bytes.length)), expect: { echo: [{ text: s }] } },
  );
});
INVALID.forEach(([category, title, h], i) => {
  const bytes = hex(h);
  section6.push(
    { id: `6.3.${i + 1}`, title: `invalid (${category}): ${title}`, send: [text(bytes)], expect: { fail: [1007] } },
    {
      id: `6.4.${i + 1}`,
      title: `invalid (${category}): ${title}, 1-byte fragments`,
      send: fragmented(Op.TEXT, bytes, every(1, bytes.length)),
      expect: { fail: [1007] },
    },
    {
      id: `6.5.${i + 1}`,
      title: `invalid (${category}): ${title}, after a valid message`,
      send: [text(kosme), text(bytes)],
      expect: { fail: [1007], before: [{ text: kosme }] },
    },
  );
});
section6.push(
  {
    id: "6.6.1",
    title: "a binary message is never checked for UTF-8",
    send: [{ opcode: Op.BINARY, payload: hex("ed a0 80 ff fe c0 af") }],
    expect: { echo: [{ binary: hex("ed a0 80 ff fe c0 af") }] },
  },
  {
    id: "6.6.2",
    title: "a 4-byte sequence cut across two fragments and two writes",
    send: [text(hex("61 f0 9f"), { fin: false }), { opcode: Op.CONT, payload: hex("98 80 62"), fin: true }],
    expect: { echo: [{ text: "a😀b" }] },
  },
  {
    id: "6.6.3",
    title: "a fragment ends with the start of a sequence that the next fragment breaks",
    send: [text(hex("61 e2 82"), { fin: false }), { opcode: Op.CONT, payload: hex("41 62"), fin: true }],
    expect: { fail: [1007] },
  },
);

suite("6 UTF-8", section6);

// Random bytes (biased toward UTF-8-like sequences) in random fragments: TextDecoder decides.
const utf8ish = fc.array(
  fc.oneof(
    fc.string({ unit: "binary", maxLength: 4 }).map((s) => Array.from(Buffer.from(s))),
    fc.constantFrom([0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xf4, 0x90, 0x80, 0x80], [0x80], [0xe2, 0x82], [0xf0, 0x9f], [0xff]),
    fc.uint8Array({ maxLength: 3 }).map((b) => Array.from(b)),
  ),
  { maxLength: 40 },
);
for (const target of TARGETS) {
  describe(`6.x random UTF-8: ${target.name}`, () => {
    const servers = serverCache(target);
    afterAll(() => servers.closeAll());
    fcTest.prop([utf8ish, fc.array(fc.integer({ min: 1, max: 200 }), { maxLength: 10 })], { numRuns: 60 })(
      "a text message is echoed when TextDecoder accepts its bytes, else failed with 1007",
      async (parts, cuts) => {
        const bytes = Uint8Array.from(parts.flat());
        const decoded = decodeStrict(bytes);
        const c: WsCase = {
          id: "6.r",
          title: "random UTF-8",
          send: fragmented(Op.TEXT, bytes, cuts),
          expect: decoded === null ? { fail: [1007] } : { echo: [{ text: decoded }] },
        };
        const server = await servers.get(DEFAULT_CONFIG);
        expect(verdict(c, await playCase(c, server.port, server.path))).toBeNull();
      },
    );
  });
}
