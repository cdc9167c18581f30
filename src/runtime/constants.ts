/**
 * Numbers with names of the runtime: a task's states, resume modes and
 * flags. Each table is `as const`; `Bits` in task.ts restates them packed
 * for the hot paths, and test/runtime/task-bits.test.ts checks that the two
 * agree.
 */

/** Life cycle of a task. Stored in `Task._state`. */
export const TaskState = {
  /** In the run queue, waiting for its turn. */
  Ready: 0,
  /** Its generator is executing right now. */
  Running: 1,
  /** Suspended on a wait (timer, channel, join, promise, socket...). */
  Parked: 2,
  /** Its body has ended; waiting for its children to finish their cleanup. */
  Finishing: 3,
  /** Done: the body returned a value. */
  Completed: 4,
  /** Done: the body threw, or a child's error was never handled. */
  Failed: 5,
  /** Done: cancelled before its body returned. */
  Cancelled: 6,
} as const;
export type TaskStateCode = (typeof TaskState)[keyof typeof TaskState];

/** Public names of the states, indexed by code. */
export const TASK_STATE_NAMES = ["ready", "running", "parked", "finishing", "completed", "failed", "cancelled"] as const;

/** How the driver resumes a task's generator on its next step. */
export const Resume = {
  /** `gen.next(value)`: the operation it waited on completed with a value. */
  Next: 0,
  /** `gen.throw(error)`: the operation it waited on failed. */
  Throw: 1,
  /** `gen.return()`: cancellation; runs `finally` blocks, skips `catch`. */
  Return: 2,
} as const;

/** Bits of `Task._flags`. */
export const TaskFlag = {
  /** The body function has been called (the generator exists). */
  Started: 1,
  /** Cancellation requested; delivered at the next suspension point. */
  CancelRequested: 2,
  /** The generator is unwinding after `gen.return()`; no further interrupts. */
  Cancelling: 4,
  /** A timer is armed in the core for this task's current park. */
  TimerArmed: 8,
  /** A task joined it when it failed, so the error was delivered, not propagated. */
  Observed: 16,
  /** Root task of a `run`. */
  Root: 32,
  /** The current park counts as an external wait (Promise, I/O). */
  External: 64,
  /** A child's unhandled error waits in `_pendingErr`, to be thrown at the next suspension point. */
  ErrPending: 128,
  /** Its iterator is a plain generator object (the driver calls %GeneratorPrototype%.next directly). */
  Generator: 256,
  /** No name was given: `_name` holds the body function or its name, and `<that or "task">#<id>` is built on first use. */
  AutoName: 512,
  /** `_name` still holds the body function; swapped for the function's name when the task first parks. */
  HoldsBody: 1024,
  /** A racer of `race` whose body is one built-in operation: the wake that completes it decides the race (TaskExtra.race). */
  Racer: 2048,
} as const;
