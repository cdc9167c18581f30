/** Semaphore: a counting semaphore whose waiters are served in FIFO order. */
import { currentTask } from "../runtime/current.js";
import { wake } from "../runtime/kernel.js";
import { Op } from "../runtime/op.js";
import { WaitList } from "../runtime/suspend.js";
import type { Task } from "../runtime/task.js";
import type { Body, Instruction, Operation } from "../runtime/types.js";

let semaphoreIds = 0;

/**
 * A counting semaphore. `acquire` takes a permit or waits for one, in FIFO
 * order; `release` hands a permit straight to the longest waiter. Releasing
 * more permits than the semaphore was created with throws (a bounded
 * semaphore), since that is always a bug.
 *
 * @example
 * const sem = new Semaphore(10);
 * yield* sem.withPermit(function* () { yield* fetchOne(url); });
 */
export class Semaphore {
  /** Permits it was created with. */
  readonly permits: number;
  readonly name: string;
  private free: number;
  /** @internal */ readonly waiters: WaitList;

  constructor(permits: number, name?: string) {
    if (!Number.isInteger(permits) || permits < 1) {
      throw new RangeError(`Semaphore permits must be a whole number >= 1, got ${String(permits)}`);
    }
    this.permits = permits;
    this.free = permits;
    this.name = name ?? `${this.constructor.name}#${++semaphoreIds}`;
    this.waiters = new WaitList(() => `acquire of ${this.name} (${this.free}/${this.permits} free)`);
  }

  /** Permits free right now. */
  get available(): number {
    return this.free;
  }

  /** Take a permit, waiting while none is free. */
  acquire(): Operation<void> {
    return new AcquireOp(this);
  }

  /** Take a permit if one is free now; true on success. */
  tryAcquire(): boolean {
    if (this.free > 0 && this.waiters.isEmpty()) {
      this.free--;
      return true;
    }
    return false;
  }

  /** Give a permit back: to the longest waiting task if any, else to the pool. */
  release(): void {
    const next = this.waiters.shift() as Task | null;
    if (next !== null) {
      wake(next, undefined);
      return;
    }
    if (this.free === this.permits) {
      throw new Error(`${this.name}: release() without a matching acquire() (all ${this.permits} permits are free)`);
    }
    this.free++;
  }

  /** Run `body` holding a permit; the permit is released however the body ends (even when cancelled). */
  *withPermit<T>(body: Body<T>): Generator<Instruction, T, any> {
    yield* this.acquire();
    try {
      return yield* body();
    } finally {
      this.release();
    }
  }

  /** @internal */
  take(): boolean {
    return this.tryAcquire();
  }
}

class AcquireOp extends Op<void> {
  constructor(private readonly sem: Semaphore) {
    super();
  }
  protected begin(): IteratorResult<Instruction, void> {
    if (this.sem.take()) return this.ok(undefined);
    const me = currentTask("acquire");
    this.sem.waiters.push(me);
    return this.wait(this.sem.waiters);
  }
  protected clone(): Op<void> {
    return new AcquireOp(this.sem);
  }
  protected override resumed(): void {}
}
