/**
 * The Task: one generator driven by the scheduler, its fields (state, resume
 * mode and flags packed in `_bits`), its place in the task tree, and its
 * faces to user code (`yield* task`, `await task`, `cancel`). What a task
 * needs of its run it asks through {@link TaskScheduler}, which the
 * scheduler implements, so this file imports nothing above the wait
 * structures.
 */
import { TASK_STATE_NAMES, TaskFlag, TaskState, type TaskStateCode } from "./constants.js";
import { captureContext, type TaskContext } from "./context.js";
import { CancelledError } from "./errors.js";
import { result } from "./instruction.js";
import { WaitList, type Suspend, type WaitNode } from "./suspend.js";
import type { Body, Instruction, Operation, TaskStateName } from "./types.js";

let nextId = 1;

/** Node's util.inspect hook (a registered symbol: no import of node:util here). */
const INSPECT = Symbol.for("nodejs.util.inspect.custom");

/**
 * Layout of `Task._bits`: state in bits 0-2, resume mode (or outcome) in bits
 * 3-5, TaskFlag bits from bit 6; and the values the hot paths of the
 * scheduler test, already shifted into place.
 *
 * A `const enum` rather than `const`s, for speed: the bundler writes its
 * members into the code as literals, while a module-level `const` becomes a
 * `var` of the bundle, which V8's optimizing compiler loads from the module
 * context and checks for a small integer at every use.
 * test/runtime/task-bits.test.ts checks it against the TaskState, Resume and
 * TaskFlag tables.
 */
export const enum Bits {
  StateMask = 7,
  ModeShift = 3,
  ModeMask = 7 << ModeShift,
  FlagShift = 6,
  /** TaskState.Ready, Running and Parked in the state field. */
  Ready = 0,
  Running = 1,
  Parked = 2,
  /** TaskFlag bits in place. */
  Started = 1 << FlagShift,
  CancelRequested = 2 << FlagShift,
  Cancelling = 4 << FlagShift,
  TimerArmed = 8 << FlagShift,
  External = 64 << FlagShift,
  ErrPending = 128 << FlagShift,
  Generator = 256 << FlagShift,
  AutoName = 512 << FlagShift,
  HoldsBody = 1024 << FlagShift,
  Racer = 2048 << FlagShift,
  /** Flags that stop a task at its next suspension point. */
  Interrupt = CancelRequested | ErrPending,
  /** State and mode; cleared, they read TaskState.Ready and Resume.Next (both 0). */
  StateMode = StateMask | ModeMask,
  /** `step`'s common case is `(bits & HotMask) === HotBits`: ready, resumed with a value (Resume.Next), started, a plain generator. */
  HotMask = StateMask | ModeMask | Started | Generator,
  HotBits = Started | Generator,
}

/**
 * @internal The base of a runtime task's name: a string, or an object whose
 * `toString()` is called only when the name is first read (a connection's
 * address), so naming a task per connection costs nothing.
 */
export type TaskLabel = string | { toString(): string };

/**
 * @internal The scheduler of a run as its tasks, and the operations and
 * kernel functions acting on them, see it (through `task._sched`). The
 * Scheduler class (scheduler.ts) is its one implementation, so these calls
 * stay monomorphic.
 */
