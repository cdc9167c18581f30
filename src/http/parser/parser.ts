/**
 * The HTTP/1.1 request parser: one interface, two cores (Wasm with SIMD, or
 * the TypeScript twin, behind parser-core.ts), chosen at one place, `newCore`.
 *
 * How a server uses it (one parser per process, one small
 * {@link ParserConnection} per socket):
 *
 * ```ts
 * const parser = createParser("wasm", { maxBodySize: 1 << 20 });
 * const conn = parser.createConnection();          // ~50 bytes per socket
 * socket.on("data", (chunk) => {
 *   const used = parser.execute(conn, chunk, sink); // sink.onHead / onBody / onEnd / onError
 *   if (conn.upgraded) handOver(chunk.subarray(used));
 * });
 * ```
 *
 * A call parses every complete request in the chunk (pipelining) and reports
 * them in order. The core writes offsets into a table (constants.ts,
 * `EventKind`); the strings of a head are made lazily, only when read.
 * Heads are views into the parse buffer, valid until the next `execute` on
 * the same parser; {@link RequestHead.retain} copies a head out when it must
 * live longer (e.g. across a scheduler tick). Body chunks are views of the
 * caller's own chunk, so they live as long as the caller keeps it intact.
 */
import { EventKind, HeadFlag, Layout, METHODS, ParserState } from "./constants.js";
import { copyOf, HeaderList, latin1, staleView, type ViewOwner } from "./header-list.js";
import { HttpParseError } from "./parse-error.js";
import { DEFAULT_LIMITS, HEAD_RECORD, type CoreIO, type ParserCore, type ParserKind, type ParserLimits } from "./parser-core.js";
import { newCore } from "./new-core.js";

export { DEFAULT_LIMITS, HeaderList, type ParserKind, type ParserLimits };


/** How the body of a request is delimited (RFC 9112 §6.3). */
export type BodyFraming = "none" | "length" | "chunked";

/** Receives what {@link HttpParser.execute} finds, in order. */
export interface ParserSink {
  /** A complete request head. It is a view: call `head.retain()` to keep it past the next `execute`. */
  onHead(head: RequestHead): void;
  /**
   * Body bytes (de-chunked): a view of the `chunk` passed to the `execute`
   * that reports them (never of the parser's own buffer). They stay valid
   * for as long as the caller leaves that chunk unmodified.
   */
  onBody(chunk: Uint8Array): void;
  /** The message is complete; `trailers` are the chunked trailer fields, if any. */
  onEnd(trailers: HeaderList | null): void;
  /** The request is rejected; the connection must be answered with `error.status` and closed. */
  onError(error: HttpParseError): void;
}

/**
 * A parsed request head: method, target, version, fields, framing and
 * connection semantics. Strings are made when first read. The head is its
 * own field list (`head.headers === head`), which saves an object per request.
 */
export class RequestHead extends HeaderList {
  /** Method id (index in `METHODS` of constants.ts). */
  readonly methodId: number;
  /** 10 for HTTP/1.0, 11 for HTTP/1.1. */
  readonly versionCode: number;
  /** {@link HeadFlag} bits. */
  readonly flags: number;
  /** Content-Length, or -1 without one. */
  readonly contentLength: number;
  /** @internal */ _hs: number;
  /** @internal */ _he: number;
  /** @internal */ _ts: number;
  /** @internal */ _te: number;
  private _target: string | undefined = undefined;
  /**
   * @internal Set by `retainInChunk`: the caller's chunk, which holds the
   * head's bytes for good, and the parse-buffer offset of its first byte.
   * Until the next execute the head reads the parse buffer as a plain
   * view; after it, the first read parses the kept bytes again for rows of
   * its own. Most handlers read their headers before the parser moves on,
   * so most heads never copy a row.
   */
  _keep: Buffer | null = null;
  /** @internal */ _keepAt = 0;

  /** @internal */
  constructor(src: Buffer, tab: Int32Array, at: number, length: number, owner: ViewOwner | null, epoch: number, methodId: number, version: number, flags: number, contentLength: number, hs: number, he: number, ts: number, te: number) {
    super(src, tab, at, length, owner, epoch);
    this.methodId = methodId;
    this.versionCode = version;
    this.flags = flags;
    this.contentLength = contentLength;
    this._hs = hs;
    this._he = he;
    this._ts = ts;
    this._te = te;
  }

