/**
 * Public types of tasklet. Runtime values live in their own modules; this file
 * holds only types so that `src/index.ts` can re-export them in one place.
 */
import type { BackendName } from "../core/scheduler-core.js";

/**
 * What an operation's iterator yields to the scheduler. Opaque to user code:
 * you never create or inspect one, you only pass operations to `yield*`.
 */
export interface Instruction {
  /** Type brand only; not present at run time. */
  readonly __taskletInstruction: true;
}

/**
 * Anything you can `yield*` inside a task to get a `T`: a generator object,
 * a `Task<T>`, or one of tasklet's operations (`sleep(10)`, `ch.recv()`...).
 *
 * @example
 * function* twice(op: Operation<number>): Operation<number> {
 *   return (yield* op) * 2;
 * }
 */
export interface Operation<T> {
  [Symbol.iterator](): Iterator<Instruction, T, any>;
}

/**
 * The body of a task: a generator function (or any function returning an
 * Operation) that tasklet calls once, when the task first runs.
 *
 * @example
 * const body: Body<string> = function* () { yield* sleep(5); return "done"; };
 */
export type Body<T> = () => Operation<T>;

/** Scheduler backend: the pure-TypeScript core or the WebAssembly core. */
export type { BackendName };

/** `real` follows `performance.now()`; `virtual` jumps to the next deadline when every task waits on a timer. */
export type ClockKind = "real" | "virtual";

/** Options of {@link run}. */
export interface RunOptions {
  /** Scheduler core. Default: env `TASKLET_BACKEND`, else the best available. */
  backend?: BackendName;
  /** Clock of this run. Default `"real"`. */
  clock?: ClockKind;
  /** Name of the root task, shown in errors and deadlock reports. */
  name?: string;
  /**
   * Record where each task of the run is spawned, for `dumpTasks()` and
   * `printTasks()` (`spawnSite`). Costs a stack capture per spawn: for
   * debugging. Default false.
   */
  traceSpawns?: boolean;
  /**
   * Run each task inside the async context it was spawned in (the stores of
   * every `AsyncLocalStorage`), and keep what a task sets with `enterWith`
   * to that task and the children it spawns afterwards. Default `false`: it
   * costs an `AsyncResource` per task and a context switch per step.
   */
  asyncContext?: boolean;
}

/** Options of {@link spawn}. */
export interface SpawnOptions extends RunOptions {}

/** Public task states (see README, "Task life cycle"). */
export type TaskStateName = "ready" | "running" | "parked" | "finishing" | "completed" | "failed" | "cancelled";

/** The type an operation produces: `OperationResult<Operation<number>>` is `number`. */
export type OperationResult<O> = O extends Operation<infer T> ? T : never;