export interface TaskScheduler {
  /** Deadline (ms) of the park the running task is about to make; Infinity for none. The driver consumes it. */
  parkDeadline: number;
  /** End `t`'s park with `value` (the caller took it off its wait structure). */
  wake(t: Task, value: unknown): void;
  /** End `t`'s park by throwing `error` at its `yield*`. */
  wakeThrow(t: Task, error: unknown): void;
  /** Request the cancellation of `t` (see `Task.cancel`). */
  cancel(t: Task, reason: unknown): void;
  /** Current time of the run's clock, in ms. */
  now(): number;
  /** Deadline `ms` from now, rounded up to whole milliseconds. */
  deadlineAfter(ms: number): number;
  /** Start a task running `body`, a child of `parent` (a root when null). */
  spawn<T>(body: Body<T>, parent: Task | null, name: string | undefined): Task<T>;
  /** Start a child of `parent` from a generator already made (see kernel.ts `spawnChildGenerator`). */
  spawnGenerator<T>(gen: Generator<Instruction, T, unknown>, parent: Task, base: TaskLabel): Task<T>;
  /** Call `fn` once at the end of the tick now running. */
  atTickEnd(fn: () => void): void;
  /** Tasks of the run not done yet (diagnostics and tests). */
  readonly liveTasks: number;
  /** RunOptions.asyncContext: each task captures the async context it is spawned in. */
  readonly asyncContext: boolean;
  /** The operation `yield* target` runs: wait for `target`'s outcome. */
  joinOp<T>(target: Task<T>): Operation<T> & Iterator<Instruction, T, unknown>;
}

/**
 * A green thread: one generator driven by the scheduler. A Task is an
 * `Operation<T>` (`yield* task` waits for it and returns its value or rethrows
 * its error) and a `PromiseLike<T>` with `then`, `catch` and `finally`
 * (`await task` from ordinary async code).
 *
 * @example
 * const t = spawn(function* () { yield* sleep(10); return 42; });
 * const v = yield* t; // 42
 */
export class Task<T = unknown> implements Operation<T>, PromiseLike<T>, WaitNode {
  /** Unique, increasing id (slots in the core are reused; ids never are). */
  readonly id: number;

  // All fields below are internal; they are plain fields (not a Map or a
  // closure) so that a suspended task costs one small object.
  /** @internal */ _sched: TaskScheduler;
  /** @internal Slot in the scheduler core, taken when it first arms a timer; -1 when it has none. */ _slot: number;
  /** @internal The body before the first step, then its iterator, then null. */ _gen: Body<T> | Iterator<Instruction, T, unknown> | null;
  /**
   * @internal The name given at spawn. Else the body function, until the name
   * is built from it or the task first parks; then the function's name
   * (TaskFlag.AutoName), so that a parked task does not keep its body closure
   * alive. Reading a function's `name` costs a native call, which a task that
   * never parks (or is never named) is spared.
   */
  _name: string | Body<T>;
  /**
   * @internal State, resume mode and flags in one small integer (see
   * `_state`, `_mode`, `_flags`): one field instead of three keeps a task
   * 16 bytes smaller, which counts when 100,000 of them are alive.
   */
  _bits: number;
  /** @internal Resume value for the next step; the payload of a parked sender; the result or error once done. */ _val: unknown = undefined;
  /** @internal What it is parked on. */ _wait: Suspend | null = null;
  /** @internal */ _parent: Task | null;
  /** @internal Siblings: the parent's children in spawn order (the list head is in the parent's TaskExtra). */ _prevSib: Task | null = null;
  /** @internal */ _nextSib: Task | null = null;
  /** @internal Rarely needed state, created on first use (keeps a suspended task small). */ _x: TaskExtra | null = null;
  /** @internal WaitNode links (a task waits in at most one list at a time); a parked task's payload, if any, is in `_val`. */ _wnext: WaitNode | null = null;
  /** @internal */ _wprev: WaitNode | null = null;

  /** @internal Use spawn() or run(). */
  constructor(sched: TaskScheduler, body: Body<T>, parent: Task | null, name: string | undefined) {
    this.id = nextId++;
    this._sched = sched;
    this._slot = -1;
    this._gen = body;
    this._parent = parent;
    if (name === undefined) {
      this._name = body;
      this._bits = Bits.AutoName | Bits.HoldsBody; // Ready, Resume.Next
    } else {
      this._name = name;
      this._bits = 0;
    }
    // Task-local values and the async context: nothing to do unless used.
    if (parent !== null && parent._x !== null && parent._x.locals !== null) this.ext().inheritLocals(parent._x);
    if (sched.asyncContext) this.ext().ctx = captureContext();
  }

