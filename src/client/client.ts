/**
 * HttpClient: the pools of keep-alive connections, one per origin, and the
 * request operation that runs an exchange over them (write the request,
 * wait for the head, follow redirects when asked, retry once a pooled
 * socket the server had closed). `request()` uses a process-wide default
 * client; a client made inside a task is closed, with its sockets, when
 * that task ends.
 */
import { isIP } from "node:net";
import { describeValue } from "../config/options.js";
import type { ParserKind } from "../http/parser/parser-core.js";
import { type ResponseLimits, type ResponseParser, createResponseParser } from "../http/parser/parser.js";
import { NetError } from "../net/errors.js";
import type { TlsClientOptions } from "../net/tls.js";
import { currentTask, peekCurrent } from "../runtime/current.js";
import { type Ownership, own, release } from "../runtime/kernel.js";
import type { Task } from "../runtime/task.js";
import type { Instruction, Operation } from "../runtime/types.js";
import type { ClientConnection } from "./connection.js";
import { HttpClientError } from "./errors.js";
import { Exchange } from "./exchange.js";
import { ClientHeaders } from "./headers.js";
import { OriginPool, type PoolSettings } from "./origin-pool.js";
import { type BodyPlan, type RequestBody, planBody, writeStreamed } from "./request-body.js";
import { type Field, Framing, type HeadersInit, buildHead, checkMethod, findField, normalizeHeaders, withoutFields } from "./request-head.js";
import { ClientResponse } from "./response.js";

/** Options of {@link request} (and {@link HttpClient.request}). */
export interface RequestOptions {
  /** The URL, when the first argument is these options. */
  url?: string | URL;
  /** Default "GET". */
  method?: string;
  /** Header fields: an object (an array value sends the field once per item), `[name, value]` pairs, or a Headers. */
  headers?: HeadersInit;
  /**
   * The body: a string (UTF-8) or bytes, sent with a Content-Length; or an
   * iterable, a Stream, an AsyncIterable or a Node Readable of chunks,
   * sent chunked (or raw, when `headers` give a Content-Length).
   */
  body?: RequestBody | null;
  /** Abort the request (and close its connection) when this signal aborts; the request throws the signal's reason. */
  signal?: AbortSignal;
  /** Give up with TimeoutError when the server sends nothing for this many ms while the response is awaited or read. Default: no limit (use withTimeout for a total). */
  timeout?: number;
  /** "manual" (default): a 3xx is returned as it is; "follow": follow up to `maxRedirects`. */
  redirect?: "manual" | "follow";
  /** Most redirects followed (default 20); one more is an HttpClientError TOO_MANY_REDIRECTS. */
  maxRedirects?: number;
  /** The response parser: "wasm" (default) or "ts". */
  parser?: ParserKind;
  /** TLS options for an `https:` URL (`ca`, `servername`, a client `cert`...), merged over the client's. */
  tls?: TlsClientOptions;
}

/** Options of {@link HttpClient}. */
export interface HttpClientOptions {
  /** Most connections per origin (default Infinity). Requests beyond wait for one. */
  maxSockets?: number;
  /** An idle keep-alive connection is closed after this many ms (default 4000). */
  idleTimeout?: number;
  /** Requests sent on a connection before their responses arrive (default 1: none pipelined). Only requests whose body is known are pipelined. */
  pipelining?: number;
  /** Limit on opening a connection (TCP and TLS), in ms (default: none). */
  connectTimeout?: number;
  /** The response parser: "wasm" (default) or "ts". */
  parser?: ParserKind;
  /** TLS options for every `https:` origin. */
  tls?: TlsClientOptions;
  /** Limits of the response parser (status line, head size, header count, body size). */
  limits?: Partial<ResponseLimits>;
}

/** A head and body up to this size go as one buffer (the size the outbox gathers). */
const SMALL_WRITE = 4096;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);
/** Fields not sent on to another origin by a redirect. */
const CROSS_ORIGIN_DROP = ["authorization", "proxy-authorization", "cookie", "host"];
/** Fields that describe a body, dropped when a redirect turns the request into a GET. */
const BODY_FIELDS = ["content-length", "content-type", "content-encoding", "content-language", "transfer-encoding"];

