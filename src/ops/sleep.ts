/**
 * `sleep` and `yieldNow`: a park with nothing but a deadline, and a turn
 * given to the other ready tasks.
 */
import { currentTask } from "../runtime/current.js";
import { YIELD, result } from "../runtime/instruction.js";
import { parkFor } from "../runtime/kernel.js";
import { Op } from "../runtime/op.js";
import { Suspend } from "../runtime/suspend.js";
import type { Instruction, Operation } from "../runtime/types.js";

/** Park with nothing but a deadline (or none: then only cancellation ends it). */
class SleepSuspend extends Suspend {
  constructor(private readonly what: string) {
    super();
  }
  abandon(): void {}
  describe(): string {
    return this.what;
  }
}
const SLEEP = new SleepSuspend("sleep");
const SLEEP_FOREVER = new SleepSuspend("sleep(Infinity): only cancellation ends it");

class SleepOp extends Op<void> {
  constructor(private readonly ms: number) {
    super();
  }
  protected begin(): IteratorResult<Instruction, void> {
    const me = currentTask("sleep");
    if (this.ms === 0) return result(false, YIELD);
    if (this.ms === Infinity) return this.wait(SLEEP_FOREVER);
    parkFor(me, this.ms);
    return this.wait(SLEEP);
  }
  protected clone(): Op<void> {
    return new SleepOp(this.ms);
  }
  protected override resumed(): void {}
}

/**
 * Suspend the current task for `ms` milliseconds of the run's clock. Other
 * tasks run meanwhile. `sleep(0)` is `yieldNow()`; `sleep(Infinity)` waits
 * until the task is cancelled. Deadlines have whole-millisecond resolution
 * (rounded up, never early).
 *
 * @example
 * yield* sleep(100);
 */
export function sleep(ms: number): Operation<void> {
  if (typeof ms !== "number" || Number.isNaN(ms) || ms < 0) {
    throw new RangeError(`sleep(ms): ms must be a number >= 0, got ${String(ms)}`);
  }
  return new SleepOp(ms);
}

/**
 * Stateless and shared: its first step (called with undefined) yields, and
 * the driver resumes the yielded task with RESUMED, which ends it. It returns
 * the shared IteratorResult like every built-in operation, so the driver's
 * reads of `done` and `value` see one hidden class fewer.
 */
const YIELD_NOW: Operation<void> & Iterator<Instruction, void, unknown> = {
  [Symbol.iterator]() {
    return YIELD_NOW;
  },
  next(v?: unknown) {
    // Told apart with a test for undefined, which V8 compiles to one compare
    // (`v === RESUMED`, a symbol against undefined, calls its generic equality builtin).
    return v === undefined ? result<void>(false, YIELD) : result<void>(true, undefined);
  },
  throw(e: unknown): never {
    throw e;
  },
  return(v?: unknown) {
    return { done: true, value: v as void };
  },
};

/**
 * Let every other ready task run once, then continue (gevent's `sleep(0)`):
 * the current task goes to the back of the run queue.
 *
 * @example
 * for (const item of bigList) { work(item); yield* yieldNow(); }
 */
export function yieldNow(): Operation<void> {
  return YIELD_NOW;
}
