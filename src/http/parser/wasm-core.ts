/**
 * The one file that talks to http-parser.wasm (assembly/http/): the binding
 * of the Wasm parser core to the ParserCore interface.
 *
 * Exports of the module:
 *
 * | export                                   | does                                                        |
 * |------------------------------------------|-------------------------------------------------------------|
 * | `configure(line, head, n, ext, body, host)` | set the limits and lay out the regions (once)            |
 * | `layoutHash()`                           | tests: the constants the module was built with              |
 * | `reserve(len) -> ptr`                    | grow INPUT to hold `len` bytes (+16 slack); may grow memory |
 * | `control() / events() / headers() / input()` | addresses of the regions                                |
 * | `run(from, end) -> consumed`             | parse INPUT[from, end) for the connection in CONTROL        |
 * | `runResponse(from, end) -> consumed`     | the same in response mode (requests waited on in CONTROL)   |
 * | `memory`                                 | the linear memory                                           |
 *
 * Each execute copies the connection's bytes into INPUT once (after any
 * bytes kept from its previous call), copies the connection's numbers into
 * CONTROL, runs, and copies them back. Typed views are rebuilt only when
 * `memory.buffer` changes (after a grow).
 */
import { instantiateWasm } from "../../wasm/load.js";
import { Control, LAYOUT_HASH, Layout } from "./constants.js";
import type { CoreIO, ParserCore, ParserLimits, ResponseIO } from "./parser-core.js";

interface Exports {
  memory: WebAssembly.Memory;
  configure(line: number, head: number, headers: number, ext: number, body: number, host: number): void;
  reserve(len: number): number;
  control(): number;
  events(): number;
  headers(): number;
  input(): number;
  run(from: number, end: number): number;
  runResponse?(from: number, end: number): number;
  layoutHash?(): number;
}

/**
 * `run` copies a connection's numbers in and out of CONTROL through i32 and
 * f64 views at literal indexes (state i32 0, flags i32 1, remaining f64 1,
 * bodySoFar f64 2, more i32 6, eventWords i32 7): a named constant would cost
 * a load per field on every call. This fails to compile if the generated
 * layout changes under them.
 */
const CONTROL_LAYOUT: { STATE: 0; FLAGS: 4; REMAINING: 8; BODY_SO_FAR: 16; MORE: 24; EVENT_WORDS: 28 } = Control;

/** The Wasm core. One instance (one linear memory) per parser. */
export class WasmParserCore implements ParserCore {
  events!: Int32Array;
  eventWords = 0;
  headers!: Int32Array;
  source!: Buffer;
  private readonly x: Exports;
  private buffer: ArrayBuffer | null = null;
  private ctrlI32!: Int32Array;
  private ctrlF64!: Float64Array;
  private ctrlU8!: Uint8Array;
  private inputPtr = 0;
  private inputCap = 0;
  private readonly ctrlAt: number;
  private readonly eventsAt: number;
  private readonly headersAt: number;
  private readonly headerWords: number;

  constructor(limits: ParserLimits) {
    this.x = instantiateWasm("http-parser").exports as unknown as Exports;
    // A module built from other constants (a stale dist/) would misread every record.
    const hash = typeof this.x.layoutHash === "function" ? this.x.layoutHash() : undefined;
    if (hash !== LAYOUT_HASH) {
      throw new Error(`http-parser.wasm was built with other constants (layout hash ${String(hash)}, this runtime's is ${LAYOUT_HASH}); rebuild it with \`npm run build:wasm\``);
    }
    const body = Number.isFinite(limits.maxBodySize) ? limits.maxBodySize : Number.MAX_VALUE;
    this.x.configure(limits.maxRequestLine, limits.maxHeaderSize, limits.maxHeaders, limits.maxChunkExtension, body, limits.requireHost ? 1 : 0);
    this.ctrlAt = this.x.control();
    this.eventsAt = this.x.events();
    this.headersAt = this.x.headers();
    this.inputPtr = this.x.input();
    this.headerWords = (this.inputPtr - this.headersAt) >> 2;
    this.inputCap = Layout.INITIAL_INPUT;
    this.views();
  }