function checkCount(fn: string, name: string, v: unknown, dflt: number, min: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== "number" || Number.isNaN(v) || v < min || (v !== Infinity && !Number.isInteger(v))) {
    throw new RangeError(`${fn}: ${name} must be a whole number >= ${min} (or Infinity), got ${describeValue(v)}`);
  }
  return v;
}

function checkKind(fn: string, v: unknown): ParserKind {
  if (v === undefined) return "wasm";
  if (v !== "wasm" && v !== "ts") throw new TypeError(`${fn}: parser must be "wasm" or "ts", got ${describeValue(v)}`);
  return v;
}

/** A socket that was stale in the pool fails this way on first use. */
function staleSocket(e: unknown): boolean {
  if (e instanceof HttpClientError) return e.code === "NO_RESPONSE";
  return e instanceof NetError && (e.code === "ECONNRESET" || e.code === "EPIPE" || e.code === "ECLOSED" || e.code === "EOF");
}

/** Whether the URL ends its path with a "?" and nothing after it (which `url.search` does not tell). */
function emptyQuery(url: URL): boolean {
  const h = url.href;
  return h.charCodeAt(h.length - url.hash.length - 1) === 63;
}

/** Read through a call: TypeScript would keep an earlier check's narrowing of `aborted`. */
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal !== undefined && signal.aborted;
}

let tlsIds = 0;
const tlsKeys = new WeakMap<object, number>();
function tlsKey(o: object | undefined): number {
  if (o === undefined) return 0;
  let k = tlsKeys.get(o);
  if (k === undefined) tlsKeys.set(o, (k = ++tlsIds));
  return k;
}

/** What one attempt needs. */
interface Attempt {
  url: URL;
  method: string;
  fields: Field[];
  plan: BodyPlan;
  /** The head's bytes, made by the first try (an attempt is not changed after: a redirect makes a new one). */
  head?: Buffer;
  /** The Content-Length the caller gave, -1 if none. */
  declared?: number;
  /** The pool of the default parser and TLS options, once looked up. */
  pool?: OriginPool;
}

/** The options of `request(url)` with none given. */
const NO_OPTIONS: RequestOptions = Object.freeze({});
/** How many plain `request(url)` attempts a client keeps, parsed and with their heads made, by URL string. */
const SIMPLE_CACHE = 256;

/**
 * An HTTP/1.1 client: keep-alive connection pools per origin over green
 * sockets, and the `request`/`fetch` operations that use them. Made inside
 * a task, it is closed (every socket with it) when that task ends; made
 * outside one, close it yourself (or let its idle sockets, which do not
 * keep the process alive, time out).
 *
 * @example
 * const client = new HttpClient({ maxSockets: 10, idleTimeout: 10_000 });
 * const res = yield* client.request("http://127.0.0.1:8080/");
 * console.log(res.status, yield* res.text());
 */
export class HttpClient {
  private readonly pools = new Map<string, OriginPool>();
  private readonly parsers = new Map<ParserKind, ResponseParser>();
  private readonly settings: PoolSettings;
  private readonly kind: ParserKind;
  private readonly tls: TlsClientOptions | undefined;
  private readonly limits: Partial<ResponseLimits>;
  private hold: Ownership | null = null;
  /** Plain `request(url)` attempts by URL string. */
  private readonly simple = new Map<string, Attempt>();
  private isClosed = false;

  constructor(options: HttpClientOptions = {}) {
    const fn = "new HttpClient()";
    if (options === null || typeof options !== "object") throw new TypeError(`${fn}: options must be an object, got ${describeValue(options)}`);
    this.settings = Object.freeze({
      maxSockets: checkCount(fn, "maxSockets", options.maxSockets, Infinity, 1),
      idleTimeout: checkCount(fn, "idleTimeout", options.idleTimeout, 4000, 1),
      pipelining: checkCount(fn, "pipelining", options.pipelining, 1, 1),
      connectTimeout: checkCount(fn, "connectTimeout", options.connectTimeout, Infinity, 1),
    });
    this.kind = checkKind(fn, options.parser);
    this.tls = options.tls;
    this.limits = options.limits ?? {};
    const t = peekCurrent();
    if (t !== null && !HttpClient.makingDefault) this.hold = own(t, this);
  }

