/**
 * A light `Response` for fetch-style handlers. Node's own Response (undici)
 * costs microseconds to make, most of it a ReadableStream for the body, and
 * more to read back; a handler that answers `new Response("text")` only
 * needs the server to see the text, the status and the fields. So serve()
 * installs this class as the global `Response` (as `@hono/node-server`
 * does): for a body of text, bytes, null or a ReadableStream it keeps what
 * it was given and makes Node's Response only when someone asks for more
 * than `status`, `ok` and `headers`. `instanceof Response` holds both ways,
 * and the statics (`Response.json`, `error`, `redirect`) are Node's.
 */

/** Node's own Response and Request, as they were before anything was installed. */
export const NodeResponse: typeof Response = globalThis.Response;
export const NodeRequest: typeof Request = globalThis.Request;

/** The Content-Type Node's Response gives a text body. */
const TEXT_TYPE = "text/plain;charset=UTF-8";

/** Statuses whose responses have no body (a body with them is a TypeError, as in Node). */
const isNullBodyStatus = (s: number): boolean => s === 101 || s === 103 || s === 204 || s === 205 || s === 304;

/**
 * A Response that keeps its body and init and makes Node's Response on
 * demand. `_body !== undefined` (or null) while light; once `_real` is
 * made, everything reads from it.
 */
export class LightResponse {
  /** @internal The body as given (text, bytes, null, a ReadableStream); meaningful while `_real` is null. */
  _body: string | Uint8Array | ReadableStream | null;
  /** @internal The init as given. */
  _init: ResponseInit | undefined;
  /** @internal The fields, once someone asked for `headers` (they may be changed through it). */
  _headers: Headers | null = null;
  /** @internal Node's Response, once made. */
  _real: Response | null = null;

  static [Symbol.hasInstance](v: unknown): boolean {
    if (this !== LightResponse) return Function.prototype[Symbol.hasInstance].call(this, v);
    return v instanceof NodeResponse; // a LightResponse is one too: its prototype chain reaches Node's
  }

  constructor(body?: BodyInit | null, init?: ResponseInit) {
    this._init = init;
    if (body === undefined || body === null) this._body = null;
    else if (typeof body === "string" || body instanceof Uint8Array) this._body = body;
    else if (body instanceof ReadableStream) this._body = adopt(body);
    else {
      // Any other body (Blob, FormData, URLSearchParams, ArrayBuffer...): Node's Response says what it is.
      this._body = null;
      this._real = new NodeResponse(body, init);
      return;
    }
    if (init !== undefined && init !== null) {
      const s = init.status;
      // What Node's Response would refuse, it refuses here too, with its own message.
      const text = init.statusText;
      if ((s !== undefined && (!Number.isInteger(s) || s < 200 || s > 599 || (this._body !== null && isNullBodyStatus(s)))) || (text !== undefined && text !== "")) {
        this._real = new NodeResponse(body, init);
      }
    }
  }

  /** @internal Node's Response, made now if it was not. */
  _materialize(): Response {
    let r = this._real;
    if (r === null) {
      const init = this._init;
      r = this._real = new NodeResponse(this._body as BodyInit | null, this._headers === null ? init : { status: init?.status, statusText: init?.statusText, headers: this._headers });
      this._body = null;
    }
    return r;
  }

  get status(): number {
    return this._real !== null ? this._real.status : (this._init?.status ?? 200);
  }

  get ok(): boolean {
    const s = this.status;
    return s >= 200 && s <= 299;
  }

  get statusText(): string {
    return this._real !== null ? this._real.statusText : "";
  }

  get bodyUsed(): boolean {
    return this._real !== null ? this._real.bodyUsed : false;
  }

  /**
   * The body as a stream. Text and bytes become a stream that remembers
   * them: a new Response made from it while nobody has read it (Hono does
   * this to change the fields of a finished response) takes the text back
   * and stays light.
   */
  get body(): ReadableStream<Uint8Array> | null {
    if (this._real !== null) return this._real.body;
    const b = this._body;
    if (b === null || b instanceof ReadableStream) return b as ReadableStream<Uint8Array> | null;
    const stream = sourceStream(b);
    this._body = stream;
    return stream;
  }

