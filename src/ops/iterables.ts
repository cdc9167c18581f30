/**
 * Bridges between tasks and plain async code for streams of values:
 * `fromAsyncIterable` makes a task-side {@link Stream} of an AsyncIterable
 * (a Node Readable, an async generator), and `toAsyncIterable` makes an
 * AsyncIterable, for `for await` in plain code, of a task-side stream or of
 * a producer body that emits values. Both pull: nothing is read ahead of
 * what the consumer asked for (a producer is at most the one value it is
 * emitting ahead), so a slow consumer bounds the memory on either side.
 */
import { currentTask, peekCurrent } from "../runtime/current.js";
import { describeValue } from "../config/options.js";
import { cancel, wake } from "../runtime/kernel.js";
import { Op } from "../runtime/op.js";
import { spawn } from "../runtime/run.js";
import { STREAM, STREAM_DONE, type Stream, type Streamable } from "../runtime/stream.js";
import { Suspend } from "../runtime/suspend.js";
import type { Task } from "../runtime/task.js";
import type { Instruction, Operation, RunOptions } from "../runtime/types.js";
import { call } from "./call.js";

// ------------------------------------------------- AsyncIterable -> Stream

/** `fromAsyncIterable(iterable)`: one `iterator.next()` per `next()`. */
class AsyncIterableStream<T> implements Stream<T> {
  private it: AsyncIterator<T> | null = null;
  private ended = false;
  constructor(private readonly iterable: AsyncIterable<T>) {}

  next(): Operation<IteratorResult<T, undefined>> {
    return { [Symbol.iterator]: () => this.pull() };
  }

  private *pull(): Generator<Instruction, IteratorResult<T, undefined>, unknown> {
    if (this.ended) return STREAM_DONE;
    const it = (this.it ??= this.iterable[Symbol.asyncIterator]());
    let r: IteratorResult<T, unknown>;
    try {
      r = yield* call(it.next());
    } catch (e) {
      this.ended = true; // a failed iterator is done
      throw e;
    }
    if (r.done === true) {
      this.ended = true;
      return STREAM_DONE;
    }
    return { done: false, value: r.value };
  }

  return(): void {
    if (this.ended) return;
    this.ended = true;
    const it = this.it;
    if (it === null || typeof it.return !== "function") return;
    // Its finally blocks run now; a failure there has no one left to hear it.
    Promise.resolve(it.return()).catch(() => {});
  }
}

/**
 * A task-side {@link Stream} of an AsyncIterable: a Node Readable (its
 * chunks), an async generator, any `for await` source. Each `next()` awaits
 * one `next()` of the iterator, never more, so a Readable is read only as
 * fast as the task consumes; stopping early (`break` out of `each`) calls
 * the iterator's `return()`, which runs an async generator's `finally` and
 * destroys a Readable.
 *
 * @example
 * async function* lines() { yield "a"; yield "b"; }
 * for (const line of yield* each(fromAsyncIterable(lines()))) {
 *   console.log(line);
 *   yield* each.next();
 * }
 */
export function fromAsyncIterable<T>(iterable: AsyncIterable<T>): Stream<T> {
  if (iterable === null || typeof iterable !== "object" || typeof (iterable as AsyncIterable<T>)[Symbol.asyncIterator] !== "function") {
    throw new TypeError(`fromAsyncIterable() takes an AsyncIterable, got ${describeValue(iterable)}`);
  }
  return new AsyncIterableStream(iterable);
}

// ------------------------------------------------- tasks -> AsyncIterable

/**
 * A producer body for {@link toAsyncIterable}: it emits values with
 * `yield* emit(v)`; each `emit` returns once the consumer has taken its value.
 *
 * @example
 * const countdown: Producer<number> = function* (emit) { for (let i = 3; i > 0; i--) yield* emit(i); };
 */
export type Producer<T> = (emit: (value: T) => Operation<void>) => Operation<unknown>;

type Request<T> = { resolve: (r: IteratorResult<T, undefined>) => void; reject: (e: unknown) => void };

/** Where the pump task waits for the consumer's next `next()`: the outside world wakes it. */
class DemandWait extends Suspend {
  override external = true;
  constructor(private readonly pump: Pump<unknown>) {
    super();
  }
  abandon(): void {
    this.pump.parked = null;
  }
  describe(): string {
    return "the next next() of a toAsyncIterable() consumer";
  }
}

/** Park the pump task until a `next()` waits. */
class DemandOp extends Op<void> {
  constructor(private readonly pump: Pump<unknown>) {
    super();
  }
  protected begin(): IteratorResult<Instruction, void> {
    const p = this.pump;
    if (p.requests.length > 0) return this.ok(undefined);
    p.parked = currentTask("toAsyncIterable");
    return this.wait(p.wait);
  }
  protected clone(): Op<void> {
    return new DemandOp(this.pump);
  }
  protected override resumed(): void {}
}

/**
 * The AsyncIterator of `toAsyncIterable`: a task (the pump) that runs
 * only to answer `next()` calls, one item per call.
 */
