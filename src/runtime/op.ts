import { peekCurrent } from "./current.js";
import { TIMED_OUT, type Suspend } from "./suspend.js";
import type { Instruction, Operation } from "./types.js";

/**
 * The one IteratorResult every built-in operation returns, refilled on each
 * `next()`. `yield*` reads `done` and `value` as soon as `next()` returns and
 * passes the same object up to the driver, which also reads it at once; so
 * one object serves every step, and the driver's property loads see a single
 * shape instead of one per operation class.
 */
const RESULT: { done: boolean; value: unknown } = { done: false, value: undefined };
/**
 * @internal The last Suspend a built-in operation parked on. The driver
 * compares what a task yields with it before anything else: equal, it is a
 * Suspend (nothing else is ever stored here), with no prototype walk.
 */
export let parking: Suspend | null = null;

/** @internal Park on `s`: the IteratorResult that yields it to the driver. */
export function parkOn<T>(s: Suspend): IteratorResult<Instruction, T> {
  parking = s;
  const r = RESULT;
  r.done = false;
  r.value = s;
  return r as IteratorResult<Instruction, T>;
}

/** @internal Fill and return the shared IteratorResult. */
export function result<T>(done: boolean, value: unknown): IteratorResult<Instruction, T> {
  const r = RESULT; // one load of the module binding for both stores
  r.done = done;
  r.value = value;
  return r as IteratorResult<Instruction, T>;
}

/**
 * Base of tasklet's built-in operations: one object that is the Operation and
 * its iterator, returning the shared RESULT, so `yield* ch.recv()` allocates
 * exactly one small object instead of a generator plus a result per step.
 *
 * `begin` runs on the first `next()`: it either finishes at once
 * (`return this.ok(value)`) or registers the current task somewhere and parks
 * (`return this.wait(suspend)`). The value the task is resumed with becomes
 * the result, through `resumed`.
 *
 * If the same object is iterated again (an operation stored and reused), a
 * fresh copy runs, so an operation value can be reused like a generator
 * function call.
 */
export abstract class Op<T> implements Operation<T>, Iterator<Instruction, T, unknown> {
  /** 0: not started, 1: started. */
  protected phase = 0;

  [Symbol.iterator](): Iterator<Instruction, T, unknown> {
    return this.phase === 0 ? this : this.clone();
  }

  /** Park deadline in ms of the run's clock (see {@link withDeadline}); on the prototype, so plain ops carry no field. */
  declare deadline: number;
  /** Makes the error thrown when `deadline` passes. */
  declare onDeadline: (() => unknown) | null;

  next(v?: unknown): IteratorResult<Instruction, T> {
    if (this.phase === 0) {
      this.phase = 1;
      const r = this.begin();
      if (this.deadline !== Infinity && r.done === false) peekCurrent()!._sched.parkDeadline = this.deadline;
      return r;
    }
    // The deadline first: it is a number that is Infinity on almost every
    // operation, while `v` can be anything, so `v === TIMED_OUT` compiles to
    // a call of V8's generic StrictEqual; this way it runs only when a
    // deadline was set.
    if (this.deadline !== Infinity && v === TIMED_OUT) throw this.onDeadline!();
    return result(true, this.resumed(v));
  }
  // The hottest operations (channel send and recv, join) override `next` and
  // `[Symbol.iterator]` with the same steps written out: these methods are
  // shared by every subclass, so in a real program their property loads (and
  // the `begin` call) see a dozen classes and go megamorphic, while an
  // override sees one. `yield*` calls both on every operation.

  throw(e: unknown): IteratorResult<Instruction, T> {
    throw e;
  }

  return(v?: unknown): IteratorResult<Instruction, T> {
    return { done: true, value: v as T };
  }

  /** Finish at once with `value`. */
  protected ok(value: T): IteratorResult<Instruction, T> {
    return result(true, value);
  }

  /** Park the current task (already registered with `suspend`'s owner) on `suspend`. */
  protected wait(suspend: Suspend): IteratorResult<Instruction, T> {
    return parkOn(suspend);
  }

  /** Start the operation: `this.ok(value)` or `this.wait(suspend)`. */
  protected abstract begin(): IteratorResult<Instruction, T>;
  /** A new, unstarted operation with the same arguments. */
  protected abstract clone(): Op<T>;
  /** @internal This operation, or a copy when the object is shared by several callers (see RecvOp). */
  unshared(): Op<T> {
    return this;
  }
  /** Map the resume value to the result (identity by default). */
  protected resumed(v: unknown): T {
    return v as T;
  }
}
Op.prototype.deadline = Infinity;
Op.prototype.onDeadline = null;

/**
 * @internal Give an operation a deadline without a task of its own: if it
 * parks and `deadline` (ms of the run's clock) passes first, its wait is
 * undone and `onDeadline()` is thrown at its `yield*`. An operation that
 * completes without parking is unaffected. Returns the operation (a copy of
 * it when the object is shared, as `ch.recv()` is).
 */
export function withDeadline<T>(op: Operation<T>, deadline: number, onDeadline: () => unknown): Operation<T> {
  if (!(op instanceof Op)) throw new TypeError("withDeadline() takes one of tasklet's built-in operations");
  const own = op.unshared();
  own.deadline = deadline;
  own.onDeadline = onDeadline;
  return own;
}
