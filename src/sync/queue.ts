/** Queue: a FIFO queue between tasks, bounded or not, with JoinableQueue counting. */
import { currentTask } from "../runtime/current.js";
import { Op } from "../runtime/op.js";
import { STREAM, type Stream } from "../runtime/stream.js";
import { Fifo } from "./fifo.js";
import { OutsideIterator, OutsideSource } from "./outside-iterator.js";
import { WaitList } from "../runtime/suspend.js";
import type { Instruction, Operation } from "../runtime/types.js";
import { deliver } from "../runtime/waiter.js";

let queueIds = 0;

/**
 * A FIFO queue between tasks with an optional bound, and gevent's
 * JoinableQueue counting: every `put` adds an unfinished item, `taskDone()`
 * marks one finished, and `join()` waits until none is left.
 *
 * **Iteration.** A queue has no end: `for (const job of yield* each(q))`
 * in a task, or `for await (const job of q)` from plain async code, takes
 * items until the loop breaks (a `break` leaves the rest in the queue).
 * Iterating does not call `taskDone()`: call it per item as with `get()`.
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
    if (--this.unfinished === 0) {
      for (let n = this.joiners.shift(); n !== null; n = this.joiners.shift()) deliver(n, undefined);
    }
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
      return r.ok ? { ok: true, value: r.value as T } : { ok: false, ended: false };
    });
    return new OutsideIterator<T>(this.outside);
  }

  /**
   * The queue as a {@link Stream} for tasks (what `each(q)` uses): each
   * `next()` is a `get()`; it never ends by itself.
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
    this.q.getters.push(currentTask("next"));
    return this.wait(this.q.getters);
  }
  protected clone(): Op<IteratorResult<T, undefined>> {
    return new StreamGetOp(this.q);
  }
  protected override resumed(v: unknown): IteratorResult<T, undefined> {
    return { done: false, value: v as T };
  }
}
