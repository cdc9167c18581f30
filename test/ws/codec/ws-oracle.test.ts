/**
 * The decoder against the `ws` package's own Receiver (server mode) as an
 * oracle: for random valid streams and random broken ones (a random frame
 * header after a valid prefix, a random byte changed, text of near-valid
 * bytes), fed in the same reads, both must report the same messages,
 * pings, pongs and close, and error where ws errors with the same close
 * code. Our side is the decoder plus the few lines below that join a
 * message's fragments. Where ws makes another RFC-allowed choice, or checks
 * something that belongs to our protocol layer (src/ws/) rather than to the
 * frame codec, the difference is accepted only in that exact shape:
 *
 * 1. A 64-bit length with its top bit set: ws says 1009 ("payload length
 *    > 2^53 - 1"), we say 1002 (RFC 6455 §5.2: the bit MUST be 0).
 * 2. A close frame's payload (1 byte, a bad status code, a reason that is
 *    not UTF-8): ws fails it (1002/1007); the codec reports the close frame,
 *    and the protocol layer checks its payload.
 * 3. Invalid UTF-8 in text: we fail as soon as the bad byte is seen, ws when
 *    the message ends; so we may fail earlier (with 1007) where ws reports a
 *    later framing error or has not failed yet, and ws may report control
 *    frames (a close included) between the fragments that follow. ws then
 *    must have reported nothing more than we did, bar those control frames.
 * 4. Limits: ws's maxPayload bounds a message, our maxFrameSize a frame (the
 *    protocol layer bounds messages); the broken-input runs leave both
 *    unlimited (2^53 - 1 for us), and 1009 is compared on single frames.
 * After a close frame ws stops reading; our events after it are not compared.
 */
import { createRequire } from "node:module";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Opcode, WsProtocolError, type FrameSink, type WsCodecKind } from "../../../src/ws/codec/codec-core.js";
import { createDecoder } from "../../../src/ws/codec/decoder.js";
import { CODEC_KINDS, bytesOf, cutsArb, digest, encode, streamArb, type Frame } from "./frames.js";

const require = createRequire(import.meta.url);
const { Receiver } = require("ws") as { Receiver: new (o: object) => WsReceiver };
interface WsReceiver {
  on(event: string, f: (...a: any[]) => void): void;
  _write(chunk: Buffer, enc: string, cb: (err?: Error | null) => void): void;
}

type Event = { type: "message"; binary: boolean; payload: string } | { type: "ping" | "pong" | "close"; payload: string };
interface Outcome {
  events: Event[];
  /** The close code of the error, or null. */
  code: number | null;
  /** ws: its error code string (WS_ERR_...); ours: the message. */
  why: string;
}

/** ws's Receiver, fed `bytes` in the reads given by `cuts`. */
function viaWs(bytes: Uint8Array, cuts: number[], maxPayload: number): Outcome {
  const out: Outcome = { events: [], code: null, why: "" };
  const r = new Receiver({ isServer: true, maxPayload });
  let closed = false;
  r.on("message", (data: Buffer, isBinary: boolean) => out.events.push({ type: "message", binary: isBinary, payload: digest(data) }));
  r.on("ping", (data: Buffer) => out.events.push({ type: "ping", payload: digest(data) }));
  r.on("pong", (data: Buffer) => out.events.push({ type: "pong", payload: digest(data) }));
  r.on("conclude", (code: number, reason: Buffer) => {
    closed = true;
    const payload = code === 1005 ? Buffer.alloc(0) : Buffer.concat([Buffer.from([code >> 8, code & 0xff]), reason]);
    out.events.push({ type: "close", payload: digest(payload) });
  });
  r.on("error", () => {});
  let at = 0;
  for (const c of [...cuts, bytes.length]) {
    if (c <= at || closed || out.code !== null) continue;
    r._write(Buffer.from(bytes.subarray(at, c)), "buffer", (err) => {
      if (err) {
        const sym = Object.getOwnPropertySymbols(err).find((s) => s.description === "status-code")!;
        out.code = (err as any)[sym];
        out.why = (err as any).code;
      }
    });
    at = c;
  }
  return out;
}

