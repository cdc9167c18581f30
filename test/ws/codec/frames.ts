/**
 * Test support for the WebSocket frame codec: a small frame encoder written
 * independently of the decoder (RFC 6455 §5.2 read directly), fast-check
 * arbitraries for valid frame sequences, a sink that records what a decoder
 * reports, and feeding a byte string to a decoder in pieces.
 */
import { createHash } from "node:crypto";
import fc from "fast-check";
import { pattern } from "../../support/helpers.js";
import { Opcode, type FrameDecoder, type FrameSink, type WsCodecKind } from "../../../src/ws/codec/codec-core.js";

/** Both kinds, always: without dist/ws-codec.wasm the "wasm" runs fail with the loader's "run `npm run build:wasm`". */
export const CODEC_KINDS: readonly WsCodecKind[] = ["ts", "wasm"];

/** One frame as the encoder writes it. */
export interface Frame {
  fin: boolean;
  rsv1: boolean;
  /** Raw RSV2/RSV3 bits (0x20 | 0x10), for broken inputs. */
  rsv23?: number;
  opcode: number;
  payload: Uint8Array;
  /** The masking key, or null for an unmasked frame. */
  mask: Uint8Array | null;
  /** Force the 16- or 64-bit length form (non-minimal lengths are legal to decode). */
  lengthForm?: 7 | 16 | 64;
}

/** The bytes of `frames` on the wire. */
export function encode(frames: readonly Frame[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const f of frames) {
    const n = f.payload.length;
    const form = f.lengthForm ?? (n < 126 ? 7 : n < 65536 ? 16 : 64);
    const head: number[] = [(f.fin ? 0x80 : 0) | (f.rsv1 ? 0x40 : 0) | (f.rsv23 ?? 0) | f.opcode];
    const m = f.mask === null ? 0 : 0x80;
    if (form === 7) head.push(m | n);
    else if (form === 16) head.push(m | 126, (n >> 8) & 0xff, n & 0xff);
    else {
      const hi = Math.floor(n / 2 ** 32), lo = n % 2 ** 32;
      head.push(m | 127, (hi >>> 24) & 0xff, (hi >>> 16) & 0xff, (hi >>> 8) & 0xff, hi & 0xff, (lo >>> 24) & 0xff, (lo >>> 16) & 0xff, (lo >>> 8) & 0xff, lo & 0xff);
    }
    const body = new Uint8Array(n);
    if (f.mask !== null) {
      head.push(...f.mask);
      for (let i = 0; i < n; i++) body[i] = f.payload[i] ^ f.mask[i % 4];
    } else body.set(f.payload);
    parts.push(Uint8Array.from(head), body);
  }
  return Buffer.concat(parts);
}

/** What a sink saw of one frame: its header and its payload pieces joined. */
export interface SeenFrame {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
  length: number;
  payload: Buffer;
}

/** A sink that records frames and checks the start/data/end protocol as it goes; `pieces` keeps every data chunk it was handed. */
export class RecordingSink implements FrameSink {
  readonly frames: SeenFrame[] = [];
  readonly pieces: Uint8Array[] = [];
  private open: { head: Omit<SeenFrame, "payload">; parts: Uint8Array[]; got: number } | null = null;

  start(fin: boolean, rsv1: boolean, opcode: number, length: number): void {
    if (this.open !== null) throw new Error("start inside a frame");
    this.open = { head: { fin, rsv1, opcode, length }, parts: [], got: 0 };
  }

  data(bytes: Uint8Array): void {
    if (this.open === null) throw new Error("data outside a frame");
    if (bytes.length === 0) throw new Error("empty data call");
    this.open.parts.push(bytes);
    this.pieces.push(bytes);
    this.open.got += bytes.length;
    if (this.open.got > this.open.head.length) throw new Error("more data than the frame's length");
  }

  end(): void {
    if (this.open === null) throw new Error("end outside a frame");
    if (this.open.got !== this.open.head.length) throw new Error(`end after ${this.open.got} of ${this.open.head.length} bytes`);
    this.frames.push({ ...this.open.head, payload: Buffer.concat(this.open.parts) });
    this.open = null;
  }
}

/** A frame as compared in tests: its header and a digest of its payload (deep-comparing megabytes is slow). */
export interface FrameSummary {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
  length: number;
  payload: string;
}

/** The payload as hex when short, else its length and SHA-1. */
export function digest(bytes: Uint8Array): string {
  return bytes.length <= 64 ? Buffer.from(bytes).toString("hex") : `${bytes.length}:${createHash("sha1").update(bytes).digest("hex")}`;
}

/** Summaries of frames a sink saw. */
export function summary(frames: readonly SeenFrame[]): FrameSummary[] {
  return frames.map((f) => ({ fin: f.fin, rsv1: f.rsv1, opcode: f.opcode, length: f.length, payload: digest(f.payload) }));
}

/** The summaries a decoder should report for `frames` (payloads as sent, unmasked). */
export function expected(frames: readonly Frame[]): FrameSummary[] {
  return frames.map((f) => ({ fin: f.fin, rsv1: f.rsv1, opcode: f.opcode, length: f.payload.length, payload: digest(f.payload) }));
}

/** Feed `bytes` to `decoder` cut at the sorted offsets `cuts`; returns the error thrown, if any. */
export function feed(decoder: FrameDecoder, bytes: Uint8Array, cuts: readonly number[], sink: FrameSink): unknown {
  let at = 0;
  try {
    for (const c of [...cuts, bytes.length]) {
      if (c <= at) continue;
      // A copy per piece, as a socket read would be.
      decoder.execute(Uint8Array.from(bytes.subarray(at, c)), sink);
      at = c;
    }
  } catch (e) {
    return e;
  }
  return null;
}

