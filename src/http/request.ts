/**
 * The request a handler sees: the parsed head, read lazily, and the body,
 * pulled on demand from the connection it arrived on (a BodyReader).
 */
import type { Readable } from "node:stream";
import type { Conn } from "../net/conn.js";
import { peekCurrent } from "../runtime/current.js";
import type { Task } from "../runtime/task.js";
import type { Instruction, Operation } from "../runtime/types.js";
import { bodyReadable, bodyWebStream } from "./body-streams.js";
import { HttpError } from "./http-error.js";
import type { HeaderList, RequestHead } from "./parser/parser.js";
import type { Handover, UpgradeSession } from "./upgrade-session.js";

/**
 * Where a request's body comes from: the connection it arrived on, which
 * parses body bytes into the request's `_chunks` as they arrive.
 * HttpConnection is the one implementation (so these calls stay monomorphic).
 */
export interface BodyReader {
  /** The socket (for the client's address). */
  readonly conn: Conn;
  /** Largest body a buffered read may gather (the server's `maxBodySize`). */
  readonly maxBodySize: number;
  /** Wait for more of `req`'s body; throws on a parse error, a timeout or a client that left. */
  receiveBody(req: HttpRequest): Operation<void>;
  /** Switch protocols after `req`; `start` makes the protocol's session once the head is out (see HttpConnection._upgrade). */
  _upgrade<S extends UpgradeSession>(req: HttpRequest, head: string, start: (h: Handover) => S): Operation<S>;
}

const decoder = new TextDecoder();
const EMPTY = new Uint8Array(0);

/** The error of a buffered read over `maxBodySize`; `length` is the Content-Length, or -1 when the body is chunked. */
function tooLarge(max: number, length: number): HttpError {
  const what = length >= 0 ? `request body of ${length} bytes` : "request body";
  return new HttpError(413, `${what} is larger than maxBodySize (${max} bytes) for a buffered read; stream it with req.read() instead`);
}

/**
 * Read-only, case-insensitive access to a request's header fields. Strings
 * are made only for the fields you read.
 *
 * @example
 * req.headers.get("content-type"); // "application/json", or null when absent
 * for (const [name, value] of req.headers.entries()) console.log(name, value);
 */
export interface RequestHeaders {
  /** The first value of `name`, trailing whitespace removed; null when absent (as `Headers.get`). */
  get(name: string): string | null;
  /** Every value of `name`, in order. */
  getAll(name: string): string[];
  /** Whether `name` is present. */
  has(name: string): boolean;
  /** `[name, value]` pairs in the order sent, names as sent. */
  entries(): IterableIterator<[string, string]>;
  /** Number of field lines. */
  readonly length: number;
}

/** @internal The empty chunk list every request starts with (never modified: replaced on the first chunk). */
export const NO_CHUNKS: Uint8Array[] = Object.freeze([]) as unknown as Uint8Array[];

const SLASH = 0x2f, QUESTION = 0x3f, HASH = 0x23;
/** The start of an absolute-form target: `scheme://` (RFC 3986 §3.1). */
const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/** The header fields of a request with an absolute-form target: Host reads as the target's authority. */
class AbsoluteFormHeaders implements RequestHeaders {
  constructor(
    private readonly fields: HeaderList,
    private readonly host: string,
  ) {}

  get(name: string): string | null {
    return isHost(name) ? this.host : this.fields.get(name);
  }

  getAll(name: string): string[] {
    return isHost(name) ? [this.host] : this.fields.getAll(name);
  }

  has(name: string): boolean {
    return isHost(name) || this.fields.has(name);
  }

  *entries(): IterableIterator<[string, string]> {
    let sent = false;
    for (const [name, value] of this.fields.entries()) {
      if (!isHost(name)) yield [name, value];
      else if (!sent) {
        sent = true;
        yield [name, this.host];
      }
    }
    if (!sent) yield ["Host", this.host];
  }

  get length(): number {
    let n = 0;
    for (const _ of this.entries()) n++;
    return n;
  }
}

/** The task a body stream reads for: the connection's, which runs the handler. */
function ownerTask(what: string): Task {
  const t = peekCurrent();
  if (t === null) throw new Error(`${what}: call it inside the handler, where the request's connection task runs`);
  return t;
}

const isHost = (name: string): boolean => name.length === 4 && name.toLowerCase() === "host";

/**
 * An HTTP request as a handler sees it. The head was parsed (in Wasm by
 * default) into offsets; `method`, `target`, `path`, `query` and header
 * values become strings when first read. The body is read on demand:
 * `body()`, `text()`, `json()`, or chunk by chunk with `read()`.
 *
 * @example
 * const handler: Handler = function* (req, res) {
 *   if (req.method === "POST" && req.path === "/echo") return { body: yield* req.text() };
 *   return { status: 404 };
 * };
 */