  /** The header fields (the head itself). */
  get headers(): HeaderList {
    return this;
  }
  /** The method, e.g. `"GET"`. */
  get method(): string {
    return METHODS[this.methodId];
  }
  /** The request-target as sent, e.g. `"/search?q=1"`. */
  get target(): string {
    if (this._target === undefined) this._target = latin1(this._bytes(), this._ts, this._te);
    return this._target;
  }
  /** `"1.0"` or `"1.1"`. */
  get version(): string {
    return this.versionCode === 11 ? "1.1" : "1.0";
  }
  /** Whether the connection stays open after this message. */
  get keepAlive(): boolean {
    return (this.flags & HeadFlag.KEEP_ALIVE) !== 0;
  }
  /** `Expect: 100-continue` was sent. */
  get expectContinue(): boolean {
    return (this.flags & HeadFlag.EXPECT_CONTINUE) !== 0;
  }
  /** An Expect other than 100-continue was sent (answer 417). */
  get expectOther(): boolean {
    return (this.flags & HeadFlag.EXPECT_OTHER) !== 0;
  }
  /** The connection is handed to another protocol after this message (CONNECT, Upgrade, h2 preface). */
  get upgrade(): boolean {
    return (this.flags & HeadFlag.UPGRADE) !== 0;
  }
  /** How the body is delimited. */
  get framing(): BodyFraming {
    const f = this.flags;
    return (f & HeadFlag.CHUNKED) !== 0 ? "chunked" : (f & HeadFlag.CONTENT_LENGTH) !== 0 && (f & HeadFlag.CONNECT) === 0 ? "length" : "none";
  }
  /** The raw bytes of the head, request-line to blank line (a view unless retained). */
  get raw(): Uint8Array {
    return this._bytes().subarray(this._hs, this._he);
  }
  /** Copy the head out of the parse buffer so it stays valid after the next execute. Returns this. */
  retain(): this {
    if (this._owner === null || this._keep !== null) return this;
    const from = this._hs;
    this._retain(copyOf(this._bytes(), from, this._he), from);
    return this._shift(from);
  }

  /** @internal A kept head read after the next execute: its bytes again, parsed for rows of its own. */
  override _stale(): void {
    const keep = this._keep;
    if (keep === null) staleView();
    const from = this._hs;
    const bytes = keep.subarray(from - this._keepAt, this._he - this._keepAt);
    this._own(bytes, (this._owner as HttpParser)._rowsOf(bytes, this.length));
    this._keep = null;
    this._shift(from);
  }

  /** @internal Offsets into the parse buffer become offsets into owned bytes that start at its offset `from`. */
  private _shift(from: number): this {
    this._ts -= from;
    this._te -= from;
    this._he -= from;
    this._hs -= from;
    return this;
  }
}

/** Per-connection parser state: a few numbers and, between calls, the bytes of an unfinished head or chunk line. */
export class ParserConnection implements CoreIO {
  /** A `ParserState` (constants.ts). */
  state = 0;
  /** @internal */ flags = 0;
  /** @internal */ remaining = 0;
  /** @internal */ bodySoFar = 0;
  /** @internal */ more = false;
  /** @internal Bytes kept from the previous call (a head or a line cut short). */
  pending: Uint8Array | null = null;
  /** @internal Room to append to a long unfinished head without copying it again. */
  store: Buffer | null = null;
  /** The error that stopped this connection, if any. */
  error: HttpParseError | null = null;
  /** CONNECT or Upgrade was accepted: the rest of the stream is not HTTP. */
  get upgraded(): boolean {
    return this.state === ParserState.UPGRADED;
  }
  /** Between messages with nothing buffered: the connection may be closed without losing a request. */
  get idle(): boolean {
    return this.state === ParserState.HEAD && this.pending === null;
  }
}

