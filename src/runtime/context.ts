/**
 * The async context of a task (RunOptions.asyncContext): the stores of every
 * `AsyncLocalStorage`, captured when the task is spawned and entered around
 * each of its steps, so that a task sees the values of the code that spawned
 * it, and a value it sets with `enterWith` stays with it and the children it
 * spawns afterwards, never leaking into the next task of the tick.
 *
 * Node keeps the context in one of two ways, and a probe tells which:
 * - async_hooks (Node 20 and 22): a store lives on the current resource, so
 *   `enterWith` inside `resource.runInAsyncScope` writes to the task's own
 *   resource, which keeps it for the task's next steps;
 * - AsyncContextFrame (Node 24 and later): the context is an immutable frame
 *   that `runInAsyncScope` enters and leaves, so what a step set is lost when
 *   it ends; the scheduler captures the frame anew after each step
 *   (`recaptureAfterStep`), as an `await` captures it for its continuation.
 */
import { AsyncLocalStorage, AsyncResource } from "node:async_hooks";

/** The captured context of a task: its steps run in `ctx.runInAsyncScope(...)`. */
export type TaskContext = AsyncResource;

const RESOURCE_TYPE = "tasklet.Task";

/** The context now: the one a task spawned now should run in. */
export function captureContext(): TaskContext {
  return new AsyncResource(RESOURCE_TYPE);
}

/** The context at the end of a step of the task that ran in `prev`, with the same trigger id. */
export function recaptureContext(prev: TaskContext): TaskContext {
  return new AsyncResource(RESOURCE_TYPE, prev.triggerAsyncId());
}

let recapture: boolean | undefined;

/**
 * Whether what a step sets with `enterWith` is lost when the step ends
 * (AsyncContextFrame), so that the context must be captured after each
 * step. Probed once, on first use: Node's implementation, not its version,
 * decides (Node 22 has both, behind a flag).
 */
export function recaptureAfterStep(): boolean {
  if (recapture === undefined) {
    const probe = new AsyncLocalStorage<boolean>();
    const r = new AsyncResource("tasklet.probe");
    r.runInAsyncScope(() => probe.enterWith(true));
    recapture = r.runInAsyncScope(() => probe.getStore()) !== true;
    probe.disable();
  }
  return recapture;
}
