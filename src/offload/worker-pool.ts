/**
 * Work off the loop: `offload(module, name, args)` runs an exported function
 * of a module on a worker_threads pool, as a green operation, like gevent's
 * threadpool. The pool is piscina's (a maintained one, loaded on first use,
 * so that importing tasklet does not load it); each of its threads runs
 * offload-worker.mjs, which imports the job's module and calls the export.
 * The task's cancellation (cancel, withTimeout, a lost race) aborts the job
 * through piscina's AbortSignal: a queued job never starts, a running one
 * loses its thread (piscina terminates it and starts another).
 */
import { availableParallelism } from "node:os";
import { isAbsolute } from "node:path";
import { pathToFileURL } from "node:url";
import type { Piscina } from "piscina";
import { describeValue, resolveOptions, type OptionTable } from "../config/options.js";
import { call } from "../ops/call.js";
import { peekCurrent } from "../runtime/current.js";
import { TaskletError } from "../runtime/errors.js";
import { own, release, type Ownership } from "../runtime/kernel.js";
import type { Instruction, Operation } from "../runtime/types.js";

/**
 * Thrown by `offload` and `WorkerPool#run` when the pool, not the function,
 * failed: the module could not be imported, the export is not a function,
 * the arguments or the result could not be sent between threads, the worker
 * thread died, or the pool was closed. The message says which; `cause` holds
 * the error underneath. An error thrown by the function itself arrives as it
 * was thrown (copied across threads by the structured clone algorithm: its
 * class if a built-in one, its message and stack).
 *
 * @example
 * const text = "<a/>";
 * try { yield* offload(new URL("./parse.js", import.meta.url), "parse", [text]); }
 * catch (e) { if (e instanceof OffloadError) console.error("the worker pool failed:", e.message); else throw e; }
 */
export class OffloadError extends TaskletError {
  override name = "OffloadError";
}

/** Options of a {@link WorkerPool}. */
export interface WorkerPoolOptions {
  /** Threads kept even when idle. Default 0: threads start on demand. */
  minThreads?: number;
  /** Most threads at once. Default: `os.availableParallelism()`. */
  maxThreads?: number;
  /** A thread beyond `minThreads` idle this long (ms) ends. Default 30000. */
  idleTimeout?: number;
  /** Most jobs waiting for a thread; one more is refused with an OffloadError. Default: no limit (0 means none). */
  maxQueue?: number;
}

/** Options of one job. */
export interface OffloadOptions {
  /**
   * ArrayBuffers (or MessagePorts) among the arguments to move to the worker
   * instead of copying: after the call they are detached in the caller
   * (zero length). Move only a buffer you own whole (one you allocated):
   * the `.buffer` under a view may hold other data of its owner (a
   * request's body may share its buffer with the bytes read after it), and
   * Node's pooled `Buffer` slabs are copied instead. The result always
   * comes back as a copy.
   */
  transfer?: readonly Transferable[];
}

const POOL_OPTIONS: OptionTable = {
  minThreads: { kind: "number", min: 0, integer: true, expected: "a whole number >= 0", default: 0 },
  maxThreads: { kind: "number", min: 1, integer: true, expected: "a whole number >= 1" },
  idleTimeout: { kind: "number", min: 0, expected: "a number of ms >= 0", default: 30_000 },
  maxQueue: { kind: "number", min: 0, integer: true, infinite: true, expected: "a whole number >= 0", zeroIsNone: true, default: Infinity },
};

interface PoolConfig {
  readonly minThreads: number;
  readonly maxThreads: number;
  readonly idleTimeout: number;
  readonly maxQueue: number;
}

/** What the worker thread answers: the function's value, or what it threw. */
type Envelope = [0, unknown] | [1, unknown];

/** offload-worker.mjs beside this file: src/offload/ under the tests, dist/ in the package (tsup.config.ts copies it). */
const WORKER_FILE = new URL("./offload-worker.mjs", import.meta.url).href;

let piscinaModule: Promise<typeof Piscina> | null = null;

/** piscina, imported on first use (its CommonJS build under tasklet's own CommonJS build). */
function loadPiscina(): Promise<typeof Piscina> {
  return (piscinaModule ??= import("piscina").then((m) => m.Piscina));
}

