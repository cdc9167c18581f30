/** Base class of every error tasklet throws on its own account. */
export class TaskletError extends Error {
  override name = "TaskletError";
}

/**
 * Thrown by `withTimeout` when its time runs out (the body was cancelled and
 * its `finally` blocks have run by the time you see this).
 */
export class TimeoutError extends TaskletError {
  override name = "TimeoutError";
  /** The limit that was exceeded, in milliseconds. */
  readonly ms: number;
  constructor(message: string, ms: number) {
    super(message);
    this.ms = ms;
  }
}

/** Thrown when joining (or awaiting) a task that was cancelled. */
export class CancelledError extends TaskletError {
  override name = "CancelledError";
  /** The reason given to `task.cancel(reason)`, if any. */
  readonly reason: unknown;
  constructor(message: string, reason?: unknown) {
    super(message);
    this.reason = reason;
  }
}

/** Thrown by `send` on a closed channel, and by `recv` once a closed channel is drained. */
export class ChannelClosedError extends TaskletError {
  override name = "ChannelClosedError";
}

/** One task that could never be woken, as listed by a {@link DeadlockError}. */
export interface StuckTask {
  /** The task's name. */
  readonly name: string;
  /** What it waits on, e.g. `recv on Channel#3 (unbuffered)`. */
  readonly waitingOn: string;
}

/**
 * The root of a `run` fails with this when every task is parked on something
 * nothing can ever wake: no timer, no I/O, no pending Promise.
 */
export class DeadlockError extends TaskletError {
  override name = "DeadlockError";
  /** The tasks that were stuck, with what each waited on. */
  readonly stuck: readonly StuckTask[];
  constructor(stuck: readonly StuckTask[]) {
    const lines = stuck.map((s) => `  ${s.name}: ${s.waitingOn}`).join("\n");
    super(`deadlock: all ${stuck.length} live task(s) wait on something nothing can wake:\n${lines}`);
    this.stuck = stuck;
  }
}

/** Attach an error that arrived while another was already on its way. Nothing is dropped. */
export function addSuppressed(primary: unknown, extra: unknown): void {
  if (primary === null || typeof primary !== "object") return;
  const holder = primary as { suppressed?: unknown[] };
  if (!Array.isArray(holder.suppressed)) {
    Object.defineProperty(holder, "suppressed", { value: [], enumerable: false, writable: true, configurable: true });
  }
  holder.suppressed!.push(extra);
}
