/**
 * The HTTP/1.1 server: `serve()` and the `Server` it returns. Listening,
 * accepting, the connection limit and the graceful stop are the shared
 * server lifecycle of src/net; this file adds what HTTP needs on top: the
 * connections' idle lists (a connection between requests holds no task),
 * the reaper that closes idle connections whose time is up, and draining.
 */
import { describeValue, resolveClose, resolveServe, type ServeConfig } from "../config/options.js";
import { ServerLifecycle } from "../net/server-lifecycle.js";
import { WorkerGroup, type WorkerExitInfo, type WorkerInfo, attachWorker, serverRole, workerPort } from "../net/workers.js";
import type { TlsServerOptions } from "../net/tls.js";
import { call } from "../ops/call.js";
import { peekCurrent } from "../runtime/current.js";
import { now } from "../runtime/kernel.js";
import { withDeadline } from "../runtime/op.js";
import type { Task } from "../runtime/task.js";
import type { BackendName, Instruction, Operation } from "../runtime/types.js";
import { Event } from "../sync/event.js";
import { Admission, type ServerStats } from "./admission.js";
import { ConnList } from "./conn-list.js";
import { HttpConnection } from "./connection.js";
import { type ParserKind, createParser } from "./parser/parser.js";
import type { HttpRequest } from "./request.js";
import type { Handler, HttpServerConfig } from "./server-config.js";
import { type FetchApp, type FetchHandler, fetchAdapter, handlerKind } from "./fetch.js";