/** `module` as the URL the worker imports: a file: URL, an absolute path, or a `node:` builtin. */
function moduleUrl(fn: string, module: unknown): string {
  if (module instanceof URL) {
    if (module.protocol !== "file:") throw new TypeError(`${fn}: module must be a file: URL or an absolute path, got the URL ${module.href}`);
    return module.href;
  }
  if (typeof module === "string") {
    if (module.startsWith("file:")) return new URL(module).href;
    if (/^node:[a-z_/]+$/.test(module)) return module;
    if (isAbsolute(module)) return pathToFileURL(module).href;
    throw new TypeError(
      `${fn}: module must be a file: URL, an absolute path or a node: builtin (a worker thread cannot resolve it relative to your file), got ${describeValue(module)}; use new URL("./file.js", import.meta.url)`,
    );
  }
  throw new TypeError(`${fn}: module must be a file: URL, an absolute path or a node: builtin, got ${describeValue(module)}`);
}

/**
 * A pool of worker threads for {@link offload}: `yield* pool.run(module,
 * name, args)`. Made inside a task, the pool belongs to it and is closed
 * when the task ends (its threads terminated); made outside any task, close
 * it yourself, though idle threads never keep the process alive.
 *
 * @example
 * const pool = new WorkerPool({ maxThreads: 2 });
 * // A module of yours (new URL("./hash.js", import.meta.url)), or a builtin:
 * const key = yield* pool.run<Uint8Array>("node:crypto", "pbkdf2Sync", ["password", "salt", 10_000, 32, "sha256"]);
 * pool.close();
 */
export class WorkerPool {
  private readonly cfg: PoolConfig;
  private pool: Piscina | null = null;
  private starting: Promise<Piscina> | null = null;
  private hold: Ownership | null = null;
  private isClosed = false;

  constructor(options?: WorkerPoolOptions) {
    const r = resolveOptions("new WorkerPool()", POOL_OPTIONS, options);
    if (r.maxThreads === undefined) r.maxThreads = Math.max(availableParallelism(), r.minThreads as number, 1);
    if ((r.minThreads as number) > (r.maxThreads as number)) {
      throw new RangeError(`new WorkerPool(): minThreads (${r.minThreads as number}) is more than maxThreads (${r.maxThreads as number})`);
    }
    this.cfg = Object.freeze(r) as unknown as PoolConfig;
    const owner = peekCurrent();
    if (owner !== null && !building) this.hold = own(owner, this);
  }

  /** Threads alive now (0 before the first job). */
  get threads(): number {
    return this.pool === null ? 0 : this.pool.threads.length;
  }

  /** Jobs waiting for a thread. */
  get queued(): number {
    return this.pool === null ? 0 : this.pool.queueSize;
  }

  /** Whether `close()` was called (or its owner ended). */
  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * Run the function exported as `name` by `module` (a file: URL, an
   * absolute path or a `node:` builtin; functions cannot cross threads, so the unit of work is a
   * module and an export name) with `args` on one of the pool's threads, and
   * return its value (awaited, if it returns a Promise). Arguments and result
   * are copied by the structured clone algorithm, except the buffers listed
   * in `options.transfer`, which are moved. What the function throws is
   * thrown here; a failure of the pool is an {@link OffloadError}.
   *
   * Cancelling the waiting task (cancel, withTimeout, a lost race) aborts
   * the job: a queued job never starts; a running one loses its thread,
   * which piscina terminates (its pending timers and I/O die with it) and
   * replaces.
   *
   * @example
   * const pool = new WorkerPool();
   * const packed = yield* pool.run<Uint8Array>("node:zlib", "gzipSync", [new TextEncoder().encode("hello")]);
   * pool.close();
   */
  run<R = unknown>(module: string | URL, name: string, args: readonly unknown[] = [], options?: OffloadOptions): Operation<R> {
    const url = moduleUrl("run()", module);
    if (typeof name !== "string" || name === "") throw new TypeError(`run(): name must be the name of an exported function, got ${describeValue(name)}`);
    if (!Array.isArray(args)) throw new TypeError(`run(): args must be an array of arguments, got ${describeValue(args)}`);
    const transfer = transferList("run()", options);
    return { [Symbol.iterator]: () => this.job<R>(url, name, args, transfer) };
  }

  /** Terminate every thread now: running jobs fail with an OffloadError, so do queued ones and later calls. Idempotent. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    if (this.hold !== null) {
      release(this.hold);
      this.hold = null;
    }
    const p = this.pool;
    this.pool = null;
    if (p !== null) void p.destroy();
  }

  /** @internal The job's operation: offload() runs it on the shared pool. */
  *job<R>(url: string, name: string, args: readonly unknown[], transfer: Transferable[]): Generator<Instruction, R, any> {
    const what = `${name} of ${url}`;
    if (this.isClosed) throw new OffloadError(`cannot run ${what}: the worker pool is closed`);
    let p = this.pool;
    if (p === null) {
      try {
        p = yield* call(this.start());
      } catch (e) {
        this.starting = null; // the next job tries again
        throw new OffloadError(`cannot run ${what}: the worker pool could not start: ${failureOf(e)}`, { cause: e });
      }
    }
    if (this.isClosed) throw new OffloadError(`cannot run ${what}: the worker pool is closed`);
    let env: Envelope;
    try {
      env = yield* call((signal: AbortSignal) => p.run({ url, name, args }, { name: "runJob", signal, transferList: transfer as never }) as Promise<Envelope>);
    } catch (e) {
      const why = this.isClosed ? "the worker pool was closed" : failureOf(e);
      throw new OffloadError(`${what} failed in the worker pool: ${why}`, { cause: e });
    }
    if (env[0] === 1) throw env[1];
    return env[1] as R;
  }

