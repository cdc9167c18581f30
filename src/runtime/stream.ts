/**
 * The one shape of a stream of items that tasks pull one at a time: what
 * `each()` (src/ops/each.ts) loops over, and what Channel, Queue, Conn
 * reads, `fromAsyncIterable` (and later WebSocket messages and HTTP client
 * bodies) provide. It sits here, below sync, ops and net, so that each of
 * them can implement it without importing the others.
 */
import type { Operation } from "./types.js";

/**
 * A stream of items pulled one at a time by one task. `next()` waits for
 * the next item and gives `{ done: false, value }`, or `{ done: true }` once
 * the stream has ended; an error of the source is thrown at the `yield*`.
 * `return()`, if present, is called once when the consumer stops before the
 * end (a `break`, an error, a cancellation): the stream releases what it
 * holds (an async iterator's `return()`, a waiter). A stream never takes an
 * item it does not hand out: an item is consumed only when a `next()`
 * returns it.
 *
 * @example
 * const s: Stream<string> = ch[STREAM]();
 * for (let r = yield* s.next(); !r.done; r = yield* s.next()) console.log(r.value);
 */
export interface Stream<T> {
  next(): Operation<IteratorResult<T, undefined>>;
  return?(): void;
}

/**
 * The key of the method that makes a {@link Stream} of an object: Channel,
 * Queue and Conn have one; `each(x)` calls `x[STREAM]()`.
 *
 * @example
 * const items = inbox[STREAM]();
 */
export const STREAM: unique symbol = Symbol.for("tasklet.stream") as never;

/**
 * Something a {@link Stream} can be made of (Channel, Queue, Conn...).
 *
 * @example
 * const source: Streamable<string> = ch;
 * const s = source[STREAM]();
 */
export interface Streamable<T> {
  [STREAM](): Stream<T>;
}

/** The `{ done: true }` every ended stream returns (frozen: shared). */
export const STREAM_DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined }) as IteratorReturnResult<undefined>;