  get headers(): Headers {
    if (this._real !== null) return this._real.headers;
    let h = this._headers;
    if (h === null) {
      h = this._headers = new Headers(this._init?.headers);
      if (typeof this._body === "string" && !h.has("content-type")) h.set("content-type", TEXT_TYPE);
    }
    return h;
  }
}

/** The text or bytes behind a stream made by `body`, while nobody has read it. */
interface Remembered {
  source: string | Uint8Array | null;
}
const remembered = new WeakMap<ReadableStream, Remembered>();

/** A stream of `source`, remembered so that a Response made from it can take `source` back. */
function sourceStream(source: string | Uint8Array): ReadableStream<Uint8Array> {
  const r: Remembered = { source };
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(c) {
        const s = r.source;
        r.source = null;
        remembered.delete(stream);
        if (s === null) return c.error(new TypeError("the body was taken by another Response"));
        if (s.length > 0) c.enqueue(typeof s === "string" ? new TextEncoder().encode(s) : s);
        c.close();
      },
    },
    { highWaterMark: 0 },
  );
  remembered.set(stream, r);
  return stream;
}

/** A body stream given to a new Response: the text or bytes behind it when nobody has read it, else the stream. */
function adopt(stream: ReadableStream): string | Uint8Array | ReadableStream {
  const r = remembered.get(stream);
  if (r === undefined || r.source === null || stream.locked) return stream;
  const s = r.source;
  r.source = null; // the old Response's stream now errors when read, as a used body does
  remembered.delete(stream);
  return s;
}

// Every other member of Response.prototype is Node's, read from the real Response.
for (const key of Reflect.ownKeys(NodeResponse.prototype)) {
  if (key === "constructor" || key === Symbol.toStringTag || Object.prototype.hasOwnProperty.call(LightResponse.prototype, key)) continue;
  const d = Object.getOwnPropertyDescriptor(NodeResponse.prototype, key)!;
  if (typeof d.get === "function") {
    Object.defineProperty(LightResponse.prototype, key, {
      get(this: LightResponse) {
        return (this._materialize() as unknown as Record<PropertyKey, unknown>)[key];
      },
      configurable: true,
    });
  } else if (typeof d.value === "function") {
    Object.defineProperty(LightResponse.prototype, key, {
      value: function (this: LightResponse, ...args: unknown[]) {
        const r = this._materialize() as unknown as Record<PropertyKey, (...a: unknown[]) => unknown>;
        return r[key]!.apply(r, args);
      },
      writable: true,
      configurable: true,
    });
  }
}
Object.setPrototypeOf(LightResponse.prototype, NodeResponse.prototype);
Object.setPrototypeOf(LightResponse, NodeResponse); // Response.json(), .error(), .redirect()
Object.defineProperty(LightResponse, "name", { value: "Response" });

/** Whether `v` is a LightResponse (or of a subclass); `instanceof LightResponse` also says yes for Node's own. */
export function isLightResponse(v: unknown): v is LightResponse {
  return typeof v === "object" && v !== null && Object.prototype.isPrototypeOf.call(LightResponse.prototype, v);
}

/** Whether the light classes are the globals now. */
let installed = false;

/**
 * Make `Response` the light one, and `Request` a subclass of Node's that
 * also takes the requests handed to fetch-style handlers as input (`new
 * Request(request, init)`). Once per process; nothing is installed when the
 * globals were already replaced by someone else.
 */
export function installFetchGlobals(toRequest: (input: unknown) => unknown): void {
  if (installed) return;
  installed = true;
  if (globalThis.Response !== NodeResponse || globalThis.Request !== NodeRequest) return;
  class Request extends NodeRequest {
    // A request handed to a fetch-style handler is one (its chain reaches Node's Request.prototype).
    static override [Symbol.hasInstance](v: unknown): boolean {
      return this === Request ? v instanceof NodeRequest : Function.prototype[Symbol.hasInstance].call(this, v);
    }
    constructor(input: RequestInfo | URL, init?: RequestInit) {
      super(toRequest(input) as RequestInfo, init);
    }
  }
  Object.defineProperty(globalThis, "Request", { value: Request, writable: true, configurable: true });
  Object.defineProperty(globalThis, "Response", { value: LightResponse, writable: true, configurable: true });
}
