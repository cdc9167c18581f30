/**
 * WebSocket over TLS (wss://) with the `ws` package's client, on both
 * parsers (so both frame codecs) and both backends: the TLS server's
 * upgrade hands its Conn over like a plain one, random messages arrive byte
 * for byte (a fast-check property, sizes across the frame header's forms,
 * with and without permessage-deflate), closes go both ways, and a client
 * that does not trust the certificate fails while the server goes on.
 */
import { createHash } from "node:crypto";
import { fc } from "@fast-check/vitest";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { upgrade } from "../../src/index.js";
import { type TestCerts, makeTestCerts } from "../support/tls-certs.js";
import { COMBOS, WebSocket, bounded, echoHandler, inboxOf, openClient, wsPool } from "./ws-helpers.js";

const pool = wsPool();
afterEach(pool.closeAll);
let certs: TestCerts;
beforeAll(() => {
  certs = makeTestCerts();
});
afterAll(() => certs?.remove());

const sha = (b: Uint8Array | string): string => createHash("sha256").update(b).digest("hex");
const size = fc.oneof(fc.constantFrom(0, 125, 126, 65535, 65536, 1 << 20), fc.integer({ min: 0, max: 40_000 }));

describe.each(COMBOS)("wss://, $parser parser, $backend backend", (combo) => {
  for (const deflate of [false, true]) {
    it(`echoes random text and binary byte for byte, permessage-deflate ${deflate ? "on" : "off"}, and closes both ways`, async () => {
      const s = await pool.start(combo, echoHandler({ maxMessageSize: 2 << 20, perMessageDeflate: deflate }), { tls: { key: certs.main.key, cert: certs.main.cert } });
      const url = `wss://localhost:${s.port}/`;
      const c = await openClient(url, undefined, { ca: certs.main.cert, perMessageDeflate: deflate });
      expect(c.extensions.includes("permessage-deflate")).toBe(deflate);
      const inbox = inboxOf(c);
      let n = 0;
      await fc.assert(
        fc.asyncProperty(size, fc.boolean(), fc.integer(), async (len, binary, seed) => {
          const data = Buffer.alloc(len);
          for (let i = 0; i < len; i++) data[i] = binary ? (i * 131 + seed) & 0xff : 0x61 + ((i + seed) & 15);
          c.send(binary ? data : data.toString("latin1"));
          const got = await inbox.nth(++n);
          expect(got.binary).toBe(binary);
          expect(got.data.length).toBe(len);
          expect(sha(got.data)).toBe(sha(data));
        }),
        { numRuns: 25 },
      );
      c.close(4100, "done over tls");
      expect(await inbox.closed()).toEqual({ code: 4100, reason: "done over tls" });
    });
  }

  it("the server closes a wss:// WebSocket with its code; an untrusting client fails and the server goes on", async () => {
    const s = await pool.start(
      combo,
      function* (req) {
        const ws = yield* upgrade(req);
        const m = yield* ws.receive();
        yield* ws.close(4200, `server got ${String(m)}`);
      },
      { tls: { key: certs.main.key, cert: certs.main.cert } },
    );
    // No CA given: the self-signed certificate is refused by the client.
    const refused = new WebSocket(`wss://localhost:${s.port}/`);
    const err = await bounded(new Promise<Error>((resolve) => refused.once("error", resolve)), "the untrusting client's error");
    expect(String(err.message)).toMatch(/self[- ]signed certificate/i);
    // The server still serves the next, trusting client.
    const c = await openClient(`wss://localhost:${s.port}/`, undefined, { ca: certs.main.cert });
    c.send("hi");
    expect(await inboxOf(c).closed()).toEqual({ code: 4200, reason: "server got hi" });
  });
});
