/**
 * Multi-core serving on the node:cluster model, shared by `serve` and
 * `serveTcp`: the entry script runs in a primary and in every worker it
 * forks. In the primary a server made with `workers: n` is a
 * {@link WorkerGroup}: it resolves the port (0 picks one, so that every
 * worker shares it), forks the workers, restarts one that dies (with an
 * exponential, capped delay), and on `close()`, on the end of its scope or
 * on SIGTERM/SIGINT tells every worker to drain and waits for them. In a
 * worker the same call listens and serves as one process does, and drains
 * when the primary says so ({@link attachWorker}).
 *
 * Connections reach the workers through cluster's round-robin handoff (the
 * primary accepts and passes each socket on), or with `reusePort` through
 * one SO_REUSEPORT socket per worker, spread by the kernel. node:cluster and
 * node:net's `reusePort` are public Node API.
 */
import cluster, { type Worker } from "node:cluster";
import diagnostics_channel from "node:diagnostics_channel";
import net from "node:net";
import { ENV } from "../config/env.js";
import { call } from "../ops/call.js";
import { withTimeout } from "../ops/combinators.js";
import { TaskletError, TimeoutError } from "../runtime/errors.js";
import { spawnChildGenerator } from "../runtime/kernel.js";
import { run } from "../runtime/run.js";
import type { Task } from "../runtime/task.js";
import type { BackendName, Instruction } from "../runtime/types.js";
import { formatAddress, toNetError } from "./errors.js";

/** First delay before a dead worker is replaced; doubled for each quick death in a row, up to RESTART_DELAY_MAX_MS. */
export const RESTART_DELAY_MIN_MS = 100;
export const RESTART_DELAY_MAX_MS = 30_000;
/** A worker that ran this long before it died starts the doubling over. */
export const STABLE_AFTER_MS = 10_000;
/** How long past its drain timeout a worker has to exit before the primary kills it (SIGKILL). */
export const EXIT_MARGIN_MS = 2_000;

/** What `onWorkerExit` (and the `tasklet:worker:exit` channel) is told of a worker that exited. */
export interface WorkerExitInfo {
  /** The worker's number, 1 to n; a replacement keeps the number of the worker it replaces. */
  readonly id: number;
  readonly pid: number;
  /** Its exit code, or null when a signal ended it. */
  readonly code: number | null;
  /** The signal that ended it ("SIGKILL"...), or null. */
  readonly signal: string | null;
  /** True when the primary asked it to stop (the server is closing); false for a crash or any other exit. */
  readonly expected: boolean;
  /** Milliseconds until a replacement is forked; null when none will be (the server is stopping, or failed while starting). */
  readonly restartIn: number | null;
  /** Deaths of this worker number in a row, each within STABLE_AFTER_MS of its start (the exponent of the delay). */
  readonly crashes: number;
}

/** A worker process of a server, as `server.workers` lists it. */
export interface WorkerInfo {
  /** Its number, 1 to n (what {@link workerId} returns in it). */
  readonly id: number;
  readonly pid: number;
  /** It has said that it listens. */
  readonly listening: boolean;
}

/**
 * A worker could not start: it exited, or failed to listen, before every
 * worker of the group had listened once. The group then stops instead of
 * restarting it, since a program that cannot start would only start again
 * and again.
 *
 * @example
 * // what `server.ready` of a server with workers may reject with
 * function report(e: unknown): void {
 *   if (e instanceof WorkerStartError) console.error(`worker ${e.workerId} could not start: ${e.message}`);
 * }
 */
export class WorkerStartError extends TaskletError {
  override name = "WorkerStartError";
  constructor(
    message: string,
    /** The worker's number. */
    readonly workerId: number,
  ) {
    super(message);
  }
}

/** Published with a {@link WorkerExitInfo} each time a worker of a primary exits. */
export const workerExitChannel = diagnostics_channel.channel("tasklet:worker:exit");

/** Tag of tasklet's messages between a primary and its workers; the program's own messages are left alone. */
const TAG = "tasklet:workers";
type Message = { [TAG]: "listening" } | { [TAG]: "failed"; message: string } | { [TAG]: "drain"; timeout: number | null };

function tagged(m: unknown): Message | null {
  return typeof m === "object" && m !== null && TAG in m ? (m as Message) : null;
}

