/**
 * The `Request` a fetch-style handler gets: a view of the HttpRequest that
 * makes only what is read. `method` and `url` are strings of the parsed
 * head, `headers` a `Headers` built on first use; anything else (`body`,
 * `json()`, `signal`, `clone()`...) comes from Node's own Request, made the
 * first time it is needed, whose body is the request's body as a pulled
 * ReadableStream (body-streams.ts). Its prototype chain reaches Node's
 * `Request.prototype`, so `request instanceof Request` holds.
 */
import type { Task } from "../runtime/task.js";
import { bodyWebStream } from "./body-streams.js";
import { NodeRequest } from "./fetch-response.js";
import type { HttpRequest } from "./request.js";

/**
 * A fetch-style handler's request. `_req` is the server's request;
 * `_owner` the connection's task (the body is read by its children);
 * `_base` gives the authority used when the request has no Host.
 */
export class FetchRequest {
  /** @internal */ readonly _req: HttpRequest;
  /** @internal */ readonly _owner: Task;
  /** @internal Node's Request, once made. */ _real: Request | null = null;
  /** @internal */ _url: string | null = null;
  /** @internal */ _headers: Headers | null = null;
  /** @internal Made when `signal` is first read; aborted if the exchange ends before the response is sent. */ _abort: AbortController | null = null;
  /** @internal The response was sent, or the exchange is over: the peer leaving no longer aborts. */ _settled = false;
  /** @internal Removes the socket listeners that `signal` added. */ _unwatch: (() => void) | null = null;
  /** @internal The address the server listens on, for a request without Host (HTTP/1.0). */ private readonly _base: () => string;

  constructor(req: HttpRequest, owner: Task, base: () => string) {
    this._req = req;
    this._owner = owner;
    this._base = base;
  }

  get method(): string {
    return this._req.method;
  }

  /** `http://` (`https://` over TLS) + Host (or the authority of an absolute-form target) + the path and query. */
  get url(): string {
    let u = this._url;
    if (u === null) {
      const req = this._req;
      const host = req.host;
      const target = req.target;
      const authority = host === undefined || host === "" ? this._base() : host;
      const scheme = req.secure ? "https://" : "http://";
      if (target.charCodeAt(0) === 0x2f) u = `${scheme}${authority}${target}`;
      else if (target === "*") u = `${scheme}${authority}/`;
      else {
        // Absolute form: keep its path and query, put them under the scheme and authority.
        const q = target.indexOf("?");
        u = `${scheme}${authority}${req.path}${q < 0 ? "" : target.slice(q)}`;
      }
      this._url = u;
    }
    return u;
  }

  get headers(): Headers {
    if (this._real !== null) return this._real.headers;
    let h = this._headers;
    if (h === null) {
      h = this._headers = new Headers();
      for (const [name, value] of this._req.headers.entries()) h.append(name, value);
    }
    return h;
  }

  get signal(): AbortSignal {
    if (this._real !== null) return this._real.signal;
    let a = this._abort;
    if (a === null) {
      a = this._abort = new AbortController();
      this._watchPeer(a);
    }
    return a.signal;
  }

  /**
   * Abort `a` when the client closes its side or the socket before the
   * response is sent, as Node's server does for a request in flight. Only a
   * handler that reads `signal` pays for the two listeners; the adapter
   * removes them when the exchange ends (fetch.ts).
   */
  private _watchPeer(a: AbortController): void {
    const socket = this._req._conn.conn.socket;
    const gone = (): void => {
      if (!this._settled && !a.signal.aborted) a.abort(new Error("the client closed the connection before the response was sent"));
    };
    if (socket.destroyed || socket.readableEnded) {
      gone();
      return;
    }
    socket.once("end", gone);
    socket.once("close", gone);
    this._unwatch = () => {
      socket.off("end", gone);
      socket.off("close", gone);
    };
  }

  /** @internal Node's Request, made now if it was not. */
  _materialize(): Request {
    let r = this._real;
    if (r === null) {
      const m = this._req.method;
      const hasBody = m !== "GET" && m !== "HEAD" && this._req.framing !== "none";
      const init: RequestInit & { duplex?: "half" } = { method: m, headers: this.headers, signal: this.signal };
      if (hasBody) {
        init.body = bodyWebStream(this._req, this._owner);
        init.duplex = "half";
      }
      r = this._real = new NodeRequest(this.url, init);
    }
    return r;
  }
}

// Every other member of Request.prototype is Node's, read from the real Request.
for (const key of Reflect.ownKeys(NodeRequest.prototype)) {
  if (key === "constructor" || key === Symbol.toStringTag || Object.prototype.hasOwnProperty.call(FetchRequest.prototype, key)) continue;
  const d = Object.getOwnPropertyDescriptor(NodeRequest.prototype, key)!;
  if (typeof d.get === "function") {
    Object.defineProperty(FetchRequest.prototype, key, {
      get(this: FetchRequest) {
        return (this._materialize() as unknown as Record<PropertyKey, unknown>)[key];
      },
      configurable: true,
    });
  } else if (typeof d.value === "function") {
    Object.defineProperty(FetchRequest.prototype, key, {
      value: function (this: FetchRequest, ...args: unknown[]) {
        const r = this._materialize() as unknown as Record<PropertyKey, (...a: unknown[]) => unknown>;
        return r[key]!.apply(r, args);
      },
      writable: true,
      configurable: true,
    });
  }
}
Object.setPrototypeOf(FetchRequest.prototype, NodeRequest.prototype);

/** `new Request(input)` with a FetchRequest as input: Node's Request cannot read ours, so it gets the real one. */
export function unwrapRequest(input: unknown): unknown {
  return input instanceof FetchRequest ? input._materialize() : input;
}
