/**
 * The life of a server, the same for serveTcp (serve-tcp.ts) and the HTTP
 * server (src/http/server.ts): one server task that listens, accepts in a
 * child task (with a back-off while accepting fails), holds one permit of
 * `maxConnections` per open connection, and stops gracefully; what a server
 * does with each connection it says through {@link ServerHooks}.
 *
 * The server task is started from a generator already made (see `start`):
 * cancelled before its first step, it still runs to its first suspension
 * point, so its `finally` closes the listener whenever the task ends. It
 * stops on `close()` or when its task ends otherwise (its parent's scope
 * returned, failed or was cancelled): stopping begins (the `stopping` hook:
 * a server marks its connections draining, closes idle ones), the listener
 * closes, the accept loop is cancelled, the open connections get a grace
 * time (close()'s timeout, else `scopeEndGrace`) to be released, and then
 * the task returns, which cancels the connection tasks still running.
 */
import type { ServerConfig } from "../config/options.js";
import { withTimeout } from "../ops/combinators.js";
import { sleep } from "../ops/sleep.js";
import { currentTask } from "../runtime/current.js";
import { TimeoutError } from "../runtime/errors.js";
import { spawnChildGenerator } from "../runtime/kernel.js";
import { run } from "../runtime/run.js";
import type { Task, TaskLabel } from "../runtime/task.js";
import type { BackendName, Instruction } from "../runtime/types.js";
import { Event } from "../sync/event.js";
import { Semaphore } from "../sync/semaphore.js";
import type { Conn } from "./conn.js";
import { type Listener, listenResolved } from "./listener.js";
import { type TlsAcceptor, tlsAcceptor } from "./tls.js";

/** First pause after an accept failure (EMFILE...); doubled on each failure in a row, up to ACCEPT_BACKOFF_MAX_MS. */
export const ACCEPT_BACKOFF_MIN_MS = 10;
export const ACCEPT_BACKOFF_MAX_MS = 1000;

/** What a server built on the lifecycle does at each step. Every hook runs inside the server's run. */
export interface ServerHooks {
  /**
   * A connection was accepted, holding one permit of `maxConnections` until
   * `release()`: serve it (`lifecycle.spawn(...)` a task for it) or keep it
   * idle. Runs in the accept loop: it must not wait.
   */
  accepted(conn: Conn): void;
  /** Listening, in the server task, with the accept loop started: start helper tasks (`lifecycle.spawn`). */
  listening?(listener: Listener): void;
  /** Listening failed, or the task ended before it listened: `error` is also what `untilListening()` throws. */
  listenFailed?(error: unknown): void;
  /** Stopping begins (once, before the listener closes): take no new work, close idle connections. */
  stopping?(): void;
}

/** How a server names itself. */
export interface ServerLabels {
  /** Name of the server task. */
  task: string;
  /** Prefix of its warnings, e.g. "tasklet serveTcp". */
  who: string;
  /** The call that made it, for errors in its options, e.g. "serveTcp()" (default: `who`). */
  fn?: string;
  /**
   * True: a failure to listen also fails the server task (and so the scope
   * that started it). False: the task ends quietly and only `ready` and
   * `untilListening()` report it.
   */
  failOnListenError: boolean;
}

/** One server's life: see the file's notes. */
export class ServerLifecycle {
  /** The listener, once listening. */
  listener: Listener | null = null;
  /** The server task, once started: parent of the accept loop, the helpers and every connection task. */
  task: Task<void> | null = null;
  /** Connections holding a permit (accepted, not yet released). */
  private open = 0;
  private isStopping = false;
  private graceMs: number;
  private readonly slots: Semaphore | null;
  private readonly stop = new Event("server stop");
  private readonly drained = new Event("server drained");
  /** Set once listening has succeeded or failed (`listenError` says which). */
  private readonly listened = new Event("server listening");
  private listenError: unknown = null;
  private readyPromise: Promise<Listener> | null = null;
  /** With `tls`: the handshakes of its connections, made here so that a bad key or certificate throws from the call that made the server. */
  private readonly tls: TlsAcceptor | null;

  constructor(
    private readonly cfg: ServerConfig<never>,
    private readonly hooks: ServerHooks,
    private readonly labels: ServerLabels,
  ) {
    this.tls = tlsAcceptor(labels.fn ?? labels.who, cfg.tls, cfg.handshakeTimeout);
    this.graceMs = cfg.scopeEndGrace;
    this.slots = cfg.maxConnections === Infinity ? null : new Semaphore(cfg.maxConnections, `maxConnections of ${labels.task}`);
  }

  /** Connections open now (each holds a permit until released). */
  get connections(): number {
    return this.open;
  }

  /** True once stopping has begun. */
  get stopping(): boolean {
    return this.isStopping;
  }