class Pump<T> implements AsyncIterableIterator<T, undefined, undefined> {
  /** `next()` calls waiting for an item, oldest first. */
  readonly requests: Request<T>[] = [];
  /** The pump task while it waits for a request. */
  parked: Task | null = null;
  readonly wait: DemandWait;
  private task: Task<void> | null = null;
  private ended = false;
  /** The producer's or the stream's error, for the first `next()` that has no item. */
  private failure: { error: unknown } | null = null;

  constructor(
    private readonly body: (pump: Pump<T>) => Generator<Instruction, void, unknown>,
    private readonly options: RunOptions | undefined,
  ) {
    this.wait = new DemandWait(this as Pump<unknown>);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<T, undefined>> {
    if (this.ended) {
      const f = this.failure;
      if (f === null) return Promise.resolve(STREAM_DONE);
      this.failure = null;
      return Promise.reject(f.error);
    }
    const p = new Promise<IteratorResult<T, undefined>>((resolve, reject) => this.requests.push({ resolve, reject }));
    if (this.task === null) {
      const body = this.body;
      this.task = spawn(() => body(this), peekCurrent() === null ? { name: "toAsyncIterable", ...this.options } : { name: "toAsyncIterable" });
      this.task.then(undefined, () => {}); // its failure reaches the consumer through next()
    } else {
      const t = this.parked;
      if (t !== null) {
        this.parked = null;
        wake(t, undefined);
      }
    }
    return p;
  }

  async return(): Promise<IteratorResult<T, undefined>> {
    if (!this.ended) {
      this.end(null);
      const t = this.task;
      if (t !== null && !t.done) {
        cancel(t, "the consumer stopped");
        await t.then(
          () => {},
          () => {},
        );
      }
    }
    return STREAM_DONE;
  }

  /** Hand `r` to the oldest waiting `next()` (the pump waited for one). */
  give(r: IteratorResult<T, undefined>): void {
    this.requests.shift()!.resolve(r);
  }

  /** Waits for a `next()` to answer. */
  demand(): Operation<void> {
    return new DemandOp(this as Pump<unknown>);
  }

  /** No more items: the waiting `next()`s get the end, or `error`. */
  end(error: { error: unknown } | null): void {
    if (this.ended) return;
    this.ended = true;
    const rs = this.requests.splice(0);
    if (error !== null && rs.length === 0) this.failure = error;
    for (let i = 0; i < rs.length; i++) {
      if (error !== null && i === 0) rs[i]!.reject(error.error);
      else rs[i]!.resolve(STREAM_DONE);
    }
  }

  get isEnded(): boolean {
    return this.ended;
  }
}

function* pumpStream<T>(stream: Stream<T>, pump: Pump<T>): Generator<Instruction, void, unknown> {
  let done = false;
  try {
    for (;;) {
      yield* pump.demand(); // nothing is taken from the stream before someone asks
      const r = yield* stream.next();
      if (r.done === true) {
        done = true;
        pump.end(null);
        return;
      }
      pump.give(r);
    }
  } catch (e) {
    done = true;
    pump.end({ error: e });
  } finally {
    if (!done) stream.return?.();
  }
}

function* pumpProducer<T>(producer: Producer<T>, pump: Pump<T>): Generator<Instruction, void, unknown> {
  const emit = (value: T): Operation<void> => ({
    *[Symbol.iterator]() {
      if (pump.isEnded) throw new Error("toAsyncIterable(): emit() after the consumer stopped");
      yield* pump.demand();
      pump.give({ done: false, value });
    },
  });
  try {
    yield* producer(emit);
    pump.end(null);
  } catch (e) {
    pump.end({ error: e });
  }
}

/**
 * An AsyncIterable for plain async code (`for await`) of values made by
 * tasks. `source` is either a stream (a Channel, a Queue, a Conn, any
 * {@link Stream}) or a producer: a generator function that emits values
 * with `yield* emit(v)`. A task, started by the first `next()` (in a new
 * run made with `options`, or as a child of the task that calls it), pulls
 * one item per `next()` and waits for the consumer in
 * between: a producer's `emit` returns once its value is taken, so it runs
 * at most that one value ahead. A `break` cancels the task (its `finally`
 * blocks run before the loop's `return()` resolves); its error is thrown at
 * the consumer's `next()`.
 *
 * @example
 * const numbers = toAsyncIterable<number>(function* (emit) {
 *   for (let i = 0; i < 3; i++) yield* emit(i);
 * });
 * for await (const n of numbers) console.log(n); // 0, 1, 2
 */
export function toAsyncIterable<T>(
  source: Producer<T> | Stream<T> | Streamable<T>,
  options?: RunOptions,
): AsyncIterableIterator<T, undefined, undefined> {
  if (typeof source === "function") return new Pump<T>((p) => pumpProducer(source, p), options);
  if (source !== null && typeof source === "object") {
    const s = source as Partial<Streamable<T>> & Partial<Stream<T>> & Partial<AsyncIterable<T>>;
    const stream =
      typeof s[STREAM] === "function"
        ? s[STREAM]!()
        : typeof s.next === "function" && typeof s[Symbol.asyncIterator] !== "function" // (an async generator is no Stream)
          ? (source as Stream<T>)
          : null;
    if (stream !== null) return new Pump<T>((p) => pumpStream(stream, p), options);
  }
  throw new TypeError(`toAsyncIterable() takes a producer function, a Channel, a Queue, a Conn or a Stream, got ${describeValue(source)}`);
}
