/** Queue: a FIFO queue between tasks, bounded or not, with JoinableQueue counting. */
import { currentTask } from "../runtime/current.js";
import { QueueShutDownError } from "../runtime/errors.js";
import { Op } from "../runtime/op.js";
import { STREAM, STREAM_DONE, type Stream } from "../runtime/stream.js";
import { Fifo } from "./fifo.js";
import { OutsideIterator, OutsideSource } from "./outside-iterator.js";
import { WaitList } from "../runtime/suspend.js";
import type { Instruction, Operation } from "../runtime/types.js";
import { deliver, deliverThrow } from "../runtime/waiter.js";

let queueIds = 0;

/**
 * A FIFO queue between tasks with an optional bound, and gevent's
 * JoinableQueue counting: every `put` adds an unfinished item, `taskDone()`
 * marks one finished, and `join()` waits until none is left.
 *
 * **Shutting down** (Python 3.13's `Queue.shutdown`): after `shutdown()`,
 * `put` throws {@link QueueShutDownError}, and `get` takes what is left,
 * then throws it too; `shutdown(true)` also drops what is left (counted as
 * done for `join`). Tasks parked in `put` or `get` are woken with the error.
 *
 * **Iteration.** `for (const job of yield* each(q))` in a task, or
 * `for await (const job of q)` from plain async code, takes items until the
 * loop breaks (a `break` leaves the rest in the queue) or the queue is shut
 * down and empty. Iterating does not call `taskDone()`: call it per item as
 * with `get()`.
 *
 * @example
 * const q = new Queue<string>(100);
 * yield* q.put("job");
 * const job = yield* q.get();
 * q.taskDone();
 */
export class Queue<T> {
  readonly maxSize: number;
  readonly name: string;
  private readonly items = new Fifo<T>();
  private unfinished = 0;
  /** @internal */ readonly getters: WaitList;
  /** @internal */ readonly putters: WaitList;
  /** @internal */ readonly joiners: WaitList;
  /** Its link to async iterators from outside any task, made by the first. */
  private outside: OutsideSource<T> | null = null;
  private isShutDown = false;

  constructor(maxSize = Infinity, name?: string) {
    if (typeof maxSize !== "number" || Number.isNaN(maxSize) || maxSize < 1 || (maxSize !== Infinity && !Number.isInteger(maxSize))) {
      throw new RangeError(`Queue maxSize must be a whole number >= 1 or Infinity, got ${String(maxSize)}`);
    }
    this.maxSize = maxSize;
    this.name = name ?? `Queue#${++queueIds}`;
    this.getters = new WaitList(() => `get on ${this.name} (empty)`);
    this.putters = new WaitList(() => `put on ${this.name} (full, ${this.size}/${this.maxSize})`);
    this.joiners = new WaitList(() => `join of ${this.name} (${this.unfinished} unfinished)`);
  }

  /** Items waiting in the queue. */
  get size(): number {
    return this.items.length;
  }

  /** Items put and not yet marked done with `taskDone()`. */
  get unfinishedTasks(): number {
    return this.unfinished;
  }

  /** Add an item, waiting while the queue is full. */
  put(item: T): Operation<void> {
    return new PutOp(this, item);
  }

  /** Take the oldest item, waiting while the queue is empty. */
  get(): Operation<T> {
    return new GetOp(this);
  }

  /** Mark one item taken with `get()` as processed. */
  taskDone(): void {
    if (this.unfinished === 0) throw new Error(`${this.name}: taskDone() called more times than items were put`);
    this.finished(1);
  }

  private finished(n: number): void {
    this.unfinished -= n;
    if (this.unfinished === 0) {
      for (let w = this.joiners.shift(); w !== null; w = this.joiners.shift()) deliver(w, undefined);
    }
  }

  /** @internal */
  shutDownForPut(): QueueShutDownError {
    return new QueueShutDownError(`put on ${this.name}, which was shut down`);
  }

  /** @internal */
  shutDownForGet(): QueueShutDownError {
    return new QueueShutDownError(`get on ${this.name}: it was shut down and is empty`);
  }

  /**
   * Stop the queue: later `put`s throw {@link QueueShutDownError}, and
   * `get`s take what is left, then throw it. With `immediate`, what is left
   * is dropped too (and counted as done, so `join` returns once the items
   * already taken are done). Tasks parked in `put` or `get` are woken with
   * the error; loops over the queue end. Calling it again does nothing,
   * unless `immediate` drops what a first call left.
   *
   * @example
   * inbox.shutdown(); // consumers take what is queued, then their loops end
   */
  shutdown(immediate = false): void {
    if (immediate) {
      const dropped = this.items.clear();
      if (dropped > 0) this.finished(dropped);
    }
    if (this.isShutDown) return;
    this.isShutDown = true;
    for (let n = this.putters.shift(); n !== null; n = this.putters.shift()) {
      n._val = undefined;
      deliverThrow(n, this.shutDownForPut());
    }
    // Getters wait only on an empty queue: each gets the error now.
    for (let n = this.getters.shift(); n !== null; n = this.getters.shift()) deliverThrow(n, this.shutDownForGet());
  }