/** Our decoder, with the fragments of each message joined, fed the same reads. */
function viaDecoder(kind: WsCodecKind, bytes: Uint8Array, cuts: number[], maxFrameSize: number): Outcome {
  const out: Outcome = { events: [], code: null, why: "" };
  let frame: { opcode: number; fin: boolean; parts: Uint8Array[] } | null = null;
  let message: { binary: boolean; parts: Uint8Array[] } | null = null;
  let closed = false;
  const sink: FrameSink = {
    start(fin, _rsv1, opcode) {
      frame = { opcode, fin, parts: [] };
    },
    data(b) {
      frame!.parts.push(b);
    },
    end() {
      const f = frame!;
      const payload = Buffer.concat(f.parts);
      if (f.opcode >= 8) {
        if (closed) return;
        out.events.push({ type: f.opcode === Opcode.PING ? "ping" : f.opcode === Opcode.PONG ? "pong" : "close", payload: digest(payload) });
        if (f.opcode === Opcode.CLOSE) closed = true;
        return;
      }
      if (f.opcode !== Opcode.CONTINUATION) message = { binary: f.opcode === Opcode.BINARY, parts: [] };
      message!.parts.push(payload);
      if (f.fin && !closed) out.events.push({ type: "message", binary: message!.binary, payload: digest(Buffer.concat(message!.parts)) });
    },
  };
  const d = createDecoder(kind, { maxFrameSize, allowRsv1: false, requireMask: true });
  let at = 0;
  try {
    for (const c of [...cuts, bytes.length]) {
      if (c <= at || closed) continue;
      d.execute(bytes.subarray(at, c), sink);
      at = c;
    }
  } catch (e) {
    if (!(e instanceof WsProtocolError)) throw e;
    // ws reads nothing after a close frame, so an error after ours is not compared.
    if (!closed) {
      out.code = e.code;
      out.why = e.message;
    }
  }
  return out;
}

/** Compare, accepting only the documented differences (see the top of the file). */
function agree(ours: Outcome, theirs: Outcome): void {
  // 1. the top bit of a 64-bit length
  if (theirs.why === "WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH" && ours.code === 1002 && /most significant bit/.test(ours.why)) {
    expect(ours.events).toEqual(theirs.events);
    return;
  }
  // 2. a close frame's payload is the protocol layer's to check
  const last = ours.events[ours.events.length - 1];
  if (theirs.code !== null && ours.code === null && last?.type === "close" && ours.events.length === theirs.events.length + 1) {
    expect(["WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH", "WS_ERR_INVALID_CLOSE_CODE", "WS_ERR_INVALID_UTF8"]).toContain(theirs.why);
    expect(ours.events.slice(0, -1)).toEqual(theirs.events);
    return;
  }
  // 3. UTF-8 fails fast here (ws may report control frames between the fragments first, and fail later or not yet)
  if (ours.code === 1007) {
    expect(theirs.events.slice(0, ours.events.length)).toEqual(ours.events);
    for (const e of theirs.events.slice(ours.events.length)) expect(["ping", "pong", "close"]).toContain(e.type);
    return;
  }
  expect(ours.events).toEqual(theirs.events);
  expect(ours.code, `ours: ${ours.why}; ws: ${theirs.why}`).toBe(theirs.code);
}

const UNLIMITED = Number.MAX_SAFE_INTEGER;
const INTERESTING = [0x00, 0x61, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xed, 0xef, 0xf0, 0xf1, 0xf4, 0xf5, 0xff];
const maskArb = fc.uint8Array({ minLength: 4, maxLength: 4 });

/** A valid prefix (no close), small enough for many runs. */
const prefixArb = streamArb({ masked: true, maxMessages: 3 }).map((fr) => fr.filter((x) => x.opcode !== Opcode.CLOSE)).filter((fr) => fr.every((x) => x.payload.length <= 70000));

/** A random header: any first byte, any mask bit and 7-bit length, random extended length bytes biased to small values, then some payload. */
const randomHeader = fc
  .tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 255 })), { minLength: 8, maxLength: 8 }), maskArb, fc.integer({ min: 0, max: 300 }))
  .map(([b0, b1, ext, mask, n]) => {
    const len7 = b1 & 0x7f;
    const extBytes = len7 === 126 ? ext.slice(0, 2) : len7 === 127 ? ext : [];
    return Uint8Array.from([b0, b1, ...extBytes, ...((b1 & 0x80) !== 0 ? mask : []), ...bytesOf(n, b0 * 256 + b1)]);
  });

/** A text message of near-valid bytes, maybe fragmented with a ping between. */
const oddText = fc.tuple(fc.array(fc.constantFrom(...INTERESTING), { maxLength: 40 }), fc.integer({ min: 0, max: 40 }), maskArb, fc.boolean()).map(([bytes, cut, mask, ping]): Frame[] => {
  const t = Uint8Array.from(bytes);
  const c = Math.min(cut, t.length);
  const frames: Frame[] = [{ fin: false, rsv1: false, opcode: Opcode.TEXT, payload: t.subarray(0, c), mask }];
  if (ping) frames.push({ fin: true, rsv1: false, opcode: Opcode.PING, payload: Uint8Array.of(0xff), mask });
  frames.push({ fin: true, rsv1: false, opcode: Opcode.CONTINUATION, payload: t.subarray(c), mask });
  return frames;
});

