/** The errors tasklet throws on its own account, and how a second error is attached to a first. */

/**
 * Base class of every error tasklet throws on its own account.
 *
 * @example
 * try { yield* work(); } catch (e) { if (e instanceof TaskletError) console.log(e.name, e.message); }
 */
export class TaskletError extends Error {
  override name = "TaskletError";
}

/**
 * Thrown by `withTimeout` when its time runs out (the body was cancelled and
 * its `finally` blocks have run by the time you see this).
 *
 * @example
 * try { yield* withTimeout(100, slowOp()); } catch (e) { if (e instanceof TimeoutError) console.log(`gave up after ${e.ms} ms`); }
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

/**
 * Thrown when joining (or awaiting) a task that was cancelled.
 *
 * @example
 * worker.cancel("shutdown");
 * try { yield* worker; } catch (e) { if (e instanceof CancelledError) console.log(e.reason); } // "shutdown"
 */
export class CancelledError extends TaskletError {
  override name = "CancelledError";
  /** The reason given to `task.cancel(reason)`, if any. */
  readonly reason: unknown;
  constructor(message: string, reason?: unknown) {
    super(message);
    this.reason = reason;
  }
}

/**
 * Thrown by `send` on a closed channel, and by `recv` once a closed channel is drained.
 *
 * @example
 * try { for (;;) handle(yield* jobs.recv()); } catch (e) { if (!(e instanceof ChannelClosedError)) throw e; }
 */
export class ChannelClosedError extends TaskletError {
  override name = "ChannelClosedError";
}

/**
 * Thrown by `put` on a queue that was shut down, and by `get` once a
 * shut-down queue is empty (Python's `QueueShutDown`).
 *
 * @example
 * try { for (;;) console.log(yield* inbox.get()); } catch (e) { if (!(e instanceof QueueShutDownError)) throw e; }
 */
export class QueueShutDownError extends TaskletError {
  override name = "QueueShutDownError";
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
 *
 * @example
 * run(function* () { yield* new Channel().recv(); }).catch((e) => {
 *   if (e instanceof DeadlockError) console.log(e.stuck); // [{ name, waitingOn }]
 * });
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
