/**
 * The kernel: the few primitives that every operation outside src/runtime/
 * is written with (sync, ops, net, http). Park a task on a Suspend (see
 * op.ts), give that park a deadline, wake the task with a value or an error,
 * start a child or a scope, join or watch a task, cancel it, make it a racer,
 * run something at the end of the tick. Nothing outside src/runtime/
 * touches a task's or the scheduler's private fields; they go through these
 * functions (test/architecture.test.ts checks it). A node taken off a
 * WaitList, task or Waiter, is handed its value with `deliver` (waiter.ts).
 * A task owns the resources it opens (`own`): they are closed when it ends.
 */
import { TaskFlag } from "./constants.js";
import { currentTask } from "./current.js";
import { Owned, unlinkOwned } from "./owned.js";
import { awaitPromise as parkOnPromise } from "./promise-wait.js";
import type { Suspend, WaitList } from "./suspend.js";
import type { Closable, OwnedNode, RaceDecider, Task, TaskLabel } from "./task.js";
import type { Body, Instruction } from "./types.js";
import type { Waiter } from "./waiter.js";

/** End `t`'s park with `value`. The caller has already taken `t` off whatever it waited in. */
export function wake(t: Task, value: unknown): void {
  t._sched.wake(t, value);
}

/** End `t`'s park by throwing `error` at its `yield*`. */
export function wakeThrow(t: Task, error: unknown): void {
  t._sched.wakeThrow(t, error);
}

/** The time of `t`'s run, in ms (a virtual clock under `clock: "virtual"`). */
export function now(t: Task): number {
  return t._sched.now();
}

/** The deadline `ms` from now on `t`'s clock, rounded up to whole milliseconds. */
export function deadlineAfter(t: Task, ms: number): number {
  return t._sched.deadlineAfter(ms);
}

/**
 * Give the park that the running task `t` is about to make a deadline: if
 * `deadline` (ms of its clock) passes before anything wakes it, its wait is
 * undone and it resumes with TIMED_OUT. Call just before yielding the Suspend.
 */
export function parkUntil(t: Task, deadline: number): void {
  t._sched.parkDeadline = deadline;
}

/** {@link parkUntil} `ms` from now; Infinity sets no deadline. */
export function parkFor(t: Task, ms: number): void {
  if (ms !== Infinity) t._sched.parkDeadline = t._sched.deadlineAfter(ms);
}

/** Start a child task of `parent` running `body`. */
export function spawnChild<T>(parent: Task, body: Body<T>, name?: string): Task<T> {
  return parent._sched.spawn(body, parent, name);
}

/**
 * Start a child task of `parent` from a generator already made: cancelled
 * before its first step, it still runs to its first suspension point, so
 * its `finally` blocks run (a server's listener is closed there). Its name is
 * `${base}#${id}`, made when first read (`base` may be an object whose
 * `toString()` gives it then: see TaskLabel).
 */
export function spawnChildGenerator<T>(parent: Task, gen: Generator<Instruction, T, unknown>, base: TaskLabel): Task<T> {
  return parent._sched.spawnGenerator(gen, parent, base);
}

/** Call `fn` once at the end of the tick now running, after the last task of its batch. Only from inside a task's step. */
export function atTickEnd(t: Task, fn: () => void): void {
  t._sched.atTickEnd(fn);
}

/** Register `t` to be woken when `promise` settles; returns the Suspend to park on. */
export function awaitPromise(t: Task, promise: PromiseLike<unknown>): Suspend {
  return parkOnPromise(t, promise);
}

/**
 * Request the cancellation of `t`, as `t.cancel(reason)` does, without the
 * operation that waits for its cleanup. Does nothing on a finished task.
 */
export function cancel(t: Task, reason?: unknown): void {
  t._sched.cancel(t, reason);
}

/**
 * The tasks joining `t`: push the current task and park on the list (with a
 * park deadline, if any) to wait for `t`'s outcome. Its value is the resume
 * value; its failure is thrown at the park, and counts as handled.
 */
export function joiners(t: Task): WaitList {
  return t.joinList();
}

/** Fire `w` with (true, t) once `t` is done, however it ends; at once if it is done already. Unlike a join, it does not handle a failure. */
export function watchDone(t: Task, w: Waiter): void {
  if (t.done) w.fire(true, t);
  else t.joinList().push(w);
}

/**
 * Make `t`, a new task whose body is one built-in operation, a racer of
 * `race`: the wake that completes its operation calls `race.decide(t)` at
 * once, before `t` runs again, so that its rivals are withdrawn from their
 * queues before any of them is handed something it would have to drop.
 */
export function enterRace(t: Task, race: RaceDecider): void {
  t.ext().race = race;
  t._flags |= TaskFlag.Racer;
}

/** Run `body` as a child task of the current one and wait for it: its failure is this operation's, its children are its own. */
export function* scope<T>(name: string, body: Body<T>): Generator<Instruction, T, any> {
  const me = currentTask(name);
  const child = me._sched.spawn(body, me, undefined);
  child.ext().passOwned = true; // its value is the caller's: so is what it opened
  return (yield* child) as T;
}

/** @internal A task's hold on a resource, from {@link own}: give it to {@link release} or {@link transferOwned}. */
export type Ownership = OwnedNode;

/**
 * Make `t` the owner of `res`: when `t` ends (returns, throws or is
 * cancelled), after its children have ended and before its joiners wake,
 * `res.close()` is called, the newest resource first. Release it sooner
 * with {@link release} (when the user closes it). A close that throws is an
 * error of `t`, as if thrown by its `finally`. If `t` is done already, `res`
 * is closed at once and null returned. Costs one small node; a task that
 * owns nothing pays nothing.
 */
export function own(t: Task, res: Closable): Ownership | null {
  if (t.done) {
    res.close();
    return null;
  }
  return new Owned(t, res);
}

/** `h`'s resource is closed (or given up): its owner will not close it. Nothing if it was released already. */
export function release(h: Ownership): void {
  unlinkOwned(h);
}

/**
 * Make `to` the owner of `res` in place of its hold `h` (null: it had
 * none), or no task if `to` is null (then its user closes it). Returns the
 * new hold: null if none, or if `to` was done and `res` is closed already.
 * For a resource not closed yet.
 */
export function setOwner(h: Ownership | null, res: Closable, to: Task | null): Ownership | null {
  if (h !== null) unlinkOwned(h);
  return to === null ? null : own(to, res);
}

/**
 * Mark `t`, a child that a combinator runs on the caller's behalf and whose
 * value it returns (withTimeout's body, race's racers...), as passing what
 * it owns on: if it completes, its resources go to its parent instead of
 * being closed, so `yield* withTimeout(ms, connect(...))` returns an open
 * connection owned by the caller. If it fails or is cancelled, they close.
 */
export function passOwnership(t: Task): void {
  t.ext().passOwned = true;
}
