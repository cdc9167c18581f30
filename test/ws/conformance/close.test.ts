/**
 * Autobahn section 7 as data: the close handshake. A close with no payload,
 * with each valid code, with invalid codes (1002), a 1-byte payload (1002),
 * a reason that is not UTF-8 (1007), the longest reason that fits; frames
 * after a close are ignored; the server closes TCP once the handshake is
 * done (the runner checks that on every case, here it is the point).
 */
import { afterAll, describe, expect, it } from "vitest";
import { Op, WireClient } from "../../support/ws-wire.js";
import { binary, close, DEFAULT_CONFIG, ping, text, type WsCase } from "./runner.js";
import { serverCache, suite, TARGETS } from "./targets.js";

// 1012-1014 are registered with IANA after RFC 6455 (service restart, try again later, bad gateway); ws accepts them too.
const VALID_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999];
const INVALID_CODES = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535];

const section7: WsCase[] = [
  {
    id: "7.1.1",
    title: "a message, then a close",
    send: [text("Hello"), close(1000)],
    expect: { reply: [1000], before: [{ text: "Hello" }] },
    note:
      "Autobahn 7.1.1 (strict): the message that came before the close is answered before the close reply, as ws does. " +
      "§5.5.1 would let a server answer the close first (then its handler cannot echo); this table asks for the stricter order",
  },
  { id: "7.1.2", title: "a text after the close is ignored", send: [close(1000), text("after close")], split: "whole", expect: { reply: [1000] } },
  { id: "7.1.3", title: "a ping after the close is not answered", send: [close(1000), ping("after close")], split: "whole", expect: { reply: [1000] } },
  {
    id: "7.1.4",
    title: "a fragment, the close, then the rest of the message",
    send: [text("frag", { fin: false }), close(1000), { opcode: Op.CONT, payload: "ment", fin: true }],
    split: "whole",
    expect: { reply: [1000] },
  },
  { id: "7.1.5", title: "a second close after the first is ignored", send: [close(1000), close(1001)], split: "whole", expect: { reply: [1000] } },
  {
    id: "7.3.1",
    title: "a close with no payload",
    send: [close()],
    expect: { reply: [null, 1000] },
    note: "§5.5.1 lets the answer carry no code or 1000 (ws answers with no code)",
  },
  { id: "7.3.2", title: "a close with a 1-byte payload", send: [{ opcode: Op.CLOSE, payload: Uint8Array.of(0x03) }], expect: { reply: [1002] } },
  { id: "7.3.3", title: "a close with a code and no reason", send: [close(1000)], expect: { reply: [1000] } },
  { id: "7.3.4", title: "a close with a code and a reason", send: [close(1000, "Hello World!")], expect: { reply: [1000] } },
  { id: "7.3.5", title: "a close with the longest reason (123 bytes)", send: [close(1000, "*".repeat(123))], expect: { reply: [1000] } },
  { id: "7.3.6", title: "a close with a 124-byte reason (a 126-byte control frame)", send: [close(1000, "*".repeat(124))], expect: { reply: [1002] } },
  { id: "7.3.7", title: "a close whose reason is multi-byte UTF-8", send: [close(1000, "κόσμε µ😀")], expect: { reply: [1000] } },
  { id: "7.5.1", title: "a close whose reason is not UTF-8", send: [close(1000, Uint8Array.of(0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xed, 0xa0, 0x80))], expect: { reply: [1007] } },
  { id: "7.5.2", title: "a close whose reason ends in a cut sequence", send: [close(1000, Uint8Array.of(0x61, 0xe2, 0x82))], expect: { reply: [1007] } },
];
VALID_CODES.forEach((code, i) =>
  section7.push({
    id: `7.7.${i + 1}`,
    title: `a close with valid code ${code}`,
    send: [close(code, "reason")],
    expect: { reply: [code, 1000] },
    note: "§5.5.1: the answer typically echoes the code; 1000 is also fine",
  }),
);
INVALID_CODES.forEach((code, i) =>
  section7.push({
    id: `7.9.${i + 1}`,
    title: `a close with invalid code ${code}`,
    send: [close(code)],
    expect: { reply: [1002] },
  }),
);

suite("7 close handling", section7);

// The order of the closes on the wire: the server's close frame first, then the TCP close, and no data after the close.
for (const target of TARGETS) {
  describe(`7.x close order: ${target.name}`, () => {
    const servers = serverCache(target);
    afterAll(() => servers.closeAll());

    it("7.2.1 closes TCP itself after answering the close, with nothing after the close frame", async () => {
      const server = await servers.get(DEFAULT_CONFIG);
      const client = await WireClient.open({ port: server.port, path: server.path });
      try {
        // The echo first, then the close (7.1.1 covers both in one read).
        await client.send(binary(Uint8Array.of(1, 2, 3)));
        const echo = await client.message(5000);
        expect(echo).toMatchObject({ type: "binary", data: Buffer.from([1, 2, 3]) });
        await client.send(close(1001, "going"));
        const closing = await client.message(5000);
        expect(closing).toMatchObject({ type: "close", code: expect.toSatisfy((c: number) => c === 1001 || c === 1000) });
        // We never close our side: the server must (§7.1.1, the server closes first).
        expect(await client.waitClosed(5000)).toBe(true);
        expect(client.log.at(-1)!.opcode).toBe(Op.CLOSE);
      } finally {
        client.destroy();
      }
    });

    it("7.2.2 a server close answered by the client's close ends with TCP closed", async () => {
      const server = await servers.get(DEFAULT_CONFIG);
      const client = await WireClient.open({ port: server.port, path: server.path });
      try {
        // A protocol error makes the server start the close; answer it like a polite client.
        await client.send({ opcode: 3 });
        const m = await client.message(5000);
        expect(m).toMatchObject({ type: "close", code: 1002 });
        await client.send(close(1002));
        expect(await client.waitClosed(5000)).toBe(true);
      } finally {
        client.destroy();
      }
    });

    it("7.2.3 a client that half-closes TCP without a close frame is closed", async () => {
      const server = await servers.get(DEFAULT_CONFIG);
      const client = await WireClient.open({ port: server.port, path: server.path });
      try {
        await client.send(text("before FIN"));
        expect(await client.message(5000)).toMatchObject({ type: "text", data: "before FIN" });
        client.end();
        expect(await client.waitClosed(5000)).toBe(true);
      } finally {
        client.destroy();
      }
    });
  });
}

it("the close table has distinct case ids", () => {
  const ids = section7.map((c) => c.id);
  expect(new Set(ids).size).toBe(ids.length);
});