/** Options of {@link serve}, flat like `node:http`'s. Times are in milliseconds. */
export interface ServeOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Address to bind; default `127.0.0.1`. */
  host?: string;
  /** Path of a Unix domain socket to listen on instead of a TCP port (not with `port`/`host`); the file is removed on close. */
  path?: string;
  /**
   * Serve HTTPS: node:tls's server options (`key` and `cert` at least;
   * `sni` for more names, `onClientError` to hear of failed handshakes),
   * see {@link TlsServerOptions}. ALPN offers `http/1.1` unless
   * `ALPNProtocols` says otherwise; the handshake must be done within
   * `headersTimeout` (or `idleTimeout` if shorter), so a client that opens
   * TLS and says nothing is cut. `req.secure` is then true and `req.tls` the
   * connection's TLSSocket; a fetch-style handler sees `https://` URLs.
   *
   * @example
   * const server = serve({ port: 8443, tls: { key, cert } }, function* (req, res) {
   *   yield* res.end(`hello over ${req.tls?.getProtocol()}\n`);
   * });
   * await server.ready;
   */
  tls?: TlsServerOptions;
  /** Request parser: `"wasm"` (default) or the TypeScript twin `"ts"`. */
  parser?: ParserKind;
  /** Scheduler backend of the server's run (only when called outside a task). */
  backend?: BackendName;
  /** Bytes of request line plus header fields; larger gets 431. Default 16 KiB. */
  maxHeaderSize?: number;
  /** Header field lines; more gets 431. Default 100. */
  maxHeaders?: number;
  /**
   * Bytes of a request body read whole, with `req.body()`, `text()` or
   * `json()`: a larger body makes that read throw `HttpError(413)` (answered
   * with 413, then the connection closes). When the Content-Length already
   * says it is larger, the read throws before any of the body is read. A
   * handler that streams the body with `req.read()` is not bound by it (see
   * `maxStreamedBodySize`). Default 1 MiB.
   */
  maxBodySize?: number;
  /**
   * Bytes of any request body, however it is read (streamed with
   * `req.read()` too), enforced by the parser as the body arrives: a
   * Content-Length above it, or a chunked body that grows past it, gets 413
   * and the connection closes. Default: no limit (`Infinity`).
   */
  maxStreamedBodySize?: number;
  /** Bytes of the request line; longer gets 414. Default 8 KiB. */
  maxRequestLine?: number;
  /** Time from the first byte of a request to the end of its head; then 408. Default 60 s. */
  headersTimeout?: number;
  /** Time from the first byte of a request to the end of its body; then 408. Default 300 s. */
  requestTimeout?: number;
  /** Time a kept-alive connection may wait for its next request; then it closes. Default 5 s. */
  keepAliveTimeout?: number;
  /** Longest time with no byte received while a read waits; 0 (default) for none. */
  idleTimeout?: number;
  /** Connections served at once; the rest wait in the kernel's backlog. Default: no limit. */
  maxConnections?: number;
  /** Requests on one connection before it is closed (the last response says `Connection: close`). Default: no limit. */
  maxRequestsPerConnection?: number;
  /** Listen backlog: the kernel queue of connections not yet accepted. Default: the system limit (`net.core.somaxconn`), else 511; see `listen`. */
  backlog?: number;
  /**
   * How long requests in flight may take to finish when the server stops
   * because its task ends without `close()` (the scope that started it
   * returned, failed or was cancelled); also `close()`'s default timeout.
   * Default 10 s.
   */
  closeTimeout?: number;
  /**
   * Admission control: handlers that run at once across all connections.
   * Requests beyond it wait (up to `maxQueuedRequests`, FIFO) or are answered
   * `503 Service Unavailable` with `Retry-After` without their handler
   * running; responses on a connection still leave in request order. A
   * WebSocket (upgraded) connection gives its slot back once upgraded.
   * Default: no limit. See `server.stats()`.
   */
  maxConcurrentRequests?: number;
  /** Requests that may wait for a handler slot beyond `maxConcurrentRequests`; more get 503. Default 0. */
  maxQueuedRequests?: number;
  /** Seconds in the `Retry-After` of a 503 from admission control. Default 1. */
  retryAfter?: number;
  /**
   * Largest body (by its Content-Length) of a request answered 503 that is
   * read and dropped so the connection stays open; past it, or for a
   * chunked body not yet received whole, the 503 says `Connection: close`
   * and the connection closes. Default 64 KiB.
   */
  maxShedBody?: number;
  /**
   * Admission control by time: a request examined more than this many ms
   * after its connection's task was started for it (it sat behind other
   * work) gets 503 like a request beyond `maxQueuedRequests`. Meant for
   * handlers that burn CPU without yielding: they end within their step,
   * so a count of running handlers never sees the backlog. Default: no limit.
   */
  maxQueueDelay?: number;
  /** Called with errors thrown by handlers (the client got a 500). Default: print to stderr. */
  onError?: (error: unknown, req: HttpRequest) => void;
  /** Name of the server task. */
  name?: string;
  /**
   * Serve from this many processes (node:cluster's model): the entry script
   * runs in a primary and in every worker. In the primary, `serve` forks
   * the workers and supervises them (a dead one is replaced, after a delay
   * that doubles while it keeps dying young), and returns a server whose
   * `port` is the one they share (0 is resolved here first) and whose
   * `close()` drains every worker; SIGTERM/SIGINT drain them too, then the
   * primary exits. In a worker, the same call listens and serves as one
   * process does. `"auto"`: one per CPU (`os.availableParallelism()`).
   * Default 0: one process, no workers. See the README, "Multi-core serving".
   */
  workers?: number | "auto";
  /**
   * With `workers`: each worker listens on a socket of its own with
   * SO_REUSEPORT and the kernel spreads connections over them, instead of
   * the primary handing them round-robin. Needs Node 22.12+ (23.1+) on
   * Linux, FreeBSD, Solaris or AIX; elsewhere `serve` throws saying so.
   * Default false.
   */
  reusePort?: boolean;
  /**
   * With `workers`, in the primary: told of every worker that exits (who,
   * how, whether and when it is replaced). Default: a line on stderr for
   * each exit the primary did not ask for. The same goes to the
   * diagnostics channel `tasklet:worker:exit`.
   */
  onWorkerExit?: (info: WorkerExitInfo) => void;
  /**
   * With a fetch-style handler: install tasklet's light `Response` (and a
   * `Request` that takes the requests it hands out) as the globals, once per
   * process, as `@hono/node-server` does. Default true; false keeps Node's
   * own, at the cost of a slower path (each Response made and read through
   * Node's ReadableStream).
   */
  overrideGlobalObjects?: boolean;
}

