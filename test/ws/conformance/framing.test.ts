/**
 * Autobahn sections 1-4 as data: framing (text and binary at every length
 * encoding's edges, whole and cut into 1-byte writes), pings and pongs,
 * reserved bits, reserved opcodes. Each case runs against every target.
 */
import { fc, test as fcTest } from "@fast-check/vitest";
import { afterAll, describe, expect, it } from "vitest";
import { Op, Rsv } from "../../support/ws-wire.js";
import { pattern } from "../../support/helpers.js";
import { binary, close, DEFAULT_CONFIG, ping, playCase, pong, text, verdict, type WsCase } from "./runner.js";
import { serverCache, suite, TARGETS } from "./targets.js";

const LENGTHS = [0, 125, 126, 127, 128, 65535, 65536];
const star = (n: number) => "*".repeat(n);

const section1: WsCase[] = [];
let n = 0;
for (const [kind, make] of [
  ["text", (len: number) => ({ frame: text(star(len)), want: { text: star(len) } })],
  ["binary", (len: number) => ({ frame: binary(pattern(len + 1, len)), want: { binary: pattern(len + 1, len) } })],
] as const) {
  for (const len of LENGTHS) {
    const { frame, want } = make(len);
    n++;
    section1.push({ id: `1.${kind === "text" ? 1 : 2}.${n}`, title: `${kind} message of ${len} bytes`, send: [frame], expect: { echo: [want] } });
    // Autobahn 1.1.8 cuts its 64 KiB message into 997-byte chops; short ones go byte by byte.
    const split = len <= 128 ? ("bytes" as const) : { every: 997 };
    section1.push({
      id: `1.${kind === "text" ? 1 : 2}.${n}b`,
      title: `${kind} message of ${len} bytes in ${len <= 128 ? "1-byte" : "997-byte"} TCP writes`,
      send: [frame],
      split,
      expect: { echo: [want] },
    });
  }
}
section1.push(
  {
    id: "1.3.1",
    title: "5-byte text in a non-minimal 16-bit length",
    send: [text("Hello", { lengthForm: 16 })],
    expect: [{ echo: [{ text: "Hello" }] }, { fail: [1002] }],
    note: "§5.2 makes the minimal length a MUST for the sender only; a receiver may accept (ws does) or refuse",
  },
  {
    id: "1.3.2",
    title: "5-byte binary in a non-minimal 64-bit length",
    send: [binary(pattern(3, 5), { lengthForm: 64 })],
    expect: [{ echo: [{ binary: pattern(3, 5) }] }, { fail: [1002] }],
    note: "as 1.3.1",
  },
  {
    id: "1.3.3",
    title: "a 64-bit length with the most significant bit set",
    send: [binary(pattern(4, 8), { lengthForm: 64, length64: (1n << 63n) | 8n })],
    expect: { fail: [1002, 1009] },
    note: "§5.2: the top bit MUST be 0; ws answers 1009 (it reads it as a length past 2^53), tasklet's codec 1002",
  },
  {
    id: "1.3.4",
    title: "an unmasked client frame",
    send: [text("Hello", { mask: false })],
    expect: { fail: [1002] },
  },
  {
    id: "1.3.5",
    title: "a masked frame with an all-zero key",
    send: [text("zero key", { mask: new Uint8Array(4) })],
    expect: { echo: [{ text: "zero key" }] },
  },
);

const ping125 = pattern(9, 125);
const tenPings = Array.from({ length: 10 }, (_, i) => `payload-${i}`);
const section2: WsCase[] = [
  { id: "2.1", title: "ping with no payload", send: [ping()], expect: { echo: [{ pong: "" }] } },
  { id: "2.2", title: "ping with a text payload", send: [ping("Hello, world!")], expect: { echo: [{ pong: "Hello, world!" }] } },
  {
    id: "2.3",
    title: "ping with a binary payload",
    send: [ping(Uint8Array.of(0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff))],
    expect: { echo: [{ pong: Uint8Array.of(0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff) }] },
  },
  { id: "2.4", title: "ping with a 125-byte payload", send: [ping(ping125)], expect: { echo: [{ pong: ping125 }] } },
  { id: "2.5", title: "ping with a 126-byte payload", send: [ping(pattern(10, 126))], expect: { fail: [1002] } },
  { id: "2.6", title: "ping with a 125-byte payload in 1-byte writes", send: [ping(ping125)], split: "bytes", expect: { echo: [{ pong: ping125 }] } },
  { id: "2.7", title: "unsolicited empty pong is ignored", send: [pong(), text("after")], expect: { echo: [{ text: "after" }] } },
  { id: "2.8", title: "unsolicited pong with payload is ignored", send: [pong("unsolicited"), text("after")], expect: { echo: [{ text: "after" }] } },
  { id: "2.9", title: "unsolicited pong, then ping", send: [pong("unsolicited"), ping("solicited")], expect: { echo: [{ pong: "solicited" }] } },
  {
    id: "2.10",
    title: "10 pings in a row, answered in order",
    send: tenPings.map((p) => ping(p)),
    split: "whole",
    expect: { echo: tenPings.map((p) => ({ pong: p })) },
    note: "§5.5.3 lets a server answer only the latest of pings it has not answered yet; like Autobahn 2.10 this asks for all (ws answers all)",
  },
  {
    id: "2.11",
    title: "10 pings in a row in 1-byte writes",
    send: tenPings.map((p) => ping(p)),
    split: "bytes",
    expect: { echo: tenPings.map((p) => ({ pong: p })) },
    note: "as 2.10",
  },
  { id: "2.12", title: "a ping between two messages", send: [text("one"), ping("mid"), binary(pattern(5, 3))], expect: { echo: [{ text: "one" }, { pong: "mid" }, { binary: pattern(5, 3) }] } },
];