/** Unfinished heads at least this long are re-parsed only when a chunk brings a line end (see execute). */
const REPARSE_GATE = 1024;
/** Bytes the buffer of a long unfinished head starts with, at least (see execute). */
const MIN_HEAD_STORE = 4096;
/** Largest maxHeaders, and largest maxHeaderSize and maxRequestLine, a parser accepts: offsets and counts stay far inside an i32. */
const MAX_HEADERS_LIMIT = 65536;
const MAX_SIZE_LIMIT = 1 << 30;

/** One parser (one core, one set of limits), shared by any number of connections. */
export class HttpParser implements ViewOwner {
  /** Which core runs. */
  readonly kind: ParserKind;
  /** The limits in force. */
  readonly limits: Readonly<ParserLimits>;
  /** Incremented by every execute; views of older epochs are stale. */
  epoch = 0;
  private readonly core: ParserCore;
  /** The chunk of the execute() running now, and where its bytes start in the parse buffer. */
  private chunk: Uint8Array | null = null;
  private chunkAt = 0;
  /** A second core of the same kind, made on first use, for the rows of kept heads read late (see `RequestHead._keep`). */
  private reparser: ParserCore | null = null;

  /** @internal use {@link createParser} */
  constructor(kind: ParserKind, limits: Readonly<ParserLimits>, core: ParserCore) {
    this.kind = kind;
    this.limits = limits;
    this.core = core;
  }

  /**
   * @internal Like `head.retain()`, from inside a sink's `onHead`, for a
   * caller that never modifies the chunk it passed to execute(): when the
   * head lies within that chunk, it is kept by pointing into the chunk
   * instead of copying it.
   */
  retainInChunk(head: RequestHead): RequestHead {
    const chunk = this.chunk;
    if (chunk === null || head._owner !== this || head._epoch !== this.epoch || head._hs < this.chunkAt || !Buffer.isBuffer(chunk)) return head.retain();
    head._keep = chunk;
    head._keepAt = this.chunkAt;
    return head;
  }

  /**
   * @internal The rows of the head in `bytes` (a complete head this parser
   * accepted, with `count` fields), offsets relative to its first byte:
   * parsed again by a core of this parser's kind and limits, so they are
   * the rows the first parse made.
   */
  _rowsOf(bytes: Uint8Array, count: number): Int32Array {
    const core = (this.reparser ??= newCore(this.kind, this.limits));
    const len = core.load(null, bytes);
    core.run(0, len, new ParserConnection());
    const ev = core.events;
    if (core.eventWords === 0 || ev[HEAD_RECORD.KIND] !== EventKind.HEAD || ev[HEAD_RECORD.HEADER_COUNT] !== count) throw new Error("tasklet http: a kept request head did not parse again the same way (a parser bug)");
    const at = ev[HEAD_RECORD.FIRST_HEADER] * Layout.HEADER_WORDS;
    return core.headers.slice(at, at + 4 * count);
  }

  /** State for one more connection. */
  createConnection(): ParserConnection {
    return new ParserConnection();
  }