  /** Whether `shutdown()` was called. */
  get shutDown(): boolean {
    return this.isShutDown;
  }

  /** Wait until every item put has been marked done. */
  join(): Operation<void> {
    return new QueueJoinOp(this);
  }

  /**
   * Take items from plain async code, outside any task (see the class notes).
   *
   * @example
   * for await (const msg of inbox) { console.log(msg); inbox.taskDone(); }
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<T, undefined, undefined> {
    this.outside ??= new OutsideSource<T>(this.getters, this.putters, () => {
      const r = this.poll();
      return r.ok ? { ok: true, value: r.value as T } : { ok: false, ended: this.isShutDown };
    });
    return new OutsideIterator<T>(this.outside);
  }

  /**
   * The queue as a {@link Stream} for tasks (what `each(q)` uses): each
   * `next()` is a `get()`; it ends once the queue is shut down and empty.
   *
   * @example
   * const s = inbox[STREAM]();
   * const { value } = yield* s.next();
   */
  [STREAM](): Stream<T> {
    return new QueueStream(this);
  }

  /** @internal Accept an item now if a getter waits or there is room. */
  offer(item: T): boolean {
    if (this.isShutDown) throw this.shutDownForPut();
    const g = this.getters.shift();
    if (g !== null) {
      this.unfinished++;
      deliver(g, item);
      return true;
    }
    if (this.size < this.maxSize) {
      this.unfinished++;
      this.items.push(item);
      return true;
    }
    return false;
  }

  /** @internal Take an item now, refilling from a parked putter. */
  poll(): { ok: boolean; value: T | undefined } {
    if (this.items.length === 0) return { ok: false, value: undefined };
    const v = this.items.shift();
    const p = this.putters.shift();
    if (p !== null) {
      this.unfinished++;
      this.items.push(p._val as T);
      p._val = undefined;
      deliver(p, undefined);
    }
    return { ok: true, value: v };
  }

  /** @internal */
  get allDone(): boolean {
    return this.unfinished === 0;
  }
}

class PutOp<T> extends Op<void> {
  constructor(
    private readonly q: Queue<T>,
    private readonly item: T,
  ) {
    super();
  }
  protected begin(): IteratorResult<Instruction, void> {
    if (this.q.offer(this.item)) return this.ok(undefined);
    const me = currentTask("put");
    me._val = this.item;
    this.q.putters.push(me);
    return this.wait(this.q.putters);
  }
  protected clone(): Op<void> {
    return new PutOp(this.q, this.item);
  }
  protected override resumed(): void {}
}

class GetOp<T> extends Op<T> {
  constructor(private readonly q: Queue<T>) {
    super();
  }
  protected begin(): IteratorResult<Instruction, T> {
    const r = this.q.poll();
    if (r.ok) return this.ok(r.value as T);
    if (this.q.shutDown) throw this.q.shutDownForGet();
    const me = currentTask("get");
    this.q.getters.push(me);
    return this.wait(this.q.getters);
  }
  protected clone(): Op<T> {
    return new GetOp(this.q);
  }
}

class QueueJoinOp extends Op<void> {
  constructor(private readonly q: Queue<unknown>) {
    super();
  }
  protected begin(): IteratorResult<Instruction, void> {
    if (this.q.allDone) return this.ok(undefined);
    const me = currentTask("Queue.join");
    this.q.joiners.push(me);
    return this.wait(this.q.joiners);
  }
  protected clone(): Op<void> {
    return new QueueJoinOp(this.q);
  }
  protected override resumed(): void {}
}

/** `q[STREAM]()`: gets as a {@link Stream}. */
class QueueStream<T> implements Stream<T> {
  constructor(private readonly q: Queue<T>) {}
  next(): Op<IteratorResult<T, undefined>> {
    return new StreamGetOp(this.q);
  }
}

class StreamGetOp<T> extends Op<IteratorResult<T, undefined>> {
  constructor(private readonly q: Queue<T>) {
    super();
  }
  protected begin(): IteratorResult<Instruction, IteratorResult<T, undefined>> {
    const r = this.q.poll();
    if (r.ok) return this.ok({ done: false, value: r.value as T });
    if (this.q.shutDown) return this.ok(STREAM_DONE);
    this.q.getters.push(currentTask("next"));
    return this.wait(this.q.getters);
  }
  protected clone(): Op<IteratorResult<T, undefined>> {
    return new StreamGetOp(this.q);
  }
  protected override resumed(v: unknown): IteratorResult<T, undefined> {
    return { done: false, value: v as T };
  }
  override throw(e: unknown): IteratorResult<Instruction, IteratorResult<T, undefined>> {
    // Shut down while parked: the queue was empty, so the stream has ended.
    if (e instanceof QueueShutDownError && this.q.shutDown) return { done: true, value: STREAM_DONE };
    throw e;
  }
}
