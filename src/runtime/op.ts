/**
 * Op, the base class of tasklet's built-in operations, and withDeadline,
 * which gives one of them a park deadline.
 */
import { peekCurrent } from "./current.js";
import { parkOn, result } from "./instruction.js";
import { TIMED_OUT, type Suspend } from "./suspend.js";
import type { Instruction, Operation } from "./types.js";

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

  /** Park deadline in ms of the run's clock (see `withDeadline`); on the prototype, so plain ops carry no field. */
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