export class HttpRequest {
  /** @internal */ readonly _head: RequestHead;
  /** @internal */ readonly _conn: BodyReader;
  /** @internal Body chunks received and not yet read (copies); NO_CHUNKS until the first. */ _chunks: Uint8Array[] = NO_CHUNKS;
  /** @internal The whole body has arrived. */ _ended = false;
  /** @internal Chunked trailer fields, once the body ended. */ _trailers: [string, string][] | null = null;
  /** @internal The next request parsed on the same connection, while both wait to be handled. */ _next: HttpRequest | null = null;
  /** @internal A handler has started reading the body (100-continue was answered if asked for). */ _reading = false;
  /** @internal Bytes of body read by the handler or discarded. */ _bodyBytes = 0;
  /** @internal Socket reads that brought bytes of this body (tests check a body really arrived in pieces). */ _bodyReads = 0;
  /** @internal The connection's read count when this body last got bytes. */ _lastRead = -1;
  private _path: string | undefined = undefined;
  private _query: URLSearchParams | undefined = undefined;
  /** The authority of an absolute-form target; null for any other form; undefined until looked at. */
  private _authority: string | null | undefined = undefined;
  /** Where the path starts in an absolute-form target. */
  private _pathFrom = 0;
  private _headers: RequestHeaders | undefined = undefined;

  /** @internal */
  constructor(head: RequestHead, conn: BodyReader) {
    this._head = head;
    this._conn = conn;
  }

  /** The method, e.g. `"GET"`. */
  get method(): string {
    return this._head.method;
  }

  /**
   * The request-target as sent: `"/search?q=tasklet"`, or in absolute form
   * (as sent to a proxy) `"http://example.com/search?q=tasklet"`.
   */
  get target(): string {
    return this._head.target;
  }

  /**
   * The path part of the target, without the query: `"/search"`. For an
   * absolute-form target (`http://example.com/search?q=1`) the path after
   * the authority, `"/"` when it is empty.
   */
  get path(): string {
    if (this._path === undefined) {
      const t = this._head.target;
      const from = this.authority === null ? 0 : this._pathFrom;
      const q = t.indexOf("?", from);
      const p = q < 0 ? (from === 0 ? t : t.slice(from)) : t.slice(from, q);
      this._path = p === "" ? "/" : p;
    }
    return this._path;
  }

  /**
   * The host the request is for, as `host[:port]`: the authority of an
   * absolute-form target (which takes the place of the Host field, RFC 9112
   * §3.2.2, userinfo dropped), else the Host header field; undefined when
   * neither is there.
   *
   * @example
   * // GET http://example.com:8080/x HTTP/1.1  (Host: ignored)
   * req.host; // "example.com:8080"
   */
  get host(): string | undefined {
    return this.authority ?? this._head.get("host") ?? undefined;
  }

  /** The authority of an absolute-form target (`scheme://authority/...`), else null. */
  private get authority(): string | null {
    if (this._authority === undefined) this._authority = this.findAuthority();
    return this._authority;
  }

  private findAuthority(): string | null {
    const h = this._head;
    const src = h._bytes(); // first: a kept head read late moves its offsets here
    if (src[h._ts] === SLASH) return null; // origin-form, the common case: no string made
    const t = h.target;
    const m = ABSOLUTE_FORM.exec(t);
    if (m === null) return null; // "*" (OPTIONS)
    const start = m[0].length;
    let end = start;
    for (; end < t.length; end++) {
      const c = t.charCodeAt(end);
      if (c === SLASH || c === QUESTION || c === HASH) break;
    }
    this._pathFrom = end;
    const a = t.slice(start, end);
    return a.slice(a.lastIndexOf("@") + 1);
  }

  /** The query of the target, parsed on first use (for an absolute-form target too). */
  get query(): URLSearchParams {
    if (this._query === undefined) {
      const t = this._head.target;
      const q = t.indexOf("?");
      this._query = new URLSearchParams(q < 0 ? "" : t.slice(q + 1));
    }
    return this._query;
  }

  /** `"1.1"` or `"1.0"`. */
  get version(): string {
    return this._head.version;
  }

  /**
   * The header fields. For an absolute-form target, `host` reads as the
   * target's authority, whatever Host field was sent (RFC 9112 §3.2.2).
   */
  get headers(): RequestHeaders {
    let v = this._headers;
    if (v === undefined) {
      const a = this.authority;
      v = this._headers = a === null ? (this._head as HeaderList) : new AbsoluteFormHeaders(this._head, a);
    }
    return v;
  }

  /** Whether the client asked to keep the connection open after this request. */
  get keepAlive(): boolean {
    return this._head.keepAlive;
  }

  /** How the body is delimited: `"none"`, `"length"` (Content-Length) or `"chunked"`. */
  get framing(): "none" | "length" | "chunked" {
    return this._head.framing;
  }

