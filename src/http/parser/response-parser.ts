/**
 * The HTTP/1.1 parser in response mode, for clients: the same cores as the
 * request parser (parser.ts), run through their `runResponse` entry, with
 * the same design: one copy into the parse buffer per chunk, offset tables,
 * strings made when read, heads that are views until the next execute
 * unless retained, body chunks that are views of the caller's own chunk.
 *
 * What differs from requests is that a response cannot be framed alone: a
 * response to HEAD has no body, a 2xx to CONNECT switches protocols. So a
 * client says which request it sent, in order ({@link ResponseConnection.expect}),
 * and each response is matched to the oldest request not yet answered
 * (pipelining). A body with no length runs until the peer closes, which the
 * client reports with {@link ResponseParser.finish}.
 *
 * ```ts
 * const parser = createResponseParser("wasm");
 * const conn = parser.createConnection();
 * conn.expect("GET"); socket.write("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
 * socket.on("data", (chunk) => parser.execute(conn, chunk, sink));
 * socket.on("end", () => parser.finish(conn, sink));
 * ```
 */
import { EventKind, HeadFlag, Layout, METHODS, ParseError, ParserState } from "./constants.js";
import { copyOf, HeaderList, latin1, type ViewOwner } from "./header-list.js";
import { newCore } from "./new-core.js";
import { HttpParseError } from "./parse-error.js";
import { DEFAULT_RESPONSE_LIMITS, type ParserCore, type ParserKind, type ParserLimits, type ResponseIO, type ResponseLimits } from "./parser-core.js";

export { DEFAULT_RESPONSE_LIMITS, type ResponseLimits };

/** How the body of a response is delimited (RFC 9112 §6.3): `"close"` reads until the peer closes. */
export type ResponseFraming = "none" | "length" | "chunked" | "close";

/** Receives what {@link ResponseParser.execute} finds, in order. */
export interface ResponseSink {
  /**
   * A head. For an interim 1xx (100, 102, 103) `head.informational` is true,
   * no onBody or onEnd follows it, and the final response follows. It is a
   * view: call `head.retain()` to keep it past the next `execute`.
   */
  onHead(head: ResponseHead): void;
  /** Body bytes (de-chunked): a view of the chunk passed to `execute` (never of the parser's own buffer or Wasm memory). */
  onBody(chunk: Uint8Array): void;
  /** The response is complete; `trailers` are the chunked trailer fields, if any. */
  onEnd(trailers: HeaderList | null): void;
  /** The response is malformed; the connection must be closed. `error.code` says what was wrong. */
  onError(error: HttpParseError): void;
}

/**
 * A parsed response head: status, reason, version, fields, framing and
 * persistence. Strings are made when first read. The head is its own field
 * list (`head.headers === head`).
 */
export class ResponseHead extends HeaderList {
  /** The status code, three digits (100-999). */
  readonly status: number;
  /** 10 for HTTP/1.0, 11 for HTTP/1.1. */
  readonly versionCode: number;
  /** {@link HeadFlag} bits. */
  readonly flags: number;
  /** Content-Length, or -1 without one (also -1 when Transfer-Encoding overrides it). */
  readonly contentLength: number;
  /** @internal */ _hs: number;
  /** @internal */ _he: number;
  /** @internal */ _rs: number;
  /** @internal */ _re: number;
  private _reason: string | undefined = undefined;

  /** @internal */
  constructor(src: Buffer, tab: Int32Array, at: number, length: number, owner: ViewOwner | null, epoch: number, status: number, version: number, flags: number, contentLength: number, hs: number, he: number, rs: number, re: number) {
    super(src, tab, at, length, owner, epoch);
    this.status = status;
    this.versionCode = version;
    this.flags = flags;
    this.contentLength = contentLength;
    this._hs = hs;
    this._he = he;
    this._rs = rs;
    this._re = re;
  }

