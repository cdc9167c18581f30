/**
 * permessage-deflate (RFC 7692) end to end: echo with the `ws` package's
 * client for each combination of the parameters (context takeover both
 * ways, window bits both ways), compressed frames on the wire checked by a
 * raw client with node:zlib, the bound on the inflated size (1009, a
 * "deflate bomb"), bad compressed data (1007), and that nothing is
 * negotiated unless enabled.
 */
import { createHash } from "node:crypto";
import zlib from "node:zlib";
import { fc } from "@fast-check/vitest";
import { afterEach, describe, expect, it } from "vitest";
import { type PerMessageDeflateOptions, upgrade } from "../../src/index.js";
import { COMBOS, RawClient, bounded, clientFrame, codeOf, echoHandler, handshakeRequest, inboxOf, openClient, wsPool } from "./ws-helpers.js";

const pool = wsPool();
afterEach(pool.closeAll);

const sha = (b: Uint8Array | string): string => createHash("sha256").update(b).digest("hex");

/** A message: compressible text, random bytes, or repetitive bytes, of some size. */
const message = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 3000 }).map((s) => s.repeat(3)),
  fc.uint8Array({ maxLength: 70_000 }).map((b) => Buffer.from(b)),
  fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 300_000 })).map(([v, n]) => Buffer.alloc(n, v)),
);

