/**
 * Fetch-style handlers: `(request: Request) => Response | Promise<Response>`,
 * or an object with such a `fetch` method (a Hono app), run by the same
 * server as green handlers. How serve() tells the two apart (`handlerKind`),
 * and the adapter that turns a fetch-style handler into a green one: it runs
 * in the connection's task, gives the handler a FetchRequest, parks the task
 * on the returned Promise, and sends the Response through the HttpResponse,
 * text and bytes at once, streams with backpressure.
 */
import { describeValue } from "../config/options.js";
import { answeredBody } from "./body-streams.js";
import { call } from "../ops/call.js";
import { peekCurrent } from "../runtime/current.js";
import type { Instruction } from "../runtime/types.js";
import { FetchRequest, unwrapRequest } from "./fetch-request.js";
import { NodeResponse, installFetchGlobals, isLightResponse } from "./fetch-response.js";
import type { HttpRequest } from "./request.js";
import type { HttpResponse } from "./response.js";
import type { Handler } from "./server-config.js";

/**
 * A Web-standard handler: takes the global `Request`, returns a `Response`
 * or a Promise of one. Extra arguments (Hono's `env`, `executionCtx`) are
 * not passed.
 */
export type FetchHandler = (request: Request, ...rest: any[]) => Response | Promise<Response>;

/** An object with a fetch-style `fetch` method (a Hono app, an itty-router, a Cloudflare-style module); called with `this` = the object. */
export interface FetchApp {
  fetch(request: Request, ...rest: any[]): Response | Promise<Response>;
}

/**
 * The kind of a handler given to serve(): "green" for a generator function
 * (`function* (req, res) {...}`), "fetch" for any other function or an
 * object with a `fetch` method, null for anything else. A generator
 * function is known by its prototype chain (`Object.prototype.toString`
 * says "GeneratorFunction"); a *bound* generator function loses that and
 * reads as fetch-style, so bind with a wrapper `function*` instead.
 */
export function handlerKind(h: unknown): "green" | "fetch" | "async-generator" | null {
  if (typeof h === "function") {
    const tag = Object.prototype.toString.call(h);
    if (tag === "[object GeneratorFunction]") return "green";
    if (tag === "[object AsyncGeneratorFunction]") return "async-generator";
    return "fetch";
  }
  if (h !== null && typeof h === "object" && typeof (h as { fetch?: unknown }).fetch === "function") return "fetch";
  return null;
}

/** Status codes whose responses carry no body. */
const noBody = (s: number): boolean => s === 204 || s === 205 || s === 304 || (s >= 100 && s < 200);

/**
 * The green handler that runs `target`. `base` is the server's address,
 * used for the URL of a request that names no host; with `installGlobals`
 * the light Response becomes the global one (fetch-response.ts).
 */
export function fetchAdapter(target: FetchHandler | FetchApp, base: () => string, installGlobals: boolean): Handler {
  if (installGlobals) installFetchGlobals(unwrapRequest);
  const fn: (request: Request) => unknown = typeof target === "function" ? target : target.fetch;
  const self: unknown = typeof target === "function" ? undefined : target;
  return function* fetchHandler(req: HttpRequest, res: HttpResponse): Generator<Instruction, void, any> {
    const request = new FetchRequest(req, peekCurrent()!, base);
    let sent = false;
    try {
      let out = fn.call(self, request as unknown as Request);
      if (out !== null && typeof out === "object" && typeof (out as PromiseLike<unknown>).then === "function") {
        out = yield* call(out as PromiseLike<unknown>);
      }
      yield* send(res, out);
      sent = true;
    } finally {
      // The app may keep the request: once answered, its body may no longer be read from the socket.
      if (!req._ended) answeredBody(req);
      // Abandoned (the client left, the server stopped): tell whoever watches the request's signal.
      if (!sent && request._abort !== null) request._abort.abort(new Error("the request was abandoned before its response was sent"));
      request._settled = true;
      if (request._unwatch !== null) request._unwatch();
    }
  };
}

/** Send what a fetch-style handler returned. */
function* send(res: HttpResponse, out: unknown): Generator<Instruction, void, any> {
  if (isLightResponse(out) && out._real === null) {
    const init = out._init;
    const status = init?.status ?? 200;
    res.status = status;
    if (out._headers !== null) setFields(res, out._headers);
    else if (init?.headers !== undefined) setInitFields(res, init.headers);
    const body = out._body;
    if (typeof body === "string") {
      if (out._headers === null && res.getHeader("content-type") === undefined) res.setHeader("content-type", "text/plain;charset=UTF-8");
      res.finish(body);
    } else if (body === null || body instanceof Uint8Array) res.finish(body ?? undefined);
    else {
      out._body = null; // the stream is ours to read now
      yield* sendStream(res, body, status);
    }
    return;
  }
  if (!(out instanceof NodeResponse)) {
    throw new TypeError(`the fetch handler returned ${describeValue(out)}; it must return a Response (or a Promise of one)`);
  }
  const r = isLightResponse(out) ? out._materialize() : (out as Response);
  res.status = r.status;
  if (r.statusText !== "") res.statusText = r.statusText;
  setFields(res, r.headers);
  if (r.body === null) res.finish();
  else yield* sendStream(res, r.body, r.status);
}

/** A body stream: sent as it is read, waiting while the client is not reading (HttpResponse streams it). */
function* sendStream(res: HttpResponse, body: ReadableStream, status: number): Generator<Instruction, void, any> {
  if (noBody(status)) {
    void body.cancel().catch(() => {});
    res.finish();
    return;
  }
  yield* res.end(body as ReadableStream<Uint8Array>);
}

/** Copy a Headers' fields; Set-Cookie fields stay separate (`getSetCookie`). */
function setFields(res: HttpResponse, headers: Headers): void {
  let cookies = false;
  for (const [name, value] of headers as unknown as Iterable<[string, string]>) {
    if (name === "set-cookie") cookies = true;
    else if (name !== "transfer-encoding" && name !== "keep-alive") res.setHeader(name, value); // framing is the server's
  }
  if (cookies) res.setHeader("set-cookie", headers.getSetCookie());
}

/** Copy the fields of a ResponseInit as given (a record, pairs, or a Headers). */
function setInitFields(res: HttpResponse, h: HeadersInit): void {
  if (h instanceof Headers) return setFields(res, h);
  if (Array.isArray(h) || typeof (h as unknown as Iterable<unknown>)[Symbol.iterator] === "function") {
    return setFields(res, new Headers(h));
  }
  for (const name in h) {
    const v = (h as Record<string, string>)[name]!;
    const lower = name.toLowerCase();
    if (lower === "transfer-encoding" || lower === "keep-alive" || lower === "set-cookie") return setFields(res, new Headers(h));
    if (res.getHeader(name) === undefined) res.setHeader(name, v);
    else return setFields(res, new Headers(h)); // the same name twice in other cases: let Headers combine them
  }
}