  /** The header fields (the head itself). */
  get headers(): HeaderList {
    return this;
  }
  /** `"1.0"` or `"1.1"`. */
  get version(): string {
    return this.versionCode === 11 ? "1.1" : "1.0";
  }
  /** The reason phrase as sent (may be `""`). */
  get reason(): string {
    if (this._reason === undefined) this._reason = latin1(this._bytes(), this._rs, this._re);
    return this._reason;
  }
  /** How the body is delimited; `"none"` for a response that has no body whatever its fields say. */
  get framing(): ResponseFraming {
    const f = this.flags;
    if ((f & HeadFlag.NO_BODY) !== 0) return "none";
    if ((f & HeadFlag.CHUNKED) !== 0) return "chunked";
    if ((f & HeadFlag.UNTIL_CLOSE) !== 0) return "close";
    return (f & HeadFlag.CONTENT_LENGTH) !== 0 ? "length" : "none";
  }
  /** Whether the connection may carry another request after this response. */
  get keepAlive(): boolean {
    return (this.flags & HeadFlag.KEEP_ALIVE) !== 0;
  }
  /** An interim 1xx response other than 101: the final one follows. */
  get informational(): boolean {
    return (this.flags & HeadFlag.INFORMATIONAL) !== 0;
  }
  /** The connection switches protocols after this head (101, or a 2xx to CONNECT). */
  get upgrade(): boolean {
    return (this.flags & HeadFlag.UPGRADE) !== 0;
  }
  /** The raw bytes of the head, status-line to blank line (a view unless retained). */
  get raw(): Uint8Array {
    return this._bytes().subarray(this._hs, this._he);
  }
  /** Copy the head out of the parse buffer so it stays valid after the next execute. Returns this. */
  retain(): this {
    if (this._owner === null) return this;
    const from = this._hs;
    this._retain(copyOf(this._bytes(), from, this._he), from);
    this._hs -= from;
    this._he -= from;
    this._rs -= from;
    this._re -= from;
    return this;
  }
}

/** Per-connection state of a response parser: a few numbers, the requests waited on, and the bytes of an unfinished head or line. */
export class ResponseConnection implements ResponseIO {
  /** A `ParserState` (constants.ts). */
  state = 0;
  /** @internal */ flags = 0;
  /** @internal */ remaining = 0;
  /** @internal */ bodySoFar = 0;
  /** @internal */ more = false;
  /** @internal Method ids of the requests sent; those from `expectFrom` on are not fully answered. */
  expects: number[] = [];
  /** @internal */ expectFrom = 0;
  /** @internal Bytes kept from the previous call (a head or a line cut short). */
  kept: Uint8Array | null = null;
  /** @internal Room to append to a long unfinished head without copying it again. */
  store: Buffer | null = null;
  /** The error that stopped this connection, if any. */
  error: HttpParseError | null = null;

  /**
   * Say the method of a request written on this connection, before (or
   * right after) writing it: responses are matched to these in order.
   * `"HEAD"` means no body; a 2xx to `"CONNECT"` switches protocols. A
   * response with nothing expected is an error (UNEXPECTED_RESPONSE).
   */
  expect(method: string): void {
    if (typeof method !== "string" || method.length === 0) throw new TypeError(`expect() takes the request's method, got ${String(method)}`);
    const from = this.expectFrom, list = this.expects;
    if (from >= 64 && 2 * from >= list.length) {
      list.splice(0, from);
      this.expectFrom = 0;
    }
    const id = (METHODS as readonly string[]).indexOf(method);
    list.push(id < 0 ? 0 : id);
  }
  /** Requests expected and not yet fully answered. */
  get pending(): number {
    return this.expects.length - this.expectFrom;
  }
  /** After a 101 (or a 2xx to CONNECT): the bytes after the head belong to another protocol; execute returned where they begin. */
  get upgraded(): boolean {
    return this.state === ParserState.UPGRADED;
  }
  /** No message in progress and nothing buffered: closing now cuts no response short. */
  get idle(): boolean {
    return (this.state === ParserState.HEAD || this.state === ParserState.CLOSED) && this.kept === null;
  }
}

/** Unfinished heads at least this long are re-parsed only when a chunk brings a line end (as in parser.ts). */
const REPARSE_GATE = 1024;
/** Bytes the buffer of a long unfinished head starts with, at least. */
const MIN_HEAD_STORE = 4096;
/** Largest maxHeaders, and largest maxHeaderSize and maxStatusLine, a parser accepts. */
const MAX_HEADERS_LIMIT = 65536;
const MAX_SIZE_LIMIT = 1 << 30;

