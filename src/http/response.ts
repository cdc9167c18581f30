/**
 * The response a handler writes: status, header fields, and the body in one
 * piece, written chunk by chunk, or streamed from a producer. It decides
 * what goes out (framing, Content-Length, Connection) and hands the bytes to
 * its connection's output buffer (output.ts) through response-head.ts.
 */
import { call } from "../ops/call.js";
import { Op } from "../runtime/op.js";
import type { Instruction, Operation } from "../runtime/types.js";
import { BYTES_TYPE, BlobSource, type Body, type ChunkSource, TEXT_TYPE, classifyBody } from "./body-source.js";
import { badValue, lowerName, validValue } from "./header-fields.js";
import type { OutputBuffer } from "./output.js";
import type { HttpRequest } from "./request.js";
import { type HeadEntry, headEntry, queueCachedWhole, queueWhole } from "./response-head.js";
import { checkStatus, checkStatusText, statusHasNoBody } from "./status.js";

/**
 * The connection a response goes out on, as the response sees it: its output
 * buffer, and its say on keeping the connection open. HttpConnection is the
 * one implementation (so these calls stay monomorphic).
 */
export interface ResponseConnection extends OutputBuffer {
  /** The connection closes after the current response. */
  mustClose: boolean;
  /** Whether the connection may stay open after responding to `req`. */
  keepAliveFor(req: HttpRequest): boolean;
}

/**
 * What a handler may send as a body (`return { body }` or `res.end(body)`).
 * A string is UTF-8 text; bytes go as they are. A Blob is sent with its
 * size as Content-Length. A Node `Readable`, a Web `ReadableStream`, an
 * async iterable (an async generator) or a sync iterable (a generator; not an
 * array) of string or byte chunks is streamed: each chunk is pulled once the
 * socket took the one before (backpressure), with chunked framing unless a
 * Content-Length was set (HTTP/1.0 clients: ended by closing). If the client
 * leaves or the server closes first, the producer is stopped: a Readable is
 * destroyed, a ReadableStream cancelled, an iterator's `return()` called.
 * Plain objects, arrays, numbers, booleans, `null` and objects with `toJSON`
 * are sent as JSON. Anything else (a class instance that is none of these, a
 * function, a symbol, a bigint) is a TypeError: the client gets a 500 and
 * `onError` the error.
 *
 * @example
 * import { createReadStream } from "node:fs";
 * serve({ port: 3000 }, function* (req) {
 *   if (req.path === "/file") return { body: createReadStream("big.bin") }; // streamed, chunked
 *   if (req.path === "/ticks") return { body: (async function* () { yield "tick\n"; })() };
 *   return { body: { ok: true } }; // JSON
 * });
 */
export type ResponseBody =
  | string
  | Uint8Array
  | ArrayBuffer
  | ArrayBufferView
  | Blob
  | NodeJS.ReadableStream
  | ReadableStream<Uint8Array | string>
  | AsyncIterable<Uint8Array | string>
  | Iterable<Uint8Array | string>
  | Record<string, unknown>
  | readonly unknown[]
  | number
  | boolean
  | null;

/** What a handler may return instead of calling `res.end()`. */
export interface HttpResponseInit {
  /** Status code, an integer from 100 to 999; default 200. */
  status?: number;
  /** Reason phrase; default Node's for the status (`http.STATUS_CODES`), else "unknown". No control characters. */
  statusText?: string;
  /** Header fields; a value may be an array for repeated fields. */
  headers?: Record<string, string | number | readonly string[]>;
  /**
   * The body (see {@link ResponseBody}). Unless a Content-Type was set, it
   * says what the body is: text/plain for text, application/octet-stream for
   * bytes, the Blob's type, application/json for JSON, and for a stream by
   * its first chunk (text or bytes).
   */
  body?: unknown;
}

/**
 * The response to one request. Set `status` and headers, then `end(body)`;
 * or `write(chunk)` repeatedly to stream (chunked encoding when no
 * Content-Length was set), then `end()`. `write` waits while the client is
 * not reading (backpressure). `Date` and `Content-Length` are set for you.
 *
 * A small response leaves in one write, head and body together; responses
 * to pipelined requests are gathered and written together.
 *
 * @example
 * res.status = 201;
 * res.setHeader("content-type", "application/json");
 * yield* res.end(JSON.stringify({ id }));
 */