  /**
   * Parse `chunk`, the next bytes of `conn`'s stream, reporting every head,
   * body run, message end and error to `sink` in order. Returns how many
   * bytes of `chunk` were HTTP: all of them, except after an upgrade, where
   * `chunk.subarray(returned)` belongs to the new protocol. After an error or
   * an upgrade, further calls do nothing and return 0.
   */
  execute(conn: ParserConnection, chunk: Uint8Array, sink: ParserSink): number {
    const state = conn.state;
    if (state === ParserState.ERROR || state === ParserState.UPGRADED) return 0;
    if ((state === ParserState.BODY_LENGTH || state === ParserState.CHUNK_DATA) && chunk.length < conn.remaining && conn.pending === null) {
      // The whole chunk is body data and does not finish it: nothing for a
      // core to look at, so it is reported as it is, with no copy into the
      // parse buffer (most reads of a large upload take this path).
      conn.remaining -= chunk.length;
      if (chunk.length !== 0) sink.onBody(chunk);
      return chunk.length;
    }
    this.epoch++;
    const pending = conn.pending;
    if (pending !== null && pending.length >= REPARSE_GATE && (state === ParserState.HEAD || state === ParserState.TRAILERS) && pending.length + chunk.length <= this.limits.maxHeaderSize && chunk.indexOf(10) < 0) {
      // A long unfinished head (or trailer section) is parsed again from its start
      // when bytes arrive. Without a line end in them they cannot finish it, so they
      // are only appended: a head sent one byte at a time costs one parse per line
      // (at most maxHeaders + 2), not one per byte. An error in the unfinished last
      // line is then reported when that line ends, or at the size limit.
      // Appended in a buffer that doubles, so the copying stays linear too.
      const need = pending.length + chunk.length;
      let store = conn.store;
      if (store === null || store.buffer !== pending.buffer || store.byteOffset !== pending.byteOffset || store.length < need) {
        store = Buffer.allocUnsafeSlow(Math.min(Math.max(2 * need, MIN_HEAD_STORE), this.limits.maxHeaderSize));
        store.set(pending, 0);
        conn.store = store;
      }
      store.set(chunk, pending.length);
      conn.pending = store.subarray(0, need);
      return chunk.length;
    }
    conn.store = null;
    const core = this.core;
    const pendLen = conn.pending === null ? 0 : conn.pending.length;
    const len = core.load(conn.pending, chunk);
    conn.pending = null;
    this.chunk = chunk;
    this.chunkAt = pendLen;
    let p = 0;
    try {
      for (;;) {
        p = core.run(p, len, conn);
        if (core.eventWords !== 0) this.dispatch(conn, sink);
        if (!conn.more) break;
      }
    } finally {
      this.chunk = null;
    }
    if (conn.state === ParserState.UPGRADED) return p - pendLen;
    if (conn.state !== ParserState.ERROR && p < len) conn.pending = copyOf(core.source, p, len);
    return chunk.length;
  }

  /**
   * Body bytes [s, e) of the parse buffer, as a view of the caller's own
   * chunk: body bytes are consumed as they arrive, so they always lie in
   * the chunk of this execute, never in bytes kept from an earlier one. No
   * view of the parse buffer (Wasm memory, reused by the next execute)
   * reaches the sink; should a range ever start before the chunk, it is
   * copied.
   */
  private bodyView(src: Buffer, s: number, e: number): Uint8Array {
    const chunk = this.chunk!, at = this.chunkAt;
    if (s >= at) return chunk.subarray(s - at, e - at);
    return copyOf(src, s, e);
  }

  private dispatch(conn: ParserConnection, sink: ParserSink): void {
    const core = this.core, ev = core.events, n = core.eventWords, src = core.source, epoch = this.epoch;
    let w = 0;
    while (w < n) {
      const kind = ev[w];
      if (kind === EventKind.HEAD) {
        // Words of HEAD_RECORD (parser-core.ts), at literal offsets: 1 START, 2 END, 3 METHOD, 4 TARGET_START,
        // 5 TARGET_END, 6 VERSION, 7 FLAGS, 8 CL_LOW, 9 CL_HIGH, 10 FIRST_HEADER, 11 HEADER_COUNT.
        const low = ev[w + 8], high = ev[w + 9];
        const cl = high < 0 ? -1 : high * 4294967296 + (low >>> 0);
        sink.onHead(new RequestHead(src, core.headers, ev[w + 10] * Layout.HEADER_WORDS, ev[w + 11], this, epoch, ev[w + 3], ev[w + 6], ev[w + 7], cl, ev[w + 1], ev[w + 2], ev[w + 4], ev[w + 5]));
        w += Layout.HEAD_WORDS;
        continue;
      }
      if (kind === EventKind.BODY) {
        sink.onBody(this.bodyView(src, ev[w + 1], ev[w + 2]));
      } else if (kind === EventKind.END) {
        const count = ev[w + 2];
        sink.onEnd(count === 0 ? null : new HeaderList(src, core.headers, ev[w + 1] * Layout.HEADER_WORDS, count, this, epoch));
      } else if (kind === EventKind.ERROR) {
        const err = new HttpParseError(ev[w + 1], ev[w + 2]);
        conn.error = err;
        sink.onError(err);
      }
      w += Layout.SMALL_WORDS;
    }
  }
}