  /** Rebuild the typed views if the memory grew. */
  private views(): void {
    const buf = this.x.memory.buffer;
    if (buf === this.buffer) return;
    this.buffer = buf;
    this.ctrlI32 = new Int32Array(buf, this.ctrlAt, (Control.EXPECT_MORE >> 2) + 1);
    this.ctrlF64 = new Float64Array(buf, this.ctrlAt, (CONTROL_LAYOUT.BODY_SO_FAR >> 3) + 1);
    this.ctrlU8 = new Uint8Array(buf, this.ctrlAt, Control.BYTES);
    this.events = new Int32Array(buf, this.eventsAt, Layout.EVENT_CAPACITY);
    this.headers = new Int32Array(buf, this.headersAt, this.headerWords);
    this.source = Buffer.from(buf, this.inputPtr, buf.byteLength - this.inputPtr);
  }

  load(pending: Uint8Array | null, chunk: Uint8Array): number {
    const pl = pending === null ? 0 : pending.length;
    const len = pl + chunk.length;
    if (len > this.inputCap) {
      // Grow in steps (next power of two) so a stream of growing chunks does not grow every call.
      let cap = this.inputCap;
      while (cap < len) cap *= 2;
      this.x.reserve(cap);
      this.inputCap = cap;
      this.views();
    }
    const src = this.source;
    if (pl !== 0) src.set(pending!, 0);
    src.set(chunk, pl);
    return len;
  }

  run(from: number, end: number, io: CoreIO): number {
    const ci = this.ctrlI32, cf = this.ctrlF64; // indexes: CONTROL_LAYOUT
    ci[0] = io.state;
    ci[1] = io.flags;
    cf[1] = io.remaining;
    cf[2] = io.bodySoFar;
    return this.after(this.x.run(from, end), io);
  }

  runResponse(from: number, end: number, io: ResponseIO): number {
    const runResponse = this.x.runResponse;
    if (runResponse === undefined) throw new Error("this http-parser.wasm has no response mode; rebuild it with `npm run build:wasm`");
    const ci = this.ctrlI32, cf = this.ctrlF64, cu = this.ctrlU8;
    ci[0] = io.state;
    ci[1] = io.flags;
    cf[1] = io.remaining;
    cf[2] = io.bodySoFar;
    // The requests waited on: a byte each, into EXPECT (usually one or two of them).
    const list = io.expects, from0 = io.expectFrom, waiting = list.length - from0;
    const n = waiting < Layout.EXPECT_CAPACITY ? waiting : Layout.EXPECT_CAPACITY;
    for (let i = 0; i < n; i++) cu[Control.EXPECT + i] = list[from0 + i];
    ci[Control.EXPECT_COUNT >> 2] = n;
    ci[Control.EXPECT_MORE >> 2] = waiting > n ? 1 : 0;
    return this.after(runResponse(from, end), io);
  }

  /** Copy a connection's numbers back out of CONTROL after a run that stopped at `p`. */
  private after(p: number, io: CoreIO): number {
    const ci = this.ctrlI32, cf = this.ctrlF64;
    io.state = ci[0];
    io.flags = ci[1];
    io.remaining = smiIfInt(cf[1]);
    io.bodySoFar = smiIfInt(cf[2]);
    io.more = ci[6] !== 0;
    this.eventWords = ci[7];
    return p;
  }
}

/**
 * A Float64Array element comes back as a heap number even when it is a small
 * integer; stored as such, it would turn the field into a double field, which
 * V8 boxes in every ParserConnection (32 bytes per idle connection for the
 * two fields). The common small values stay small integers this way.
 */
function smiIfInt(v: number): number {
  const i = v | 0;
  return i === v ? i : v;
}
