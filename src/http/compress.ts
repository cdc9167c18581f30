/**
 * `compress(handler)`: gzip or brotli for the responses a green handler
 * returns or writes, negotiated from Accept-Encoding (RFC 9110 §12.5.3), as the
 * `compression` middleware does for Express. Bodies known in full are
 * compressed in one go on libuv's thread pool; streamed bodies go through a
 * node:zlib stream piped with backpressure, so a slow client holds the
 * producer back instead of filling memory.
 */
import { Readable, pipeline } from "node:stream";
import zlib from "node:zlib";
import compressible from "compressible";
import { type OptionTable, describeValue, resolveOptions } from "../config/options.js";
import { call } from "../ops/call.js";
import type { Instruction } from "../runtime/types.js";
import type { HttpRequest } from "./request.js";
import type { HttpResponse, HttpResponseInit } from "./response.js";
import type { Handler } from "./server-config.js";

/** A content coding `compress` can produce. */
export type CompressEncoding = "br" | "gzip";

/** Options of {@link compress}. */
export interface CompressOptions {
  /** Bodies shorter than this many bytes (when their length is known) are sent as they are; default 1024. */
  threshold?: number;
  /** The codings offered, most preferred first; default `["br", "gzip"]`. */
  encodings?: readonly CompressEncoding[];
  /** Brotli quality, 0 to 11; default 5: as fast as gzip -6 or faster, with smaller output (11, zlib's default, is about 50x slower). */
  brotliQuality?: number;
  /** gzip level, 0 to 9; default 6 (zlib's). */
  gzipLevel?: number;
  /** Which Content-Types are compressed; default: mime-db's compressible flag (text/*, JSON, JS, SVG...), never text/event-stream. */
  filter?: (contentType: string) => boolean;
}

/** @internal What compress reads: the options resolved once. */
export interface CompressConfig {
  threshold: number;
  encodings: readonly CompressEncoding[];
  brotliQuality: number;
  gzipLevel: number;
  filter: (contentType: string) => boolean;
}

const COMPRESS_OPTIONS: OptionTable = {
  threshold: { kind: "number", min: 0, expected: "a number of bytes >= 0", default: 1024 },
  encodings: { kind: "function" }, // checked by hand below (an array)
  brotliQuality: { kind: "number", min: 0, max: 11, integer: true, expected: "a whole number from 0 to 11", default: 5 },
  gzipLevel: { kind: "number", min: 0, max: 9, integer: true, expected: "a whole number from 0 to 9", default: 6 },
  filter: { kind: "function" },
};

/** @internal Check and resolve compress options (`fn` names the caller in messages). */
export function resolveCompress(fn: string, options: unknown): CompressConfig {
  let encodings: readonly CompressEncoding[] = ["br", "gzip"];
  let rest = options;
  if (options !== null && typeof options === "object" && !Array.isArray(options) && (options as CompressOptions).encodings !== undefined) {
    const e = (options as CompressOptions).encodings as unknown;
    if (!Array.isArray(e) || e.length === 0 || !e.every((x) => x === "br" || x === "gzip")) {
      throw new TypeError(`${fn}: encodings must be a non-empty array of "br" and "gzip", got ${describeValue(e)}`);
    }
    encodings = Object.freeze([...new Set(e as CompressEncoding[])]);
    rest = { ...options, encodings: undefined };
  }
  const r = resolveOptions(fn, COMPRESS_OPTIONS, rest);
  return Object.freeze({
    threshold: r.threshold as number,
    encodings,
    brotliQuality: r.brotliQuality as number,
    gzipLevel: r.gzipLevel as number,
    filter: (r.filter as ((t: string) => boolean) | undefined) ?? compressibleType,
  });
}

/** The default filter: mime-db's compressible flag; event streams stay unbuffered. */
export function compressibleType(contentType: string): boolean {
  if (/^\s*text\/event-stream\b/i.test(contentType)) return false;
  return compressible(contentType) === true;
}

