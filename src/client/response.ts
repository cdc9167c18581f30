/**
 * ClientResponse: what `request()` returns once the response head has
 * arrived. The body is read as the caller asks for it, chunk by chunk
 * from the socket (never all buffered first): whole with `text()`,
 * `bytes()` or `json()`, as a stream from a task (`each(res)`,
 * `res.read()`), from plain code (`for await`, `res.readable()`), or
 * thrown away with `discard()`.
 */
import { Readable } from "node:stream";
import { STREAM, STREAM_DONE, type Stream, type Streamable } from "../runtime/stream.js";
import type { Instruction, Operation } from "../runtime/types.js";
import { HttpClientError } from "./errors.js";
import type { Exchange } from "./exchange.js";
import type { ClientHeaders } from "./headers.js";

/** How much of an unread body `discard()` reads to keep its connection, before closing it instead. */
export const DRAIN_LIMIT = 256 * 1024;

function op<T>(gen: () => Generator<Instruction, T, unknown>): Operation<T> {
  return { [Symbol.iterator]: gen };
}

/**
 * A response: status, headers, and a body read on demand. Each chunk the
 * body gives is a buffer of its own, which no later read overwrites. Read
 * the body to its end (or `discard()` it): the connection goes back to the
 * pool once the response's last byte has been received. A body left
 * unread when the task that made the request ends closes its connection.
 *
 * @example
 * const res = yield* request("http://127.0.0.1:8080/data.json");
 * if (res.status !== 200) throw new Error(`got ${res.status}`);
 * const data = yield* res.json();
 */
export class ClientResponse implements Streamable<Uint8Array>, AsyncIterable<Uint8Array> {
  /** The status code (200, 404...). */
  readonly status: number;
  /** The reason phrase the server sent ("OK"). */
  readonly statusText: string;
  /** The response's header fields. */
  readonly headers: ClientHeaders;
  /** "1.1" or "1.0". */
  readonly httpVersion: string;
  /** The URL this response is for (the last one, after redirects). */
  readonly url: string;
  /** Whether redirects were followed to get here. */
  readonly redirected: boolean;
  /** @internal */
  readonly _ex: Exchange;
  private used = false;

  /** @internal */
  constructor(ex: Exchange, headers: ClientHeaders, url: string, redirected: boolean) {
    const head = ex.head!;
    this._ex = ex;
    this.status = head.status;
    this.statusText = head.reason;
    this.httpVersion = head.version;
    this.headers = headers;
    this.url = url;
    this.redirected = redirected;
  }

  /** True when the status is 200-299. */
  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  /** Whether the body has been (or is being) read or discarded. */
  get bodyUsed(): boolean {
    return this.used;
  }

  /** Trailer fields sent after a chunked body; null until the body has been read to its end, or when there were none. */
  get trailers(): ClientHeaders | null {
    return this._ex.trailers;
  }

  private claim(what: string): void {
    if (this.used) throw new HttpClientError("BODY_USED", this.url, `${what}: the response body was read already`);
    this.used = true;
  }

  /** The next chunk, null at the end. */
  private *next(): Generator<Instruction, Uint8Array | null, unknown> {
    const ex = this._ex;
    for (;;) {
      const c = ex.take();
      if (c !== undefined) return c;
      yield* ex.host.fill(ex);
    }
  }

  /**
   * The next chunk of the body (a buffer of its own), or null at its end.
   *
   * @example
   * const res = yield* request(url);
   * let n = 0;
   * for (let c = yield* res.read(); c !== null; c = yield* res.read()) n += c.length;
   */
  read(): Operation<Uint8Array | null> {
    this.used = true;
    return op(() => this.next());
  }

  /**
   * The whole body as bytes.
   *
   * @example
   * const png = yield* (yield* request(url)).bytes();
   */
  bytes(): Operation<Uint8Array> {
    this.claim("bytes()");
    return op(() => this.collect());
  }

