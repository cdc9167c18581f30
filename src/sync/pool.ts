/** Pool: a bounded group of tasks. */
import { currentTask } from "../runtime/current.js";
import { scope, spawnChild, watchDone } from "../runtime/kernel.js";
import { Semaphore } from "./semaphore.js";
import { WaitList } from "../runtime/suspend.js";
import type { Task } from "../runtime/task.js";
import type { Body, Instruction, Operation } from "../runtime/types.js";
import { Waiter, deliver } from "../runtime/waiter.js";

let poolIds = 0;

/** Frees the pool slot of a task when it is done, however it ended. */
class SlotRelease extends Waiter {
  constructor(private readonly pool: Pool) {
    super();
  }
  fire(): void {
    this.pool.slotDone();
  }
}

/**
 * A bounded group of tasks (gevent's `Pool`): at no moment do more than `size`
 * of its tasks run. `spawn` waits for a free slot, then starts the task as a
 * child of the calling task. A slot is freed when its task is done, after its
 * cleanup.
 *
 * @example
 * const pool = new Pool(10);
 * const pages = yield* pool.map(urls, function* (url) { return yield* fetchPage(url); });
 */
export class Pool {
  readonly size: number;
  readonly name: string;
  private readonly slots: Semaphore;
  private running = 0;
  private readonly idle: WaitList;

  constructor(size: number, name?: string) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`Pool size must be a whole number >= 1, got ${String(size)}`);
    this.size = size;
    this.name = name ?? `Pool#${++poolIds}`;
    this.slots = new Semaphore(size, `${this.name} slots`);
    this.idle = new WaitList(() => `join of ${this.name} (${this.running} active)`);
  }

  /** Tasks of the pool that are not done yet. */
  get active(): number {
    return this.running;
  }

  /** Wait for a free slot, then start `body` as a child of the current task; returns the task. */
  *spawn<T>(body: Body<T>): Generator<Instruction, Task<T>, any> {
    yield* this.slots.acquire();
    const me = currentTask("Pool.spawn");
    let t: Task<T>;
    try {
      t = spawnChild(me, body);
    } catch (e) {
      this.slots.release();
      throw e;
    }
    this.running++;
    watchDone(t, new SlotRelease(this));
    return t;
  }

  /**
   * Apply `fn` to every item with at most `size` running at once; results in
   * input order. The first failure cancels the rest and is thrown.
   */
  map<I, R>(items: Iterable<I>, fn: (item: I, index: number) => Operation<R>): Operation<R[]> {
    const list = Array.from(items);
    const pool = this;
    return scope("Pool.map", function* map() {
      const tasks: Task<R>[] = [];
      for (let i = 0; i < list.length; i++) {
        const item = list[i]!;
        tasks.push(yield* pool.spawn(() => fn(item, i)));
      }
      const out: R[] = [];
      for (const t of tasks) out.push(yield* t);
      return out;
    });
  }

  /** Wait until no task of the pool is running. */
  join(): Operation<void> {
    const pool = this;
    return {
      *[Symbol.iterator]() {
        if (pool.running === 0) return;
        const me = currentTask("Pool.join");
        pool.idle.push(me);
        yield pool.idle;
      },
    };
  }

  /** @internal */
  slotDone(): void {
    this.running--;
    this.slots.release();
    if (this.running === 0) for (let n = this.idle.shift(); n !== null; n = this.idle.shift()) deliver(n, undefined);
  }
}
