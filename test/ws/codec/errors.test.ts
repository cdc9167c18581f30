/**
 * The decoder on broken input and its guarantees: each protocol rule gives
 * its close code and a message naming the problem, after every valid frame
 * before it was reported, wherever the reads are cut; errors come as soon as
 * the offending bytes are in (fail fast); a decoder refuses input after an
 * error; the payloads a sink keeps are copies (mutating the input chunk and
 * reusing the core's memory leaves them unchanged); a sink may decode for
 * another connection from inside a callback; a read with more frames than
 * the record table holds is reported whole.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Opcode, WsProtocolError, type DecoderOptions } from "../../../src/ws/codec/codec-core.js";
import { createDecoder } from "../../../src/ws/codec/decoder.js";
import { CODEC_KINDS, RecordingSink, bytesOf, cutsArb, encode, expected, feed, streamArb, summary, type Frame } from "./frames.js";

const M = Uint8Array.of(1, 2, 3, 4);
const SERVER: DecoderOptions = { maxFrameSize: 1 << 21, allowRsv1: false, requireMask: true };
const f = (opcode: number, payload: Uint8Array | number[], more: Partial<Frame> = {}): Frame => ({ fin: true, rsv1: false, opcode, payload: Uint8Array.from(payload), mask: M, ...more });

interface Rule {
  name: string;
  bytes: Uint8Array;
  code: 1002 | 1007 | 1009;
  message: RegExp;
  options?: Partial<DecoderOptions>;
}

const RULES: Rule[] = [
  { name: "RSV2 set", bytes: encode([f(Opcode.TEXT, [0x61], { rsv23: 0x20 })]), code: 1002, message: /RSV2 or RSV3 is set/ },
  { name: "RSV3 set", bytes: encode([f(Opcode.BINARY, [], { rsv23: 0x10 })]), code: 1002, message: /RSV2 or RSV3 is set/ },
  { name: "RSV1 without permessage-deflate", bytes: encode([f(Opcode.TEXT, [0x61], { rsv1: true })]), code: 1002, message: /RSV1 is set/ },
  { name: "RSV1 on a continuation", bytes: encode([f(Opcode.TEXT, [0x61], { fin: false, rsv1: true }), f(Opcode.CONTINUATION, [0x62], { rsv1: true })]), code: 1002, message: /RSV1 is set/, options: { allowRsv1: true } },
  { name: "RSV1 on a control frame", bytes: encode([f(Opcode.PING, [], { rsv1: true })]), code: 1002, message: /RSV1 is set/, options: { allowRsv1: true } },
  ...[3, 4, 5, 6, 7, 11, 12, 13, 14, 15].map((op): Rule => ({ name: `opcode ${op}`, bytes: encode([f(op, [1, 2])]), code: 1002, message: new RegExp(`reserved opcode ${op}$`) })),
  { name: "a fragmented ping", bytes: encode([f(Opcode.PING, [1], { fin: false })]), code: 1002, message: /control frame \(opcode 9\) without FIN/ },
  { name: "a fragmented close", bytes: encode([f(Opcode.CLOSE, [3, 232], { fin: false })]), code: 1002, message: /control frame \(opcode 8\) without FIN/ },
  { name: "a 126-byte pong", bytes: encode([f(Opcode.PONG, bytesOf(126, 1))]), code: 1002, message: /control frame payload length 126 is over 125/ },
  { name: "a close with a 64-bit length", bytes: encode([f(Opcode.CLOSE, [3, 232], { lengthForm: 64 })]), code: 1002, message: /control frame payload length 127 is over 125/ },
  { name: "a continuation without a message", bytes: encode([f(Opcode.CONTINUATION, [1])]), code: 1002, message: /continuation frame without a fragmented message/ },
  { name: "a text frame inside a fragmented binary message", bytes: encode([f(Opcode.BINARY, [1], { fin: false }), f(Opcode.TEXT, [0x61])]), code: 1002, message: /new data frame \(opcode 1\) inside a fragmented message/ },
  { name: "a binary frame inside a fragmented text message", bytes: encode([f(Opcode.TEXT, [0x61], { fin: false }), f(Opcode.PING, []), f(Opcode.BINARY, [1])]), code: 1002, message: /new data frame \(opcode 2\) inside/ },
  { name: "an unmasked frame from a client", bytes: encode([f(Opcode.BINARY, [1], { mask: null })]), code: 1002, message: /unmasked frame/ },
  { name: "a 64-bit length with the top bit set", bytes: Uint8Array.of(0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4), code: 1002, message: /most significant bit/ },
  { name: "a frame over maxFrameSize", bytes: encode([f(Opcode.BINARY, bytesOf(70_001, 2))]), code: 1009, message: /over maxFrameSize \(70000 bytes\)/, options: { maxFrameSize: 70_000 } },
  { name: "a 64-bit length over maxFrameSize", bytes: Uint8Array.of(0x82, 0xff, 0, 0x20, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4), code: 1009, message: /over maxFrameSize/ },
  { name: "text that is not UTF-8", bytes: encode([f(Opcode.TEXT, [0x61, 0xc0, 0x80])]), code: 1007, message: /text message is not valid UTF-8/ },
  { name: "text cut inside a code point at its end", bytes: encode([f(Opcode.TEXT, [0x61, 0xe2, 0x82], { fin: false }), f(Opcode.CONTINUATION, [])]), code: 1007, message: /not valid UTF-8/ },
];

function expectError(err: unknown, rule: Rule): void {
  expect(err, rule.name).toBeInstanceOf(WsProtocolError);
  expect((err as WsProtocolError).code, rule.name).toBe(rule.code);
  expect((err as WsProtocolError).message, rule.name).toMatch(rule.message);
}

describe.each(CODEC_KINDS)("frame decoder errors (%s)", (kind) => {
  it("give each rule's close code and message after reporting the valid frames before it, at any cuts", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...RULES),
        streamArb({ masked: true, maxMessages: 2 }).map((fr) => fr.filter((x) => x.opcode !== Opcode.CLOSE)).filter((fr) => fr.every((x) => x.payload.length <= 70000)),
        fc.integer({ min: 0, max: 1 << 20 }),
        (rule, prefix, seed) => {
          const options = { ...SERVER, ...rule.options };
          const head = encode(prefix);
          const bytes = Buffer.concat([head, rule.bytes]);
          const cuts = fc.sample(cutsArb(bytes.length), { numRuns: 1, seed })[0];
          const sink = new RecordingSink();
          const d = createDecoder(kind, options);
          const err = feed(d, bytes, cuts, sink);
          expectError(err, rule);
          expect(summary(sink.frames.slice(0, prefix.length))).toEqual(expected(prefix));
          // Refused from now on, with the same code.
          let again: unknown = null;
          try {
            d.execute(encode([f(Opcode.PING, [])]), sink);
          } catch (e) {
            again = e;
          }
          expect(again).toBeInstanceOf(WsProtocolError);
          expect((again as WsProtocolError).code).toBe(rule.code);
          expect((again as WsProtocolError).message).toMatch(/refuses input after an error/);
        },
      ),
      { numRuns: 400 },
    );
  });

  it("fail fast: on the first two bytes of a bad header, and on the first bad byte of text", () => {
    const sink = new RecordingSink();
    expect(() => createDecoder(kind, SERVER).execute(Uint8Array.of(0x83, 0x80), sink)).toThrow(/reserved opcode 3/);
    // A 1000-byte text frame whose 5th byte is bad: the error comes with the read that brings it, long before the frame ends.
    const text = new Uint8Array(1000).fill(0x61);
    text[4] = 0xff;
    const bytes = encode([f(Opcode.TEXT, text)]);
    const d = createDecoder(kind, SERVER);
    d.execute(bytes.subarray(0, 8 + 4), sink); // header (8 bytes) and 4 good bytes
    expect(() => d.execute(bytes.subarray(12, 13), sink)).toThrow(/not valid UTF-8/);
  });

  it("refuses bad options", () => {
    expect(() => createDecoder(kind, { ...SERVER, maxFrameSize: -1 })).toThrow(/maxFrameSize must be a number >= 0, got -1/);
    expect(() => createDecoder(kind, { ...SERVER, maxFrameSize: Number.NaN })).toThrow(/maxFrameSize/);
    expect(() => createDecoder("c" as "ts", SERVER)).toThrow(/unknown WebSocket codec kind c/);
  });

  it("hands out copies: kept payloads survive a mutated input chunk and a reused core", () => {
    fc.assert(
      fc.property(streamArb({ masked: true, maxMessages: 3 }), (frames) => {
        const bytes = encode(frames);
        const chunk = Uint8Array.from(bytes);
        const sink = new RecordingSink();
        createDecoder(kind, SERVER).execute(chunk, sink);
        chunk.fill(0x55);
        // Another decoder of the same kind reuses the same core (and its Wasm memory or buffer).
        const other = new RecordingSink();
        createDecoder(kind, SERVER).execute(encode([f(Opcode.BINARY, new Uint8Array(bytes.length + 100).fill(0xaa))]), other);
        expect(summary(sink.frames)).toEqual(expected(frames));
      }),
      { numRuns: 60 },
    );
  });

  it("lets a sink decode for another connection from inside a callback", () => {
    const inner = createDecoder(kind, SERVER);
    const innerSink = new RecordingSink();
    const innerBytes = encode([f(Opcode.BINARY, bytesOf(5000, 9)), f(Opcode.TEXT, [0x68, 0x69])]);
    const outerSink = new RecordingSink();
    const reentrant = {
      start: (fin: boolean, rsv1: boolean, op: number, n: number) => outerSink.start(fin, rsv1, op, n),
      data: (b: Uint8Array) => {
        inner.execute(innerBytes, innerSink);
        outerSink.data(b);
      },
      end: () => outerSink.end(),
    };
    const outerFrames = [f(Opcode.BINARY, bytesOf(3000, 4)), f(Opcode.BINARY, bytesOf(10, 5))];
    createDecoder(kind, SERVER).execute(encode(outerFrames), reentrant);
    expect(summary(outerSink.frames)).toEqual(expected(outerFrames));
    expect(innerSink.frames.length).toBe(4);
    expect(innerSink.frames[3].payload.toString()).toBe("hi");
  });

  it("reports every frame of a read with more frames than the record table holds", () => {
    const frames = Array.from({ length: 3000 }, (_, i) => f(i % 3 === 0 ? Opcode.PING : Opcode.BINARY, i % 2 === 0 ? [] : [i & 0xff]));
    const sink = new RecordingSink();
    const d = createDecoder(kind, SERVER);
    d.execute(encode(frames), sink);
    expect(summary(sink.frames)).toEqual(expected(frames));
    expect(d.atFrameBoundary).toBe(true);
  });

  it("reports 64-bit lengths beyond 32 bits exactly, before their payload arrives", () => {
    for (const n of [2 ** 32 - 1, 2 ** 32, 2 ** 32 + 5, 2 ** 40 + 3, Number.MAX_SAFE_INTEGER]) {
      const d = createDecoder(kind, { ...SERVER, maxFrameSize: Number.MAX_SAFE_INTEGER });
      const seen: number[] = [];
      const hi = Math.floor(n / 2 ** 32), lo = n % 2 ** 32;
      const head = Uint8Array.of(0x82, 0xff, hi >>> 24, (hi >>> 16) & 0xff, (hi >>> 8) & 0xff, hi & 0xff, lo >>> 24, (lo >>> 16) & 0xff, (lo >>> 8) & 0xff, lo & 0xff, 9, 8, 7, 6, 0x55 ^ 9);
      d.execute(head, { start: (_f, _r, _o, length) => seen.push(length), data: (b) => seen.push(-b[0]), end: () => seen.push(-1) });
      expect(seen).toEqual([n, -0x55]);
      expect(d.atFrameBoundary).toBe(false);
    }
  });

  it("refuses input after its sink threw, rethrowing the sink's error first", () => {
    const d = createDecoder(kind, SERVER);
    const boom = new Error("sink failed");
    const sink = { start() {}, data() { throw boom; }, end() {} };
    expect(() => d.execute(encode([f(Opcode.BINARY, [1])]), sink)).toThrow(boom);
    expect(() => d.execute(encode([f(Opcode.BINARY, [1])]), new RecordingSink())).toThrow(/refuses input after its sink threw: sink failed/);
  });

  it("stops being at a frame boundary inside a header or a payload", () => {
    const d = createDecoder(kind, SERVER);
    const sink = new RecordingSink();
    const bytes = encode([f(Opcode.BINARY, [1, 2, 3])]);
    expect(d.atFrameBoundary).toBe(true);
    d.execute(bytes.subarray(0, 3), sink);
    expect(d.atFrameBoundary).toBe(false);
    d.execute(bytes.subarray(3, 7), sink);
    expect(d.atFrameBoundary).toBe(false);
    d.execute(bytes.subarray(7), sink);
    expect(d.atFrameBoundary).toBe(true);
    expect(sink.frames[0].payload).toEqual(Buffer.from([1, 2, 3]));
  });
});