/**
 * Which worker this process is: 1 to n in a worker forked by a server with
 * `workers` (kept by its replacements), node:cluster's `worker.id` in a
 * worker some other primary forked, 0 in a primary or a process of its own.
 * For logs, and for a response that says who served it.
 *
 * @example
 * // in a handler of a server made with `workers: "auto"`
 * yield* res.end(`served by worker ${workerId()} (pid ${process.pid})\n`);
 */
export function workerId(): number {
  if (ENV.worker !== undefined && cluster.isWorker) return ENV.worker.slot;
  return cluster.isWorker ? (cluster.worker?.id ?? 0) : 0;
}

/** What a server made with `workers: n` (n > 0) is in this process: the primary forks, a worker serves. With 0, one process. */
export function serverRole(workers: number): "single" | "primary" | "worker" {
  if (workers === 0) return "single";
  return cluster.isWorker ? "worker" : "primary";
}

/** The port a worker listens on: the one its primary resolved, else the configured one. */
export function workerPort(configured: number): number {
  return ENV.worker !== undefined && cluster.isWorker ? ENV.worker.port : configured;
}

/**
 * In a worker: tell the primary once the server listens (or that it could
 * not), and close the server gracefully when the primary says to drain or
 * on SIGTERM/SIGINT (a terminal's Ctrl-C reaches every process of the
 * group: the worker drains instead of dying with its requests). Once the
 * server has ended (drained, or its scope ended), the hooks go away and a
 * worker of a tasklet primary leaves the cluster (`worker.disconnect()`),
 * so that it exits when nothing else holds it.
 */
export function attachWorker(ready: Promise<unknown>, done: PromiseLike<unknown>, close: (timeout: number | undefined) => PromiseLike<unknown>): void {
  const ours = ENV.worker !== undefined;
  let draining = false;
  const send = (m: Message): void => {
    if (process.connected && process.send !== undefined) process.send(m, undefined, {}, () => {});
  };
  const drain = (timeout: number | undefined): void => {
    if (draining) return;
    draining = true;
    // Told before it listens: drain once it does (a server that cannot listen ends by itself).
    ready.then(
      () => close(timeout),
      () => {},
    );
  };
  // However the server ends (drained, or its scope ended), a worker with
  // nothing left to serve leaves the cluster.
  const leave = (): void => {
    detach();
    if (ours && cluster.worker !== undefined && process.connected) cluster.worker.disconnect();
  };
  const onMessage = (m: unknown): void => {
    const msg = tagged(m);
    if (msg !== null && msg[TAG] === "drain") drain(msg.timeout ?? Infinity);
  };
  const onSignal = (): void => drain(undefined);
  const detach = (): void => {
    process.off("message", onMessage);
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
  };
  process.on("message", onMessage);
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  ready.then(
    () => send({ [TAG]: "listening" }),
    (e: unknown) => send({ [TAG]: "failed", message: e instanceof Error ? e.message : String(e) }),
  );
  done.then(leave, leave);
}

/** What a primary's group is made from (the server's resolved options). */
export interface WorkerGroupConfig {
  readonly workers: number;
  readonly host: string;
  readonly port: number;
  /** close()'s default timeout, sent to the workers as their drain timeout. */
  readonly closeTimeout: number;
  /** The drain timeout when the group stops because its task ends without close(). */
  readonly scopeEndGrace: number;
  readonly onWorkerExit: ((info: WorkerExitInfo) => void) | undefined;
}

/** How a group names itself, as ServerLabels does for one process. */
export interface WorkerGroupLabels {
  task: string;
  who: string;
  /** A failure to start also fails the group's task (and its scope), as serve() does; else only `ready` says. */
  failOnStartError: boolean;
}

/** One worker number: the process that holds it now, and its record of deaths. */
interface Slot {
  readonly id: number;
  worker: Worker | null;
  pid: number;
  startedAt: number;
  listening: boolean;
  crashes: number;
  restart: ReturnType<typeof setTimeout> | null;
}

/** The group a primary supervises now: one per process, since every worker runs the whole entry script. */
let current: WorkerGroup | null = null;

/** A deferred: a Promise and what settles it. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {});
  return { promise, resolve, reject };
}

/** Bind `port` (0: any free one) on `host` in this process and let it go: the port the workers will share, or why it cannot be had. */
function probePort(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", (e) => reject(toNetError(e, "listen", formatAddress(host, port))));
    s.listen({ host, port, exclusive: true }, () => {
      const a = s.address();
      s.close(() => resolve(typeof a === "object" && a !== null ? a.port : port));
    });
  });
}

