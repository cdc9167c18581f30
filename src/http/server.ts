import { call } from "../call.js";
import { currentTask, peekCurrent } from "../current.js";
import type { Conn } from "../net/conn.js";
import { type TcpServer, serveTcp } from "../net/serve-tcp.js";
import { run } from "../run.js";
import type { Task } from "../task.js";
import type { BackendName, Instruction, Operation } from "../types.js";
import { HttpConnection } from "./connection.js";
import { type HttpParser, type ParserKind, createParser } from "./parser.js";
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
  /** Request parser: `"wasm"` (default) or the TypeScript twin `"ts"`. */
  parser?: ParserKind;
  /** Scheduler backend of the server's run (only when called outside a task). */
  backend?: BackendName;
  /** Bytes of request line plus header fields; larger gets 431. Default 16 KiB. */
  maxHeaderSize?: number;
  /** Header field lines; more gets 431. Default 100. */
  maxHeaders?: number;
  /** Bytes of request body; larger gets 413. Default 1 MiB. */
  maxBodySize?: number;
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
  /** Listen backlog. */
  backlog?: number;
  /** Called with errors thrown by handlers (the client got a 500). Default: print to stderr. */
  onError?: (error: unknown, req: Request) => void;
  /** Name of the server task. */
  name?: string;
}

/** Options of {@link Server.close}. */
export interface ServerCloseOptions {
  /** How long in-flight requests may take to finish before their tasks are cancelled; default 10 s. */
  timeout?: number;
}

/** @internal What every connection of a server shares. */
export interface HttpServerConfig {
  /** Open connections (for graceful shutdown and `connections`). */
  connections: Set<HttpConnection>;


  parser: HttpParser;
  handler: Handler;
  now: () => number;
  headersTimeout: number;
  requestTimeout: number;
  keepAliveTimeout: number;
  idleTimeout: number;
  maxRequestsPerConnection: number;
  onError: (error: unknown, req: Request) => void;
}

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
  /** @internal */ _tcp: TcpServer | null = null;
  /** @internal */ readonly _conns = new Set<HttpConnection>();
  private readonly options: ServeOptions;
  private readonly cfg: HttpServerConfig;
  private readyResolve!: (s: Server) => void;
  private readyReject!: (e: unknown) => void;
  private closing: Task<void> | null = null;
  /** @internal The root task when the server runs in a run of its own. */ _root: Task<void> | null = null;

  /** @internal Use serve(). */
  constructor(options: ServeOptions, handler: Handler) {
    if (typeof handler !== "function") throw new TypeError("serve(options, handler): handler must be a generator function");
    this.options = options;
    const parser = createParser(options.parser ?? "wasm", {
      maxHeaderSize: options.maxHeaderSize,
      maxHeaders: options.maxHeaders,
      maxBodySize: options.maxBodySize ?? 1 << 20,
      maxRequestLine: options.maxRequestLine,
    });
    const maxReq = options.maxRequestsPerConnection ?? Infinity;
    if (!(maxReq === Infinity || (Number.isInteger(maxReq) && maxReq >= 1))) {
      throw new RangeError(`serve(): maxRequestsPerConnection must be a whole number >= 1, got ${String(maxReq)}`);
    }
    this.cfg = {
      connections: this._conns,

      parser,
      handler,
      now: () => 0, // replaced by the clock of the run the server starts in
      headersTimeout: ms(options, "headersTimeout", 60_000),
      requestTimeout: ms(options, "requestTimeout", 300_000),
      keepAliveTimeout: ms(options, "keepAliveTimeout", 5_000),
      idleTimeout: ms(options, "idleTimeout", 0),
      maxRequestsPerConnection: maxReq,
      onError: options.onError ?? defaultOnError,
    };
    this.ready = new Promise<Server>((resolve, reject) => {
      this.readyResolve = resolve;
      this.readyReject = reject;
    });
    this.ready.catch(() => {}); // a failure is also thrown at `yield*` and by listening()
  }

  /** The bound port (0 until listening). */
  get port(): number {
    return this._tcp?.port ?? 0;
  }

  /** Connections open now. */
  get connections(): number {
    return this._conns.size;
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
    if (this._tcp !== null) return this;
    return yield* call(this.ready);
  }

  /**
   * Graceful shutdown. Stops accepting; closes idle keep-alive connections at
   * once; lets requests in flight finish (their responses say
   * `Connection: close`); after `timeout` ms cancels what remains. Every
   * request received in full before `close()` gets a complete response.
   * Returns the server task: `yield*` or `await` it to wait for the end.
   */
  close(options: ServerCloseOptions = {}): Task<void> {
    if (this.closing !== null) return this.closing;
    const tcp = this._tcp;
    if (tcp === null) throw new Error("close(): the server is not listening yet; await server.ready first");
    const timeout = options.timeout ?? 10_000;
    for (const c of this._conns) {
      c.draining = true;
      if (c.closableNow) c.conn.close(); // wakes its parked read: the task ends quietly
    }
    this.closing = tcp.close({ timeout });
    return this.closing;
  }

  /** @internal The server's body, run in the task that called serve(). */
  *_start(): Generator<Instruction, Server, any> {
    const me = currentTask("serve");
    const sched = me._sched;
    this.cfg.now = () => sched.now();
    const server = this;
    try {
      this._tcp = yield* serveTcp(
        {
          port: this.options.port ?? 0,
          host: this.options.host ?? "127.0.0.1",
          backlog: this.options.backlog,
          maxConnections: this.options.maxConnections,
          name: this.options.name ?? "http server",
          // Handler errors are answered and reported inside the connection;
          // anything else escaping a connection task is logged by serveTcp.
        },
        (conn: Conn) => server.connection(conn),
      );
    } catch (e) {
      this.readyReject(e);
      throw e;
    }
    this.readyResolve(this);
    return this;
  }

  /** The connection task's body: no generator of its own, the connection's serve() is it. */
  private connection(conn: Conn): Operation<void> {
    const c = new HttpConnection(conn, this.cfg);
    if (this.closing !== null) c.draining = true;
    return c.serve();
  }
}

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
    yield* server._start();
    yield* server._tcp!.task;
  }
  if (parent === null) {
    server._root = run(httpServer, { backend: options.backend, name: options.name ?? "http server" });
    server._root.then(undefined, () => {}); // failures surface through `ready`
  } else {
    if (options.backend !== undefined) throw new TypeError("serve(): `backend` applies only when serve() starts its own run (outside a task)");
    server._root = parent._sched.spawn(httpServer, parent, options.name ?? "http server");
  }
  return server;
}