/**
 * Wrap a green handler so that the responses it returns are compressed
 * with brotli or gzip when the client's Accept-Encoding allows it, the
 * Content-Type is compressible and the body is at least `threshold` bytes
 * (or of unknown length). `Vary: Accept-Encoding` is added whenever the
 * choice depended on that field, compressed or not. Left alone: 206, 304,
 * 204 and 1xx responses, HEAD requests (Vary still added), bodies that
 * already have a Content-Encoding, and `Cache-Control: no-transform`.
 * A streamed body is piped through zlib and sent chunked (no Content-Length);
 * a body known in full (text, bytes, JSON) is compressed in one go on the
 * thread pool and keeps an exact Content-Length. Brotli runs at quality 5 by
 * default: gzip's speed or better with smaller output, where zlib's default
 * of 11 would make every response wait on the CPU. A strong
 * ETag becomes weak (`W/"..."`, as nginx does), since the bytes differ but the
 * representation is the same, so If-None-Match still matches. Returned
 * responses and what the handler writes itself with `res.write`/`res.end`
 * are both compressed; with `res.write`, the choice is made at the first
 * write from the fields set by then (set Content-Type first).
 *
 * @example
 * serve({ port: 3000 }, compress(function* () {
 *   return { headers: { "content-type": "application/json" }, body: JSON.stringify({ items: new Array(500).fill("tasklet") }) };
 * }));
 */
export function compress(handler: Handler, options?: CompressOptions): Handler {
  if (typeof handler !== "function") throw new TypeError(`compress(): handler must be a generator function, got ${describeValue(handler)}`);
  const cfg = resolveCompress("compress()", options);
  return function* compressed(req: HttpRequest, res: HttpResponse): Generator<Instruction, HttpResponseInit | void | undefined, any> {
    const writes = new CodedWrites(req, res, cfg);
    try {
      const init = yield* handler(req, res);
      if (init === undefined || init === null || typeof init !== "object" || res.headersSent || res.finished) return init;
      return yield* compressResponse(req, res, init, cfg);
    } finally {
      writes.close();
    }
  };
}

/**
 * What a handler writes itself (`res.write`, `res.end`), compressed as the
 * `compression` middleware does: the choice is made at the first write, or
 * at `end` when nothing was written, from the fields set by then. This one
 * response gets its own `write` and `end` (responses of other handlers keep
 * the class's). Each written chunk goes through zlib and what zlib gives
 * back goes out before the next chunk is taken, so a slow client holds the
 * handler back as it would without compression.
 */
class CodedWrites {
  private coder: zlib.Gzip | zlib.BrotliCompress | null = null;
  private decided = false;
  private ended = false;
  private readonly out: Buffer[] = [];

  constructor(
    private readonly req: HttpRequest,
    private readonly res: HttpResponse,
    private readonly cfg: CompressConfig,
  ) {
    const write = res.write;
    const end = res.end;
    const self = this;
    res.write = (chunk) => ({
      *[Symbol.iterator](): Generator<Instruction, void, any> {
        if (!self.decided && !res.headersSent && !res.finished) self.decide();
        if (self.coder === null || self.ended) return yield* write.call(res, chunk);
        yield* self.feed(chunk, write);
      },
    });
    res.end = (body) => ({
      *[Symbol.iterator](): Generator<Instruction, void, any> {
        if (!self.decided && !res.headersSent && !res.finished) {
          // Nothing written yet: the body is known whole (or a stream), as if returned.
          self.decided = true;
          const init = yield* compressResponse(req, res, { body }, cfg);
          if (init.headers !== undefined) for (const [k, v] of Object.entries(init.headers)) res.setHeader(k, v);
          return yield* end.call(res, init.body as typeof body);
        }
        if (self.coder === null || self.ended) return yield* end.call(res, body);
        if (body !== undefined) {
          if (typeof body !== "string" && !(body instanceof Uint8Array)) {
            throw new TypeError(`compress(): after res.write(), res.end() takes text or bytes, got ${describeValue(body)}`);
          }
          yield* self.feed(body, write);
        }
        yield* self.feed(null, write);
        yield* end.call(res);
      },
    });
  }

  /** Choose from the fields set so far; a body streamed by writes has no known length. */
  private decide(): void {
    this.decided = true;
    const c = choose(this.req, this.res, {}, this.cfg, -1, null);
    if (c.kind === "leave") return;
    if (c.kind === "vary") {
      this.res.setHeader("vary", c.vary);
      return;
    }
    const { add } = codedFields({}, this.res, c);
    for (const k of Object.keys(add)) this.res.setHeader(k, add[k]!);
    const coder = newCoder(c);
    coder.on("data", (b: Buffer) => this.out.push(b));
    this.coder = coder;
  }

