/**
 * Masking (RFC 6455 §5.3) against a scalar reference (one byte at a time,
 * key byte i mod 4): maskBytes of both kinds at every length around the
 * 16- and 64-byte SIMD strides and every destination offset, both cores'
 * kernels directly (maskBytes sends small inputs to TypeScript), in place
 * and round-trip; and the decoder's in-place unmasking at every payload
 * offset a read can start at.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Opcode } from "../../../src/ws/codec/codec-core.js";
import { createDecoder, maskBytes } from "../../../src/ws/codec/decoder.js";
import { TsFrameCore } from "../../../src/ws/codec/ts-core.js";
import { WasmFrameCore } from "../../../src/ws/codec/wasm-core.js";
import { CODEC_KINDS, RecordingSink, bytesOf, encode, feed } from "./frames.js";

function reference(src: Uint8Array, key: Uint8Array): Uint8Array {
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i] ^ key[i % 4];
  return out;
}

const keyArb = fc.uint8Array({ minLength: 4, maxLength: 4 });

describe("masking", () => {
  const cores = [new TsFrameCore(), new WasmFrameCore()];

  it("matches the scalar reference at every length up to 300 and every destination offset, in each core's kernel", () => {
    const key = Uint8Array.of(0x12, 0x9a, 0xff, 0x01);
    for (const core of cores)
      for (let n = 0; n <= 300; n++) {
        const src = bytesOf(n, n + 7);
        const want = reference(src, key);
        for (let at = 0; at < 4; at++) {
          const dst = new Uint8Array(n + 8).fill(0xee);
          core.mask(src, key, dst, at);
          expect(Buffer.from(dst.subarray(at, at + n)).equals(want), `${core.constructor.name} n=${n} at=${at}`).toBe(true);
          // bytes outside [at, at + n) untouched
          expect(dst.subarray(0, at).every((b) => b === 0xee)).toBe(true);
          expect(dst.subarray(at + n).every((b) => b === 0xee)).toBe(true);
        }
      }
  });

  it("round-trips through maskBytes of both kinds, in place or not, for random keys and lengths", () => {
    fc.assert(
      fc.property(keyArb, fc.oneof(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 70000 })), fc.integer({ min: 0, max: 9 }), fc.integer(), (key, n, at, seed) => {
        const src = bytesOf(n, seed);
        const want = reference(src, key);
        for (const kind of CODEC_KINDS) {
          const dst = new Uint8Array(n + at);
          maskBytes(src, key, dst, at, kind);
          expect(Buffer.from(dst.subarray(at)).equals(want)).toBe(true);
          const back = Uint8Array.from(dst.subarray(at));
          maskBytes(back, key, back, 0, kind);
          expect(Buffer.from(back).equals(src)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("refuses a short key or a destination too small", () => {
    expect(() => maskBytes(new Uint8Array(4), new Uint8Array(3), new Uint8Array(4))).toThrow(/masking key must be 4 bytes, got 3/);
    expect(() => maskBytes(new Uint8Array(4), new Uint8Array(4), new Uint8Array(5), 2)).toThrow(/overruns the 5-byte destination/);
    expect(() => maskBytes(new Uint8Array(4), new Uint8Array(4), new Uint8Array(5), -1)).toThrow(/overruns/);
  });

  it.each(CODEC_KINDS)("unmasks a frame read from any payload offset (the key rotated by the phase) (%s)", (kind) => {
    fc.assert(
      fc.property(keyArb, fc.integer({ min: 0, max: 150 }), fc.integer(), (key, n, seed) => {
        const payload = bytesOf(n, seed);
        const bytes = encode([{ fin: true, rsv1: false, opcode: Opcode.BINARY, payload, mask: key }]);
        const head = bytes.length - n;
        // Every cut inside the payload, then three cuts spread over it.
        for (let c = head; c <= bytes.length; c++) {
          const sink = new RecordingSink();
          expect(feed(createDecoder(kind, { maxFrameSize: 1000, allowRsv1: false, requireMask: true }), bytes, c < bytes.length ? [c, Math.min(c + 5, bytes.length - 1), Math.min(c + 21, bytes.length - 1)] : [], sink)).toBeNull();
          expect(sink.frames[0].payload.equals(payload)).toBe(true);
        }
      }),
      { numRuns: 40 },
    );
  });
});
