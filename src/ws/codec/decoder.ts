/**
 * The WebSocket frame decoder's driver: one interface (codec-core.ts), two
 * cores (Wasm with SIMD, or the TypeScript twin, behind frame-core.ts),
 * chosen at one place, `newCore`. Also the whole-buffer helpers the protocol
 * layer and clients use: isUtf8 and maskBytes.
 *
 * ```ts
 * const decoder = createDecoder("wasm", { maxFrameSize: 1 << 20, allowRsv1: false, requireMask: true });
 * socket.on("data", (chunk) => decoder.execute(chunk, sink)); // sink.start / data / end; throws WsProtocolError
 * ```
 *
 * Cores hold no connection: a decoder is a few numbers (DecoderIO) and up
 * to 13 bytes of a partial header, so an idle WebSocket costs little. Each
 * execute borrows a core from a small free list, so a sink that decodes for
 * another connection from inside a callback gets a core of its own.
 * Payload bytes are copied out of the core's buffer before the sink sees
 * them: nothing the sink keeps is a view of memory the core reuses.
 */
import { WsProtocolError, type DecoderOptions, type FrameDecoder, type FrameSink, type WsCodecKind } from "./codec-core.js";
import { DecoderState, Layout, Message, RecordKind, Utf8State } from "./constants.js";
import type { DecoderIO, FrameCore } from "./frame-core.js";
import { frameError } from "./frame-error.js";
import { maskTs } from "./mask.js";
import { TsFrameCore } from "./ts-core.js";
import { isUtf8Ts } from "./utf8.js";
import { WasmFrameCore } from "./wasm-core.js";

/**
 * Below these sizes the whole-buffer helpers stay in TypeScript for kind
 * "wasm" too: copying into Wasm memory and back costs more than it saves
 * (measured by bench/ws-codec.mjs; see bench/RESULTS.md).
 */
const MASK_WASM_MIN = 128;
const UTF8_WASM_MIN = 64;

/** A core of `kind`: the one place a kind becomes a core. */
function newCore(kind: WsCodecKind): FrameCore {
  if (kind === "ts") return new TsFrameCore();
  if (kind === "wasm") return new WasmFrameCore();
  throw new TypeError(`unknown WebSocket codec kind ${String(kind)} (use "wasm" or "ts")`);
}

/** Idle cores of each kind; execute borrows one and gives it back. */
const idle: Record<WsCodecKind, FrameCore[]> = { wasm: [], ts: [] };

function borrow(kind: WsCodecKind): FrameCore {
  return idle[kind].pop() ?? newCore(kind);
}

function giveBack(kind: WsCodecKind, core: FrameCore): void {
  if (idle[kind].length < 4) idle[kind].push(core);
}

/** A fresh Buffer holding bytes [s, e) of `src` (a copy, never a view). */
function copyOf(src: Uint8Array, s: number, e: number): Buffer {
  const n = e - s;
  const out = Buffer.allocUnsafe(n);
  // Short payloads byte by byte: cheaper than making the subarray `set` needs.
  if (n <= 64) for (let i = 0; i < n; i++) out[i] = src[s + i];
  else out.set(src.subarray(s, e), 0);
  return out;
}

const TWO_32 = 4294967296;

class WsFrameDecoder implements FrameDecoder {
  private readonly io: DecoderIO;
  private pending: Uint8Array | null = null;
  private pendingLength = 0;
  /** Set once the decoder refuses input: the protocol error, or a sink that threw. */
  private failure: Error | null = null;

  constructor(
    private readonly kind: WsCodecKind,
    options: DecoderOptions,
  ) {
    const max = options.maxFrameSize;
    if (typeof max !== "number" || !(max >= 0)) throw new RangeError(`maxFrameSize must be a number >= 0, got ${String(max)}`);
    this.io = {
      state: DecoderState.HEADER,
      message: (options.requireMask ? Message.REQUIRE_MASK : 0) | (options.allowRsv1 ? Message.ALLOW_RSV1 : 0),
      mask: 0,
      phase: 0,
      utf8: Utf8State.ACCEPT,
      remaining: 0,
      maxFrame: max,
      more: false,
    };
  }

  get atFrameBoundary(): boolean {
    return this.io.state === DecoderState.HEADER && this.pendingLength === 0;
  }