  /**
   * Start the server task: a child of `parent`, or with `parent` null the
   * root of a run of its own on `backend` (whose failures then surface
   * through `ready` and the task, never as an unhandled rejection).
   */
  start(parent: Task | null, backend?: BackendName): Task<void> {
    if (parent !== null) {
      // A generator already made, not a body: see the file's notes.
      this.task = spawnChildGenerator(parent, this.main(), this.labels.task);
    } else {
      const main = this.main();
      this.task = run(() => main, { backend, name: this.labels.task });
      this.task.then(undefined, () => {});
    }
    return this.task;
  }

  /** Wait, in a task of the server's run, until it listens; throws what listening failed with. */
  *untilListening(): Generator<Instruction, Listener, unknown> {
    yield* this.listened.wait();
    if (this.listener === null) throw this.listenError;
    return this.listener;
  }

  /** Resolves once listening, rejects if it cannot: for code outside the run (inside, `untilListening`). */
  get ready(): Promise<Listener> {
    if (this.readyPromise === null) {
      this.readyPromise = new Promise<Listener>((resolve, reject) => {
        if (!this.listened.isSet()) {
          this.readyResolve = resolve;
          this.readyReject = reject;
        } else if (this.listener !== null) resolve(this.listener);
        else reject(this.listenError);
      });
    }
    return this.readyPromise;
  }
  private readyResolve: ((l: Listener) => void) | null = null;
  private readyReject: ((e: unknown) => void) | null = null;

  /** Start a task for the server's work (a connection, a helper): a child of the server task, cancelled when it ends. */
  spawn<T>(gen: Generator<Instruction, T, unknown>, name: TaskLabel): Task<T> {
    return spawnChildGenerator(this.task!, gen, name);
  }

  /** A connection is done: its permit goes back; once stopping and none is left, the server is drained. */
  release(): void {
    this.open--;
    if (this.slots !== null) this.slots.release();
    if (this.isStopping && this.open === 0) this.drained.set();
  }

  /**
   * Stop: begin stopping, close the listener, give the open connections up
   * to `timeout` ms to be released, then cancel what remains. Returns the
   * server task (done once everything is). Calling it again returns the same
   * task (the first timeout stands).
   */
  close(timeout: number): Task<void> {
    if (!this.isStopping) {
      this.graceMs = timeout;
      this.beginStop();
      this.stop.set();
    }
    return this.task!;
  }

  private beginStop(): void {
    if (this.isStopping) return;
    this.isStopping = true;
    this.hooks.stopping?.();
  }

  private settleListen(listener: Listener | null, error: unknown): void {
    if (this.listened.isSet()) return;
    this.listener = listener;
    this.listenError = error;
    this.listened.set();
    if (listener !== null) {
      this.readyResolve?.(listener);
      this.hooks.listening?.(listener);
    } else {
      this.readyReject?.(error);
      this.hooks.listenFailed?.(error);
    }
    this.readyResolve = this.readyReject = null;
  }

  /** The server task's body. */
  private *main(): Generator<Instruction, void, unknown> {
    const me = currentTask(this.labels.who);
    let listener: Listener | null = null;
    try {
      listener = yield* listenResolved(this.cfg, this.tls);
    } catch (e) {
      this.settleListen(null, e);
      if (this.labels.failOnListenError) throw e;
      return;
    } finally {
      // Cancelled while binding: nobody would hear otherwise.
      if (listener === null) this.settleListen(null, new Error(`${this.labels.who}: the server task ended before it listened`));
    }
    const acceptor = spawnChildGenerator(me, this.acceptLoop(listener), `accept on ${listener.address}`);
    this.settleListen(listener, null);
    try {
      yield* this.stop.wait();
    } finally {
      // However the task ends (close(), its scope returning or failing, a
      // cancel): stop accepting, give the open connections their grace, and
      // only then return, which cancels the ones still running.
      this.beginStop();
      listener.close();
      yield* acceptor.cancel();
      if (this.open > 0) {
        try {
          yield* withTimeout(this.graceMs, this.drained.wait());
        } catch (e) {
          if (!(e instanceof TimeoutError)) throw e;
        }
      }
    }
  }

  private *acceptLoop(listener: Listener): Generator<Instruction, void, unknown> {
    yield* acceptEach(listener, this.slots, this.labels.who, (conn) => {
      this.open++;
      this.hooks.accepted(conn);
    });
  }
}

/**
 * An accept loop: for each connection, take a permit of `slots` (when
 * connections are limited), then the connection, and hand it to `take`.
 * Returns once the listener is closed (the permit given back). Any other
 * accept failure (EMFILE and the like) is retried after a pause that doubles
 * from ACCEPT_BACKOFF_MIN_MS to ACCEPT_BACKOFF_MAX_MS while the failures go
 * on; one warning per episode (not per try), prefixed with `who`, goes to
 * `console.warn`. Connections already accepted are served meanwhile: a
 * server keeps serving.
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
