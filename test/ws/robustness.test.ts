/**
 * Whatever a client sends after the handshake, the server neither crashes
 * nor hangs: random frames (valid, malformed and truncated, split at random
 * points) followed by the end of the client's stream always end with the
 * server closing the connection, the handler's task ending, no error
 * reported but the ones handlers throw, and the server still serving.
 */
import { fc } from "@fast-check/vitest";
import { afterEach, describe, expect, it } from "vitest";
import { upgrade } from "../../src/index.js";
import { COMBOS, RawClient, bounded, clientFrame, closePayload, inboxOf, openClient, wsPool } from "./ws-helpers.js";

const pool = wsPool();
afterEach(pool.closeAll);

/** One piece of what a client might send: a frame with any opcode, bits, mask and payload, or raw bytes. */
const piece = fc.oneof(
  fc.record({
    opcode: fc.oneof(fc.constantFrom(0, 1, 2, 8, 9, 10), fc.integer({ min: 0, max: 15 })),
    payload: fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.constantFrom(closePayload(1000, "x"), closePayload(1005), Buffer.from([0xff, 0xfe]))),
    fin: fc.boolean(),
    rsv: fc.integer({ min: 0, max: 7 }),
    mask: fc.boolean(),
  }).map((f) => clientFrame(f.opcode, f.payload, { fin: f.fin, rsv: f.rsv, mask: f.mask })),
  fc.uint8Array({ minLength: 1, maxLength: 40 }).map((b) => Buffer.from(b)),
);

describe.each(COMBOS)("WebSocket robustness, $parser parser, $backend backend", (combo) => {
  it("ends every connection cleanly, whatever bytes arrive, and keeps serving", async () => {
    const errors: unknown[] = [];
    let ended = 0;
    const s = await pool.start(
      combo,
      function* (req) {
        const ws = yield* upgrade(req, { maxMessageSize: 4096, perMessageDeflate: req.headers.has("sec-websocket-extensions") });
        try {
          for (let m = yield* ws.receive(); m !== null; m = yield* ws.receive()) {
            try {
              yield* ws.send(m);
            } catch {
              // the peer may close while we echo: not a failure of the server
            }
          }
        } finally {
          ended++;
        }
      },
      { onError: (e) => errors.push(e) },
    );
    let started = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { minLength: 1, maxLength: 12 }), fc.array(fc.nat(), { maxLength: 4 }), fc.boolean(), async (pieces, cuts, deflate) => {
        const bytes = Buffer.concat(pieces);
        const raw = await RawClient.open(s.port, deflate ? { "Sec-WebSocket-Extensions": "permessage-deflate" } : {});
        started++;
        // Split at random points, as a network would.
        const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        let from = 0;
        for (const c of [...at, bytes.length]) {
          if (c > from) raw.write(bytes.subarray(from, c));
          from = c;
        }
        raw.sock.end(); // then the client's stream ends: the server must close its side
        await raw.closed();
      }),
      { numRuns: 40 },
    );
    await bounded(
      (async () => {
        while (ended < started) await new Promise((r) => setTimeout(r, 5));
      })(),
      "every handler to end",
    );
    expect(started).toBe(40);
    expect(errors).toEqual([]);
    const c = await openClient(s.url);
    c.send("still serving");
    expect((await inboxOf(c).nth(1)).data.toString()).toBe("still serving");
    c.close();
  }, 60_000);
});
