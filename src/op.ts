import type { Suspend } from "./suspend.js";
import type { Instruction, Operation } from "./types.js";

/**
 * Base of tasklet's built-in operations: one object that is the Operation,
 * its iterator, and the iterator's result (`done`/`value` are fields of the
 * op), so `yield* ch.recv()` allocates exactly one small object instead of a
 * generator plus a result object per step.
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
  /** IteratorResult fields: `yield*` reads them right after each `next()`. */
  done = false;
  value: unknown = undefined;
  /** 0: not started, 1: started. */
  private phase = 0;

  [Symbol.iterator](): Iterator<Instruction, T, unknown> {
    return this.phase === 0 ? this : this.clone();
  }

  next(v?: unknown): IteratorResult<Instruction, T> {
    if (this.phase === 0) {
      this.phase = 1;
      return this.begin();
    }
    this.done = true;
    this.value = this.resumed(v);
    return this as IteratorResult<Instruction, T>;
  }

  throw(e: unknown): IteratorResult<Instruction, T> {
    throw e;
  }

  return(v?: unknown): IteratorResult<Instruction, T> {
    this.done = true;
    this.value = v;
    return this as IteratorResult<Instruction, T>;
  }

  /** Finish at once with `value`. */
  protected ok(value: T): IteratorResult<Instruction, T> {
    this.done = true;
    this.value = value;
    return this as IteratorResult<Instruction, T>;
  }

  /** Park the current task (already registered with `suspend`'s owner) on `suspend`. */
  protected wait(suspend: Suspend | Instruction): IteratorResult<Instruction, T> {
    this.value = suspend;
    return this as IteratorResult<Instruction, T>;
  }

  /** Start the operation: `this.ok(value)` or `this.wait(suspend)`. */
  protected abstract begin(): IteratorResult<Instruction, T>;
  /** A new, unstarted operation with the same arguments. */
  protected abstract clone(): Op<T>;
  /** Map the resume value to the result (identity by default). */
  protected resumed(v: unknown): T {
    return v as T;
  }
}
