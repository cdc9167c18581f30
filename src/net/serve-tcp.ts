import { withTimeout } from "../ops/combinators.js";
import { currentTask } from "../runtime/current.js";
import { TimeoutError } from "../runtime/errors.js";
import { Event } from "../sync/event.js";
import { CLOSE_OPTIONS, SCOPE_END_GRACE_MS, START_TCP_SERVER_OPTIONS, SERVE_TCP_OPTIONS, checkOptions, describeValue } from "../config/options.js";
import { run } from "../runtime/run.js";
import { Semaphore } from "../sync/semaphore.js";
import { sleep } from "../ops/sleep.js";
import type { Task } from "../runtime/task.js";
import type { BackendName, Instruction, Operation } from "../runtime/types.js";
import type { Conn } from "./conn.js";
import { NetError, NetErrorCode } from "./errors.js";
import { type ListenOptions, type Listener, checkPathExclusive, listenChecked } from "./listener.js";

/** Handles one connection; the connection is closed when it returns or throws. */
export type ConnHandler = (conn: Conn) => Operation<unknown>;

/** Options of {@link serveTcp}. */
export interface ServeTcpOptions extends ListenOptions {
  /**
   * Connections handled at once. When reached, no handler starts until one
   * ends; the connections that arrive meanwhile wait, unread, in the
   * listener's queue (node:net keeps accepting them, so each holds a file
   * descriptor). Default: no limit.
   */
  maxConnections?: number;
  /**
   * How long handlers may keep running, in ms, when the server stops because
   * its task ends without `close()` (the scope that started it returned,
   * failed or was cancelled); then they are cancelled. Also the default of
   * `close()`'s timeout when given. Default: 10 s.
   */
  closeTimeout?: number;
  /**
   * Called when a handler throws (the server keeps serving). Default: print to
   * stderr, except the routine network errors of a peer going away
   * (`ECONNRESET`, `EPIPE`, `ECLOSED`, `EOF`).
   */
  onError?: (error: unknown, conn: Conn) => void;
  /** Name of the server task (errors, deadlock reports). */
  name?: string;
}

/** Options of {@link TcpServer.close}. */
export interface CloseOptions {
  /** How long handlers may keep running after accepting stops, in ms; then they are cancelled. Default: the server's `closeTimeout` if set, else Infinity. */
  timeout?: number;
}

/** Grace of in-flight work when a server stops because its scope ended (no `close()`, no `closeTimeout`). */
export { SCOPE_END_GRACE_MS };

/** Network errors that mean the peer went away; not worth a log line. */
const ROUTINE: ReadonlySet<string> = new Set([NetErrorCode.ECONNRESET, NetErrorCode.EPIPE, NetErrorCode.ECLOSED, NetErrorCode.EOF]);

function defaultOnError(error: unknown, conn: Conn): void {
  if (error instanceof NetError && ROUTINE.has(error.code)) return;
  console.error(`tasklet serveTcp: the handler of ${conn.address} failed:`, error);
}

/**
 * A TCP server running one task per connection (gevent's `StreamServer`).
 * Made by {@link serveTcp} (inside a task) or {@link startTcpServer}.
 *
 * @example
 * const server = yield* serveTcp({ port: 0 }, echo);
 * console.log(server.port, server.connections);
 * yield* server.close({ timeout: 5000 });
 */
export class TcpServer {
  readonly listener: Listener;
  /** The server task: parent of the accept loop and of every connection task. Done once the server is fully closed. */
  readonly task: Task<void>;
  private active = 0;
  private stopping = false;
  private graceMs: number;
  private readonly stop = new Event("TcpServer stop");
  private readonly drained = new Event("TcpServer drained");
  private readonly slots: Semaphore | null;

