/**
 * Waiters that are not tasks, and the hand-over to a node taken off a wait
 * list: wake it when it is a task, fire it when it is a Waiter.
 */
import type { WaitNode } from "./suspend.js";
import { Task } from "./task.js";

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

/**
 * Hand `value` to a waiter taken off a list: wake its task, or fire it. Asks
 * `instanceof Task` first: a task's prototype chain meets Task at its first
 * link, while `instanceof Waiter` would walk all of it before saying no.
 */
export function deliver(node: WaitNode, value: unknown): void {
  if (node instanceof Task) node._sched.wake(node, value);
  else (node as Waiter).fire(true, value);
}

/** Throw `error` at a waiter taken off a list. */
export function deliverThrow(node: WaitNode, error: unknown): void {
  if (node instanceof Task) node._sched.wakeThrow(node, error);
  else (node as Waiter).fire(false, error);
}