/** Options of {@link Server.close}. */
export interface ServerCloseOptions {
  /** How long in-flight requests may take to finish before their tasks are cancelled; default: the server's `closeTimeout`, else 10 s. */
  timeout?: number;
}

function defaultOnError(error: unknown, req: HttpRequest): void {
  console.error(`tasklet http: handler failed on ${req.method} ${req.target}:`, error);
}

/**
 * An HTTP/1.1 server: one task per connection. Made by {@link serve}.
 * Outside a task, `await server.ready` (or `await server.listening()`)
 * before reading `port`; inside one, `yield* serve(...)` returns once it
 * listens.
 *
 * @example
 * const server = serve({ port: 3000 }, function* (req, res) {
 *   yield* res.end("Hello, World!\n");
 * });
 * await server.ready;
 * console.log(`listening on http://127.0.0.1:${server.port}/`);
 */
export class Server implements Operation<Server> {
  /** Resolves once the server listens; rejects if it cannot (for example EADDRINUSE). */
  readonly ready: Promise<Server>;
  /** @internal Listening, accepting, the connection limit and the graceful stop (src/net/server-lifecycle.ts). */
  readonly _life: ServerLifecycle;
  /** @internal In the primary of a server with `workers`: the worker processes (src/net/workers.ts); else null. */
  readonly _group: WorkerGroup | null;
  private readonly config: ServeConfig<HttpRequest>;
  private readonly cfg: HttpServerConfig<HttpConnection>;
  /** Connections being served by a task. */
  private readonly active = new ConnList();
  /** Idle connections that have not sent a request yet (closed after headersTimeout). */
  private readonly fresh = new ConnList();
  /** Idle kept-alive connections between requests (closed after keepAliveTimeout). */
  private readonly kept = new ConnList();
  /** Idle time limits of `fresh` and `kept` (idleTimeout applied). */
  private readonly freshMs: number;
  private readonly keptMs: number;
  /** When the reaper wakes next (Infinity: when kicked). */
  private reapAt = Infinity;
  private readonly reapKick = new Event("http server reaper");

  /** @internal Use serve(). With `primary`, it forks and supervises workers instead of listening. */
  constructor(config: ServeConfig<HttpRequest>, handler: Handler, primary = false) {
    this.config = config;
    const parser = createParser(config.parser, {
      maxHeaderSize: config.maxHeaderSize,
      maxHeaders: config.maxHeaders,
      // The parser bounds every body; maxBodySize (buffered reads) is the Request's to check.
      maxBodySize: config.maxStreamedBodySize,
      maxRequestLine: config.maxRequestLine,
    });
    this.cfg = {
      parser,
      owner: this,
      handler,
      now: () => 0, // replaced by the clock of the server's run once it listens
      headersTimeout: config.headersTimeout,
      requestTimeout: config.requestTimeout,
      keepAliveTimeout: config.keepAliveTimeout,
      idleTimeout: config.idleTimeout,
      maxRequestsPerConnection: config.maxRequestsPerConnection,
      maxBodySize: config.maxBodySize,
      onError: config.onError ?? defaultOnError,
      admission: config.maxConcurrentRequests === Infinity && config.maxQueueDelay === Infinity ? null : new Admission(config, config.name ?? "http server"),
    };
    this.freshMs = Math.min(config.headersTimeout, config.idleTimeout);
    this.keptMs = Math.min(config.keepAliveTimeout, config.idleTimeout);
    let readyResolve!: (s: Server) => void;
    let readyReject!: (e: unknown) => void;
    this.ready = new Promise<Server>((resolve, reject) => {
      readyResolve = resolve;
      readyReject = reject;
    });
    this.ready.catch(() => {}); // a failure is also thrown at `yield*` and by listening()
    const life = (this._life = new ServerLifecycle(
      config,
      {
        accepted: (conn) => {
          const c = new HttpConnection(conn, this.cfg);
          // A new connection idles until its first bytes arrive.
          if (!this._connIdle(c)) this.startTask(c);
        },
        listening: () => {
          const me = life.task!;
          this.cfg.now = () => now(me);
          life.spawn(this.reap(me), `idle connections of ${life.listener!.address}`);
          readyResolve(this);
        },
        listenFailed: (e) => readyReject(e),
        stopping: () => this.beginStop(),
      },
      { task: config.name ?? "http server", who: "tasklet http", fn: "serve()", failOnListenError: true },
    ));
    this._group = primary
      ? new WorkerGroup(
          { ...config, onWorkerExit: config.onWorkerExit as ((info: WorkerExitInfo) => void) | undefined },
          { task: config.name ?? "http server workers", who: "tasklet http", failOnStartError: true },
        )
      : null;
    this._group?.ready.then(() => readyResolve(this), readyReject);
  }