const section3: WsCase[] = [
  { id: "3.1", title: "RSV1 on a text frame, no extension", send: [text("Hello", { rsv: Rsv.RSV1 })], expect: { fail: [1002] } },
  {
    id: "3.2",
    title: "RSV2 on a text frame after a valid one, then a ping",
    send: [text("Hello"), text("Hello", { rsv: Rsv.RSV2 }), ping("Hello")],
    expect: { fail: [1002], before: [{ text: "Hello" }] },
  },
  {
    id: "3.3",
    title: "as 3.2, all in one write",
    send: [text("Hello"), text("Hello", { rsv: Rsv.RSV2 | Rsv.RSV1 }), ping("Hello")],
    split: "whole",
    expect: { fail: [1002], before: [{ text: "Hello" }] },
  },
  {
    id: "3.4",
    title: "RSV3 on a text frame after a valid one, in 1-byte writes",
    send: [text("Hello"), text("Hello", { rsv: Rsv.RSV3 }), ping("Hello")],
    split: "bytes",
    expect: { fail: [1002], before: [{ text: "Hello" }] },
  },
  { id: "3.5", title: "RSV1+RSV3 on a binary frame", send: [binary(pattern(6, 8), { rsv: Rsv.RSV1 | Rsv.RSV3 })], expect: { fail: [1002] } },
  { id: "3.6", title: "RSV2+RSV3 on a ping", send: [ping("Hello", { rsv: Rsv.RSV2 | Rsv.RSV3 })], expect: { fail: [1002] } },
  { id: "3.7", title: "all RSV bits on a close", send: [close(1000, "", { rsv: 7 })], expect: { reply: [1002] } },
  {
    id: "3.8",
    title: "RSV1 on a continuation frame, no extension",
    send: [text("Hel", { fin: false }), { opcode: Op.CONT, payload: "lo", rsv: Rsv.RSV1 }],
    expect: { fail: [1002] },
  },
];

const section4: WsCase[] = [];
for (const op of [3, 4, 5, 6, 7, 11, 12, 13, 14, 15]) {
  const kind = op < 8 ? "data" : "control";
  section4.push(
    { id: `4.${kind === "data" ? 1 : 2}.${op}a`, title: `reserved ${kind} opcode ${op}, empty`, send: [{ opcode: op }], expect: { fail: [1002] } },
    {
      id: `4.${kind === "data" ? 1 : 2}.${op}b`,
      title: `reserved ${kind} opcode ${op} with payload after a valid message, then a ping`,
      send: [text("Hello"), { opcode: op, payload: "reserved" }, ping("Hello")],
      expect: { fail: [1002], before: [{ text: "Hello" }] },
    },
    {
      id: `4.${kind === "data" ? 1 : 2}.${op}c`,
      title: `reserved ${kind} opcode ${op} in 1-byte writes`,
      send: [text("Hello"), { opcode: op, payload: "reserved" }, ping("Hello")],
      split: "bytes",
      expect: { fail: [1002], before: [{ text: "Hello" }] },
    },
  );
}

suite("1 framing", section1);
suite("2 pings and pongs", section2);
suite("3 reserved bits", section3);
suite("4 reserved opcodes", section4);

// Random payloads cut into random TCP writes: the echo is exact.
for (const target of TARGETS) {
  describe(`1.x random framing: ${target.name}`, () => {
    const servers = serverCache(target);
    afterAll(() => servers.closeAll());
    fcTest.prop(
      [
        fc.boolean(),
        fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 65_000, max: 70_000 })),
        fc.integer({ min: 1, max: 0x7fffffff }),
        fc.array(fc.integer({ min: 1, max: 70_100 }), { maxLength: 8 }),
      ],
      { numRuns: 25 },
    )("a random message cut into random writes is echoed exactly", async (isText, len, seed, cuts) => {
      const bytes = pattern(seed, len);
      const payload = isText ? Buffer.from(bytes).toString("base64").slice(0, len) : bytes;
      const c: WsCase = {
        id: "1.r",
        title: "random",
        send: [typeof payload === "string" ? text(payload) : binary(payload)],
        split: { at: cuts },
        expect: { echo: [typeof payload === "string" ? { text: payload } : { binary: payload }] },
      };
      const server = await servers.get(DEFAULT_CONFIG);
      expect(verdict(c, await playCase(c, server.port, server.path))).toBeNull();
    });
  });
}

// Keep the table honest: every case has a distinct id.
it("the framing tables have distinct case ids", () => {
  const ids = [...section1, ...section2, ...section3, ...section4].map((c) => c.id);
  expect(new Set(ids).size).toBe(ids.length);
});