  /** @internal Set while the process-wide client is made: it belongs to no task. */
  static makingDefault = false;

  /** Connections open now, over every origin. */
  get openConnections(): number {
    let n = 0;
    for (const p of this.pools.values()) n += p.all.size;
    return n;
  }

  /** Connections opened since the client was made (a count that stays low shows keep-alive at work). */
  get connectionsOpened(): number {
    let n = 0;
    for (const p of this.pools.values()) n += p.opened;
    return n;
  }

  /** Idle keep-alive connections now. */
  get idleConnections(): number {
    let n = 0;
    for (const p of this.pools.values()) n += p.idleCount;
    return n;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.isClosed;
  }

  private parserOf(kind: ParserKind): ResponseParser {
    let p = this.parsers.get(kind);
    if (p === undefined) this.parsers.set(kind, (p = createResponseParser(kind, this.limits)));
    return p;
  }

  private poolFor(url: URL, kind: ParserKind, tls: TlsClientOptions | undefined): OriginPool {
    const secure = url.protocol === "https:";
    const key = `${url.protocol}//${url.host}|${kind}|${secure ? tlsKey(tls) : 0}`;
    let p = this.pools.get(key);
    if (p === undefined) {
      const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
      const port = url.port === "" ? (secure ? 443 : 80) : Number(url.port);
      let t: TlsClientOptions | undefined;
      if (secure) {
        t = { ALPNProtocols: ["http/1.1"], ...this.tls, ...tls };
        if (t.servername === undefined && isIP(host) === 0) t.servername = host;
      }
      p = new OriginPool(`${url.protocol}//${url.host}`, host, port, t, this.parserOf(kind), this.settings);
      this.pools.set(key, p);
    }
    return p;
  }

  /**
   * Send a request and wait for the response's head; the body is read
   * from the returned {@link ClientResponse}. Throws `NetError`/`TlsError`
   * when the connection fails, `HttpParseError` for a response that is not
   * HTTP, `TimeoutError` past `timeout`, `HttpClientError` for the rest.
   * Cancelling the task (or `withTimeout`, or the `signal`) closes the
   * connection at once.
   *
   * @example
   * const client = new HttpClient();
   * const res = yield* client.request("http://127.0.0.1:8080/items", {
   *   method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "x" }),
   * });
   */
  request(input: string | URL | RequestOptions, options?: RequestOptions): Operation<ClientResponse> {
    if (options === undefined && typeof input === "string") {
      // `request(url)`, the commonest call: its URL parsed and its head made once.
      let a = this.simple.get(input);
      if (a === undefined) {
        a = this.attemptOf({ url: input });
        if (this.simple.size >= SIMPLE_CACHE) this.simple.clear();
        this.simple.set(input, a);
      }
      const plain = a;
      return { [Symbol.iterator]: () => this.run(plain, NO_OPTIONS, -1, 0, this.kind) };
    }
    const o: RequestOptions = typeof input === "string" || input instanceof URL ? { ...options, url: input } : { ...input, ...options };
    const attempt = this.attemptOf(o);
    if (o.redirect !== undefined && o.redirect !== "manual" && o.redirect !== "follow") throw new TypeError(`request(): redirect must be "manual" or "follow", got ${describeValue(o.redirect)}`);
    const maxRedirects = checkCount("request()", "maxRedirects", o.maxRedirects, 20, 0);
    const timeout = checkCount("request()", "timeout", o.timeout, 0, 0);
    const kind = o.parser === undefined ? this.kind : checkKind("request()", o.parser);
    if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw new TypeError(`request(): signal must be an AbortSignal, got ${describeValue(o.signal)}`);
    return { [Symbol.iterator]: () => this.run(attempt, o, o.redirect === "follow" ? maxRedirects : -1, timeout === Infinity ? 0 : timeout, kind) };
  }

