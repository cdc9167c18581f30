/**
 * httpFetch: the client behind a fetch-shaped call. It returns a standard
 * global `Response` whose body is a ReadableStream pulled from the green
 * socket as the caller reads it (nothing is read ahead), so the usual
 * `await res.text()`, `res.body.getReader()` and `Response` consumers work.
 */
import { describeValue } from "../config/options.js";
import type { ParserKind } from "../http/parser/parser-core.js";
import type { TlsClientOptions } from "../net/tls.js";
import type { Instruction, Operation } from "../runtime/types.js";
import { type HttpClient, defaultClient } from "./client.js";
import { HttpClientError } from "./errors.js";
import type { RequestBody } from "./request-body.js";
import type { HeadersInit } from "./request-head.js";
import type { ClientResponse } from "./response.js";

/** Options of {@link httpFetch}: fetch's `RequestInit` (what applies to HTTP/1.1 over a socket) and the client's own. */
export interface HttpFetchInit {
  /** Default "GET". */
  method?: string;
  /** A Headers, an object, or `[name, value]` pairs. */
  headers?: HeadersInit;
  /** A string, bytes, an ArrayBuffer, URLSearchParams, a ReadableStream or any (async) iterable of chunks. */
  body?: RequestBody | URLSearchParams | ReadableStream<Uint8Array> | null;
  /** "follow" (default, as fetch), "manual" (the 3xx is returned), or "error" (a 3xx throws). */
  redirect?: "follow" | "manual" | "error";
  /** Aborts the request, and the body's stream if it is being read. */
  signal?: AbortSignal;
  /** The client (default: the process-wide one). */
  client?: HttpClient;
  /** Give up with TimeoutError when the server sends nothing for this many ms. */
  timeout?: number;
  /** The response parser: "wasm" or "ts". */
  parser?: ParserKind;
  /** TLS options for an `https:` URL. */
  tls?: TlsClientOptions;
}

/** Statuses whose Response may not have a body. */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/** The body of a global Response: pulled from the socket when the reader asks. */
function bodyStream(res: ClientResponse): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      pull: async (controller) => {
        const c = await res._nextOutside();
        if (c === null) controller.close();
        else controller.enqueue(c);
      },
      cancel: () => res._ex.close(),
    },
    { highWaterMark: 0 },
  );
}

/**
 * A `fetch` as a green operation: `yield* httpFetch(url, init)` returns a
 * standard `Response` once the head has arrived; its body streams from
 * the socket. Redirects are followed by default, as fetch does. Read the
 * body from the task with `yield* call(res.text())` (or `res.json()`...).
 *
 * @example
 * const res = yield* httpFetch("http://127.0.0.1:8080/api", { method: "POST", body: "hi" });
 * const text = yield* call(res.text());
 */
export function httpFetch(input: string | URL, init: HttpFetchInit = {}): Operation<Response> {
  if (init === null || typeof init !== "object") throw new TypeError(`httpFetch(): init must be an object, got ${describeValue(init)}`);
  const redirect = init.redirect ?? "follow";
  if (redirect !== "follow" && redirect !== "manual" && redirect !== "error") throw new TypeError(`httpFetch(): redirect must be "follow", "manual" or "error", got ${describeValue(redirect)}`);
  let body = init.body as RequestBody | URLSearchParams | null | undefined;
  let headers = init.headers;
  if (body instanceof URLSearchParams) {
    const pairs: [string, string][] = [];
    const h = headers === undefined ? undefined : new Headers(headers as Record<string, string>);
    h?.forEach((v, n) => pairs.push([n, v]));
    if (h === undefined || !h.has("content-type")) pairs.push(["content-type", "application/x-www-form-urlencoded;charset=UTF-8"]);
    headers = pairs;
    body = body.toString();
  }
  const client = init.client ?? defaultClient();
  const op = client.request(input, {
    method: init.method,
    headers,
    body: body as RequestBody | null | undefined,
    signal: init.signal,
    timeout: init.timeout,
    redirect: redirect === "follow" ? "follow" : "manual",
    parser: init.parser,
    tls: init.tls,
  });
  const method = (init.method ?? "GET").toUpperCase();
  return {
    *[Symbol.iterator](): Generator<Instruction, Response, unknown> {
      const res = yield* op;
      if (redirect === "error" && res.status >= 300 && res.status < 400 && res.headers.has("location")) {
        yield* res.discard();
        throw new HttpClientError("BAD_REDIRECT", res.url, `redirect: "error" and the server redirects (${res.status})`);
      }
      const h = new Headers();
      for (const [n, v] of res.headers) h.append(n, v);
      const noBody = NULL_BODY.has(res.status) || method === "HEAD";
      if (noBody) yield* res.discard();
      const out = new Response(noBody ? null : bodyStream(res), { status: res.status, statusText: res.statusText, headers: h });
      Object.defineProperty(out, "url", { value: res.url });
      Object.defineProperty(out, "redirected", { value: res.redirected });
      return out;
    },
  };
}