  private *collect(): Generator<Instruction, Buffer, unknown> {
    const parts: Uint8Array[] = [];
    let n = 0;
    for (let c = yield* this.next(); c !== null; c = yield* this.next()) {
      parts.push(c);
      n += c.length;
    }
    return parts.length === 1 ? Buffer.from(parts[0]!.buffer, parts[0]!.byteOffset, parts[0]!.length) : Buffer.concat(parts, n);
  }

  /**
   * The whole body decoded as UTF-8.
   *
   * @example
   * const html = yield* (yield* request(url)).text();
   */
  text(): Operation<string> {
    this.claim("text()");
    return op(function* (this: ClientResponse) {
      return (yield* this.collect()).toString("utf8");
    }.bind(this));
  }

  /**
   * The whole body parsed as JSON (a SyntaxError says where it is not JSON).
   *
   * @example
   * const { items } = yield* (yield* request(url)).json<{ items: string[] }>();
   */
  json<T = unknown>(): Operation<T> {
    this.claim("json()");
    return op(function* (this: ClientResponse) {
      return JSON.parse((yield* this.collect()).toString("utf8")) as T;
    }.bind(this));
  }

  /**
   * Throw the body away: what has arrived is dropped, and up to
   * 256 KiB more are read so the connection can be
   * reused; a longer body closes the connection instead.
   *
   * @example
   * const res = yield* request(url, { method: "DELETE" });
   * yield* res.discard();
   */
  discard(): Operation<void> {
    this.used = true;
    return op(() => this.drain());
  }

  private *drain(): Generator<Instruction, void, unknown> {
    const ex = this._ex;
    let n = 0;
    try {
      for (;;) {
        const c = ex.take();
        if (c === null) return;
        if (c !== undefined) n += c.length;
        else if (n > DRAIN_LIMIT) break;
        else yield* ex.host.fill(ex);
      }
    } catch {
      return; // the body failed: nothing to keep
    }
    ex.close();
  }

  /**
   * The body as a Stream for tasks: `for (const chunk of yield* each(res))`.
   *
   * @example
   * const res = yield* request(url);
   * for (const chunk of yield* each(res)) { total += chunk.length; yield* each.next(); }
   */
  [STREAM](): Stream<Uint8Array> {
    this.used = true;
    return {
      next: () =>
        op(function* (this: ClientResponse): Generator<Instruction, IteratorResult<Uint8Array, undefined>, unknown> {
          const c = yield* this.next();
          return c === null ? STREAM_DONE : { done: false, value: c };
        }.bind(this)),
      return: () => this._ex.close(),
    };
  }

  /** @internal The next chunk from plain code. */
  async _nextOutside(): Promise<Uint8Array | null> {
    const ex = this._ex;
    for (;;) {
      const c = ex.take();
      if (c !== undefined) return c;
      await ex.host.fillOutside(ex);
    }
  }

  /**
   * Read the body from plain async code: `for await (const chunk of res)`.
   * A `break` gives the rest of the body up (its connection is closed).
   *
   * @example
   * const res = yield* request(url);
   * yield* call(async () => { for await (const chunk of res) process.stdout.write(chunk); });
   */
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    this.used = true;
    return {
      next: async () => {
        const c = await this._nextOutside();
        return c === null ? STREAM_DONE : { done: false, value: c };
      },
      return: async () => {
        this._ex.close();
        return STREAM_DONE;
      },
    };
  }

  /**
   * The body as a Node Readable (for `stream.pipeline`, a file...).
   * Destroying it before the end closes the connection.
   *
   * @example
   * const res = yield* request(url);
   * const file = (yield* call(import("node:fs"))).createWriteStream("page.html");
   * yield* call((yield* call(import("node:stream/promises"))).pipeline(res.readable(), file));
   */
  readable(): Readable {
    this.claim("readable()");
    const r = new Readable({
      read: () => {
        this._nextOutside().then(
          (c) => r.push(c),
          (e: unknown) => r.destroy(e as Error),
        );
      },
      destroy: (err, cb) => {
        if (!this._ex.over) this._ex.close();
        cb(err);
      },
    });
    return r;
  }
}
