/**
 * The time side of a run: its clock, the scheduler core that keeps a timer
 * for every park with a deadline, the table from the core's slots back to
 * tasks, and the one Node timer that wakes the loop for the earliest
 * deadline while no task is ready. The lowest class of the Scheduler (see
 * scheduler.ts for the chain).
 */
import { type Clock, RealClock, VirtualClock } from "./clock.js";
import { createCore } from "../core/backend.js";
import type { SchedulerCore } from "../core/scheduler-core.js";
import type { Task } from "./task.js";
import type { RunOptions } from "./types.js";

export abstract class RunTimers {
  readonly core: SchedulerCore;
  readonly clock: Clock;
  /**
   * Task of each core slot. A task takes a slot only when it first arms a
   * timer (the root at once, so that the Wasm core keeps its instance for the
   * whole run) and keeps it until it is done: most tasks never need one.
   */
  protected readonly tasks: (Task | undefined)[] = [];
  /** Timers armed in the core: the core's own count, kept here too so that each tick reads a field of one class. */
  protected armed = 0;
  /**
   * Deadline (ms) of the park the running task is about to make, set by the
   * operation just before it yields (sleep, withTimeout) and consumed by the
   * driver; Infinity for none. Kept here rather than per task: only the
   * running task can be about to park.
   */
  parkDeadline = Infinity;
  private wakeTimer: NodeJS.Timeout | null = null;
  private wakeAt = Infinity;

  constructor(options: RunOptions) {
    this.core = createCore(options.backend);
    this.clock = options.clock === "virtual" ? new VirtualClock() : new RealClock();
    if (options.clock !== undefined && options.clock !== "real" && options.clock !== "virtual") {
      throw new TypeError(`clock must be "real" or "virtual", got ${JSON.stringify(options.clock)}`);
    }
  }

  /** Drain the run queue (the run loop, scheduler.ts); the wake timer calls it. */
  protected abstract readonly loop: () => void;

  /** Current time of this run's clock, in ms. */
  now(): number {
    return this.clock.now();
  }

  /** Deadline `ms` from now, rounded up to the core's whole-millisecond resolution. */
  deadlineAfter(ms: number): number {
    return Math.ceil(this.clock.now() + ms);
  }

  /** A core slot for `t`, which has none yet: it is about to arm its first timer (or it is the root). */
  protected giveSlot(t: Task): void {
    const slot = this.core.alloc();
    t._slot = slot;
    this.tasks[slot] = t;
  }

  /** Give `t`'s slot back to the core: it is done. */
  protected dropSlot(t: Task): void {
    this.core.release(t._slot);
    this.tasks[t._slot] = undefined;
    t._slot = -1;
  }

  /** Have the loop run again at `at` (ms of the clock), `wait` ms from now, unless it is already due to run sooner. */
  protected armWakeTimer(at: number, wait: number): void {
    if (this.wakeTimer !== null) {
      if (this.wakeAt <= at) return;
      clearTimeout(this.wakeTimer);
    }
    this.wakeAt = at;
    this.wakeTimer = setTimeout(this.onWakeTimer, Math.max(1, Math.ceil(wait)));
  }

  /** No task is left: drop the wake timer, so that it keeps no process alive. */
  protected stopWakeTimer(): void {
    if (this.wakeTimer !== null) {
      clearTimeout(this.wakeTimer);
      this.wakeTimer = null;
      this.wakeAt = Infinity;
    }
  }

  private readonly onWakeTimer = (): void => {
    this.wakeTimer = null;
    this.wakeAt = Infinity;
    this.loop();
  };
}