  /** @internal Life-cycle state (TaskState): bits 0-2 of `_bits`. */
  get _state(): TaskStateCode {
    return (this._bits & Bits.StateMask) as TaskStateCode;
  }
  /** @internal */
  set _state(s: TaskStateCode) {
    this._bits = (this._bits & ~Bits.StateMask) | s;
  }

  /** @internal Resume mode for the next step (Resume table); the outcome (TaskState) while Finishing: bits 3-5. */
  get _mode(): number {
    return (this._bits & Bits.ModeMask) >> Bits.ModeShift;
  }
  /** @internal */
  set _mode(m: number) {
    this._bits = (this._bits & ~Bits.ModeMask) | (m << Bits.ModeShift);
  }

  /** @internal Bits of TaskFlag: bits 6 and up. */
  get _flags(): number {
    return this._bits >>> Bits.FlagShift;
  }
  /** @internal */
  set _flags(f: number) {
    this._bits = (this._bits & Bits.StateMode) | (f << Bits.FlagShift);
  }

  /** The task's name: the one given to spawn/run, else `<function name>#<id>`. */
  get name(): string {
    const f = this._flags;
    if ((f & TaskFlag.AutoName) !== 0) {
      const n = this._name;
      const base = (f & TaskFlag.HoldsBody) !== 0 ? (n as Body<T>).name : (n as string);
      this._flags = f & ~(TaskFlag.AutoName | TaskFlag.HoldsBody);
      this._name = `${base || "task"}#${this.id}`;
    }
    return this._name as string;
  }

  /** @internal Keep the body function's name instead of the function (TaskFlag.HoldsBody is set; see `_name`). */
  dropBody(): void {
    this._name = (this._name as Body<T>).name;
    this._flags &= ~TaskFlag.HoldsBody;
  }

  /** Where the task is in its life: ready, running, parked, finishing, completed, failed or cancelled. */
  get state(): TaskStateName {
    return TASK_STATE_NAMES[this._state];
  }

  /** True once the task has completed, failed or been cancelled. */
  get done(): boolean {
    return this._state >= TaskState.Completed;
  }

  /** The parent task, or undefined for a root task. */
  get parent(): Task | undefined {
    return this._parent ?? undefined;
  }

  /**
   * Wait for the task and return its value; rethrows its error, or a
   * `CancelledError` if it was cancelled. Same as `yield* task`.
   *
   * @example
   * const value = yield* worker.join();
   */
  join(): Operation<T> {
    return this._sched.joinOp(this);
  }

  [Symbol.iterator](): Iterator<Instruction, T, unknown> {
    // A completed task is its own iterator, done at once with its value
    // (its outcome never changes again): joining it allocates nothing.
    return this._state === TaskState.Completed ? (this as Iterator<Instruction, T, unknown>) : this._sched.joinOp(this);
  }

  /** @internal Iterator step of a completed task (see `[Symbol.iterator]`). */
  next(): IteratorResult<Instruction, T> {
    if (this._state !== TaskState.Completed) throw new TypeError(`task ${this.name} is not an iterator; use \`yield* task\``);
    return result(true, this._val);
  }

  /**
   * Request cancellation: the task's generator is resumed with `return()` at
   * its current suspension point (or its next one, if it is already ready to
   * run with a result in hand), so its `finally` blocks run and may
   * themselves `yield*`; `catch` blocks cannot swallow it. Its children are
   * cancelled after its body ends. Calling it on a finished task does nothing.
   *
   * The request takes effect at once; `yield*` the returned operation to also
   * wait until the task's cleanup has finished.
   *
   * @example
   * worker.cancel("shutting down");      // fire and forget
   * yield* worker.cancel();               // ...or wait for its finally blocks
   */
  cancel(reason?: unknown): Operation<void> {
    this._sched.cancel(this, reason);
    return new CancelWaitOp(this);
  }