  /** Pass `chunk` through zlib (null: finish it) and write what came out. */
  private *feed(chunk: string | Uint8Array | null, write: HttpResponse["write"]): Generator<Instruction, void, any> {
    const z = this.coder!;
    if (chunk === null) this.ended = true;
    // zlib may still read the chunk after write() returns: the caller may reuse its buffer once we resume, so it gets a copy.
    const input = chunk === null || typeof chunk === "string" ? chunk : Buffer.from(chunk);
    yield* call(
      () =>
        new Promise<void>((resolve, reject) => {
          z.once("error", reject);
          const done = () => {
            z.off("error", reject);
            resolve();
          };
          if (input === null) {
            z.once("end", done);
            z.end();
          } else z.write(input, done);
        }),
    );
    while (this.out.length > 0) yield* write.call(this.res, this.out.shift()!);
  }

  /** The handler is done (or was cancelled): free zlib's memory if the body was not finished. */
  close(): void {
    if (this.coder !== null && !this.ended) this.coder.destroy();
  }
}

/** A header of a returned init (case-insensitive), else of the response object; undefined when absent. */
function headerOf(init: HttpResponseInit, res: HttpResponse, lower: string): string | undefined {
  const h = init.headers;
  if (h !== undefined) {
    for (const k of Object.keys(h)) {
      if (k.toLowerCase() === lower) {
        const v = h[k]!;
        return typeof v === "string" ? v : typeof v === "number" ? String(v) : v.join(", ");
      }
    }
  }
  return res.getHeader(lower);
}

/** `headers` without the names in `drop` (lower-case), plus `add`. */
function withHeaders(headers: HttpResponseInit["headers"], drop: readonly string[], add: Record<string, string>): Record<string, string | number | readonly string[]> {
  const out: Record<string, string | number | readonly string[]> = {};
  if (headers !== undefined) for (const k of Object.keys(headers)) if (!drop.includes(k.toLowerCase())) out[k] = headers[k]!;
  return Object.assign(out, add);
}

/** `vary` with Accept-Encoding added (unless it is there already, or `*`). */
export function varyWith(vary: string | undefined): string {
  if (vary === undefined || vary.trim() === "") return "Accept-Encoding";
  const names = vary.split(",").map((s) => s.trim().toLowerCase());
  if (names.includes("*") || names.includes("accept-encoding")) return vary;
  return `${vary}, Accept-Encoding`;
}

/**
 * The coding to use for `acceptEncoding` (the field's value, or null when
 * absent), among `offered` (most preferred first); null for identity.
 * Highest q wins, ties go to the server's order; `*` stands for any coding
 * not listed; q=0 excludes. Identity wins only when listed (or matched by
 * `*`) with a q above every offered coding's: an unlisted identity counts
 * as the least preferred acceptable coding (as the negotiator package does).
 * When nothing offered is acceptable, identity is sent even under
 * `identity;q=0` (RFC 9110 allows that rather than a 415).
 */
export function negotiateEncoding(acceptEncoding: string | null, offered: readonly CompressEncoding[]): CompressEncoding | null {
  if (acceptEncoding === null) return null; // no preference stated: the plain body is the safe choice
  const q = new Map<string, number>();
  for (const part of acceptEncoding.split(",")) {
    const [rawName, ...params] = part.split(";");
    let name = rawName!.trim().toLowerCase();
    if (name === "") continue;
    if (name === "x-gzip") name = "gzip";
    let weight = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([0-9](?:\.[0-9]{0,3})?)\s*$/i.exec(p);
      if (m !== null) weight = Math.min(1, Number(m[1]));
    }
    // The same coding listed twice: the higher weight stands.
    q.set(name, Math.max(q.get(name) ?? 0, weight));
  }
  const star = q.get("*");
  let best: CompressEncoding | null = null;
  let bestQ = 0;
  for (const enc of offered) {
    const w = q.get(enc) ?? star ?? 0;
    if (w > bestQ) {
      best = enc;
      bestQ = w;
    }
  }
  if (best === null) return null;
  const identity = q.get("identity") ?? star;
  return identity !== undefined && identity > bestQ ? null : best;
}

