/**
 * Autobahn section 5 as data: fragmented messages (1..N fragments, 1-byte
 * and empty fragments, control frames between fragments) and the
 * fragmentation errors (fragmented control frames, a continuation with
 * nothing to continue, a new message inside a fragmented one). Random
 * fragmentations and TCP cuts run as a property.
 */
import { fc, test as fcTest } from "@fast-check/vitest";
import { afterAll, describe, expect } from "vitest";
import { Op } from "../../support/ws-wire.js";
import { pattern } from "../../support/helpers.js";
import { binary, close, DEFAULT_CONFIG, every, fragmented, ping, playCase, pong, text, verdict, type WsCase } from "./runner.js";
import { serverCache, suite, TARGETS } from "./targets.js";

const cont = (payload: string | Uint8Array, fin: boolean) => ({ opcode: Op.CONT, payload, fin });
const fragText = "fragment1fragment2";
const hello = "Hello, fragmented world!";

const section5: WsCase[] = [
  { id: "5.1", title: "ping in 2 fragments", send: [ping("frag", { fin: false }), cont("ment", true)], expect: { fail: [1002] } },
  { id: "5.2", title: "pong in 2 fragments", send: [pong("frag", { fin: false }), cont("ment", true)], expect: { fail: [1002] } },
  { id: "5.3", title: "text in 2 fragments", send: [text("fragment1", { fin: false }), cont("fragment2", true)], expect: { echo: [{ text: fragText }] } },
  { id: "5.4", title: "text in 2 fragments, 1-byte writes", send: [text("fragment1", { fin: false }), cont("fragment2", true)], split: "bytes", expect: { echo: [{ text: fragText }] } },
  { id: "5.5", title: "text in 2 fragments, one write", send: [text("fragment1", { fin: false }), cont("fragment2", true)], split: "whole", expect: { echo: [{ text: fragText }] } },
  {
    id: "5.6",
    title: "text in 2 fragments with a ping between",
    send: [text("fragment1", { fin: false }), ping("pongme!"), cont("fragment2", true)],
    expect: { echo: [{ pong: "pongme!" }, { text: fragText }] },
  },
  {
    id: "5.7",
    title: "as 5.6 in 1-byte writes",
    send: [text("fragment1", { fin: false }), ping("pongme!"), cont("fragment2", true)],
    split: "bytes",
    expect: { echo: [{ pong: "pongme!" }, { text: fragText }] },
  },
  {
    id: "5.8",
    title: "text in 2 fragments with an unsolicited pong between",
    send: [text("fragment1", { fin: false }), pong("ignored"), cont("fragment2", true)],
    expect: { echo: [{ text: fragText }] },
  },
  { id: "5.9", title: "a continuation (FIN) with nothing to continue, then a text", send: [cont("fragment", true), text(hello)], expect: { fail: [1002] } },
  { id: "5.10", title: "as 5.9 in 1-byte writes", send: [cont("fragment", true), text(hello)], split: "bytes", expect: { fail: [1002] } },
  { id: "5.11", title: "a continuation (no FIN) with nothing to continue", send: [cont("fragment", false), cont("more", true), text(hello)], expect: { fail: [1002] } },
  {
    id: "5.12",
    title: "a message in 2 fragments, then a stray continuation, then a text",
    send: [text("fragment1", { fin: false }), cont("fragment2", true), cont("fragment3", false), text(hello)],
    split: "whole",
    expect: { fail: [1002], before: [{ text: fragText }] },
  },
  {
    id: "5.13",
    title: "a new text frame inside a fragmented message",
    send: [text("fragment1", { fin: false }), text("fragment2"), cont("fragment3", true)],
    expect: { fail: [1002] },
  },
  {
    id: "5.14",
    title: "a new binary frame (no FIN) inside a fragmented text message",
    send: [text("fragment1", { fin: false }), binary(pattern(1, 4), { fin: false }), cont("fragment3", true)],
    expect: { fail: [1002] },
  },
  {
    id: "5.15",
    title: "text in 5 fragments with pings between",
    send: [text("f1", { fin: false }), cont("f2", false), ping("p1"), cont("f3", false), cont("f4", false), ping("p2"), cont("f5", true)],
    expect: { echo: [{ pong: "p1" }, { pong: "p2" }, { text: "f1f2f3f4f5" }] },
  },
  {
    id: "5.16",
    title: "text in 1-byte fragments",
    send: fragmented(Op.TEXT, hello, every(1, hello.length)),
    expect: { echo: [{ text: hello }] },
  },
  {
    id: "5.17",
    title: "text in 1-byte fragments, 1-byte writes",
    send: fragmented(Op.TEXT, hello, every(1, hello.length)),
    split: "bytes",
    expect: { echo: [{ text: hello }] },
  },
  {
    id: "5.18",
    title: "text with empty first, middle and last fragments",
    send: [text("", { fin: false }), cont("abc", false), cont("", false), cont("def", false), cont("", true)],
    expect: { echo: [{ text: "abcdef" }] },
  },
  {
    id: "5.19",
    title: "an empty message in 3 empty fragments",
    send: [binary(new Uint8Array(0), { fin: false }), cont(new Uint8Array(0), false), cont(new Uint8Array(0), true)],
    expect: { echo: [{ binary: new Uint8Array(0) }] },
  },
  {
    id: "5.20",
    title: "a close between fragments ends the connection, the message never completes",
    send: [text("fragment1", { fin: false }), close(1000)],
    expect: { reply: [1000] },
  },
  {
    id: "5.21",
    title: "a fragmented close",
    send: [close(1000, "", { fin: false }), cont("", true)],
    expect: { reply: [1002] },
    note: "the close has FIN clear, so it is a fragmented control frame (§5.5): 1002, never a close handshake",
  },
  {
    id: "5.22",
    title: "two fragmented messages back to back, a ping inside each",
    send: [text("a1", { fin: false }), ping("x"), cont("a2", true), binary(pattern(2, 3), { fin: false }), ping("y"), cont(pattern(3, 3), true)],
    split: "whole",
    expect: { echo: [{ pong: "x" }, { text: "a1a2" }, { pong: "y" }, { binary: Buffer.concat([pattern(2, 3), pattern(3, 3)]) }] },
  },
];