  /**
   * `await task`: resolves with its value, rejects with its error or a CancelledError.
   *
   * @example
   * const v = await run(function* () { return 1; }).then((n) => n + 1); // 2
   */
  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.promise().then(onfulfilled, onrejected);
  }

  /**
   * `task.catch(f)`: the task's promise with a rejection handler, as
   * `Promise#catch`. Settles after the task is done (its children too).
   *
   * @example
   * const n = await run(function* () { throw new Error("no"); }).catch(() => 0); // 0
   */
  catch<R = never>(onrejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<T | R> {
    return this.promise().catch(onrejected);
  }

  /**
   * `task.finally(f)`: the task's promise with a handler called however it
   * ends, as `Promise#finally`; the outcome passes through.
   *
   * @example
   * const t = run(function* () { yield* sleep(10); return "done"; });
   * const v = await t.finally(() => console.log("the run is over")); // "done"
   */
  finally(onfinally?: (() => void) | null): Promise<T> {
    return this.promise().finally(onfinally);
  }

  /**
   * An `AbortSignal` that aborts when the task is cancelled, with the
   * cancellation's reason: the `TimeoutError` of a `withTimeout`, an `Error`
   * given to `cancel(reason)`, else a `CancelledError`. It aborts when the
   * cancelled task resumes to unwind, on the scheduler's next tick and
   * before its `finally` blocks run, not inside `cancel()` itself, so abort
   * listeners never run in the middle of the scheduler's bookkeeping. It aborts too when the body ends otherwise: with the task's
   * error if it failed, with a `CancelledError` if it returned. So a request
   * or a stream started with it ends with the task. Created on first use: a
   * task nobody asks costs nothing.
   *
   * @example
   * const res = yield* call(fetch(url, { signal: current().signal }));
   */
  get signal(): AbortSignal {
    const x = this.ext();
    if (x.abort === null) {
      x.abort = new AbortController();
      if ((this._flags & TaskFlag.Cancelling) !== 0 || this._state >= TaskState.Finishing) x.abort.abort(this.endReason());
    }
    return x.abort.signal;
  }

  /** @internal Abort the task's signal, if anyone asked for it, with the reason its body ends (or is cancelled) for. */
  abortSignal(): void {
    const c = this._x === null ? null : this._x.abort;
    if (c !== null && !c.signal.aborted) c.abort(this.endReason());
  }

  /** @internal Why the task's signal aborts: see `signal`. */
  private endReason(): unknown {
    if ((this._flags & TaskFlag.Cancelling) !== 0 || this._state === TaskState.Cancelled) return this.cancelReason();
    if (this._state === TaskState.Failed) return this._val;
    if (this._state === TaskState.Finishing && this._mode === TaskState.Failed) return this._val;
    return new CancelledError(`task ${this.name} has ended`);
  }

  /**
   * @internal The reason a cancellation of this task gives to the signals it
   * aborts: an Error given to cancel() as it is (withTimeout's TimeoutError),
   * else a CancelledError. A task cancelled because its parent's body ended
   * takes the parent's reason, so the TimeoutError of a withTimeout reaches
   * the tasks its body spawned.
   */
  cancelReason(): unknown {
    for (let t: Task = this as Task; ; t = t._parent!) {
      const reason = t._x === null ? undefined : t._x.reason;
      if (reason !== undefined) return reason instanceof Error ? reason : t.failure();
      if (t._parent === null || t._parent._state !== TaskState.Finishing) return this.failure();
    }
  }

  /** @internal The promise side, created on demand. */
  promise(): Promise<T> {
    const x = this.ext();
    if (x.promise === null) {
      if (this.done) {
        x.promise = this._state === TaskState.Completed ? Promise.resolve(this._val) : Promise.reject(this.failure());
      } else {
        x.promise = new Promise<unknown>((resolve, reject) => {
          x.settle = (ok, v) => (ok ? resolve(v) : reject(v));
        });
      }
    }
    return x.promise as Promise<T>;
  }

  /** @internal */
  ext(): TaskExtra {
    return this._x ?? (this._x = new TaskExtra());
  }

  /** @internal The error a joiner sees for a failed or cancelled task. */
  failure(): unknown {
    if (this._state === TaskState.Failed) return this._val;
    const reason = this._x?.reason;
    const why = reason === undefined ? "" : `: ${String(reason)}`;
    return new CancelledError(`task ${this.name} was cancelled${why}`, reason);
  }

  /** @internal The list of tasks joining this one, created on first use. */
  joinList(): WaitList {
    const x = this.ext();
    return x.joiners ?? (x.joiners = new WaitList(() => `join of ${this.name}`));
  }

  /** @internal Unfinished children. */
  childCount(): number {
    return this._x === null ? 0 : this._x.nchildren;
  }

  toString(): string {
    return `Task(${this.name}, ${this.state})`;
  }

  /** `util.inspect(task)` and `console.log(task)`: `Task #12 "http 127.0.0.1:5123#12" parked: read on 127.0.0.1:5123`, not the internals. */
  [INSPECT](): string {
    const wait = this._state === TaskState.Parked && this._wait !== null ? `: ${this._wait.describe(this)}` : "";
    return `Task #${this.id} ${JSON.stringify(this.name)} ${this.state}${wait}`;
  }
}

