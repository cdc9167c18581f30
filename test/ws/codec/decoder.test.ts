/**
 * The frame decoder on valid input: random sequences of frames (every
 * opcode, lengths at each length-form edge, fragmented messages with control
 * frames between fragments, random masks), written by the independent
 * encoder in frames.ts and fed whole, at every split (short inputs) and at
 * random splits. Each kind must report exactly the frames sent; the kinds
 * must agree with each other.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createDecoder } from "../../../src/ws/codec/decoder.js";
import { CODEC_KINDS, RecordingSink, cutsArb, digest, encode, expected, feed, streamArb, summary, type Frame } from "./frames.js";

const SERVER = { maxFrameSize: 1 << 21, allowRsv1: false, requireMask: true };

function decodeWith(kind: (typeof CODEC_KINDS)[number], frames: readonly Frame[], bytes: Uint8Array, cuts: number[], options = SERVER): RecordingSink {
  const sink = new RecordingSink();
  const d = createDecoder(kind, options);
  const err = feed(d, bytes, cuts, sink);
  expect(err).toBeNull();
  expect(d.atFrameBoundary).toBe(true);
  return sink;
}

describe.each(CODEC_KINDS)("frame decoder (%s)", (kind) => {
  it("reports the frames of random valid streams, split at random points", () => {
    fc.assert(
      fc.property(
        streamArb({ masked: true }).chain((frames) => {
          const bytes = encode(frames);
          return fc.tuple(fc.constant(frames), fc.constant(bytes), cutsArb(bytes.length));
        }),
        ([frames, bytes, cuts]) => {
          const sink = decodeWith(kind, frames, bytes, cuts);
          expect(summary(sink.frames)).toEqual(expected(frames));
        },
      ),
      { numRuns: 150 },
    );
  });

  it("reports the same frames for every single split of short streams", () => {
    fc.assert(
      fc.property(
        streamArb({ masked: true, maxMessages: 3 }).filter((f) => encode(f).length <= 400),
        (frames) => {
          const bytes = encode(frames);
          const want = expected(frames);
          for (let c = 0; c <= bytes.length; c++) expect(summary(decodeWith(kind, frames, bytes, c === 0 || c === bytes.length ? [] : [c]).frames)).toEqual(want);
          // and byte by byte
          expect(summary(decodeWith(kind, frames, bytes, Array.from({ length: bytes.length - 1 }, (_, i) => i + 1)).frames)).toEqual(want);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("decodes unmasked frames when masks are not required, and RSV1 on first frames when allowed", () => {
    fc.assert(
      fc.property(
        streamArb({ masked: false, rsv1: true }).chain((frames) => {
          const bytes = encode(frames);
          return fc.tuple(fc.constant(frames), fc.constant(bytes), cutsArb(bytes.length));
        }),
        ([frames, bytes, cuts]) => {
          const sink = decodeWith(kind, frames, bytes, cuts, { maxFrameSize: 1 << 21, allowRsv1: true, requireMask: false });
          expect(summary(sink.frames)).toEqual(expected(frames));
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe("the two kinds", () => {
  it("report the same data pieces for the same reads", () => {
    fc.assert(
      fc.property(
        streamArb({ masked: true }).chain((frames) => {
          const bytes = encode(frames);
          return fc.tuple(fc.constant(bytes), cutsArb(bytes.length, 20));
        }),
        ([bytes, cuts]) => {
          const runs = CODEC_KINDS.map((kind) => {
            const sink = new RecordingSink();
            expect(feed(createDecoder(kind, SERVER), bytes, cuts, sink)).toBeNull();
            return sink.pieces.map(digest);
          });
          expect(runs[1]).toEqual(runs[0]);
        },
      ),
      { numRuns: 100 },
    );
  });
});