  /** @internal Use serveTcp. */
  constructor(listener: Listener, private readonly handler: ConnHandler, private readonly options: ServeTcpOptions, parent: Task) {
    this.listener = listener;
    const max = options.maxConnections ?? Infinity;
    if (max !== Infinity && !(Number.isInteger(max) && max >= 1)) {
      throw new RangeError(`serveTcp: maxConnections must be a whole number >= 1, got ${String(max)}`);
    }
    this.slots = max === Infinity ? null : new Semaphore(max, `maxConnections of ${listener.address}`);
    this.graceMs = options.closeTimeout ?? SCOPE_END_GRACE_MS;
    // A generator already made, not a body: cancelled before its first step,
    // the task still runs to its first suspension point and its finally
    // closes the listener (a body would never be called, the listener left open).
    this.task = parent._sched.spawnGenerator(this.main(), parent, options.name ?? `TcpServer(${listener.address})`);
  }

  /** The bound port. */
  get port(): number {
    return this.listener.port;
  }

  /** Connections being handled now. */
  get connections(): number {
    return this.active;
  }

  /**
   * Graceful shutdown: stop accepting (the listener closes), wait up to
   * `timeout` ms for the connection tasks to finish, then cancel the rest.
   * Returns the server task: `yield* server.close()` in a task, or
   * `await server.close()` outside one, to wait until everything is done.
   * Calling it again returns the same task (the first timeout stands).
   *
   * @example
   * process.on("SIGINT", () => void server.close({ timeout: 2000 }));
   */
  close(options: CloseOptions = {}): Task<void> {
    checkOptions("close()", CLOSE_OPTIONS, options);
    if (!this.stopping) {
      const t = options.timeout ?? this.options.closeTimeout ?? Infinity;
      if (!(t >= 0)) throw new RangeError(`close: timeout must be a number of ms >= 0, got ${String(t)}`);
      this.stopping = true;
      this.graceMs = t;
      this.stop.set();
    }
    return this.task;
  }

  private *main(): Generator<Instruction, void, any> {
    const me = currentTask("serveTcp");
    const acceptor = me._sched.spawnGenerator(this.acceptLoop(me), me, `accept on ${this.listener.address}`);
    try {
      yield* this.stop.wait();
    } finally {
      // However the task ends (close(), its scope returning or failing, a
      // cancel): stop accepting, give the handlers their grace, and only
      // then return, which cancels the ones still running.
      this.stopping = true;
      this.listener.close();
      yield* acceptor.cancel();
      if (this.active > 0) {
        try {
          yield* withTimeout(this.graceMs, this.drained.wait());
        } catch (e) {
          if (!(e instanceof TimeoutError)) throw e;
        }
      }
    }
  }

  private *acceptLoop(server: Task): Generator<Instruction, void, any> {
    const listener = this.listener;
    const onError = this.options.onError ?? defaultOnError;
    const handler = this.handler;
    yield* acceptEach(listener, this.slots, "tasklet serveTcp", (conn) => {
      this.active++;
      server._sched.spawnGenerator(this.connection(conn, handler, onError), server, "connection");
    });
  }

  private *connection(conn: Conn, handler: ConnHandler, onError: (error: unknown, conn: Conn) => void): Generator<Instruction, void, any> {
    try {
      yield* handler(conn);
    } catch (e) {
      onError(e, conn);
    } finally {
      conn.close();
      this.active--;
      if (this.slots !== null) this.slots.release();
      if (this.active === 0 && this.stopping) this.drained.set();
    }
  }
}

/** First pause after an accept failure (EMFILE...); doubled on each failure in a row, up to ACCEPT_BACKOFF_MAX_MS. */
export const ACCEPT_BACKOFF_MIN_MS = 10;
export const ACCEPT_BACKOFF_MAX_MS = 1000;

/**
 * @internal An accept loop: for each connection, take a permit of `slots`
 * (when connections are limited), then the connection, and hand it to
 * `take`. Returns once the listener is closed (the permit given back). Any
 * other accept failure (EMFILE and the like) is retried after a pause that
 * doubles from ACCEPT_BACKOFF_MIN_MS to ACCEPT_BACKOFF_MAX_MS while the
 * failures go on; one warning per episode (not per try), prefixed with
 * `who`, goes to `console.warn`. Connections already accepted are served
 * meanwhile: a server keeps serving.
 *
 * One generator for the server's whole life, and a connection that is
 * already queued is taken without an operation object: a burst of arrivals
 * allocates nothing here per connection.
 */