/** Something a task can own (owned.ts): closed once, when its owner ends. */
export interface Closable {
  close(): void;
}

/** @internal One resource in its owner's list (owned.ts); `task` is null once it is off the list. */
export interface OwnedNode {
  task: Task | null;
  prev: OwnedNode | null;
  next: OwnedNode | null;
  readonly res: Closable;
}

/** The fields few tasks need: kept apart so that a suspended task stays small. */
export class TaskExtra {
  /** Unfinished children, in spawn order, threaded through their _prevSib/_nextSib. */
  firstChild: Task | null = null;
  lastChild: Task | null = null;
  nchildren = 0;
  /** Tasks (and watchers) parked in `join` on this one. */
  joiners: WaitList | null = null;
  /** A child's unhandled error, delivered at the next suspension point (TaskFlag.ErrPending). */
  pendingErr: unknown = undefined;
  /** Reason given to cancel(). */
  reason: unknown = undefined;
  /** The PromiseLike side, created on first then() (at once for roots). */
  promise: Promise<unknown> | null = null;
  settle: ((ok: boolean, v: unknown) => void) | null = null;
  /** The race this task is a racer of (see `race` in combinators.ts). */
  race: RaceDecider | null = null;
  /** The task's signal (`Task.signal`), created on first use. */
  abort: AbortController | null = null;
  /** The async context its steps run in (RunOptions.asyncContext). */
  ctx: TaskContext | null = null;
  /** TaskLocal values (task-local.ts), shared with the parent or children until `localsOwned`. */
  locals: Map<object, unknown> | null = null;
  /** `locals` is this task's alone: a set() may write to it; otherwise it copies it first. */
  localsOwned = false;
  /** The newest of the resources it owns (owned.ts), closed when it ends. */
  owned: OwnedNode | null = null;
  /** A combinator's helper: when it completes, what it owns goes to its parent (kernel.ts `passOwnership`). */
  passOwned = false;

  /** A child takes its parent's TaskLocal values as they are at its spawn: the map is shared, and copied by whichever side sets a value next. */
  inheritLocals(px: TaskExtra): void {
    px.localsOwned = false;
    this.locals = px.locals;
  }
}

/** @internal What the scheduler needs of a race: decide it for the racer `t` whose operation just completed. */
export interface RaceDecider {
  decide(t: Task): boolean;
}

/** `yield* task.cancel()`: wait until the task is done, whatever its outcome was. */
class CancelWaitOp implements Operation<void> {
  constructor(private readonly target: Task) {}
  *[Symbol.iterator](): Iterator<Instruction, void, unknown> {
    if (this.target.done) return;
    try {
      yield* this.target;
    } catch (e) {
      // Only a failure during cleanup is news; the cancellation itself was asked for.
      if (this.target._state === TaskState.Failed) throw e;
    }
  }
}

/** @internal The id the next task will get: the run loop compares it to note when tasks were born (birth-log.ts). */
export function nextTaskId(): number {
  return nextId;
}
