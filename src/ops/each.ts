/**
 * `each`: loop over a stream inside a task with a plain `for...of`, after
 * Effection's `each`: `for (const x of yield* each(ch)) { ...; yield*
 * each.next(); }`. The loop's iterator cannot wait (a `for...of` step is a
 * plain call), so the waiting happens at `yield* each(...)` for the first
 * item and at `yield* each.next()` for each following one; the iterator
 * only hands out what was fetched. The loops a task is in are kept per task
 * (innermost first), so `each.next()` needs no argument.
 */
import { currentTask } from "../runtime/current.js";
import { describeValue } from "../config/options.js";
import { STREAM, type Stream, type Streamable } from "../runtime/stream.js";
import type { Task } from "../runtime/task.js";
import type { Instruction, Operation } from "../runtime/types.js";
import { fromAsyncIterable } from "./iterables.js";

/**
 * What `each` loops over: a Stream, something that makes one (Channel,
 * Queue, Conn), or an AsyncIterable.
 *
 * @example
 * const sources: StreamSource<string>[] = [ch, inbox];
 */
export type StreamSource<T> = Stream<T> | Streamable<T> | AsyncIterable<T>;

/** The Stream of `source`, or a TypeError naming `fn`. */
export function streamOf<T>(fn: string, source: StreamSource<T>): Stream<T> {
  if (source !== null && typeof source === "object") {
    const s = source as Partial<Streamable<T>> & Partial<Stream<T>> & Partial<AsyncIterable<T>>;
    if (typeof s[STREAM] === "function") return s[STREAM]!();
    // An async generator has a next() too, returning Promises: it is an AsyncIterable.
    if (typeof s[Symbol.asyncIterator] === "function") return fromAsyncIterable(source as AsyncIterable<T>);
    if (typeof s.next === "function") return source as Stream<T>;
  }
  throw new TypeError(
    `${fn} takes a Channel, a Queue, a Conn, a Stream or an AsyncIterable, got ${describeValue(source)}`,
  );
}

/** The innermost `each` loop of each task. */
const loops = new WeakMap<Task, EachLoop<unknown>>();

/** One `for (const x of yield* each(s))`: the iterable and its iterator. */
class EachLoop<T> implements IterableIterator<T> {
  /** The loop this one is nested in, in the same task. */
  outer: EachLoop<unknown> | undefined;
  /** Handed out by the last `next()`; `each.next()` must fetch before the next. */
  private handed = false;
  private open = true;

  constructor(
    readonly task: Task,
    private readonly stream: Stream<T>,
    /** The item fetched and not yet handed out. */
    public current: IteratorResult<T, undefined>,
  ) {
    this.outer = loops.get(task);
    loops.set(task, this as EachLoop<unknown>);
  }

  [Symbol.iterator](): this {
    return this;
  }

  next(): IteratorResult<T, undefined> {
    if (!this.open) return { done: true, value: undefined };
    if (this.handed) {
      this.leave();
      throw new Error("each(): the loop body must end with `yield* each.next()` before the next item is taken");
    }
    const r = this.current;
    if (r.done === true) this.leave();
    else this.handed = true;
    return r;
  }

  /** `break`, `return`, an error or a cancellation left the loop: the stream releases what it holds. */
  return(): IteratorResult<T, undefined> {
    if (this.open) {
      this.leave();
      if (this.current.done !== true) this.stream.return?.();
    }
    return { done: true, value: undefined };
  }

  /** `yield* each.next()`: fetch the item the next step hands out. */
  *advance(): Generator<Instruction, void, unknown> {
    this.current = yield* this.stream.next();
    this.handed = false;
  }

  private leave(): void {
    this.open = false;
    if (loops.get(this.task) === this) {
      if (this.outer === undefined) loops.delete(this.task);
      else loops.set(this.task, this.outer);
    }
  }
}

/**
 * Loop over a stream inside a task: `yield* each(source)` waits for the
 * first item and gives an iterable for a `for...of`; the body ends each
 * turn with `yield* each.next()`, which waits for the next item. The loop
 * ends when the stream does (a Channel closed and drained, a Conn at end of
 * stream, an async iterator done); a `break`, a `return`, an error or the
 * task's cancellation stop it early and release the stream (an async
 * iterator's `return()` runs). `source`: a Channel, a Queue, a Conn (its
 * reads, each a new Uint8Array), any {@link Stream}, or an AsyncIterable
 * (a Node Readable, an async generator; pulled one item at a time).
 *
 * @example
 * for (const msg of yield* each(inbox)) {
 *   console.log(msg);
 *   yield* each.next();
 * }
 */
export function each<T>(source: StreamSource<T>): Operation<Iterable<T>> {
  const stream = streamOf("each()", source);
  return {
    *[Symbol.iterator]() {
      const me = currentTask("each");
      let first: IteratorResult<T, undefined> | undefined;
      try {
        first = yield* stream.next();
      } finally {
        if (first === undefined) stream.return?.(); // failed or cancelled before the loop began
      }
      return new EachLoop(me, stream, first);
    },
  };
}

/**
 * Inside an `each` loop: wait for the next item of the innermost loop of
 * the current task. Every turn of the body must end with it.
 *
 * @example
 * for (const job of yield* each(jobs)) { handle(job); yield* each.next(); }
 */
each.next = function next(): Operation<void> {
  return {
    [Symbol.iterator]() {
      const loop = loops.get(currentTask("each.next"));
      if (loop === undefined) throw new Error("each.next() was called outside a `for (const x of yield* each(...))` loop");
      return loop.advance();
    },
  };
};
