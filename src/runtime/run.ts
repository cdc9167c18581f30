/** The public entry points of the runtime: run, spawn and current. */
import { peekCurrent } from "./current.js";
import { resolveRun } from "../config/options.js";
import { Scheduler } from "./scheduler.js";
import { otherCopyError } from "./instance.js";
import type { Task } from "./task.js";
import type { Body, RunOptions, SpawnOptions } from "./types.js";

/**
 * Start a root task in a new run: its own scheduler core and clock. Returns at
 * once; the task starts on the next turn of the event loop. `await` the task
 * (or `yield*` it from another run) for its value. A root that fails while
 * nobody awaits it surfaces as an unhandled rejection, so no error is lost.
 *
 * @example
 * const n = await run(function* () {
 *   yield* sleep(10);
 *   return 42;
 * }, { clock: "virtual" });
 */
export function run<T>(body: Body<T>, options?: RunOptions): Task<T> {
  const cfg = resolveRun("run()", options);
  return new Scheduler(cfg).spawnRoot(body, cfg.name);
}

/**
 * Start a task. Inside a task it is a child of the current task (it never
 * outlives its parent); outside any task it is a root task, as with `run`.
 * Returns at once; the child first runs on a later scheduler tick.
 *
 * A task whose scope is failing (one of its children threw, and the error is
 * on its way to it) cannot start new work: a child it spawns then is
 * cancelled at birth, as in a cancelled Trio nursery. Its body never runs (so
 * it has no `finally` to run), and joining it throws a `CancelledError`.
 *
 * @example
 * const child = spawn(function* () { yield* sleep(5); return "hi"; });
 * const greeting = yield* child;
 */
export function spawn<T>(body: Body<T>, options?: SpawnOptions): Task<T> {
  const parent = peekCurrent();
  const cfg = resolveRun("spawn()", options, parent !== null);
  if (parent === null) {
    const mixed = otherCopyError("spawn()");
    if (mixed !== null) throw mixed;
    return new Scheduler(cfg).spawnRoot(body, cfg.name);
  }
  return parent._sched.spawn(body, parent, cfg.name);
}

/**
 * The task that is running now. Throws when called outside a task.
 *
 * @example
 * console.log(`hello from ${current().name}`);
 */
export function current(): Task {
  const t = peekCurrent();
  if (t === null) throw otherCopyError("current()") ?? new Error("current() was called outside a task");
  return t;
}