/** How a body is held: in full (bytes), or as a stream to pipe. */
type Held = { bytes: Uint8Array; type: string | null } | { stream: () => Readable; length: number; type: string | null };

/** Sort a returned body for compression; null for a body we do not touch (unknown kind: the response reports it). */
function hold(body: unknown): Held | null {
  if (body === undefined) return { bytes: new Uint8Array(0), type: null };
  if (typeof body === "string") return { bytes: Buffer.from(body, "utf8"), type: "text/plain; charset=utf-8" };
  if (body instanceof Uint8Array) return { bytes: body, type: null };
  if (body === null || typeof body === "number" || typeof body === "boolean") return { bytes: Buffer.from(JSON.stringify(body), "utf8"), type: "application/json" };
  if (typeof body !== "object") return null;
  if (ArrayBuffer.isView(body)) return { bytes: new Uint8Array(body.buffer, body.byteOffset, body.byteLength), type: null };
  if (body instanceof ArrayBuffer) return { bytes: new Uint8Array(body), type: null };
  if (body instanceof Blob) return { stream: () => Readable.fromWeb(body.stream() as import("node:stream/web").ReadableStream), length: body.size, type: body.type || null };
  if (body instanceof Readable) return { stream: () => body, length: -1, type: null };
  if (body instanceof ReadableStream) return { stream: () => Readable.fromWeb(body as import("node:stream/web").ReadableStream), length: -1, type: null };
  if (Array.isArray(body)) return { bytes: Buffer.from(JSON.stringify(body), "utf8"), type: "application/json" };
  const o = body as { [Symbol.asyncIterator]?: unknown; [Symbol.iterator]?: unknown; toJSON?: unknown };
  if (typeof o[Symbol.asyncIterator] === "function" || typeof o[Symbol.iterator] === "function") {
    return { stream: () => Readable.from(copied(body as AsyncIterable<unknown> | Iterable<unknown>), { objectMode: false }), length: -1, type: null };
  }
  const proto = Object.getPrototypeOf(body);
  if (proto === Object.prototype || proto === null || typeof o.toJSON === "function") return { bytes: Buffer.from(JSON.stringify(body), "utf8"), type: "application/json" };
  return null;
}

/**
 * An iterable's chunks, copied: a generator may hand out one buffer over and
 * over, and zlib may still hold the last chunk when the next is pulled.
 */
async function* copied(it: AsyncIterable<unknown> | Iterable<unknown>): AsyncGenerator<Uint8Array | string> {
  for await (const c of it) {
    if (typeof c === "string") yield c;
    else if (ArrayBuffer.isView(c)) yield Buffer.from(new Uint8Array(c.buffer, c.byteOffset, c.byteLength));
    else if (c instanceof ArrayBuffer) yield Buffer.from(new Uint8Array(c.slice(0)));
    else throw new TypeError(`the iterable body produced ${describeValue(c)}; body chunks must be strings or bytes (Uint8Array, ArrayBuffer)`);
  }
}

/** zlib options for `enc`; `length` is the body's size when known (a hint to brotli), else -1. */
function zlibOptions(enc: CompressEncoding, cfg: CompressConfig, length: number, type: string): zlib.ZlibOptions | zlib.BrotliOptions {
  if (enc === "gzip") return { level: cfg.gzipLevel };
  const params: Record<number, number> = {
    [zlib.constants.BROTLI_PARAM_QUALITY]: cfg.brotliQuality,
    [zlib.constants.BROTLI_PARAM_MODE]: /^text\/|json|javascript|xml/i.test(type) ? zlib.constants.BROTLI_MODE_TEXT : zlib.constants.BROTLI_MODE_GENERIC,
  };
  if (length >= 0) params[zlib.constants.BROTLI_PARAM_SIZE_HINT] = length;
  return { params };
}

/** Compress a whole body on the thread pool. */
function compressWhole(enc: CompressEncoding, bytes: Uint8Array, opts: zlib.ZlibOptions | zlib.BrotliOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, out: Buffer) => (err ? reject(err) : resolve(out));
    if (enc === "gzip") zlib.gzip(bytes, opts as zlib.ZlibOptions, done);
    else zlib.brotliCompress(bytes, opts as zlib.BrotliOptions, done);
  });
}

/** Statuses whose body is never compressed: informational, no content, partial, not modified. */
function keepsBody(status: number): boolean {
  return status < 200 || status === 204 || status === 206 || status === 304;
}