for (const [opcode, kind] of [
  [Op.TEXT, "text"],
  [Op.BINARY, "binary"],
] as const) {
  const payload = kind === "text" ? "0123456789abcdefghijklmnopqrstuv".repeat(64) : pattern(77, 2048);
  for (const count of [1, 2, 3, 7, 16, 64, 2048]) {
    const size = Math.ceil(2048 / count);
    section5.push({
      id: `5.30.${kind}.${count}`,
      title: `${kind} 2 KiB in ${count} fragments`,
      send: fragmented(opcode, payload, every(size, 2048)),
      split: count > 64 ? { every: 4096 } : "frames",
      expect: { echo: [typeof payload === "string" ? { text: payload } : { binary: payload }] },
    });
  }
}

suite("5 fragmentation", section5);

// Random messages in random fragments with pings between, cut into random writes.
for (const target of TARGETS) {
  describe(`5.x random fragmentation: ${target.name}`, () => {
    const servers = serverCache(target);
    afterAll(() => servers.closeAll());
    fcTest.prop(
      [
        fc.boolean(),
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 1, max: 0x7fffffff }),
        fc.array(fc.integer({ min: 0, max: 5000 }), { maxLength: 12 }),
        fc.array(fc.integer({ min: 0, max: 12 }), { maxLength: 3 }),
        fc.array(fc.integer({ min: 1, max: 6000 }), { maxLength: 6 }),
      ],
      { numRuns: 25 },
    )("is echoed exactly, pongs first, in order", async (isText, len, seed, cuts, pingsAt, writeCuts) => {
      const bytes = pattern(seed, len);
      const payload = isText ? Buffer.from(bytes).toString("hex").slice(0, len) : bytes;
      const frames = fragmented(isText ? Op.TEXT : Op.BINARY, payload, cuts);
      // Pings go before frame i (never before the first: that is just a ping before the message).
      const pings = [...new Set(pingsAt.map((i) => Math.min(Math.max(1, i), frames.length - 1)))].filter((i) => i >= 1 && i < frames.length).sort((a, b) => b - a);
      for (const [k, i] of pings.entries()) frames.splice(i, 0, ping(`p${k}`));
      const pongs = frames.filter((f) => f.opcode === Op.PING).map((f) => ({ pong: f.payload as string }));
      const c: WsCase = {
        id: "5.r",
        title: "random fragmentation",
        send: frames,
        split: { at: writeCuts },
        expect: { echo: [...pongs, typeof payload === "string" ? { text: payload } : { binary: payload }] },
      };
      const server = await servers.get(DEFAULT_CONFIG);
      expect(verdict(c, await playCase(c, server.port, server.path))).toBeNull();
    });
  });
}