export class HttpResponse {
  /** Status code to send, an integer from 100 to 999; default 200. */
  status = 200;
  /** The handler's reason phrase, or undefined for the default. */
  private customText: string | undefined = undefined;
  /** The body failed part way (the producer threw, or the client left): nothing more may be sent, the connection closes. */
  private broken = false;
  /** @internal */ readonly _req: HttpRequest;
  /** @internal */ readonly _conn: ResponseConnection;
  /**
   * The fields set, as triples: name as given, name lower-cased once (for
   * the case-insensitive lookups), value. One array per response.
   */
  private fields: string[] | null = null;
  /** @internal The head has been queued for sending. */ _headSent = false;
  /** @internal `end()` has run. */ _finished = false;
  private chunked = false;
  /** Remaining bytes promised by Content-Length, or -1 when not length-delimited. */
  private remaining = -1;
  /** The handler set its own Date field. */
  private userDate = false;

  /** @internal */
  constructor(req: HttpRequest, conn: ResponseConnection) {
    this._req = req;
    this._conn = conn;
  }

  /**
   * Reason phrase of the status line. Default (undefined): Node's phrase
   * for the status (`http.STATUS_CODES`), else "unknown". Setting one that
   * contains a control character (CR, LF...) throws a TypeError.
   *
   * @example
   * res.status = 299;
   * res.statusText = "Custom Thing"; // HTTP/1.1 299 Custom Thing
   */
  get statusText(): string | undefined {
    return this.customText;
  }
  set statusText(text: string | undefined) {
    this.customText = text === undefined ? undefined : checkStatusText(text);
  }

  /** Whether the status line and headers have been sent (or queued). */
  get headersSent(): boolean {
    return this._headSent;
  }

  /** Whether `end()` has completed the response. */
  get finished(): boolean {
    return this._finished;
  }

  /** Set a header field, replacing any earlier value of the same name (case-insensitive). */
  setHeader(name: string, value: string | number | readonly string[]): this {
    if (this._headSent) throw new Error(`cannot set header ${name}: the response head was already sent`);
    const lower = lowerName(name);
    if (lower === null) throw new TypeError(`invalid header name ${JSON.stringify(name)}`);
    if (typeof value === "string") {
      if (!validValue(value)) throw badValue(name);
      if (this.fields === null) {
        // The first field: an array of exactly one triple (pushing into `[]` would reserve 16 slots).
        this.fields = [name, lower, value];
        if (lower === "date") this.userDate = true;
        return this;
      }
      this.removeLower(lower);
      this.add(name, lower, value);
      return this;
    }
    if (this.fields === null) this.fields = [];
    else this.removeLower(lower);
    if (typeof value === "number") {
      this.add(name, lower, String(value));
    } else if (Array.isArray(value)) {
      for (const v of value) {
        if (typeof v !== "string" && typeof v !== "number") throw new TypeError(`header ${name}: value must be a string or number`);
        if (typeof v === "string" && !validValue(v)) throw badValue(name);
      }
      for (const v of value) this.add(name, lower, String(v));
    } else throw new TypeError(`header ${name}: value must be a string or number`);
    return this;
  }

  private add(name: string, lower: string, value: string): void {
    this.fields!.push(name, lower, value);
    if (lower === "date") this.userDate = true;
  }

  /** The first value set for `name`, or undefined. */
  getHeader(name: string): string | undefined {
    const i = this.find(name.toLowerCase());
    return i < 0 ? undefined : this.fields![i + 2];
  }

  /** Remove every value of `name`. */
  removeHeader(name: string): void {
    if (this.fields !== null) this.removeLower(name.toLowerCase());
  }

  private removeLower(lower: string): void {
    if (this._headSent) return; // the head is out (and may be cached): nothing to change
    if (lower === "date") this.userDate = false;
    const f = this.fields!;
    for (let i = f.length - 3; i >= 0; i -= 3) {
      if (f[i + 1] === lower) {
        f.splice(i, 3);
      }
    }
  }