  execute(chunk: Uint8Array, sink: FrameSink): void {
    if (this.failure !== null) {
      const f = this.failure;
      if (f instanceof WsProtocolError) throw new WsProtocolError(f.code, `decoder refuses input after an error: ${f.message}`);
      throw new Error(`decoder refuses input after its sink threw: ${f.message}`);
    }
    if (chunk.length === 0) return;
    const io = this.io;
    const core = borrow(this.kind);
    try {
      const end = core.load(this.pending, this.pendingLength, chunk);
      let p = 0;
      for (;;) {
        p = core.run(p, end, io);
        this.deliver(core, sink);
        if (!io.more) break;
      }
      const left = end - p;
      if (left > 0 && io.state === DecoderState.HEADER) {
        // A partial header (at most 13 bytes): copied out, the core's buffer is reused.
        if (this.pending === null) this.pending = new Uint8Array(Layout.MAX_HEADER);
        this.pending.set(core.source.subarray(p, end), 0);
      }
      this.pendingLength = io.state === DecoderState.HEADER ? left : 0;
    } catch (e) {
      this.failure = e as Error;
      throw e;
    } finally {
      giveBack(this.kind, core);
    }
  }

  /** Hand the records of the last run to the sink; throws on an ERROR record. */
  private deliver(core: FrameCore, sink: FrameSink): void {
    const rec = core.records, n = core.recordWords, src = core.source;
    for (let w = 0; w < n; w += 4) {
      switch (rec[w]) {
        case RecordKind.START: {
          const bits = rec[w + 1];
          sink.start((bits & 0x80) !== 0, (bits & 0x40) !== 0, bits & 0x0f, (rec[w + 3] >>> 0) * TWO_32 + (rec[w + 2] >>> 0));
          break;
        }
        case RecordKind.DATA:
          sink.data(copyOf(src, rec[w + 1], rec[w + 2]));
          break;
        case RecordKind.END:
          sink.end();
          break;
        default:
          throw frameError(rec[w + 1], rec[w + 3], this.io.maxFrame);
      }
    }
  }
}

/**
 * A frame decoder for one connection, of `kind` ("wasm" or "ts"), enforcing
 * `options` (RFC 6455 §5; see WsProtocolError for the close codes).
 */
export function createDecoder(kind: WsCodecKind, options: DecoderOptions): FrameDecoder {
  if (kind !== "wasm" && kind !== "ts") throw new TypeError(`unknown WebSocket codec kind ${String(kind)} (use "wasm" or "ts")`);
  // Borrowing a core once loads the Wasm module now, so a missing build fails here rather than on the first read.
  giveBack(kind, borrow(kind));
  return new WsFrameDecoder(kind, options);
}

/** True when `bytes` is well-formed UTF-8 (RFC 3629: no overlongs, surrogates or code points above U+10FFFF). */
export function isUtf8(bytes: Uint8Array, kind: WsCodecKind = "wasm"): boolean {
  if (kind !== "wasm" || bytes.length < UTF8_WASM_MIN) return isUtf8Ts(bytes);
  const core = borrow(kind);
  try {
    return core.isUtf8(bytes);
  } finally {
    giveBack(kind, core);
  }
}

/**
 * Mask (or unmask: the same XOR) `src` with the 4-byte `key` into `dst`
 * from `offset`: dst[offset + i] = src[i] ^ key[i % 4]. `dst` may be `src`
 * itself with offset 0. `kind` picks the Wasm kernel (for inputs large
 * enough to pay for the copies) or the TypeScript loop.
 */
export function maskBytes(src: Uint8Array, key: Uint8Array, dst: Uint8Array, offset = 0, kind: WsCodecKind = "wasm"): void {
  if (key.length < 4) throw new RangeError(`masking key must be 4 bytes, got ${key.length}`);
  if (!(offset >= 0) || offset + src.length > dst.length) throw new RangeError(`masking ${src.length} bytes at offset ${offset} overruns the ${dst.length}-byte destination`);
  if (kind !== "wasm" || src.length < MASK_WASM_MIN) return maskTs(src, key, dst, offset);
  const core = borrow(kind);
  try {
    core.mask(src, key, dst, offset);
  } finally {
    giveBack(kind, core);
  }
}
