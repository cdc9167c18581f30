import type { Instruction, Operation } from "./types.js";

/**
 * Base of tasklet's built-in operations: an object that is both the
 * Operation and its own single-use iterator, so `yield* ch.recv()` allocates
 * one small object instead of a generator. `begin` runs on the first `next()`:
 * it either finishes at once (`this.finish(value)`) or registers the current
 * task somewhere and returns the Suspend to yield. The value the task is
 * resumed with becomes the operation's result, via `resumed`.
 *
 * If the same object is iterated again (an operation stored and reused), a
 * fresh copy runs, so an operation value can be reused like a generator
 * function call.
 */
export abstract class Op<T> implements Operation<T>, Iterator<Instruction, T, unknown> {
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
    return { done: true, value: this.resumed(v) };
  }

  throw(e: unknown): IteratorResult<Instruction, T> {
    throw e;
  }

  return(v?: unknown): IteratorResult<Instruction, T> {
    return { done: true, value: v as T };
  }

  /** Start the operation: a finished result, or a Suspend to park on. */
  protected abstract begin(): IteratorResult<Instruction, T>;
  /** A new, unstarted operation with the same arguments. */
  protected abstract clone(): Op<T>;
  /** Map the resume value to the result (identity by default). */
  protected resumed(v: unknown): T {
    return v as T;
  }
}

/** `{ done: true, value }` for a result available at once. */
export function finished<T>(value: T): IteratorResult<Instruction, T> {
  return { done: true, value };
}

/** `{ done: false, value: suspend }`: park. */
export function parkOn<T>(suspend: Instruction): IteratorResult<Instruction, T> {
  return { done: false, value: suspend };
}