/**
 * Found by the property below: a fragmented text frame whose first byte is
 * not UTF-8, then a close between its fragments. We fail at that byte; ws
 * reports the close (and stops) before it would check the text.
 */
const FOUND_CLOSE_AFTER_BAD_TEXT = (() => {
  const junk = Uint8Array.from(bytesOf(95, 7));
  junk[0] = 0x89;
  const frames: Frame[] = [
    { fin: true, rsv1: false, opcode: Opcode.PING, payload: Uint8Array.of(0x21, 0x01), mask: Uint8Array.of(0, 0, 0, 0) },
    { fin: false, rsv1: false, opcode: Opcode.TEXT, payload: junk, mask: Uint8Array.of(0, 0, 0, 0) },
    { fin: true, rsv1: false, opcode: Opcode.CLOSE, payload: Uint8Array.of(3, 232), mask: Uint8Array.of(0, 0, 0, 0) },
  ];
  return encode(frames);
})();

/** An input with its reads. */
function withCuts(bytes: fc.Arbitrary<Uint8Array>): fc.Arbitrary<[Uint8Array, number[]]> {
  return bytes.chain((b) => fc.tuple(fc.constant(b), cutsArb(b.length)));
}

describe.each(CODEC_KINDS)("decoder vs ws's Receiver (%s)", (kind) => {
  it("agree on random valid streams", () => {
    fc.assert(
      fc.property(withCuts(streamArb({ masked: true }).map(encode)), ([bytes, cuts]) => {
        const ours = viaDecoder(kind, bytes, cuts, UNLIMITED);
        const theirs = viaWs(bytes, cuts, 0);
        expect(theirs.code).toBeNull();
        agree(ours, theirs);
      }),
      { numRuns: 150 },
    );
  });

  it("agree on a random frame header after a valid prefix", () => {
    fc.assert(
      fc.property(withCuts(fc.tuple(prefixArb, randomHeader, prefixArb).map(([a, h, b]) => Buffer.concat([encode(a), h, encode(b)]))), ([bytes, cuts]) => {
        agree(viaDecoder(kind, bytes, cuts, UNLIMITED), viaWs(bytes, cuts, 0));
      }),
      { numRuns: 1500 },
    );
  });

  it("agree on valid streams with one byte changed", () => {
    const mutated = fc.tuple(streamArb({ masked: true, maxMessages: 3 }).filter((fr) => fr.every((x) => x.payload.length <= 70000)).map(encode), fc.nat(), fc.integer({ min: 0, max: 255 })).map(([b, i, v]) => {
      const out = Uint8Array.from(b);
      if (out.length > 0) out[i % out.length] = v;
      return out;
    });
    fc.assert(
      fc.property(withCuts(mutated), ([bytes, cuts]) => {
        agree(viaDecoder(kind, bytes, cuts, UNLIMITED), viaWs(bytes, cuts, 0));
      }),
      { numRuns: 1000, examples: [[[FOUND_CLOSE_AFTER_BAD_TEXT, []]]] },
    );
  });

  it("agree on text messages of near-valid bytes", () => {
    fc.assert(
      fc.property(withCuts(fc.tuple(prefixArb, oddText, prefixArb).map(([a, t, b]) => encode([...a, ...t, ...b]))), ([bytes, cuts]) => {
        agree(viaDecoder(kind, bytes, cuts, UNLIMITED), viaWs(bytes, cuts, 0));
      }),
      { numRuns: 1000 },
    );
  });

  it("agree on 1009 for single frames around the limit", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 70000 }),
        fc.integer({ min: -2, max: 2 }),
        fc.constantFrom(Opcode.TEXT, Opcode.BINARY),
        maskArb,
        (limit, delta, opcode, mask) => {
          const n = Math.max(0, limit + delta);
          const payload = opcode === Opcode.TEXT ? new Uint8Array(n).fill(0x61) : bytesOf(n, limit);
          const bytes = encode([{ fin: true, rsv1: false, opcode, payload, mask }]);
          const ours = viaDecoder(kind, bytes, [], limit);
          const theirs = viaWs(bytes, [], limit);
          expect(ours.code).toBe(n > limit ? 1009 : null);
          agree(ours, theirs);
        },
      ),
      { numRuns: 200 },
    );
  });
});