  /**
   * Send a chunk of the body. The first call sends the head: with
   * `Transfer-Encoding: chunked` unless a Content-Length was set (HTTP/1.0
   * clients get a body ended by closing the connection). Waits while the
   * client is not reading.
   */
  write(chunk: string | Uint8Array): Operation<void> {
    const res = this;
    return {
      *[Symbol.iterator](): Generator<Instruction, void, any> {
        if (res._finished) throw new Error("write() after end()");
        if (res.broken) throw new Error("write() after the body failed part way: the response is cut short");
        const bytes = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
        if (!res._headSent) res.queueHead();
        if (bytes.length === 0 || res.skipBody()) return;
        res.queueBody(bytes);
        yield* res._conn.flush();
      },
    };
  }

  /**
   * Finish the response, with an optional last piece of body. When nothing
   * was written yet, the head (with Content-Length) and the body go out in
   * one buffer. Besides text and bytes, `body` may be any
   * {@link ResponseBody}: a Blob, a stream or iterable (streamed with
   * backpressure), a JSON value. A string or bytes adds no Content-Type;
   * other bodies set the one their kind implies unless one was set.
   */
  end(body?: ResponseBody): Operation<void> {
    if (body === undefined || typeof body === "string" || body instanceof Uint8Array) return new EndOp(this, body);
    const res = this;
    return {
      *[Symbol.iterator](): Generator<Instruction, void, any> {
        if (res._finished) throw new Error("end() called twice");
        if (res.broken) return res.finish(); // cut short already: nothing more goes out
        const rest = res.sendBody(classifyBody(body));
        if (rest !== null) yield* rest;
        else yield* new EndOp(res, undefined, true);
      },
    };
  }

  /**
   * @internal Send a handler's `{ status, statusText, headers, body }`.
   * Returns null when the response is complete (queued), or the operation
   * that streams the body.
   */
  sendInit(init: HttpResponseInit): Operation<void> | null {
    if (this.broken) {
      // The handler caught its body's failure and returned: the response stays cut short.
      this.finish();
      return null;
    }
    // Everything is checked before anything is set: a bad init gets a plain 500.
    const status = init.status !== undefined ? checkStatus(init.status) : this.status;
    const text = init.statusText !== undefined ? checkStatusText(init.statusText) : this.customText;
    const b = init.body;
    const body = b === undefined || typeof b === "string" || b instanceof Uint8Array ? null : classifyBody(b);
    this.status = status;
    this.customText = text;
    if (init.headers) for (const [k, v] of Object.entries(init.headers)) this.setHeader(k, v);
    if (body !== null) return this.sendBody(body);
    if (b !== undefined && this.find("content-type") < 0) this.setHeader("content-type", typeof b === "string" ? TEXT_TYPE : BYTES_TYPE);
    this.finish(b as string | Uint8Array | undefined);
    return null;
  }

  /**
   * Send a sorted body with the content type its kind implies (unless one
   * was set). Null when it is queued in full; else the operation that
   * streams it and finishes the response.
   */
  private sendBody(body: Body): Operation<void> | null {
    switch (body.kind) {
      case "bytes":
        if (body.type !== null && this.find("content-type") < 0) this.setHeader("content-type", body.type);
        this.finish(body.bytes);
        return null;
      case "blob": {
        const blob = body.blob;
        if (this.find("content-type") < 0) this.setHeader("content-type", body.type);
        if (blob.size <= SMALL_BLOB || this.skipBody()) return this.sendSmallBlob(blob);
        if (this.find("content-length") < 0) this.setHeader("content-length", blob.size);
        return this.stream(new BlobSource(blob));
      }
      case "stream":
        return this.stream(body.source);
    }
  }

  private *sendSmallBlob(blob: Blob): Generator<Instruction, void, any> {
    if (this.skipBody()) {
      // Nothing of it is sent: its size is all the head needs.
      if (!statusHasNoBody(this.status) && this.find("content-length") < 0) this.setHeader("content-length", blob.size);
      this.queueHead();
    } else {
      const bytes = new Uint8Array(yield* call(() => blob.arrayBuffer()));
      if (this._finished) throw new Error("end() called twice");
      if (this._headSent) throw new Error("the response head was sent while the Blob body was being read");
      this.queueSingle(bytes);
    }
    yield* new EndOp(this, undefined);
  }