export function* acceptEach(listener: Listener, slots: Semaphore | null, who: string, take: (conn: Conn) => void): Generator<Instruction, void, any> {
  let backoff = 0; // 0: not in a failure episode
  for (;;) {
    if (slots !== null) yield* slots.acquire();
    let conn: Conn | null;
    try {
      conn = listener._take();
      if (conn === null) conn = yield* listener.accept();
    } catch (e) {
      if (slots !== null) slots.release();
      if (listener.closed) return;
      if (backoff === 0) {
        backoff = ACCEPT_BACKOFF_MIN_MS;
        const what = e instanceof Error ? e.message : String(e);
        console.warn(`${who}: accepting on ${listener.address} fails (${what}); retrying every ${ACCEPT_BACKOFF_MIN_MS} ms to ${ACCEPT_BACKOFF_MAX_MS} ms until it works, connections already accepted are served meanwhile`);
      } else {
        backoff = Math.min(2 * backoff, ACCEPT_BACKOFF_MAX_MS);
      }
      yield* sleep(backoff);
      continue;
    }
    backoff = 0;
    take(conn);
  }
}

/**
 * Serve TCP connections, one task per connection, in the background of the
 * current task: the server is a child task, so it stops when the caller's
 * scope ends (or on `server.close()`). Each handler gets its `Conn`, which
 * is closed when the handler returns or throws. Returns once listening.
 *
 * @example
 * const server = yield* serveTcp({ port: 7000 }, function* (conn) {
 *   for (let b = yield* conn.read(); b !== null; b = yield* conn.read()) yield* conn.write(b);
 * });
 */
export function serveTcp(options: ServeTcpOptions, handler: ConnHandler): Operation<TcpServer> {
  checkOptions("serveTcp()", SERVE_TCP_OPTIONS, options);
  return serveTcpChecked(options, handler);
}

function serveTcpChecked(options: ServeTcpOptions, handler: ConnHandler): Operation<TcpServer> {
  if (typeof handler !== "function") throw new TypeError(`serveTcp(options, handler): handler must be a generator function, got ${describeValue(handler)}`);
  checkPathExclusive("serveTcp()", options);
  return {
    *[Symbol.iterator]() {
      const me = currentTask("serveTcp");
      const listener = yield* listenChecked(options);
      try {
        return new TcpServer(listener, handler, options, me);
      } catch (e) {
        listener.close();
        throw e;
      }
    },
  };
}

/** Options of {@link startTcpServer}. */
export interface StartTcpServerOptions extends ServeTcpOptions {
  /** Scheduler core of the server's run. Default: as for `run`. */
  backend?: BackendName;
}

/**
 * {@link serveTcp} from plain code (outside any task): starts a run of its
 * own and resolves once listening. `await server.close()` stops it.
 *
 * @example
 * const server = await startTcpServer({ port: 7000 }, echo);
 * console.log(`echo on 127.0.0.1:${server.port}`);
 * process.on("SIGINT", () => void server.close({ timeout: 1000 }));
 */
export function startTcpServer(options: StartTcpServerOptions, handler: ConnHandler): Promise<TcpServer> {
  checkOptions("startTcpServer()", START_TCP_SERVER_OPTIONS, options);
  const { backend, ...rest } = options;
  const op = serveTcpChecked(rest, handler);
  return new Promise<TcpServer>((resolve, reject) => {
    const root = run(
      function* tcpServerRoot() {
        const server = yield* op;
        resolve(server);
        yield* server.task;
      },
      { backend, name: options.name === undefined ? "startTcpServer" : `${options.name} root` },
    );
    root.then(undefined, reject);
  });
}