/** The primary's side of a server with `workers`: see the file's notes. */
export class WorkerGroup {
  /** The group's task, once started: done once every worker has exited. */
  task: Task<void> | null = null;
  private boundPort = 0;
  private readonly slots: Slot[] = [];
  private stopping = false;
  private started = false;
  private graceMs: number;
  private signalled: NodeJS.Signals | null = null;
  private readonly readyD = deferred<void>();
  private readonly stopD = deferred<void>();
  private exitedD: ReturnType<typeof deferred<void>> | null = null;
  private readonly onSignal = (sig: NodeJS.Signals): void => {
    if (this.signalled === null) {
      this.signalled = sig;
      this.close(this.cfg.closeTimeout);
    } else {
      // A second signal (Ctrl-C again) while draining: stop waiting for the workers.
      for (const s of this.slots) s.worker?.process.kill("SIGKILL");
    }
  };

  constructor(
    private readonly cfg: WorkerGroupConfig,
    private readonly labels: WorkerGroupLabels,
  ) {
    this.graceMs = cfg.scopeEndGrace;
    for (let id = 1; id <= cfg.workers; id++) this.slots.push({ id, worker: null, pid: 0, startedAt: 0, listening: false, crashes: 0, restart: null });
  }

  /** Resolves once every worker has listened; rejects if the group cannot start. */
  get ready(): Promise<void> {
    return this.readyD.promise;
  }

  /** The shared port (0 until resolved). */
  get port(): number {
    return this.boundPort;
  }

  /** `host:port` of the shared port (empty until resolved). */
  get address(): string {
    return this.boundPort === 0 ? "" : formatAddress(this.cfg.host, this.boundPort);
  }

  /** The workers alive now. */
  get workers(): readonly WorkerInfo[] {
    const out: WorkerInfo[] = [];
    for (const s of this.slots) if (s.worker !== null) out.push({ id: s.id, pid: s.pid, listening: s.listening });
    return out;
  }

  /** Start the group's task: a child of `parent`, or with `parent` null the root of a run of its own. */
  start(parent: Task | null, backend?: BackendName): Task<void> {
    const main = this.main();
    if (parent !== null) this.task = spawnChildGenerator(parent, main, this.labels.task);
    else {
      this.task = run(() => main, { backend, name: this.labels.task });
      this.task.then(undefined, () => {});
    }
    return this.task;
  }

  /** Wait, in a task, until every worker listens; throws why the group cannot start. */
  *untilReady(): Generator<Instruction, void, unknown> {
    yield* call(this.readyD.promise);
  }

  /** Stop: every worker drains with up to `timeout` ms for its requests in flight. Returns the group's task (done once all have exited). */
  close(timeout: number): Task<void> {
    if (!this.stopping && this.task !== null) {
      this.graceMs = timeout;
      this.stopD.resolve();
    }
    return this.task!;
  }

  private *main(): Generator<Instruction, void, unknown> {
    if (current !== null) {
      const e = new Error(`${this.labels.who}: this process already runs a server with workers (one group per primary: every worker runs the whole entry script); close it first, or serve every port from one of them`);
      this.readyD.reject(e);
      throw e;
    }
    current = this;
    process.on("SIGTERM", this.onSignal);
    process.on("SIGINT", this.onSignal);
    try {
      try {
        this.boundPort = yield* call(probePort(this.cfg.host, this.cfg.port));
        for (const s of this.slots) this.fork(s);
        // close() (or a signal) while the workers start: stop at once.
        yield* call(Promise.race([this.readyD.promise, this.stopD.promise]));
      } catch (e) {
        this.readyD.reject(e);
        if (this.labels.failOnStartError) throw e;
        return;
      }
      yield* call(this.stopD.promise);
    } finally {
      yield* this.stopAll();
      process.off("SIGTERM", this.onSignal);
      process.off("SIGINT", this.onSignal);
      current = null;
      const sig = this.signalled;
      // Stopped by a signal: end as that signal would have, once drained,
      // unless the program listens to it too (then it decides).
      if (sig !== null && process.listenerCount(sig) === 0) setImmediate(() => process.kill(process.pid, sig));
    }
  }