/** Compress like a client: raw deflate, sync flush, the 4-byte tail removed. */
function compress(data: Buffer): Buffer {
  const out = zlib.deflateRawSync(data, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  return out.subarray(0, out.length - 4);
}

describe.each(COMBOS)("permessage-deflate, $parser parser, $backend backend", (combo) => {
  const combos: { server: PerMessageDeflateOptions; client: Record<string, unknown>; expect: RegExp }[] = [
    { server: { threshold: 0 }, client: {}, expect: /^permessage-deflate(; client_max_window_bits=15)?$/ },
    { server: { threshold: 0, serverNoContextTakeover: true }, client: {}, expect: /server_no_context_takeover/ },
    { server: { threshold: 0, clientNoContextTakeover: true }, client: {}, expect: /client_no_context_takeover/ },
    { server: { threshold: 0 }, client: { serverNoContextTakeover: true, clientNoContextTakeover: true }, expect: /server_no_context_takeover; client_no_context_takeover/ },
    { server: { threshold: 0, serverMaxWindowBits: 10 }, client: { serverMaxWindowBits: 12 }, expect: /server_max_window_bits=10/ },
    { server: { threshold: 0 }, client: { serverMaxWindowBits: 9, clientMaxWindowBits: 9 }, expect: /server_max_window_bits=9; client_max_window_bits=9/ },
    { server: { threshold: 0, clientMaxWindowBits: 11 }, client: { clientMaxWindowBits: true }, expect: /client_max_window_bits=11/ },
    { server: { threshold: 200 }, client: { threshold: 0 }, expect: /^permessage-deflate/ },
  ];

  it.each(combos)("echoes byte for byte with server $server and client $client", async ({ server, client, expect: negotiated }) => {
    const seen: string[] = [];
    const s = await pool.start(combo, function* (req) {
      const ws = yield* upgrade(req, { perMessageDeflate: server, maxMessageSize: 1 << 20 });
      seen.push(ws.extensions);
      for (let m = yield* ws.receive(); m !== null; m = yield* ws.receive()) yield* ws.send(m);
    });
    const c = await openClient(s.url, undefined, { perMessageDeflate: { threshold: 0, ...client } });
    expect(seen[0]).toMatch(negotiated);
    expect(c.extensions).toMatch(/permessage-deflate/);
    const inbox = inboxOf(c);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(message, async (m) => {
        c.send(m);
        const got = await inbox.nth(++n);
        expect(got.binary).toBe(typeof m !== "string");
        expect(sha(got.data)).toBe(sha(m));
      }),
      { numRuns: 20 },
    );
    c.close();
    expect((await inbox.closed()).code).toBe(1000);
  });

  it("sends compressed frames (RSV1) that node:zlib inflates, keeping context across messages", async () => {
    const s = await pool.start(combo, echoHandler({ perMessageDeflate: { threshold: 10 } }));
    const raw = await RawClient.open(s.port, { "Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits" });
    const inflater = zlib.createInflateRaw();
    const inflate = (b: Buffer): Promise<Buffer> =>
      new Promise((resolve) => {
        const out: Buffer[] = [];
        const onData = (d: Buffer): number => out.push(d);
        inflater.on("data", onData);
        inflater.write(Buffer.concat([b, Buffer.from([0, 0, 0xff, 0xff])]));
        inflater.flush(zlib.constants.Z_SYNC_FLUSH, () => {
          inflater.off("data", onData);
          resolve(Buffer.concat(out));
        });
      });
    const text = "the same sentence, again and again. ".repeat(20);
    const sizes: number[] = [];
    for (let i = 0; i < 3; i++) {
      raw.write(clientFrame(1, text));
      const f = (await raw.frame())!;
      expect(f.rsv).toBe(4); // RSV1: compressed
      expect((await inflate(f.payload)).toString()).toBe(text);
      sizes.push(f.payload.length);
    }
    // Context takeover: the repeat costs a few bytes.
    expect(sizes[1]!).toBeLessThan(sizes[0]! / 4);
    // Below the threshold: sent as it is.
    raw.write(clientFrame(1, "tiny"));
    const small = (await raw.frame())!;
    expect([small.rsv, small.payload.toString()]).toEqual([0, "tiny"]);
    raw.destroy();
    inflater.close();
  });

  it("inflates compressed frames from a raw client, fragmented too", async () => {
    const s = await pool.start(combo, echoHandler({ perMessageDeflate: { threshold: 1 << 20 } }));
    const raw = await RawClient.open(s.port, { "Sec-WebSocket-Extensions": "permessage-deflate; client_no_context_takeover" });
    const data = Buffer.from("fragmented and compressed ".repeat(100));
    const z = compress(data);
    const half = z.length >> 1;
    raw.write(Buffer.concat([clientFrame(2, z.subarray(0, half), { fin: false, rsv: 4 }), clientFrame(0, z.subarray(half))]));
    const f = (await raw.frame())!;
    expect([f.opcode, f.rsv]).toEqual([2, 0]);
    expect(f.payload.equals(data)).toBe(true);
    raw.destroy();
  });

  it("hands out a compressed message that arrived in the same read as the close frame", async () => {
    const got: (string | number | null)[] = [];
    const s = await pool.start(combo, function* (req) {
      const ws = yield* upgrade(req, { perMessageDeflate: true });
      for (let m = yield* ws.receive(); m !== null; m = yield* ws.receive()) got.push(String(m));
      got.push(ws.closeCode);
    });
    const raw = await RawClient.open(s.port, { "Sec-WebSocket-Extensions": "permessage-deflate" });
    raw.write(Buffer.concat([clientFrame(1, compress(Buffer.from("first ".repeat(50))), { rsv: 4 }), clientFrame(1, compress(Buffer.from("second")), { rsv: 4 }), clientFrame(8, Buffer.from([0x03, 0xe8]))]));
    expect((await raw.framesToEnd()).map(codeOf)).toEqual([1000]);
    await bounded(
      (async () => {
        while (got.length < 3) await new Promise((r) => setTimeout(r, 5));
      })(),
      "the handler",
    );
    expect(got).toEqual(["first ".repeat(50), "second", 1000]);
  });

  it("closes with 1009 as soon as a message inflates past maxMessageSize (a deflate bomb)", async () => {
    const report: (number | null)[] = [];
    const s = await pool.start(combo, function* (req) {
      const ws = yield* upgrade(req, { perMessageDeflate: true, maxMessageSize: 100_000 });
      for (let m = yield* ws.receive(); m !== null; m = yield* ws.receive()) yield* ws.send(m);
      report.push(ws.closeCode);
    });
    const raw = await RawClient.open(s.port, { "Sec-WebSocket-Extensions": "permessage-deflate" });
    const bomb = compress(Buffer.alloc(64 << 20)); // 64 MiB of zeros: about 64 KiB on the wire
    expect(bomb.length).toBeLessThan(100_000);
    raw.write(clientFrame(2, bomb, { rsv: 4 }));
    expect((await raw.framesToEnd()).map(codeOf)).toEqual([1009]);
    expect(report).toEqual([1009]);
  });

  it("closes with 1007 on compressed data that does not inflate, or text that inflates to bad UTF-8", async () => {
    const s = await pool.start(combo, echoHandler({ perMessageDeflate: true }));
    const a = await RawClient.open(s.port, { "Sec-WebSocket-Extensions": "permessage-deflate" });
    a.write(clientFrame(2, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x12]), { rsv: 4 }));
    expect((await a.framesToEnd()).map(codeOf)).toEqual([1007]);
    const b = await RawClient.open(s.port, { "Sec-WebSocket-Extensions": "permessage-deflate" });
    b.write(clientFrame(1, compress(Buffer.from([0x61, 0xfe, 0x62])), { rsv: 4 }));
    expect((await b.framesToEnd()).map(codeOf)).toEqual([1007]);
  });

  it("negotiates nothing when not enabled, and then refuses RSV1 with 1002", async () => {
    const s = await pool.start(combo, echoHandler());
    const raw = await RawClient.connect(s.port);
    raw.write(handshakeRequest(s.port, { "Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits" }));
    const head = await raw.head();
    expect(head).not.toMatch(/Sec-WebSocket-Extensions/i);
    raw.write(clientFrame(1, compress(Buffer.from("hi")), { rsv: 4 }));
    expect((await raw.framesToEnd()).map(codeOf)).toEqual([1002]);
  });
});