  /**
   * Stream chunks from `source`: pull one, queue it, write (parking while
   * the socket's buffer is full), pull the next. The first chunk is pulled
   * before the head is sent, so a producer that fails at once (or gives
   * something that is not a chunk) gets the client a 500 rather than a
   * cut-off response. If this ends early (the producer threw, the client
   * left, the task was cancelled), the producer is stopped; once the head
   * is out, the response is cut short and the connection closes, so the
   * client cannot take it for a whole one.
   */
  private *stream(source: ChunkSource): Generator<Instruction, void, any> {
    let done = false;
    try {
      let chunk = yield* source.next();
      if (this._headSent || this._finished) throw new Error("the response was sent elsewhere while its body stream was being read");
      if (chunk === null) {
        done = true;
        if (this.find("content-type") < 0) this.setHeader("content-type", BYTES_TYPE);
        this.queueSingle("");
        yield* new EndOp(this, undefined);
        return;
      }
      if (this.find("content-type") < 0) this.setHeader("content-type", typeof chunk === "string" ? TEXT_TYPE : BYTES_TYPE);
      this.queueHead();
      if (this.skipBody()) {
        source.close();
        done = true;
      } else {
        const conn = this._conn;
        do {
          const bytes = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : source.lends ? Uint8Array.prototype.slice.call(chunk) : chunk;
          if (bytes.length > 0) {
            this.queueBody(bytes);
            yield* conn.flush();
          }
          chunk = yield* source.next();
        } while (chunk !== null);
        done = true;
      }
    } catch (e) {
      if (this._headSent) {
        this.broken = true;
        this._conn.mustClose = true;
      }
      throw e;
    } finally {
      if (!done) source.close();
    }
    yield* new EndOp(this, undefined);
  }

  /** @internal Complete the response without waiting (the connection flushes later). */
  finish(body?: string | Uint8Array): void {
    if (this._finished) throw new Error("end() called twice");
    if (this.broken) {
      // Cut short already: no terminating chunk, the connection closes.
      this._finished = true;
      return;
    }
    if (!this._headSent) {
      this.queueSingle(body ?? "");
    } else {
      if (body !== undefined && body.length > 0 && !this.skipBody()) {
        this.queueBody(typeof body === "string" ? Buffer.from(body, "utf8") : body);
      }
      if (this.chunked) this._conn.queueLastChunk();
      else if (this.remaining > 0) {
        this._conn.mustClose = true; // the body came short of its Content-Length: the framing is broken
        throw new Error(`response ended ${this.remaining} bytes short of its Content-Length`);
      }
    }
    this._finished = true;
  }

  /**
   * @internal Answer `status` with the plain-text body `text` in place of
   * the response the handler was making (its head is not out yet).
   * `keepFields`: the handler's fields stay (a WWW-Authenticate for a 401),
   * except those that describe the body it did not send; else all go, as
   * they were for a response that never happened.
   */
  _answerInstead(status: number, text: string, keepFields: boolean): void {
    this.customText = undefined; // the handler's reason phrase was for its own status
    if (keepFields) for (const name of BODY_FIELDS) this.removeHeader(name);
    else {
      this.fields = null;
      this.userDate = false;
    }
    this.status = status;
    this.setHeader("content-type", TEXT_TYPE);
    this.finish(text);
  }

  /** @internal Answer with an error status and a short text body before the handler runs, closing the connection. */
  sendError(status: number, message: string): void {
    this._conn.mustClose = true;
    this._answerInstead(status, `${message}\n`, false);
  }

  private find(name: string): number {
    const f = this.fields;
    if (f === null) return -1;
    for (let i = 1; i < f.length; i += 3) if (f[i] === name) return i - 1; // callers pass lower-case names
    return -1;
  }

  /** Queue body bytes after the head: as a chunk, or counted against Content-Length. */
  private queueBody(bytes: Uint8Array): void {
    if (this.chunked) this._conn.queueChunk(bytes);
    else {
      this.take(bytes.length);
      this._conn.queueBytes(bytes);
    }
  }

  private skipBody(): boolean {
    return this._req.method === "HEAD" || statusHasNoBody(this.status);
  }