  /** Check the URL, method, fields and body of a request. */
  private attemptOf(o: RequestOptions): Attempt {
    if (o.url === undefined) throw new TypeError("request(): a URL is required");
    let url: URL;
    try {
      url = new URL(o.url);
    } catch {
      throw new TypeError(`request(): invalid URL ${describeValue(o.url)}`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new TypeError(`request(): only http: and https: URLs, got ${url.protocol}`);
    return { url, method: checkMethod(o.method), fields: normalizeHeaders(o.headers), plan: planBody(o.body) };
  }

  /** Decide the body's framing and make the head's bytes. */
  private prepare(a: Attempt): Buffer {
    const { url, method, fields, plan } = a;
    let framing = Framing.None, length = 0, declared = -1;
    const lenAt = findField(fields, "content-length");
    let sendFields = fields;
    if (findField(fields, "transfer-encoding") >= 0) sendFields = withoutFields(fields, ["transfer-encoding"]);
    if (lenAt >= 0) {
      declared = Number(fields[lenAt]![1]);
      if (!Number.isSafeInteger(declared) || declared < 0) throw new TypeError(`request(): invalid Content-Length ${JSON.stringify(fields[lenAt]![1])}`);
    }
    if (plan === null) {
      if (method === "POST" || method === "PUT" || method === "PATCH") framing = Framing.Length;
      if (declared > 0) throw new HttpClientError("BODY_LENGTH", url.href, `Content-Length ${declared} with no body`);
    } else if (plan.fixed) {
      framing = Framing.Length;
      length = plan.bytes.length;
      if (declared >= 0 && declared !== length) throw new HttpClientError("BODY_LENGTH", url.href, `the body has ${length} bytes, its Content-Length says ${declared}`);
    } else framing = declared >= 0 ? Framing.Length : Framing.Chunked;
    const target = url.pathname + (url.search !== "" ? url.search : emptyQuery(url) ? "?" : "");
    // Bytes, not a string: a small write of bytes is gathered with the
    // tick's others and goes straight to the handle (src/net/outbox.ts);
    // a string would take node's stream path, one syscall per request.
    const head = Buffer.from(buildHead(method, target, url.host, sendFields, framing, length, lenAt >= 0), "latin1");
    a.declared = declared;
    a.head = head;
    return head;
  }

  private *run(a: Attempt, o: RequestOptions, maxRedirects: number, timeout: number, kind: ParserKind): Generator<Instruction, ClientResponse, unknown> {
    const me = currentTask("request");
    if (this.isClosed) throw new HttpClientError("CLIENT_CLOSED", a.url.href, "the HTTP client is closed");
    for (let hop = 0; ; hop++) {
      const res = yield* this.once(me, a, o, timeout, kind, hop > 0);
      if (maxRedirects < 0 || !REDIRECTS.has(res.status)) return res;
      const loc = res.headers.get("location");
      if (loc === null) return res;
      if (hop >= maxRedirects) {
        yield* res.discard();
        throw new HttpClientError("TOO_MANY_REDIRECTS", res.url, `more than ${maxRedirects} redirects`);
      }
      let next: URL;
      try {
        next = new URL(loc, a.url);
      } catch {
        yield* res.discard();
        throw new HttpClientError("BAD_REDIRECT", res.url, `the redirect's Location ${JSON.stringify(loc)} is not a URL`);
      }
      if (next.protocol !== "http:" && next.protocol !== "https:") {
        yield* res.discard();
        throw new HttpClientError("BAD_REDIRECT", res.url, `the redirect goes to ${next.protocol}, not http: or https:`);
      }
      let { method, fields, plan } = a;
      if ((res.status === 303 && method !== "HEAD" && method !== "GET") || ((res.status === 301 || res.status === 302) && method === "POST")) {
        method = "GET";
        plan = null;
        fields = withoutFields(fields, BODY_FIELDS);
      } else if (plan !== null && !plan.fixed) {
        return res; // a streamed body cannot be sent again: the caller gets the redirect
      }
      yield* res.discard();
      if (next.origin !== a.url.origin) fields = withoutFields(fields, CROSS_ORIGIN_DROP);
      a = { url: next, method, fields, plan };
    }
  }

  private *once(me: Task, a: Attempt, o: RequestOptions, timeout: number, kind: ParserKind, redirected: boolean): Generator<Instruction, ClientResponse, unknown> {
    const { url, method, fields, plan } = a;
    const href = url.href;
    const signal = o.signal;
    if (signal?.aborted === true) throw signal.reason;
    let pool: OriginPool;
    if (kind === this.kind && o.tls === undefined) {
      pool = a.pool !== undefined && !a.pool.closed ? a.pool : (a.pool = this.poolFor(url, kind, undefined));
    } else pool = this.poolFor(url, kind, o.tls);
    const head = a.head ?? this.prepare(a);
    const declared = a.declared!;
    const replayable = plan === null || plan.fixed;

    for (let attempt = 0; ; attempt++) {
      const cc = yield* pool.acquire(attempt > 0);
      const reused = cc.served > 0;
      const ex = new Exchange(cc, method, href);
      cc.begin(ex, timeout);
      let onAbort: (() => void) | null = null;
      if (signal !== undefined) {
        onAbort = () => {
          if (!ex.ended) cc.close(signal.reason); // an ended exchange's connection may be serving another
        };
        signal.addEventListener("abort", onAbort, { once: true });
        ex.onDone = () => signal.removeEventListener("abort", onAbort!);
      }
      let ok = false;
      try {
        yield* this.send(cc, href, head, plan, declared);
        while (ex.head === null && ex.error === null) yield* cc.fill(ex);
        if (ex.head === null) throw ex.error;
        ok = true;
      } catch (e) {
        cc.close(null);
        ex.done();
        if (isAborted(signal)) throw signal!.reason;
        if (attempt === 0 && reused && replayable && IDEMPOTENT.has(method) && !ex.received && staleSocket(e)) continue;
        throw e;
      } finally {
        if (!ok) {
          cc.close(null); // cancelled while writing or waiting: the socket goes at once
          ex.done();
        }
      }
      if (!ex.ended) ex.hold = own(me, ex);
      else if (ex.onDone !== null) {
        ex.onDone(); // received whole already: the signal has nothing left to abort
        ex.onDone = null;
      }
      return new ClientResponse(ex, new ClientHeaders(ex.head, false), href, redirected);
    }
  }

  private *send(cc: ClientConnection, url: string, h: Buffer, plan: BodyPlan, declared: number): Generator<Instruction, void, unknown> {
    const conn = cc.conn;
    if (plan === null) return yield* conn.write(h);
    if (plan.fixed) {
      const b = plan.bytes;
      if (b.length === 0) return yield* conn.write(h);
      if (h.length + b.length <= SMALL_WRITE) {
        const one = Buffer.allocUnsafe(h.length + b.length);
        one.set(h, 0);
        one.set(b, h.length);
        return yield* conn.write(one);
      }
      yield* conn.write(h);
      return yield* conn.write(b);
    }
    cc.writing = true;
    try {
      yield* conn.write(h);
      yield* writeStreamed(conn, url, plan.source, declared);
    } finally {
      cc.writing = false;
    }
  }

  /**
   * Close every connection (requests in flight fail with HttpClientError
   * CLIENT_CLOSED); later requests throw it. Idempotent.
   *
   * @example
   * const client = new HttpClient();
   * client.close();
   */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    const h = this.hold;
    this.hold = null;
    if (h !== null) release(h);
    for (const p of this.pools.values()) p.close();
    this.pools.clear();
  }
}

let shared: HttpClient | null = null;

/**
 * The process-wide client that {@link request} and {@link httpFetch} use
 * (made on first use; its idle sockets do not keep the process alive).
 *
 * @example
 * console.log(defaultClient().openConnections);
 */
export function defaultClient(): HttpClient {
  if (shared === null || shared.closed) {
    HttpClient.makingDefault = true;
    try {
      shared = new HttpClient();
    } finally {
      HttpClient.makingDefault = false;
    }
  }
  return shared;
}

/**
 * Send an HTTP request with the default client: `yield* request(url)` or
 * `yield* request({ url, method, headers, body })`. See
 * {@link HttpClient.request}.
 *
 * @example
 * const res = yield* request("http://127.0.0.1:8080/hello");
 * console.log(res.status, res.headers.get("content-type"), yield* res.text());
 */
export function request(input: string | URL | RequestOptions, options?: RequestOptions): Operation<ClientResponse> {
  return defaultClient().request(input, options);
}