  /** @internal The server task: parent of the accept loop, the reaper and every connection task. */
  get _root(): Task<void> | null {
    return this._group !== null ? this._group.task : this._life.task;
  }

  /** The bound port (0 until listening, and on a Unix domain socket); in the primary of a server with `workers`, the port the workers share. */
  get port(): number {
    return this._group !== null ? this._group.port : (this._life.listener?.port ?? 0);
  }

  /** Where it listens: `host:port`, or the socket path (empty until listening). */
  get address(): string {
    return this._group !== null ? this._group.address : (this._life.listener?.address ?? "");
  }

  /**
   * In the primary of a server with `workers`: the worker processes alive
   * now (number, pid, listening). Empty in a worker and in a server of one
   * process.
   */
  get workers(): readonly WorkerInfo[] {
    return this._group?.workers ?? [];
  }

  /** Connections open now (served or idle), in this process (0 in the primary of a server with `workers`). */
  get connections(): number {
    return this.active.length + this.fresh.length + this.kept.length;
  }

  /**
   * Request figures: connections open, and with admission control
   * (`maxConcurrentRequests` or `maxQueueDelay`) handlers running, requests
   * queued, admitted and shed with 503 (see {@link ServerStats}).
   *
   * @example
   * const web = serve({ port: 0, maxConcurrentRequests: 64, maxQueuedRequests: 256 }, function* () { return { body: "hi\n" }; });
   * await web.ready;
   * const { running, queued, shed } = web.stats();
   * console.log(`${running} running, ${queued} queued, ${shed} shed so far`);
   */
  stats(): ServerStats {
    const a = this.cfg.admission;
    return {
      connections: this.connections,
      running: a?.running ?? 0,
      queued: a?.queued ?? 0,
      admitted: a?.admitted ?? 0,
      shed: a?.shed ?? 0,
    };
  }

  /** Which request parser runs. */
  get parser(): ParserKind {
    return this.cfg.parser.kind;
  }

  /** Resolves with the server once it listens (same as `ready`). */
  listening(): Promise<Server> {
    return this.ready;
  }

  /** `yield* server`: wait until it listens. */
  *[Symbol.iterator](): Iterator<Instruction, Server, any> {
    if (this._life.listener !== null) return this;
    if (this._group !== null) {
      yield* this._group.untilReady();
      return this;
    }
    return yield* call(this.ready);
  }

  /**
   * Graceful shutdown. Stops accepting; closes idle keep-alive connections at
   * once; lets requests in flight finish (their responses say
   * `Connection: close`); after `timeout` ms cancels what remains. Every
   * request received in full before `close()` gets a complete response.
   * Returns the server task: `yield*` or `await` it to wait for the end.
   * Calling it again returns the same task (the first timeout stands).
   * In the primary of a server with `workers`, every worker drains so, and
   * the task ends once all have exited.
   */
  close(options?: ServerCloseOptions): Task<void> {
    const { timeout } = resolveClose("close()", options, this.config.closeTimeout);
    if (this._group !== null) return this._group.close(timeout);
    if (this._life.listener === null || this._life.task === null) throw new Error("close(): the server is not listening yet; await server.ready first");
    return this._life.close(timeout);
  }

