import type { Scheduler } from "./scheduler.js";
import type { WaitNode } from "./suspend.js";
import type { Task } from "./task.js";

/**
 * A waiter that is not a task: `select` registers one per case (a task can
 * sit in only one list by itself), and `Pool` watches its tasks' completion
 * with one. `fire` is called by whoever takes it off its list.
 */
export abstract class Waiter implements WaitNode {
  _wnext: WaitNode | null = null;
  _wprev: WaitNode | null = null;
  _val: unknown = undefined;
  abstract fire(ok: boolean, value: unknown): void;
}

/** Hand `value` to a waiter taken off a list: wake its task, or fire it. */
export function deliver(node: WaitNode, value: unknown): void {
  if (node instanceof Waiter) node.fire(true, value);
  else {
    const t = node as Task;
    (t._sched as Scheduler).wake(t, value);
  }
}

/** Throw `error` at a waiter taken off a list. */
export function deliverThrow(node: WaitNode, error: unknown): void {
  if (node instanceof Waiter) node.fire(false, error);
  else {
    const t = node as Task;
    (t._sched as Scheduler).wakeThrow(t, error);
  }
}