/** One response parser (one core, one set of limits), shared by any number of connections. */
export class ResponseParser implements ViewOwner {
  /** Which core runs. */
  readonly kind: ParserKind;
  /** The limits in force. */
  readonly limits: Readonly<ResponseLimits>;
  /** @internal Incremented by every execute; views of older epochs are stale. */
  epoch = 0;
  private readonly core: ParserCore;
  private readonly maxBody: number;
  /** The chunk of the execute() running now, and where its bytes start in the parse buffer. */
  private chunk: Uint8Array | null = null;
  private chunkAt = 0;

  /** @internal use {@link createResponseParser} */
  constructor(kind: ParserKind, limits: Readonly<ResponseLimits>, core: ParserCore) {
    this.kind = kind;
    this.limits = limits;
    this.core = core;
    this.maxBody = limits.maxBodySize;
  }

  /** State for one more connection. */
  createConnection(): ResponseConnection {
    return new ResponseConnection();
  }

  /**
   * Parse `chunk`, the next bytes of `conn`'s stream, reporting every
   * complete response in it (pipelined ones in order) to `sink`. Returns the
   * bytes consumed: all of them, except after an upgrade, where
   * `chunk.subarray(returned)` belongs to the new protocol. After an error
   * or an upgrade, further calls do nothing and return 0.
   */
  execute(conn: ResponseConnection, chunk: Uint8Array, sink: ResponseSink): number {
    const state = conn.state;
    if (state === ParserState.ERROR || state === ParserState.UPGRADED) return 0;
    if (conn.kept === null) {
      // Chunks that are body data only, and do not finish it, skip the core: no copy, no crossing.
      if ((state === ParserState.BODY_LENGTH || state === ParserState.CHUNK_DATA) && chunk.length < conn.remaining) {
        conn.remaining -= chunk.length;
        if (chunk.length !== 0) sink.onBody(chunk);
        return chunk.length;
      }
      if (state === ParserState.BODY_UNTIL_CLOSE && conn.bodySoFar + chunk.length <= this.maxBody) {
        conn.bodySoFar += chunk.length;
        if (chunk.length !== 0) sink.onBody(chunk);
        return chunk.length;
      }
    }
    this.epoch++;
    const kept = conn.kept;
    if (kept !== null && kept.length >= REPARSE_GATE && (state === ParserState.HEAD || state === ParserState.TRAILERS) && kept.length + chunk.length <= this.limits.maxHeaderSize && chunk.indexOf(10) < 0) {
      // A long unfinished head: bytes without a line end cannot finish it, so they are only
      // appended (in a buffer that doubles) and the head is parsed again once a line ends.
      const need = kept.length + chunk.length;
      let store = conn.store;
      if (store === null || store.buffer !== kept.buffer || store.byteOffset !== kept.byteOffset || store.length < need) {
        store = Buffer.allocUnsafeSlow(Math.min(Math.max(2 * need, MIN_HEAD_STORE), this.limits.maxHeaderSize));
        store.set(kept, 0);
        conn.store = store;
      }
      store.set(chunk, kept.length);
      conn.kept = store.subarray(0, need);
      return chunk.length;
    }
    conn.store = null;
    const core = this.core;
    const keptLen = kept === null ? 0 : kept.length;
    const len = core.load(kept, chunk);
    conn.kept = null;
    this.chunk = chunk;
    this.chunkAt = keptLen;
    let p = 0;
    try {
      for (;;) {
        p = core.runResponse(p, len, conn);
        if (core.eventWords !== 0) this.dispatch(conn, sink);
        if (!conn.more) break;
      }
    } finally {
      this.chunk = null;
    }
    if (conn.state === ParserState.UPGRADED) return p - keptLen;
    if (conn.state !== ParserState.ERROR && p < len) conn.kept = copyOf(core.source, p, len);
    return chunk.length;
  }

  /**
   * The peer closed the connection (EOF). Ends a read-until-close body with
   * `onEnd`; reports `onError` (INCOMPLETE_MESSAGE) when a response was cut
   * short; does nothing when the connection is idle (even with requests
   * still pending: check `conn.pending`). The connection takes no more bytes.
   */
  finish(conn: ResponseConnection, sink: ResponseSink): void {
    const state = conn.state;
    if (state === ParserState.ERROR || state === ParserState.UPGRADED || state === ParserState.CLOSED) return;
    const kept = conn.kept;
    conn.kept = null;
    conn.store = null;
    if (state === ParserState.BODY_UNTIL_CLOSE) {
      conn.state = ParserState.CLOSED;
      conn.expectFrom++;
      sink.onEnd(null);
      return;
    }
    if (state === ParserState.HEAD && kept === null) {
      conn.state = ParserState.CLOSED;
      return;
    }
    conn.state = ParserState.ERROR;
    const err = new HttpParseError(ParseError.INCOMPLETE_MESSAGE, kept === null ? 0 : kept.length);
    conn.error = err;
    sink.onError(err);
  }

