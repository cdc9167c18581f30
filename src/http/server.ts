import { call } from "../ops/call.js";
import { withTimeout } from "../ops/combinators.js";
import { currentTask, peekCurrent } from "../runtime/current.js";
import { TimeoutError } from "../runtime/errors.js";
import { Event } from "../sync/event.js";
import { type Listener, checkPathExclusive, listenChecked } from "../net/listener.js";
import { SCOPE_END_GRACE_MS, acceptEach } from "../net/serve-tcp.js";
import { withDeadline } from "../runtime/op.js";
import { CLOSE_OPTIONS, SERVE_OPTIONS, checkOptions, describeValue } from "../config/options.js";
import { run } from "../runtime/run.js";
import type { TaskScheduler as Scheduler } from "../runtime/task.js";
import { Semaphore } from "../sync/semaphore.js";
import type { Task } from "../runtime/task.js";
import type { BackendName, Instruction, Operation } from "../runtime/types.js";
import { ConnList } from "./conn-list.js";
import { type ConnOwner, HttpConnection } from "./connection.js";
import { type HttpParser, type ParserKind, createParser } from "./parser/parser.js";
import type { Request } from "./request.js";
import type { Response, ResponseInit } from "./response.js";

/**
 * Handles one request. A generator function: read the request, then either
 * call `res.end(body)` (or `res.write` then `res.end`), or return
 * `{ status, headers, body }`. Throwing `HttpError(status)` answers with
 * that status; any other error answers 500 and is passed to `onError`.
 */
export type Handler = (req: Request, res: Response) => Operation<ResponseInit | void | undefined>;

/** Options of {@link serve}, flat like `node:http`'s. Times are in milliseconds. */
export interface ServeOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Address to bind; default `127.0.0.1`. */
  host?: string;
  /** Path of a Unix domain socket to listen on instead of a TCP port (not with `port`/`host`); the file is removed on close. */
  path?: string;
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
  /** Called with errors thrown by handlers (the client got a 500). Default: print to stderr. */
  onError?: (error: unknown, req: Request) => void;
  /** Name of the server task. */
  name?: string;
}

/** Options of {@link Server.close}. */
export interface ServerCloseOptions {
  /** How long in-flight requests may take to finish before their tasks are cancelled; default: the server's `closeTimeout`, else 10 s. */
  timeout?: number;
}

/** @internal What every connection of a server shares. */
export interface HttpServerConfig {
  parser: HttpParser;
  /** The server, which keeps the connections' lists. */
  owner: ConnOwner;
  handler: Handler;
  now: () => number;
  headersTimeout: number;
  requestTimeout: number;
  keepAliveTimeout: number;
  idleTimeout: number;
  maxRequestsPerConnection: number;
  /** Largest body a buffered read (`req.body()`, `text()`, `json()`) gathers. */
  maxBodySize: number;
  onError: (error: unknown, req: Request) => void;
}

/** Default `maxBodySize`: 1 MiB. */
const DEFAULT_MAX_BODY = 1 << 20;

function defaultOnError(error: unknown, req: Request): void {
  console.error(`tasklet http: handler failed on ${req.method} ${req.target}:`, error);
}

