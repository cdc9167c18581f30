/**
 * What a task owns: resources (a listener, a connection) that are closed
 * when the task ends, unless released first. Each task's owned resources
 * form a doubly linked list of Owned nodes whose tail is in its TaskExtra,
 * so that releasing one (the user closed it) is O(1) and the end of the task
 * closes them newest first. A task that owns nothing pays one null check at
 * its end (task-tree.ts `completeOne`).
 */
import { TaskState } from "./constants.js";
import { addSuppressed } from "./errors.js";
import type { Closable, OwnedNode, Task } from "./task.js";

export type { Closable };

/** One resource in its owner's list. `task` is null once it is released, or closed by the owner's end. */
export class Owned implements OwnedNode {
  task: Task | null;
  prev: OwnedNode | null;
  next: OwnedNode | null = null;
  constructor(
    task: Task,
    readonly res: Closable,
  ) {
    this.task = task;
    const x = task.ext();
    this.prev = x.owned;
    if (x.owned !== null) x.owned.next = this;
    x.owned = this;
  }
}

/** Take `h` off its owner's list (nothing if it is off already). */
export function unlinkOwned(h: OwnedNode): void {
  const t = h.task;
  if (t === null) return;
  h.task = null;
  const { prev, next } = h;
  if (prev !== null) prev.next = next;
  if (next !== null) next.prev = prev;
  else t._x!.owned = prev;
  h.prev = h.next = null;
}

/**
 * `t` is done (its body and its children have ended): close what it still
 * owns, newest first, or hand it to its parent if `t` completed and passes
 * what it owns on (a combinator's helper task: see kernel.ts `passOwnership`).
 * A close that throws is treated like an error thrown by a `finally` block
 * of the task: the task fails with it (if it had failed already, the error
 * is added to its `suppressed` list). The outcome is read from and written
 * to `_mode`/`_val`, as `bodyDone` left them.
 */
export function endOwnership(t: Task): void {
  const x = t._x!;
  const p = t._parent;
  if (x.passOwned && p !== null && t._mode === TaskState.Completed) {
    for (let h = firstOf(x.owned); h !== null; ) {
      const next = h.next;
      unlinkOwned(h);
      adopt(p, h);
      h = next;
    }
    return;
  }
  for (let h = x.owned; h !== null; h = x.owned) {
    unlinkOwned(h);
    try {
      h.res.close();
    } catch (e) {
      if (t._mode === TaskState.Failed) addSuppressed(t._val, e);
      else {
        t._mode = TaskState.Failed;
        t._val = e;
      }
    }
  }
}

function firstOf(h: OwnedNode | null): OwnedNode | null {
  if (h === null) return null;
  while (h.prev !== null) h = h.prev;
  return h;
}

/** Put the node `h` (off any list) at the tail of `t`'s list. */
function adopt(t: Task, h: OwnedNode): void {
  const x = t.ext();
  h.task = t;
  h.prev = x.owned;
  h.next = null;
  if (x.owned !== null) x.owned.next = h;
  x.owned = h;
}