  /** Stop taking work: requests in flight get `Connection: close`, idle connections close. */
  private beginStop(): void {
    for (let c = this.active.head as HttpConnection | null; c !== null; c = c._lnext as HttpConnection | null) {
      c.draining = true;
      if (c.session !== null) c.session.serverStopping(); // an open WebSocket is told the server goes away
    }
    for (let c = this.fresh.head; c !== null; c = this.fresh.head) this.expire(c as HttpConnection);
    for (let c = this.kept.head; c !== null; c = this.kept.head) this.expire(c as HttpConnection);
  }

  /**
   * Close idle connections whose time is up. Each idle list is ordered by
   * deadline (one timeout per list), so this looks at the two heads only,
   * and sleeps until the earlier one; joining an idle list kicks it awake if
   * the newcomer's deadline comes first.
   */
  private *reap(server: Task): Generator<Instruction, void, any> {
    for (;;) {
      const t = now(server);
      for (let c = this.fresh.head; c !== null && c._deadline <= t; c = this.fresh.head) this.expire(c as HttpConnection);
      for (let c = this.kept.head; c !== null && c._deadline <= t; c = this.kept.head) this.expire(c as HttpConnection);
      const next = Math.min(this.fresh.head?._deadline ?? Infinity, this.kept.head?._deadline ?? Infinity);
      this.reapAt = next;
      this.reapKick.clear();
      const wait = this.reapKick.wait();
      try {
        yield* next === Infinity ? wait : withDeadline(wait, next, timeUp);
      } catch (e) {
        if (e !== TIME_UP) throw e;
      }
    }
  }

  private expire(c: HttpConnection): void {
    c.conn._unwatch();
    this._connDone(c);
  }

  private startTask(c: HttpConnection): void {
    this.active.push(c, 0);
    if (this.cfg.admission !== null && this.cfg.admission.maxDelay !== Infinity) c._startedAt = this.cfg.now();
    this._life.spawn(c.serve(), c); // named "http <peer>#<id>" when the name is first read (HttpConnection.toString)
  }

  // ------------------------------------------- connections (ConnOwner)

  /** @internal */
  _connIdle(c: HttpConnection): boolean {
    if (this._life.stopping) return false;
    if (!c.conn._watch(c)) return false;
    if (c._list !== null) c._list.remove(c);
    const first = c.served === 0;
    const deadline = Math.ceil(this.cfg.now() + (first ? this.freshMs : this.keptMs));
    (first ? this.fresh : this.kept).push(c, deadline);
    if (deadline < this.reapAt) {
      this.reapAt = deadline;
      this.reapKick.set();
    }
    return true;
  }

  /** @internal */
  _connWake(c: HttpConnection): void {
    c._list!.remove(c);
    this.startTask(c);
  }

  /** @internal */
  _connDone(c: HttpConnection): void {
    if (c._list !== null) c._list.remove(c);
    else return; // already done
    c.conn.close();
    this._life.release();
  }
}

const TIME_UP = Symbol("tasklet.http.reap");
const timeUp = (): unknown => TIME_UP;