  /** Trailer fields of a chunked body (after the body was read), else null. */
  get trailers(): readonly [string, string][] | null {
    return this._trailers;
  }

  /** Address of the client, e.g. `"127.0.0.1:53120"`. */
  get remoteAddress(): string | undefined {
    return this._conn.conn.remoteAddress;
  }

  /**
   * The next chunk of the body, or null at its end. Waits for bytes from the
   * client; answers `Expect: 100-continue` on the first call. Streaming is
   * bound by the server's `maxStreamedBodySize` (default: none), not by
   * `maxBodySize`; a body larger than it throws an `HttpError(413)`. Each
   * chunk is the caller's to keep.
   */
  read(): Operation<Uint8Array | null> {
    const req = this;
    return {
      *[Symbol.iterator](): Generator<Instruction, Uint8Array | null, any> {
        for (;;) {
          if (req._chunks.length > 0) {
            const c = req._chunks.shift()!;
            req._bodyBytes += c.length;
            return c;
          }
          if (req._ended) return null;
          yield* req._conn.receiveBody(req);
        }
      },
    };
  }

  /**
   * The body as a Web `ReadableStream` of bytes, for code that takes one
   * (`new Response(stream)`, `pipeTo`, `for await`). It is pulled: nothing is
   * read from the socket until the consumer asks, so a slow consumer makes
   * the server stop reading and the client wait (bounded memory). Each chunk
   * is the consumer's to keep. Call it inside the handler, and let the
   * consumer finish before the handler returns (`yield* call(...)` on its
   * Promise): once the request is answered, the rest of the body is read and
   * dropped, and the stream fails. Bound by `maxStreamedBodySize`, not
   * `maxBodySize`, like `read()`. Take one stream per request, or read with
   * `read()`, not both at once.
   *
   * @example
   * serve({ port: 3000 }, function* (req) {
   *   const text = yield* call(new Response(req.stream()).text());
   *   return { body: text.length };
   * });
   */
  stream(): ReadableStream<Uint8Array> {
    return bodyWebStream(this, ownerTask("req.stream()"));
  }

  /**
   * The body as a Node `Readable`, for `pipeline(req.readable(), file)` and
   * the like: pulled as the Readable asks (up to its highWaterMark, 16 KiB
   * beyond what the server buffers), so a slow writer makes the server stop
   * reading. Call it inside the handler and wait for the consumer before
   * returning, as with {@link HttpRequest.stream}.
   *
   * @example
   * import { createWriteStream } from "node:fs";
   * import { pipeline } from "node:stream/promises";
   * serve({ port: 3000 }, function* (req) {
   *   yield* call(pipeline(req.readable(), createWriteStream("upload.bin")));
   *   return { status: 204 };
   * });
   */
  readable(): Readable {
    return bodyReadable(this, ownerTask("req.readable()"));
  }

  /**
   * The whole body as bytes. A body larger than the server's `maxBodySize`
   * (default 1 MiB) throws `HttpError(413)`: at once when its Content-Length
   * says so (nothing is read), else as soon as that much has arrived. The
   * server answers 413 and closes the connection.
   */
  body(): Operation<Uint8Array> {
    const req = this;
    return {
      *[Symbol.iterator](): Generator<Instruction, Uint8Array, any> {
        const max = req._conn.maxBodySize;
        if (req._head.contentLength > max) throw tooLarge(max, req._head.contentLength);
        const parts: Uint8Array[] = [];
        let total = 0;
        for (let c = yield* req.read(); c !== null; c = yield* req.read()) {
          total += c.length;
          if (total > max) throw tooLarge(max, -1);
          parts.push(c);
        }
        if (parts.length === 0) return EMPTY;
        if (parts.length === 1) return parts[0]!;
        const out = new Uint8Array(total);
        let at = 0;
        for (const p of parts) {
          out.set(p, at);
          at += p.length;
        }
        return out;
      },
    };
  }

  /** The whole body decoded as UTF-8 (bound by `maxBodySize`, as `body()`). */
  text(): Operation<string> {
    const req = this;
    return {
      *[Symbol.iterator](): Generator<Instruction, string, any> {
        return decoder.decode(yield* req.body());
      },
    };
  }

  /** The whole body parsed as JSON (bound by `maxBodySize`, as `body()`); malformed JSON throws `HttpError(400)`. */
  json<T = unknown>(): Operation<T> {
    const req = this;
    return {
      *[Symbol.iterator](): Generator<Instruction, T, any> {
        const text = yield* req.text();
        try {
          return JSON.parse(text) as T;
        } catch (e) {
          throw new HttpError(400, `request body is not valid JSON: ${(e as Error).message}`);
        }
      },
    };
  }

  toString(): string {
    return `HttpRequest(${this.method} ${this.target})`;
  }
}
