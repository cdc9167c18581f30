/**
 * Async iteration of a Channel or a Queue from plain async code, outside
 * any task: `for await (const x of channel)`. No task is needed: each
 * `next()` that finds nothing puts a Waiter (not a task) in the receivers'
 * list, and the sender that hands it a value resolves the Promise. While
 * such an iterator is open, the senders' list is marked external: a task
 * parked in `send` waits for code outside the run, so the run is neither
 * found deadlocked nor its virtual clock moved on while the consumer is
 * busy between two `next()`s.
 */
import { ChannelClosedError, QueueShutDownError } from "../runtime/errors.js";
import { STREAM_DONE } from "../runtime/stream.js";
import type { WaitList } from "../runtime/suspend.js";
import { Waiter } from "../runtime/waiter.js";

/** One pending `next()`: a waiter in the receivers' list that settles a Promise. */
class NextWaiter<T> extends Waiter {
  resolve!: (r: IteratorResult<T, undefined>) => void;
  reject!: (e: unknown) => void;
  readonly promise: Promise<IteratorResult<T, undefined>>;
  constructor(private readonly owner: OutsideIterator<T>) {
    super();
    this.promise = new Promise((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
  }
  fire(ok: boolean, value: unknown): void {
    this.owner.settled(this);
    if (ok) this.resolve({ done: false, value: value as T });
    else if (value instanceof ChannelClosedError || value instanceof QueueShutDownError) {
      // Closed (shut down) while waiting: nothing was buffered, so it has ended.
      this.owner.finish();
      this.resolve(STREAM_DONE);
    } else this.reject(value);
  }
}

/** A value taken now, or none and whether the source has ended (closed or shut down, and drained). */
export type OutsidePoll<T> = { ok: true; value: T } | { ok: false; ended: boolean };

/** What the iterators of one Channel or Queue share: its lists, how to take a value now, and how many are open. */
export class OutsideSource<T> {
  /** Iterators open now. */
  outsideOpen = 0;
  constructor(
    /** Where receivers wait. */
    readonly recvList: WaitList,
    /** Where senders wait (marked external while an iterator is open). */
    readonly sendList: WaitList,
    /** Take a value now. */
    readonly pollOutside: () => OutsidePoll<T>,
  ) {}
}

/**
 * The async iterator of a Channel or a Queue. `next()` takes a value at
 * once if one is there, else waits for one; it ends when the source is
 * closed and drained. `return()` (a `break`) withdraws every pending
 * `next()` from the receivers' list first, so no value is taken for an
 * iterator that is gone: it stays in the source for the next receiver.
 */
export class OutsideIterator<T> implements AsyncIterableIterator<T, undefined, undefined> {
  private readonly pending = new Set<NextWaiter<T>>();
  private open = true;

  constructor(private readonly src: OutsideSource<T>) {
    src.outsideOpen++;
    src.sendList.external = true;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<T, undefined>> {
    if (!this.open) return Promise.resolve(STREAM_DONE);
    // Earlier next() calls still waiting go first: this one queues behind them.
    if (this.pending.size === 0) {
      const r = this.src.pollOutside();
      if (r.ok) return Promise.resolve({ done: false, value: r.value });
      if (r.ended) {
        this.finish();
        return Promise.resolve(STREAM_DONE);
      }
    }
    const w = new NextWaiter<T>(this);
    this.pending.add(w);
    this.src.recvList.push(w);
    return w.promise;
  }

  return(): Promise<IteratorResult<T, undefined>> {
    const list = this.src.recvList;
    for (const w of this.pending) {
      if (list.holds(w)) list.remove(w);
      w.resolve(STREAM_DONE);
    }
    this.pending.clear();
    this.finish();
    return Promise.resolve(STREAM_DONE);
  }

  /** @internal A waiter was taken off the list. */
  settled(w: NextWaiter<T>): void {
    this.pending.delete(w);
  }

  /** @internal Stop counting as an outside consumer. */
  finish(): void {
    if (!this.open) return;
    this.open = false;
    const src = this.src;
    if (--src.outsideOpen === 0) src.sendList.external = false;
  }
}