/**
 * Start an HTTP/1.1 server running `handler` for every request, one green
 * thread per connection, with the request parser in Wasm by default.
 *
 * The handler is one of two kinds, told apart by this rule:
 * - a **generator function** (`function* (req, res) {...}`) is a green
 *   handler: it gets an {@link HttpRequest} and an {@link HttpResponse}, and
 *   runs in the connection's task (the fast path);
 * - **any other function**, `(request: Request) => Response |
 *   Promise<Response>`, or **an object with a `fetch` method** (a Hono app;
 *   called with `this` = the object) is fetch-style: it gets the global
 *   `Request` (made lazily: `method`, `url` and `headers` cost little, the
 *   body is a pulled stream) and returns the global `Response`. The first
 *   such server installs a light `Response` as the global one (and a
 *   `Request` that also takes the requests it hands out), as
 *   `@hono/node-server` does. A bound generator function reads as a plain
 *   function (fetch-style): wrap it in a `function*` instead. In
 *   TypeScript, an inline arrow handler needs its parameter typed,
 *   `(request: Request) => ...`: the green overload comes first, and
 *   TypeScript types an unannotated parameter from the first overload.
 *
 * Outside a task it starts a run of its own (`options.backend` picks its
 * scheduler core) and returns at once: `await server.ready` before reading
 * `server.port`. Inside a task the server is a child of the calling task
 * (it stops when that task's scope ends); `yield* serve(...)` returns once it
 * listens.
 *
 * @example
 * import { serve } from "tasklet";
 * const server = serve({ port: 3000 }, function* (req, res) {
 *   if (req.path === "/hello") return { body: `Hello, ${req.query.get("name") ?? "World"}!\n` };
 *   return { status: 404, body: "not found\n" };
 * });
 * await server.ready;
 *
 * @example
 * // Fetch-style: a Hono app (or app.fetch), or any (request) => Response.
 * import { Hono } from "hono";
 * const app = new Hono();
 * app.get("/hello/:name", (c) => c.json({ hello: c.req.param("name") }));
 * const hono = serve({ port: 3001 }, app);
 * const plain = serve({ port: 3002 }, (request: Request) => new Response(`you asked for ${new URL(request.url).pathname}\n`));
 * await Promise.all([hono.ready, plain.ready]);
 */
export function serve(options: ServeOptions, handler: Handler): Server;
export function serve(options: ServeOptions, handler: FetchHandler | FetchApp): Server;
export function serve(options: ServeOptions, handler: Handler | FetchHandler | FetchApp): Server;
export function serve(options: ServeOptions, handler: Handler | FetchHandler | FetchApp): Server {
  const parent = peekCurrent();
  const config = resolveServe<HttpRequest>("serve()", options, parent !== null);
  if (config.maxConcurrentRequests === Infinity && config.maxQueuedRequests !== 0) {
    throw new TypeError("serve(): maxQueuedRequests is the queue of admission control; set maxConcurrentRequests too");
  }
  if (config.maxConcurrentRequests === Infinity && config.maxQueueDelay === Infinity && (options?.retryAfter !== undefined || options?.maxShedBody !== undefined)) {
    throw new TypeError("serve(): retryAfter and maxShedBody apply to admission control; set maxConcurrentRequests or maxQueueDelay too");
  }
  const kind = handlerKind(handler);
  if (kind === null || kind === "async-generator") {
    throw new TypeError(
      `serve(options, handler): handler must be a generator function (function* (req, res)), a function (request) => Response, ` +
        `or an object with a fetch method; got ${kind === null ? describeValue(handler) : "an async generator function"}`,
    );
  }
  let server: Server;
  const green = kind === "green" ? (handler as Handler) : fetchAdapter(handler as FetchHandler | FetchApp, () => baseOf(server), config.overrideGlobalObjects);
  const role = serverRole(config.workers);
  if (role === "primary") {
    server = new Server(config, green, true);
    server._group!.start(parent, config.backend);
    return server;
  }
  server = new Server(role === "worker" ? Object.freeze({ ...config, port: workerPort(config.port) }) : config, green);
  const task = server._life.start(parent, config.backend);
  if (role === "worker") attachWorker(server.ready, task, (timeout) => server.close(timeout === undefined ? undefined : { timeout }));
  return server;
}

/** The authority of URLs for requests that name no host: the listening address (a Unix socket: localhost). */
function baseOf(server: Server): string {
  return server.port === 0 ? "localhost" : server.address;
}