  private take(n: number): void {
    if (this.remaining < 0) return;
    if (n > this.remaining) {
      this._conn.mustClose = true;
      throw new Error(`response body exceeds its Content-Length by ${n - this.remaining} bytes`);
    }
    this.remaining -= n;
  }

  /** Head and whole body in one buffer: the common case. */
  private queueSingle(body: string | Uint8Array): void {
    const e = this.headEntry();
    const connLine = this.connectionLine();
    const isHead = this._req.method === "HEAD";
    if (!queueCachedWhole(this._conn, e, body, connLine, isHead)) {
      const given = this.find("content-length");
      queueWhole(this._conn, e, body, connLine, isHead, statusHasNoBody(this.status), given < 0 ? null : this.fields![given + 2]!);
    }
    this._headSent = true;
  }

  /** Head for a streamed body: Content-Length if the handler set one, else chunked (HTTP/1.1) or close-delimited (HTTP/1.0). */
  private queueHead(): void {
    const given = this.find("content-length");
    let framing: string | null = null;
    // A response that carries no body (HEAD, 204, 304) counts none against its Content-Length.
    if (given >= 0) this.remaining = this.skipBody() ? -1 : Number(this.fields![given + 2]);
    else if (!statusHasNoBody(this.status)) {
      if (this._req.version === "1.1") {
        this.chunked = this._req.method !== "HEAD";
        framing = "Transfer-Encoding: chunked\r\n";
      } else this._conn.mustClose = true; // HTTP/1.0: the body ends when the connection does
    }
    const prefix = this.headEntry().bytes;
    const tail = this.headTail(framing);
    this._headSent = true;
    this._conn.queueBytes(prefix);
    this._conn.queueLatin1(tail);
  }

  /** The status line, the handler's fields and Date, as bytes (see response-head.ts). */
  private headEntry(): HeadEntry {
    return headEntry(this.status, this.customText, this.fields, this.userDate);
  }

  /** The end of the head: framing, Connection, blank line. Decides whether the connection closes after this response. */
  private headTail(framing: string | null): string {
    return (framing ?? "") + this.connectionLine() + "\r\n";
  }

  /** The Connection field this response needs ("" for none); decides whether the connection closes after it. */
  private connectionLine(): string {
    const conn = this._conn;
    // A handler's `Connection: close` closes the connection after this
    // response (a request pipelined behind it is not answered); its
    // `keep-alive` cannot keep open what the client or server ends.
    if (conn.mustClose || !conn.keepAliveFor(this._req) || this.saysClose()) {
      conn.mustClose = true;
      return "Connection: close\r\n";
    }
    return this._req.version === "1.0" ? "Connection: keep-alive\r\n" : "";
  }

  /** Whether the handler set a Connection field with the `close` option. */
  private saysClose(): boolean {
    const f = this.fields;
    if (f === null) return false;
    for (let i = 1; i < f.length; i += 3) {
      if (f[i] === "connection" && CLOSE_OPTION.test(f[i + 1]!)) return true;
    }
    return false;
  }
}

/** `close` among the comma-separated options of a Connection field (case-insensitive). */
const CLOSE_OPTION = /(?:^|,)[ \t]*close[ \t]*(?:,|$)/i;

/** Fields of a handler's response that describe its body: dropped when an error answers instead. */
const BODY_FIELDS = ["content-length", "transfer-encoding", "content-encoding", "content-range"];

/** Blobs up to this size are read whole and sent with their head in one write; larger ones are streamed. */
const SMALL_BLOB = 64 * 1024;

/**
 * `res.end(body)`: finish the response and, when nothing else is queued
 * behind it, start writing. One small object instead of a generator: it runs
 * once per request.
 */
class EndOp extends Op<void> {
  constructor(
    private readonly res: HttpResponse,
    private readonly body: string | Uint8Array | undefined,
    /** The response is finished already: only write. */
    private readonly writeOnly = false,
  ) {
    super();
  }
  protected begin(): IteratorResult<Instruction, void> {
    if (!this.writeOnly) this.res.finish(this.body);
    const write = this.res._conn.writeIfDone();
    return write === null ? this.ok(undefined) : this.wait(write);
  }
  protected clone(): Op<void> {
    return new EndOp(this.res, this.body, this.writeOnly);
  }
  protected override resumed(): void {}
}