  /** Drain every worker, wait for them to exit (killing those past the deadline), cancel pending restarts. */
  private *stopAll(): Generator<Instruction, void, unknown> {
    this.stopping = true;
    this.readyD.reject(new Error(`${this.labels.who}: the server stopped before its workers listened`));
    const timeout = this.graceMs;
    for (const s of this.slots) {
      if (s.restart !== null) clearTimeout(s.restart);
      s.restart = null;
      if (s.worker !== null) this.sendDrain(s.worker);
    }
    if (this.alive() === 0) return;
    try {
      yield* withTimeout(timeout + EXIT_MARGIN_MS, call(this.allExited()));
    } catch (e) {
      if (!(e instanceof TimeoutError)) throw e;
      for (const s of this.slots) s.worker?.process.kill("SIGKILL");
      try {
        yield* withTimeout(EXIT_MARGIN_MS, call(this.allExited()));
      } catch (e2) {
        if (!(e2 instanceof TimeoutError)) throw e2;
      }
    }
  }

  private sendDrain(w: Worker): void {
    const timeout = this.graceMs;
    if (w.isConnected()) w.send({ [TAG]: "drain", timeout: timeout === Infinity ? null : timeout } satisfies Message, undefined, () => {});
  }

  private alive(): number {
    let n = 0;
    for (const s of this.slots) if (s.worker !== null) n++;
    return n;
  }

  private allExited(): Promise<void> {
    if (this.exitedD === null) this.exitedD = deferred<void>();
    if (this.alive() === 0) this.exitedD.resolve();
    return this.exitedD.promise;
  }

  private fork(s: Slot): void {
    const w = cluster.fork({ TASKLET_WORKER: `${s.id}:${this.boundPort}` });
    s.worker = w;
    s.pid = w.process.pid ?? 0;
    s.startedAt = Date.now();
    s.listening = false;
    w.on("message", (m: unknown) => this.message(s, w, m));
    w.on("error", () => {}); // an IPC send to a worker that just died; its exit says the rest
    w.on("exit", (code: number | null, signal: string | null) => this.exited(s, w, code, signal));
  }

  private message(s: Slot, w: Worker, m: unknown): void {
    const msg = tagged(m);
    if (msg === null || s.worker !== w) return;
    if (msg[TAG] === "listening") {
      s.listening = true;
      // Forked just before the stop: the drain sent then may have come before it listened for it.
      if (this.stopping) this.sendDrain(w);
      if (!this.started && this.slots.every((x) => x.listening)) {
        this.started = true;
        this.readyD.resolve();
      }
    } else if (msg[TAG] === "failed") {
      if (!this.started) this.failStart(s, `worker ${s.id} (pid ${s.pid}) could not listen: ${msg.message}`);
      else w.process.kill("SIGKILL"); // replaced like a crash, after its delay
    }
  }

  private failStart(s: Slot, message: string): void {
    if (this.started || this.stopping) return;
    this.readyD.reject(new WorkerStartError(`${this.labels.who}: ${message}; a worker that cannot start is not restarted, the server stops`, s.id));
    this.stopD.resolve();
  }

  private exited(s: Slot, w: Worker, code: number | null, signal: string | null): void {
    if (s.worker !== w) return;
    s.worker = null;
    s.listening = false;
    const expected = this.stopping;
    let restartIn: number | null = null;
    if (!expected && !this.started) {
      this.failStart(s, `worker ${s.id} (pid ${s.pid}) exited (${signal ?? `code ${code}`}) before it listened`);
    } else if (!expected) {
      if (Date.now() - s.startedAt >= STABLE_AFTER_MS) s.crashes = 0;
      restartIn = Math.min(RESTART_DELAY_MIN_MS * 2 ** s.crashes, RESTART_DELAY_MAX_MS);
      s.crashes++;
      s.restart = setTimeout(() => {
        s.restart = null;
        if (!this.stopping) this.fork(s);
      }, restartIn);
    }
    this.report({ id: s.id, pid: s.pid, code, signal, expected, restartIn, crashes: s.crashes });
    if (this.exitedD !== null && this.alive() === 0) this.exitedD.resolve();
  }

  private report(info: WorkerExitInfo): void {
    if (workerExitChannel.hasSubscribers) workerExitChannel.publish(info);
    if (this.cfg.onWorkerExit !== undefined) {
      try {
        this.cfg.onWorkerExit(info);
      } catch (e) {
        console.error(`${this.labels.who}: onWorkerExit threw:`, e);
      }
    } else if (!info.expected) {
      const how = info.signal ?? `code ${info.code}`;
      const next = info.restartIn === null ? "not replaced" : `a new one in ${info.restartIn} ms`;
      console.error(`${this.labels.who}: worker ${info.id} (pid ${info.pid}) exited (${how}); ${next}`);
    }
  }
}