  /** Body bytes [s, e) of the parse buffer as a view of the caller's chunk (copied in the case, never met, that they start before it). */
  private bodyView(src: Buffer, s: number, e: number): Uint8Array {
    const chunk = this.chunk!, at = this.chunkAt;
    if (s >= at) return chunk.subarray(s - at, e - at);
    return copyOf(src, s, e);
  }

  private dispatch(conn: ResponseConnection, sink: ResponseSink): void {
    const core = this.core, ev = core.events, n = core.eventWords, src = core.source, epoch = this.epoch;
    let w = 0;
    while (w < n) {
      const kind = ev[w];
      if (kind === EventKind.HEAD) {
        // HEAD_RECORD words (parser-core.ts): 1 START, 2 END, 3 status, 4-5 reason, 6 VERSION, 7 FLAGS, 8-9 CL, 10 FIRST_HEADER, 11 HEADER_COUNT.
        const low = ev[w + 8], high = ev[w + 9];
        const cl = high < 0 ? -1 : high * 4294967296 + (low >>> 0);
        sink.onHead(new ResponseHead(src, core.headers, ev[w + 10] * Layout.HEADER_WORDS, ev[w + 11], this, epoch, ev[w + 3], ev[w + 6], ev[w + 7], cl, ev[w + 1], ev[w + 2], ev[w + 4], ev[w + 5]));
        w += Layout.HEAD_WORDS;
        continue;
      }
      if (kind === EventKind.BODY) {
        sink.onBody(this.bodyView(src, ev[w + 1], ev[w + 2]));
      } else if (kind === EventKind.END) {
        conn.expectFrom++;
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
 * Create a response parser, for an HTTP client. `kind` picks the core
 * (`"wasm"`, the default, or the pure-TypeScript `"ts"`); `limits` override
 * {@link DEFAULT_RESPONSE_LIMITS}. One parser serves any number of
 * connections (one {@link ResponseConnection} each).
 *
 * @example
 * const parser = createResponseParser("ts");
 * const conn = parser.createConnection();
 * conn.expect("GET");
 * const bytes = new TextEncoder().encode("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
 * parser.execute(conn, bytes, {
 *   onHead: (h) => console.log(h.status, h.reason, h.headers.get("content-length")),
 *   onBody: (chunk) => console.log(new TextDecoder().decode(chunk)),
 *   onEnd: () => console.log("done", conn.pending),
 *   onError: (e) => { throw e; },
 * });
 */
export function createResponseParser(kind: ParserKind = "wasm", limits: Partial<ResponseLimits> = {}): ResponseParser {
  const full: ResponseLimits = { ...DEFAULT_RESPONSE_LIMITS };
  for (const key of Object.keys(limits) as (keyof ResponseLimits)[]) {
    if (!(key in DEFAULT_RESPONSE_LIMITS)) throw new TypeError(`unknown response parser limit ${String(key)}`);
    if (limits[key] !== undefined) full[key] = limits[key];
  }
  for (const key of ["maxStatusLine", "maxHeaderSize", "maxHeaders", "maxChunkExtension", "maxBodySize"] as const) {
    const v = full[key];
    if (!(v >= 0) || (key !== "maxBodySize" && !Number.isInteger(v))) throw new RangeError(`response parser limit ${key} must be a non-negative integer, got ${v}`);
  }
  if (full.maxHeaders > MAX_HEADERS_LIMIT || full.maxHeaderSize > MAX_SIZE_LIMIT || full.maxStatusLine > MAX_SIZE_LIMIT) throw new RangeError("response parser limits too large");
  Object.freeze(full);
  const coreLimits: ParserLimits = {
    maxRequestLine: full.maxStatusLine,
    maxHeaderSize: full.maxHeaderSize,
    maxHeaders: full.maxHeaders,
    maxChunkExtension: full.maxChunkExtension,
    maxBodySize: full.maxBodySize,
    requireHost: false,
  };
  return new ResponseParser(kind, full, newCore(kind, coreLimits));
}
