/**
 * The task events tasklet publishes on `node:diagnostics_channel`, for
 * tracers and loggers: `tasklet:task:spawn` and `tasklet:task:end` (named
 * after undici's `undici:request:create` family). The channels are made once,
 * here; the scheduler tests `hasSubscribers` before it builds a message, so
 * nobody listening costs one property read per spawn and per end.
 */
import diagnostics_channel from "node:diagnostics_channel";
import { TaskState, type TaskStateCode } from "./constants.js";
import type { Task } from "./task.js";

/** Published when a task is spawned (a root of `run`, or a child), before its first step. */
export const taskSpawnChannel = diagnostics_channel.channel("tasklet:task:spawn");
/** Published when a task is done (its children too), before its joiners run. */
export const taskEndChannel = diagnostics_channel.channel("tasklet:task:end");

/**
 * The message of `tasklet:task:spawn`.
 *
 * @example
 * import diagnostics_channel from "node:diagnostics_channel";
 * diagnostics_channel.subscribe("tasklet:task:spawn", (m: unknown) => {
 *   const { task, parent } = m as TaskSpawnMessage;
 *   console.log(`spawned ${task.name} under ${parent?.name ?? "(root)"}`);
 * });
 */
export interface TaskSpawnMessage {
  /** The new task; it has not run yet. */
  readonly task: Task;
  /** Its parent; null for the root task of a run. */
  readonly parent: Task | null;
}

/** How a task ended, as `tasklet:task:end` reports it. */
export type TaskOutcome = "returned" | "threw" | "cancelled";

/**
 * The message of `tasklet:task:end`.
 *
 * @example
 * import diagnostics_channel from "node:diagnostics_channel";
 * diagnostics_channel.subscribe("tasklet:task:end", (m: unknown) => {
 *   const { task, outcome, error } = m as TaskEndMessage;
 *   if (outcome === "threw") console.error(`${task.name} failed:`, error);
 * });
 */
export interface TaskEndMessage {
  readonly task: Task;
  readonly outcome: TaskOutcome;
  /** The body's return value, when `outcome` is "returned". */
  readonly value?: unknown;
  /** What the task failed with, when `outcome` is "threw" (its own error or a child's it did not handle). */
  readonly error?: unknown;
}

/** Publish `tasklet:task:spawn` (the caller checked `hasSubscribers`). */
export function publishSpawn(task: Task, parent: Task | null): void {
  taskSpawnChannel.publish({ task, parent } satisfies TaskSpawnMessage);
}

/** Publish `tasklet:task:end` for `task`, done with `outcome` (a final TaskState) and `value` (the caller checked `hasSubscribers`). */
export function publishEnd(task: Task, outcome: TaskStateCode, value: unknown): void {
  const m: TaskEndMessage =
    outcome === TaskState.Completed
      ? { task, outcome: "returned", value }
      : outcome === TaskState.Failed
        ? { task, outcome: "threw", error: value }
        : { task, outcome: "cancelled" };
  taskEndChannel.publish(m);
}