/** What to do with a response: leave it, add Vary only, or code it. */
type Choice =
  | { kind: "leave" }
  | { kind: "vary"; vary: string }
  | { kind: "code"; enc: CompressEncoding; vary: string; type: string; length: number; opts: zlib.ZlibOptions | zlib.BrotliOptions };

/**
 * Decide for a response of `status` whose fields are in `init` (then `res`),
 * whose body is known to be `length` bytes (-1: unknown) and implies
 * `impliedType` when no Content-Type was set.
 */
function choose(req: HttpRequest, res: HttpResponse, init: HttpResponseInit, cfg: CompressConfig, length: number, impliedType: string | null): Choice {
  const status = init.status ?? res.status;
  if (keepsBody(status)) return LEAVE;
  if (/(?:^|,)\s*no-transform\s*(?:,|$)/i.test(headerOf(init, res, "cache-control") ?? "")) return LEAVE;
  const type = headerOf(init, res, "content-type") ?? impliedType;
  if (type === null || !cfg.filter(type)) return LEAVE;
  // From here the answer depends on Accept-Encoding.
  const vary = varyWith(headerOf(init, res, "vary"));
  const coding = headerOf(init, res, "content-encoding");
  if (coding !== undefined && coding.trim().toLowerCase() !== "identity") return { kind: "vary", vary };
  if (req.method === "HEAD") return { kind: "vary", vary };
  const declared = headerOf(init, res, "content-length");
  const len = length >= 0 ? length : declared !== undefined ? Number(declared) : -1;
  if (len >= 0 && len < cfg.threshold) return { kind: "vary", vary };
  const enc = negotiateEncoding(req.headers.get("accept-encoding"), cfg.encodings);
  if (enc === null) return { kind: "vary", vary };
  return { kind: "code", enc, vary, type, length: len, opts: zlibOptions(enc, cfg, len, type) };
}

const LEAVE: Choice = { kind: "leave" };

/** The fields a coded response gets, and those it drops (lower-case). */
function codedFields(init: HttpResponseInit, res: HttpResponse, c: Extract<Choice, { kind: "code" }>): { add: Record<string, string>; drop: string[] } {
  const etag = headerOf(init, res, "etag");
  const add: Record<string, string> = { vary: c.vary, "content-encoding": c.enc, "content-type": c.type };
  if (etag !== undefined) add.etag = etag.startsWith("W/") ? etag : `W/${etag}`;
  res.removeHeader("content-length");
  res.removeHeader("accept-ranges"); // ranges of the coded bytes are not what a client asks for
  return { add, drop: ["vary", "content-encoding", "content-length", "content-type", "etag", "accept-ranges"] };
}

function newCoder(c: Extract<Choice, { kind: "code" }>): zlib.Gzip | zlib.BrotliCompress {
  return c.enc === "gzip" ? zlib.createGzip(c.opts as zlib.ZlibOptions) : zlib.createBrotliCompress(c.opts as zlib.BrotliOptions);
}

/**
 * @internal The compressed version of `init` for `req` (or `init` itself
 * when nothing applies). `res` holds any fields the handler set on it.
 */
export function* compressResponse(req: HttpRequest, res: HttpResponse, init: HttpResponseInit, cfg: CompressConfig): Generator<Instruction, HttpResponseInit, any> {
  const held = hold(init.body);
  if (held === null) return init;
  const c = choose(req, res, init, cfg, "bytes" in held ? held.bytes.length : held.length, held.type);
  if (c.kind === "leave") return init;
  if (c.kind === "vary") return { ...init, headers: withHeaders(init.headers, ["vary"], { vary: c.vary }) };
  const { add, drop } = codedFields(init, res, c);
  if ("bytes" in held) {
    const out = yield* call(() => compressWhole(c.enc, held.bytes, c.opts));
    return { ...init, headers: withHeaders(init.headers, drop, add), body: out };
  }
  const coder = newCoder(c);
  // pipeline: the coder pulls from the source only as fast as the response
  // reads the coder; destroying the coder (a client that left) destroys the
  // source, which closes what it holds (a file, a socket).
  pipeline(held.stream(), coder, () => {});
  return { ...init, headers: withHeaders(init.headers, drop, add), body: coder };
}