/**
 * Create a parser. `kind` picks the core (`"wasm"`, with SIMD, or the
 * pure-TypeScript `"ts"`); `limits` override {@link DEFAULT_LIMITS}. There
 * is no silent fallback: asking for "wasm" when the module is missing
 * throws. Each "wasm" parser is one Wasm instance (the module is compiled
 * once per process): create one per server, not one per connection.
 *
 * @example
 * const parser = createParser("wasm", { maxHeaders: 50 });
 * const conn = parser.createConnection();
 * parser.execute(conn, bytes, { onHead: (h) => console.log(h.method, h.target), onBody() {}, onEnd() {}, onError(e) { throw e; } });
 */
export function createParser(kind: ParserKind = "wasm", limits: Partial<ParserLimits> = {}): HttpParser {
  const full: ParserLimits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(limits) as (keyof ParserLimits)[]) {
    if (limits[key] !== undefined) (full as unknown as Record<string, unknown>)[key] = limits[key];
  }
  for (const key of ["maxRequestLine", "maxHeaderSize", "maxHeaders", "maxChunkExtension", "maxBodySize"] as const) {
    const v = full[key];
    if (!(v >= 0) || (key !== "maxBodySize" && !Number.isInteger(v))) throw new RangeError(`parser limit ${key} must be a non-negative integer, got ${v}`);
  }
  if (full.maxHeaders > MAX_HEADERS_LIMIT || full.maxHeaderSize > MAX_SIZE_LIMIT || full.maxRequestLine > MAX_SIZE_LIMIT) throw new RangeError("parser limits too large");
  Object.freeze(full);
  return new HttpParser(kind, full, newCore(kind, full));
}

/** A whole request parsed by {@link parseRequest}. */
export interface ParsedRequest {
  /** The head (retained: valid for as long as you keep it). */
  head: RequestHead;
  /** The body, de-chunked (a copy). */
  body: Uint8Array;
  /** Trailer fields of a chunked body, or null. */
  trailers: HeaderList | null;
  /** Bytes of the input used by this request (the rest is the next request or another protocol). */
  consumed: number;
}

/**
 * Parse one complete request from `bytes`. Throws {@link HttpParseError} when
 * it is malformed, and an `Error` when it is incomplete. Uses the TS core
 * unless `kind: "wasm"` is given: a one-off parse does not pay for a Wasm
 * instance (servers should keep one {@link createParser} instead).
 *
 * @example
 * const { head, body } = parseRequest(new TextEncoder().encode("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi"));
 * head.method; // "POST"
 * head.headers.get("host"); // "a"
 */
export function parseRequest(bytes: Uint8Array, options: Partial<ParserLimits> & { kind?: ParserKind } = {}): ParsedRequest {
  const { kind = "ts", ...limits } = options;
  const parser = createParser(kind, limits);
  const conn = parser.createConnection();
  let head: RequestHead | null = null;
  let trailers: HeaderList | null = null;
  let done = false;
  const parts: Uint8Array[] = [];
  let consumed = 0;
  let stopAt = -1;
  const sink: ParserSink = {
    onHead(h) {
      if (head === null) head = h.retain();
      else if (stopAt < 0) stopAt = h._hs;
    },
    onBody(chunk) {
      if (!done) parts.push(copyOf(chunk, 0, chunk.length));
    },
    onEnd(t) {
      if (done) return;
      done = true;
      if (t !== null) {
        const bytes = t._bytes();
        t._retain(copyOf(bytes, 0, bytes.length), 0);
        trailers = t;
      }
    },
    onError(e) {
      if (!done) throw e;
    },
  };
  // One byte at a time would also work; one call is enough for a complete request.
  const used = parser.execute(conn, bytes, sink);
  if (!done || head === null) throw new Error("incomplete HTTP request");
  consumed = conn.upgraded ? used : stopAt >= 0 ? stopAt : bytes.length;
  let total = 0;
  for (const p of parts) total += p.length;
  const body = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    body.set(p, at);
    at += p.length;
  }
  return { head, body, trailers, consumed };
}

// Response mode (for clients): the same cores, its own driver.
export { createResponseParser, DEFAULT_RESPONSE_LIMITS, ResponseConnection, ResponseHead, ResponseParser, type ResponseFraming, type ResponseLimits, type ResponseSink } from "./response-parser.js";
