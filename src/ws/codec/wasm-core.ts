/**
 * The one file that talks to ws-codec.wasm (assembly/ws/): the binding of
 * the Wasm frame core to the FrameCore interface.
 *
 * Exports of the module:
 *
 * | export                          | does                                                        |
 * |---------------------------------|-------------------------------------------------------------|
 * | `layoutHash()`                  | tests: the constants the module was built with              |
 * | `reserve(len) -> ptr`           | grow INPUT to hold `len` bytes (+16 slack); may grow memory |
 * | `control() / records() / input()` | addresses of the regions                                  |
 * | `run(from, end) -> consumed`    | decode INPUT[from, end) for the decoder in CONTROL          |
 * | `maskInput(len, key)`           | kernel: XOR INPUT[0, len) with a little-endian key          |
 * | `utf8Input(len) -> 0/1`         | kernel: is INPUT[0, len) UTF-8?                             |
 * | `memory`                        | the linear memory                                           |
 *
 * Each execute copies the read into INPUT once (after the bytes of a partial
 * header kept from the previous one), copies the decoder's numbers into
 * CONTROL, runs, and copies them back. Typed views are rebuilt only when
 * `memory.buffer` changes (after a grow). Nothing here hands a view of the
 * memory beyond the driver, which copies payload ranges out.
 */
import { instantiateWasm } from "../../wasm/load.js";
import { Control, Layout } from "./constants.js";
import type { DecoderIO, FrameCore } from "./frame-core.js";
import { keyOf } from "./mask.js";

interface Exports {
  memory: WebAssembly.Memory;
  reserve(len: number): number;
  control(): number;
  records(): number;
  input(): number;
  run(from: number, end: number): number;
  maskInput(len: number, key: number): void;
  utf8Input(len: number): number;
}

/**
 * `run` copies a decoder's numbers in and out of CONTROL through i32 and f64
 * views at literal indexes: a named constant would cost a load per field on
 * every call. This fails to compile if the generated layout changes under them.
 */
const CONTROL_LAYOUT: { STATE: 0; MESSAGE: 4; MASK: 8; PHASE: 12; UTF8: 16; MORE: 20; RECORD_WORDS: 24; REMAINING: 32; MAX_FRAME: 40 } = Control;

/** The Wasm core. One instance (one linear memory) serves every decoder that borrows it. */
export class WasmFrameCore implements FrameCore {
  records!: Int32Array;
  recordWords = 0;
  source!: Uint8Array;
  private readonly x: Exports;
  private buffer: ArrayBuffer | null = null;
  private ctrlI32!: Int32Array;
  private ctrlF64!: Float64Array;
  private readonly ctrlAt: number;
  private readonly recordsAt: number;
  private readonly inputAt: number;
  private inputCap: number = Layout.INITIAL_INPUT;

  constructor() {
    this.x = instantiateWasm("ws-codec").exports as unknown as Exports;
    this.ctrlAt = this.x.control();
    this.recordsAt = this.x.records();
    this.inputAt = this.x.input();
    this.views();
  }

  /** Rebuild the typed views if the memory grew. */
  private views(): void {
    const buf = this.x.memory.buffer;
    if (buf === this.buffer) return;
    this.buffer = buf;
    this.ctrlI32 = new Int32Array(buf, this.ctrlAt, Control.BYTES >> 2);
    this.ctrlF64 = new Float64Array(buf, this.ctrlAt, Control.BYTES >> 3);
    this.records = new Int32Array(buf, this.recordsAt, Layout.RECORD_CAPACITY);
    // A plain Uint8Array: its subarrays are cheaper to make than a Buffer's.
    this.source = new Uint8Array(buf, this.inputAt, buf.byteLength - this.inputAt);
  }

  /** Make INPUT hold `len` bytes, growing in steps (next power of two). */
  private room(len: number): Uint8Array {
    if (len > this.inputCap) {
      let cap = this.inputCap;
      while (cap < len) cap *= 2;
      this.x.reserve(cap);
      this.inputCap = cap;
      this.views();
    }
    return this.source;
  }

  load(pending: Uint8Array | null, pendingLength: number, chunk: Uint8Array): number {
    const len = pendingLength + chunk.length;
    const src = this.room(len);
    if (pendingLength !== 0) src.set(pending!.subarray(0, pendingLength), 0);
    src.set(chunk, pendingLength);
    return len;
  }

  run(from: number, end: number, io: DecoderIO): number {
    const ci = this.ctrlI32, cf = this.ctrlF64; // indexes: CONTROL_LAYOUT
    ci[0] = io.state;
    ci[1] = io.message;
    ci[2] = io.mask;
    ci[3] = io.phase;
    ci[4] = io.utf8;
    cf[4] = io.remaining;
    cf[5] = io.maxFrame;
    const p = this.x.run(from, end);
    io.state = ci[0];
    io.message = ci[1];
    io.mask = ci[2];
    io.phase = ci[3];
    io.utf8 = ci[4];
    io.more = ci[5] !== 0;
    this.recordWords = ci[6];
    io.remaining = smiIfInt(cf[4]);
    return p;
  }

  mask(src: Uint8Array, key: Uint8Array, dst: Uint8Array, at: number): void {
    const n = src.length;
    const mem = this.room(n);
    mem.set(src, 0);
    this.x.maskInput(n, keyOf(key));
    dst.set(mem.subarray(0, n), at);
  }

  isUtf8(bytes: Uint8Array): boolean {
    this.room(bytes.length).set(bytes, 0);
    return this.x.utf8Input(bytes.length) === 1;
  }
}

/** A Float64Array element comes back as a heap number; kept a small integer, the decoder's field stays unboxed. */
function smiIfInt(v: number): number {
  const i = v | 0;
  return i === v ? i : v;
}
