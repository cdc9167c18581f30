/**
 * UTF-8 validation, against the platform's validators as oracles:
 * `buffer.isUtf8` where Node has it and `TextDecoder` with `fatal: true`.
 * Inputs are random byte strings biased to near-valid UTF-8 (overlongs,
 * surrogates, code points past U+10FFFF, truncations, stray continuation
 * bytes and the valid sequences at each edge), padded to every length
 * around the 16-byte SIMD width. Checked: both cores' whole-buffer kernels,
 * isUtf8 of both kinds, and the decoder's streaming check of text messages
 * cut into fragments and reads at random points (1007 exactly when invalid).
 */
import * as buffer from "node:buffer";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Opcode, WsProtocolError } from "../../../src/ws/codec/codec-core.js";
import { createDecoder, isUtf8 } from "../../../src/ws/codec/decoder.js";
import { TsFrameCore } from "../../../src/ws/codec/ts-core.js";
import { WasmFrameCore } from "../../../src/ws/codec/wasm-core.js";
import { CODEC_KINDS, RecordingSink, cutsArb, encode, feed, type Frame } from "./frames.js";

const fatal = new TextDecoder("utf-8", { fatal: true });
/** The oracle: buffer.isUtf8 (Node 18.14+) when present, and TextDecoder, which must agree with it. */
function oracle(b: Uint8Array): boolean {
  let viaDecoder = true;
  try {
    fatal.decode(b);
  } catch {
    viaDecoder = false;
  }
  const native = (buffer as { isUtf8?: (b: Uint8Array) => boolean }).isUtf8;
  if (native !== undefined) expect(native(b)).toBe(viaDecoder);
  return viaDecoder;
}

const hex = (s: string): number[] => s.split(" ").map((x) => parseInt(x, 16));
/** Byte sequences at the edges of validity. */
const EDGES = [
  // valid edges
  "c2 80", "df bf", "e0 a0 80", "ed 9f bf", "ee 80 80", "ef bf bf", "f0 90 80 80", "f4 8f bf bf", "e1 80 80", "f1 80 80 80", "f3 bf bf bf",
  // overlongs
  "c0 80", "c1 bf", "e0 80 80", "e0 9f bf", "f0 80 80 80", "f0 8f bf bf",
  // surrogates
  "ed a0 80", "ed bf bf", "ed b0 80",
  // past U+10FFFF and never-valid bytes
  "f4 90 80 80", "f5 80 80 80", "f7 bf bf bf", "ff", "fe", "f8 88 80 80 80",
  // stray continuations and truncations
  "80", "bf", "c2", "e0 a0", "e1", "f0 90 80", "f4 8f", "f1",
].map(hex);

const atom = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 0x7f }).map((b) => [b]) },
  { weight: 3, arbitrary: fc.constantFrom(...EDGES) },
  { weight: 2, arbitrary: fc.integer({ min: 0x80, max: 0x10ffff }).filter((c) => c < 0xd800 || c > 0xdfff).map((c) => [...Buffer.from(String.fromCodePoint(c))]) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }).map((b) => [b]) },
);

/** Near-valid strings: a few atoms, ASCII padding before them so the interesting bytes land at every position around the SIMD width. */
const nearValid = fc
  .tuple(fc.integer({ min: 0, max: 70 }), fc.array(atom, { maxLength: 6 }), fc.integer({ min: 0, max: 20 }))
  .map(([pad, atoms, tail]) => Uint8Array.from([...Array(pad).fill(0x61), ...atoms.flat(), ...Array(tail).fill(0x62)]));

const inputs = fc.oneof({ weight: 5, arbitrary: nearValid }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 80 }) });

describe("UTF-8 validation", () => {
  const ts = new TsFrameCore();
  const wasm = new WasmFrameCore();

  it("agrees with the platform on near-valid input, in both cores' kernels and isUtf8 of both kinds", () => {
    fc.assert(
      fc.property(inputs, (b) => {
        const want = oracle(b);
        expect(ts.isUtf8(b)).toBe(want);
        expect(wasm.isUtf8(b)).toBe(want);
        for (const kind of CODEC_KINDS) expect(isUtf8(b, kind)).toBe(want);
      }),
      { numRuns: 3000 },
    );
  });

  it("agrees on every edge sequence at every position around the SIMD width", () => {
    for (const e of EDGES)
      for (let pad = 0; pad <= 33; pad++)
        for (const after of [0, 1, 15, 16, 17]) {
          const b = Uint8Array.from([...Array(pad).fill(0x20), ...e, ...Array(after).fill(0x21)]);
          const want = oracle(b);
          expect(ts.isUtf8(b), `${Buffer.from(b).toString("hex")}`).toBe(want);
          expect(wasm.isUtf8(b), `${Buffer.from(b).toString("hex")}`).toBe(want);
        }
  });

  it("agrees on long inputs, where isUtf8 of kind wasm takes the Wasm kernel", () => {
    fc.assert(
      fc.property(fc.array(inputs, { minLength: 1, maxLength: 40 }), (parts) => {
        const b = Buffer.concat([Buffer.alloc(300, 0x41), ...parts]);
        const want = oracle(b);
        for (const kind of CODEC_KINDS) expect(isUtf8(b, kind)).toBe(want);
      }),
      { numRuns: 300 },
    );
  });

  it.each(CODEC_KINDS)("fails a text message with 1007 exactly when it is not UTF-8, across fragments, reads and control frames (%s)", (kind) => {
    const message = fc
      .tuple(inputs, fc.uniqueArray(fc.integer({ min: 0, max: 200 }), { maxLength: 4 }), fc.uint8Array({ minLength: 4, maxLength: 4 }))
      .map(([text, at, mask]) => {
        const bounds = [0, ...[...new Set(at.map((c) => c % (text.length + 1)))].sort((x, y) => x - y), text.length];
        const frames: Frame[] = [];
        for (let i = 0; i + 1 < bounds.length; i++) {
          frames.push({ fin: i + 2 === bounds.length, rsv1: false, opcode: i === 0 ? Opcode.TEXT : Opcode.CONTINUATION, payload: text.subarray(bounds[i], bounds[i + 1]), mask });
          // A ping between fragments whose bytes are not UTF-8: it must not disturb the text's check.
          if (i + 2 < bounds.length) frames.push({ fin: true, rsv1: false, opcode: Opcode.PING, payload: Uint8Array.of(0xff, 0xc0), mask });
        }
        return { text, bytes: encode(frames) };
      });
    fc.assert(
      fc.property(
        message.chain((m) => fc.tuple(fc.constant(m), cutsArb(m.bytes.length))),
        ([{ text, bytes }, cuts]) => {
          const sink = new RecordingSink();
          const err = feed(createDecoder(kind, { maxFrameSize: 1 << 20, allowRsv1: false, requireMask: true }), bytes, cuts, sink);
          if (oracle(text)) {
            expect(err).toBeNull();
            expect(Buffer.concat(sink.frames.filter((f) => f.opcode !== Opcode.PING).map((f) => f.payload)).equals(text)).toBe(true);
          } else {
            expect(err).toBeInstanceOf(WsProtocolError);
            expect((err as WsProtocolError).code).toBe(1007);
            expect((err as WsProtocolError).message).toMatch(/not valid UTF-8/);
          }
        },
      ),
      { numRuns: 1500 },
    );
  });
});