function ms(options: ServeOptions, key: keyof ServeOptions, dflt: number): number {
  const v = options[key] ?? dflt;
  if (typeof v !== "number" || Number.isNaN(v) || v < 0) throw new RangeError(`serve(): ${key} must be a number of ms >= 0, got ${String(v)}`);
  return v === 0 && key !== "idleTimeout" ? Infinity : v;
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
  /** @internal The server task: parent of the accept loop, the reaper and every connection task. */ _root: Task<void> | null = null;
  private listener: Listener | null = null;
  private sched: Scheduler | null = null;
  private readonly options: ServeOptions;
  private readonly cfg: HttpServerConfig;
  private readyResolve!: (s: Server) => void;
  private readyReject!: (e: unknown) => void;
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
  private readonly stop = new Event("http server stop");
  private readonly drained = new Event("http server drained");
  private stopping = false;
  private graceMs: number;
  private readonly slots: Semaphore | null;

  /** @internal Use serve(). */
  constructor(options: ServeOptions, handler: Handler) {
    checkOptions("serve()", SERVE_OPTIONS, options);
    if (typeof handler !== "function") throw new TypeError(`serve(options, handler): handler must be a generator function, got ${describeValue(handler)}`);
    checkPathExclusive("serve()", options);
    this.options = options;
    this.graceMs = options.closeTimeout ?? SCOPE_END_GRACE_MS;
    // (Every option's type and range was checked by checkOptions above.)
    const maxBody = options.maxBodySize ?? DEFAULT_MAX_BODY;
    const maxStreamed = options.maxStreamedBodySize ?? Infinity;
    const parser = createParser(options.parser ?? "wasm", {
      maxHeaderSize: options.maxHeaderSize,
      maxHeaders: options.maxHeaders,
      // The parser bounds every body; maxBodySize (buffered reads) is the Request's to check.
      maxBodySize: maxStreamed,
      maxRequestLine: options.maxRequestLine,
    });
    const maxReq = options.maxRequestsPerConnection ?? Infinity;
    if (!(maxReq === Infinity || (Number.isInteger(maxReq) && maxReq >= 1))) {
      throw new RangeError(`serve(): maxRequestsPerConnection must be a whole number >= 1, got ${String(maxReq)}`);
    }
    const maxConns = options.maxConnections ?? Infinity;
    if (!(maxConns === Infinity || (Number.isInteger(maxConns) && maxConns >= 1))) {
      throw new RangeError(`serve(): maxConnections must be a whole number >= 1, got ${String(maxConns)}`);
    }
    this.slots = maxConns === Infinity ? null : new Semaphore(maxConns, "maxConnections of the http server");
    this.cfg = {
      parser,
      owner: this,
      handler,
      now: () => 0, // replaced by the clock of the run the server starts in
      headersTimeout: ms(options, "headersTimeout", 60_000),
      requestTimeout: ms(options, "requestTimeout", 300_000),
      keepAliveTimeout: ms(options, "keepAliveTimeout", 5_000),
      idleTimeout: ms(options, "idleTimeout", 0),
      maxRequestsPerConnection: maxReq,
      maxBodySize: maxBody,
      onError: options.onError ?? defaultOnError,
    };
    const idle = this.cfg.idleTimeout > 0 ? this.cfg.idleTimeout : Infinity;
    this.freshMs = Math.min(this.cfg.headersTimeout, idle);
    this.keptMs = Math.min(this.cfg.keepAliveTimeout, idle);
    this.ready = new Promise<Server>((resolve, reject) => {
      this.readyResolve = resolve;
      this.readyReject = reject;
    });
    this.ready.catch(() => {}); // a failure is also thrown at `yield*` and by listening()
  }

  /** The bound port (0 until listening, and on a Unix domain socket). */
  get port(): number {
    return this.listener?.port ?? 0;
  }

  /** Where it listens: `host:port`, or the socket path (empty until listening). */
  get address(): string {
    return this.listener?.address ?? "";
  }

  /** Connections open now (served or idle). */
  get connections(): number {
    return this.active.length + this.fresh.length + this.kept.length;
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
    if (this.listener !== null) return this;
    return yield* call(this.ready);
  }

  /**
   * Graceful shutdown. Stops accepting; closes idle keep-alive connections at
   * once; lets requests in flight finish (their responses say
   * `Connection: close`); after `timeout` ms cancels what remains. Every
   * request received in full before `close()` gets a complete response.
   * Returns the server task: `yield*` or `await` it to wait for the end.
   * Calling it again returns the same task (the first timeout stands).
   */
  close(options: ServerCloseOptions = {}): Task<void> {
    checkOptions("close()", CLOSE_OPTIONS, options);
    if (this.listener === null || this._root === null) throw new Error("close(): the server is not listening yet; await server.ready first");
    if (!this.stopping) {
      this.graceMs = options.timeout ?? this.options.closeTimeout ?? SCOPE_END_GRACE_MS;
      this.beginStop();
      this.stop.set();
    }
    return this._root;
  }

  /** Stop taking work: requests in flight get `Connection: close`, idle connections close. */
  private beginStop(): void {
    if (this.stopping) return;
    this.stopping = true;
    for (let c = this.active.head as HttpConnection | null; c !== null; c = c._lnext as HttpConnection | null) c.draining = true;
    this.closeIdle();
  }

  // ------------------------------------------------------------ the tasks

  /** @internal The server task's body: listen, accept, and on close() drain. */
  *_main(): Generator<Instruction, void, any> {
    const me = currentTask("serve");
    const sched = (this.sched = me._sched);
    this.cfg.now = () => sched.now();
    let listener: Listener;
    const o = this.options;
    try {
      listener = yield* listenChecked(o.path !== undefined ? { path: o.path, backlog: o.backlog } : { port: o.port ?? 0, host: o.host ?? "127.0.0.1", backlog: o.backlog });
      this.listener = listener;
    } catch (e) {
      this.readyReject(e);
      throw e;
    } finally {
      // Cancelled while binding: nobody will ever hear `ready` otherwise.
      if (this.listener === null) this.readyReject(new Error("serve(): the server task ended before it listened"));
    }
    this.readyResolve(this);
    const acceptor = sched.spawnGenerator(this.acceptLoop(listener), me, `accept on ${listener.address}`);
    sched.spawnGenerator(this.reap(), me, `idle connections of ${listener.address}`);
    try {
      yield* this.stop.wait();
    } finally {
      // However the task ends (close(), its scope returning or failing, a
      // cancel): stop accepting, close idle connections, let requests in
      // flight finish within the grace time; returning then cancels the rest.
      this.beginStop();
      listener.close();
      yield* acceptor.cancel();
      if (this.active.length > 0) {
        try {
          yield* withTimeout(this.graceMs, this.drained.wait());
        } catch (e) {
          if (!(e instanceof TimeoutError)) throw e;
        }
      }
    }
  }

  private *acceptLoop(listener: Listener): Generator<Instruction, void, any> {
    yield* acceptEach(listener, this.slots, "tasklet http", (conn) => {
      const c = new HttpConnection(conn, this.cfg);
      // A new connection idles until its first bytes arrive.
      if (!this._connIdle(c)) this.startTask(c);
    });
  }

  /**
   * Close idle connections whose time is up. Each idle list is ordered by
   * deadline (one timeout per list), so this looks at the two heads only,
   * and sleeps until the earlier one; joining an idle list kicks it awake if
   * the newcomer's deadline comes first.
   */
  private *reap(): Generator<Instruction, void, any> {
    const sched = this.sched!;
    for (;;) {
      const now = sched.now();
      for (let c = this.fresh.head; c !== null && c._deadline <= now; c = this.fresh.head) this.expire(c as HttpConnection);
      for (let c = this.kept.head; c !== null && c._deadline <= now; c = this.kept.head) this.expire(c as HttpConnection);
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

  private closeIdle(): void {
    for (let c = this.fresh.head; c !== null; c = this.fresh.head) this.expire(c as HttpConnection);
    for (let c = this.kept.head; c !== null; c = this.kept.head) this.expire(c as HttpConnection);
  }

  private startTask(c: HttpConnection): void {
    this.active.push(c, 0);
    this.sched!.spawnGenerator(c.serve(), this._root!, "http connection");
  }

  // ------------------------------------------- connections (ConnOwner)

  /** @internal */
  _connIdle(c: HttpConnection): boolean {
    if (this.stopping) return false;
    if (!c.conn._watch(c)) return false;
    if (c._list !== null) c._list.remove(c);
    const first = c.served === 0;
    const deadline = Math.ceil(this.sched!.now() + (first ? this.freshMs : this.keptMs));
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
    if (this.slots !== null) this.slots.release();
    if (this.stopping && this.active.length === 0) this.drained.set();
  }
}

const TIME_UP = Symbol("tasklet.http.reap");
const timeUp = (): unknown => TIME_UP;

/**
 * Start an HTTP/1.1 server running `handler` for every request, one green
 * thread per connection, with the request parser in Wasm by default.
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
 */
export function serve(options: ServeOptions, handler: Handler): Server {
  const server = new Server(options, handler);
  const parent = peekCurrent();
  // The server task listens, then lives as long as the TCP server it owns.
  function* httpServer(): Generator<Instruction, void, any> {
    yield* server._main();
  }
  if (parent === null) {
    server._root = run(httpServer, { backend: options.backend, name: options.name ?? "http server" });
    server._root.then(undefined, () => {}); // failures surface through `ready`
  } else {
    if (options.backend !== undefined) throw new TypeError("serve(): `backend` applies only when serve() starts its own run (outside a task)");
    // A generator already made (see TcpServer): cancelled before it first
    // runs, it still reaches its finally blocks, and `ready` is settled.
    server._root = parent._sched.spawnGenerator(server._main(), parent, options.name ?? "http server");
  }
  return server;
}
