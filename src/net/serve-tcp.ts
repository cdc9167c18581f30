/**
 * serveTcp and startTcpServer: a TCP server running one task per connection
 * (gevent's `StreamServer`), on the server lifecycle of server-lifecycle.ts.
 * Each connection's task runs the handler and closes the connection when it
 * returns or throws.
 */
import { describeValue, resolveClose, resolveServeTcp, resolveStartTcpServer, type ServeTcpConfig } from "../config/options.js";
import { currentTask } from "../runtime/current.js";
import type { Task } from "../runtime/task.js";
import type { Instruction, Operation, BackendName } from "../runtime/types.js";
import type { Conn } from "./conn.js";
import { NetError, NetErrorCode, formatAddress } from "./errors.js";
import type { ListenOptions, Listener } from "./listener.js";
import { ServerLifecycle } from "./server-lifecycle.js";
import { WorkerGroup, type WorkerExitInfo, type WorkerInfo, attachWorker, serverRole, workerPort } from "./workers.js";

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
  /**
   * Serve from this many processes, on node:cluster's model: see `serve`'s
   * option of the same name (the primary forks and supervises, each worker
   * listens on the shared port and serves). `"auto"`: one per CPU. Default
   * 0: one process.
   */
  workers?: number | "auto";
  /** With `workers`, in the primary: told of every worker that exits; see `serve`'s option. Default: a line on stderr per crash. */
  onWorkerExit?: (info: WorkerExitInfo) => void;
}

/** Options of {@link TcpServer.close}. */
export interface CloseOptions {
  /** How long handlers may keep running after accepting stops, in ms; then they are cancelled. Default: the server's `closeTimeout` if set, else Infinity. */
  timeout?: number;
}

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
  /** @internal */ readonly _life: ServerLifecycle;
  /** @internal In the primary of a server with `workers`: the worker processes; else null. */
  readonly _group: WorkerGroup | null;
  private readonly cfg: ServeTcpConfig<Conn>;

  /** @internal Use serveTcp or startTcpServer. With `primary`, it forks and supervises workers instead of listening. */
  constructor(cfg: ServeTcpConfig<Conn>, handler: ConnHandler, primary = false) {
    this.cfg = cfg;
    const onError = cfg.onError ?? defaultOnError;
    const where = cfg.path ?? formatAddress(cfg.host, cfg.port);
    const life = (this._life = new ServerLifecycle(
      cfg,
      { accepted: (conn) => life.spawn(connection(life, conn, handler, onError), conn) },
      { task: cfg.name ?? `TcpServer(${where})`, who: "tasklet serveTcp", fn: "serveTcp()", failOnListenError: false },
    ));
    this._group = primary
      ? new WorkerGroup(
          { ...cfg, onWorkerExit: cfg.onWorkerExit as ((info: WorkerExitInfo) => void) | undefined },
          { task: cfg.name ?? `TcpServer(${where}) workers`, who: "tasklet serveTcp", failOnStartError: false },
        )
      : null;
  }

  /** The listener (none in the primary of a server with `workers`: the workers listen). */
  get listener(): Listener {
    return this._life.listener!;
  }

  /** The server task: parent of the accept loop and of every connection task (in a primary: of the workers' supervision). Done once the server is fully closed. */
  get task(): Task<void> {
    return this._group !== null ? this._group.task! : this._life.task!;
  }

  /** The bound port; in the primary of a server with `workers`, the port the workers share. */
  get port(): number {
    return this._group !== null ? this._group.port : this.listener.port;
  }

  /** In the primary of a server with `workers`: the worker processes alive now. Empty elsewhere. */
  get workers(): readonly WorkerInfo[] {
    return this._group?.workers ?? [];
  }

  /** Connections being handled now, in this process. */
  get connections(): number {
    return this._life.connections;
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
  close(options?: CloseOptions): Task<void> {
    const { timeout } = resolveClose("close()", options, this.cfg.closeTimeout);
    return this._group !== null ? this._group.close(timeout) : this._life.close(timeout);
  }
}

/** The task of one connection: the handler, its failure to `onError`, then the connection closed and released. */
function* connection(life: ServerLifecycle, conn: Conn, handler: ConnHandler, onError: (error: unknown, conn: Conn) => void): Generator<Instruction, void, unknown> {
  try {
    yield* handler(conn);
  } catch (e) {
    onError(e, conn);
  } finally {
    conn.close();
    life.release();
  }
}

function checkHandler(handler: unknown): void {
  if (typeof handler !== "function") throw new TypeError(`serveTcp(options, handler): handler must be a generator function, got ${describeValue(handler)}`);
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
  const cfg = resolveServeTcp<Conn>("serveTcp()", options);
  checkHandler(handler);
  return {
    *[Symbol.iterator]() {
      const me = currentTask("serveTcp");
      const server = makeTcpServer(cfg, handler, me);
      if (server._group !== null) yield* server._group.untilReady();
      else yield* server._life.untilListening();
      return server;
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
  const cfg = resolveStartTcpServer<Conn>("startTcpServer()", options);
  checkHandler(handler);
  const server = makeTcpServer(cfg, handler, null, cfg.backend);
  return (server._group !== null ? server._group.ready : server._life.ready).then(() => server);
}

/** Make and start a TcpServer in the role this process has: one process, a primary of workers, or a worker. */
function makeTcpServer(cfg: ServeTcpConfig<Conn>, handler: ConnHandler, parent: Task | null, backend?: BackendName): TcpServer {
  const role = serverRole(cfg.workers);
  if (role === "primary") {
    const server = new TcpServer(cfg, handler, true);
    server._group!.start(parent, backend);
    return server;
  }
  const server = new TcpServer(role === "worker" ? Object.freeze({ ...cfg, port: workerPort(cfg.port) }) : cfg, handler);
  const task = server._life.start(parent, backend);
  if (role === "worker") attachWorker(server._life.ready, task, (timeout) => server.close(timeout === undefined ? undefined : { timeout }));
  return server;
}