/** Cut points: sorted, distinct, inside (0, n). */
export function cutsArb(n: number, max = 12): fc.Arbitrary<number[]> {
  if (n < 2) return fc.constant([]);
  return fc.uniqueArray(fc.integer({ min: 1, max: n - 1 }), { maxLength: max }).map((a) => a.sort((x, y) => x - y));
}

/** Payload lengths around every length-form edge, and small ones. */
export const lengthArb: fc.Arbitrary<number> = fc.oneof(
  { weight: 30, arbitrary: fc.integer({ min: 0, max: 40 }) },
  { weight: 10, arbitrary: fc.constantFrom(0, 1, 124, 125, 126, 127, 65534, 65535, 65536, 65537) },
  { weight: 5, arbitrary: fc.integer({ min: 128, max: 70000 }) },
  { weight: 1, arbitrary: fc.constantFrom(200_000, 1 << 20) },
);

const maskArb = fc.uint8Array({ minLength: 4, maxLength: 4 });

/** Bytes of length n from a seed: the suite's xorshift `pattern` (cheap for the large lengths). */
export function bytesOf(n: number, seed: number): Uint8Array {
  return pattern(seed, n);
}

const SAMPLES = ["a", "Z", " ", "é", "ß", "€", "中", "\u{10348}", "\u{1F600}", "\u{FFFF}", "\u{10FFFF}", "\u{7FF}", "\u{800}"].map((c) => Buffer.from(c, "utf8"));

/** UTF-8 text of about n bytes (at most 3 more) mixing 1- to 4-byte code points, from a seed. */
export function textOf(n: number, seed: number): Uint8Array {
  const out = Buffer.allocUnsafe(n + 3);
  let x = seed | 1, at = 0;
  while (at < n) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const c = SAMPLES[(x >>> 0) % SAMPLES.length];
    out.set(c, at);
    at += c.length;
  }
  return out.subarray(0, at);
}

/** A control frame (ping, pong or an empty close-free control), masked or not. */
function controlArb(masked: boolean): fc.Arbitrary<Frame> {
  return fc.record({
    opcode: fc.constantFrom(Opcode.PING, Opcode.PONG),
    n: fc.integer({ min: 0, max: 125 }),
    seed: fc.integer(),
    mask: masked ? maskArb : fc.constant(null),
  }).map(({ opcode, n, seed, mask }) => ({ fin: true, rsv1: false, opcode, payload: bytesOf(n, seed), mask }));
}

/**
 * A data message (text or binary; text payloads are UTF-8 cut into fragments
 * at any byte, so code points straddle fragments), fragmented with control
 * frames between its fragments.
 */
function messageArb(masked: boolean, rsv1: boolean): fc.Arbitrary<Frame[]> {
  return fc
    .record({
      text: fc.boolean(),
      n: lengthArb,
      seed: fc.integer(),
      cuts: fc.uniqueArray(fc.integer({ min: 0, max: 1 << 20 }), { maxLength: 4 }),
      controls: fc.array(fc.option(controlArb(masked), { nil: undefined }), { maxLength: 5 }),
      masks: fc.array(masked ? maskArb : fc.constant(null), { minLength: 5, maxLength: 5 }),
      compressed: rsv1 ? fc.boolean() : fc.constant(false),
      forms: fc.array(fc.constantFrom<7 | 16 | 64 | undefined>(undefined, undefined, 16, 64), { minLength: 5, maxLength: 5 }),
    })
    .map(({ text, n, seed, cuts, controls, masks, compressed, forms }) => {
      const payload = text ? textOf(n, seed) : bytesOf(n, seed);
      const at = [...new Set(cuts.map((c) => c % (payload.length + 1)))].sort((a, b) => a - b);
      const bounds = [0, ...at, payload.length];
      const out: Frame[] = [];
      for (let i = 0; i + 1 < bounds.length; i++) {
        const piece = payload.subarray(bounds[i], bounds[i + 1]);
        const form = forms[i] === 16 && piece.length >= 65536 ? undefined : forms[i];
        out.push({ fin: i + 2 === bounds.length, rsv1: i === 0 && compressed, opcode: i === 0 ? (text ? Opcode.TEXT : Opcode.BINARY) : Opcode.CONTINUATION, payload: piece, mask: masks[i], lengthForm: form });
        const c = controls[i];
        if (c !== undefined && i + 2 < bounds.length) out.push(c);
      }
      return out;
    });
}

/** A valid sequence of frames: messages and control frames, maybe ending with a close. */
export function streamArb(options: { masked: boolean; rsv1?: boolean; maxMessages?: number }): fc.Arbitrary<Frame[]> {
  const { masked, rsv1 = false, maxMessages = 4 } = options;
  const item = fc.oneof({ weight: 3, arbitrary: messageArb(masked, rsv1) }, { weight: 1, arbitrary: controlArb(masked).map((f) => [f]) });
  const close = fc.record({ code: fc.constantFrom(1000, 1001, 1011, 3000, 4999), reason: fc.constantFrom("", "bye", "é中\u{1F600}"), mask: masked ? maskArb : fc.constant(null) }).map(({ code, reason, mask }): Frame => {
    const r = Buffer.from(reason);
    const payload = new Uint8Array(2 + r.length);
    payload[0] = code >> 8;
    payload[1] = code & 0xff;
    payload.set(r, 2);
    return { fin: true, rsv1: false, opcode: Opcode.CLOSE, payload, mask };
  });
  return fc.tuple(fc.array(item, { maxLength: maxMessages }), fc.option(close, { nil: undefined })).map(([items, c]) => [...items.flat(), ...(c === undefined ? [] : [c])]);
}