  private start(): Promise<Piscina> {
    return (this.starting ??= loadPiscina().then((P) => {
      const c = this.cfg;
      const pool = new P({
        filename: WORKER_FILE,
        name: "runJob",
        minThreads: c.minThreads,
        maxThreads: c.maxThreads,
        idleTimeout: c.idleTimeout,
        maxQueue: c.maxQueue,
      });
      // An idle worker that fails is reported here; the jobs it ran have been rejected already.
      pool.on("error", () => {});
      if (this.isClosed) void pool.destroy();
      else this.pool = pool;
      return pool;
    }));
  }
}

/**
 * What a rejection of piscina says. The worker's uncaught DataCloneError (a
 * result it could not send back) arrives as an empty object on Node 20 and
 * as an error with an empty message on later versions.
 */
function failureOf(e: unknown): string {
  const m = e !== null && typeof e === "object" ? (e as { message?: unknown }).message : undefined;
  if (typeof m === "string" && m !== "") return m;
  if (e !== null && typeof e === "object") {
    return "the worker thread died of an error that could not be copied back (most often a result or error that the structured clone algorithm cannot copy, such as a function)";
  }
  return String(e);
}

function transferList(fn: string, options: OffloadOptions | undefined): Transferable[] {
  if (options === undefined) return [];
  if (options === null || typeof options !== "object") throw new TypeError(`${fn}: options must be an object, got ${describeValue(options)}`);
  for (const k of Object.keys(options)) {
    if (k !== "transfer") throw new TypeError(`${fn}: unknown option ${JSON.stringify(k)} (the options of a job: transfer)`);
  }
  const t = options.transfer;
  if (t === undefined) return [];
  if (!Array.isArray(t)) throw new TypeError(`${fn}: options.transfer must be an array of ArrayBuffers or MessagePorts, got ${describeValue(t)}`);
  return t.slice() as Transferable[];
}

/** True while the default pool is being made: it belongs to no task. */
let building = false;
let defaultPool: WorkerPool | null = null;

/** The process-wide pool of `offload`: made on first use, never closed; its idle threads do not keep the process alive. */
function sharedPool(): WorkerPool {
  if (defaultPool === null) {
    building = true;
    try {
      defaultPool = new WorkerPool();
    } finally {
      building = false;
    }
  }
  return defaultPool;
}

/**
 * Run the function exported as `name` by `module` on a worker thread of the
 * process-wide pool, so that a CPU-bound call does not stall every green
 * thread, and return its value. Functions cannot cross threads: the unit of
 * work is a module file (a file: URL or an absolute path; or a `node:`
 * builtin) and the name of
 * one of its exports, called with `args`. Arguments and the result are
 * copied (structured clone), except the buffers in `options.transfer`,
 * which are moved (detached in the caller). The task's cancellation aborts
 * the job (see {@link WorkerPool#run}). The shared pool uses up to
 * `os.availableParallelism()` threads, started on demand; idle threads do
 * not keep the process alive. Make your own {@link WorkerPool} for other
 * sizes.
 *
 * @example
 * // hash.js: export function sha256hex(bytes) { return createHash("sha256").update(bytes).digest("hex"); }
 * const data = new Uint8Array(1 << 20);
 * const hex = yield* offload(new URL("./hash.js", import.meta.url), "sha256hex", [data], { transfer: [data.buffer] });
 */
export function offload<R = unknown>(module: string | URL, name: string, args: readonly unknown[] = [], options?: OffloadOptions): Operation<R> {
  const url = moduleUrl("offload()", module);
  if (typeof name !== "string" || name === "") throw new TypeError(`offload(): name must be the name of an exported function, got ${describeValue(name)}`);
  if (!Array.isArray(args)) throw new TypeError(`offload(): args must be an array of arguments, got ${describeValue(args)}`);
  const transfer = transferList("offload()", options);
  return { [Symbol.iterator]: () => sharedPool().job<R>(url, name, args, transfer) };
}
