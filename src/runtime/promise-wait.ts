/**
 * Promise interop: a task parks until a Promise settles (`call`, and joining
 * a task of another run). Such a park counts as external: the virtual clock
 * stays still and no deadlock is declared while it lasts.
 */
import { Suspend } from "./suspend.js";
import type { Task } from "./task.js";

/** A park on a Promise. */
class PromiseSuspend extends Suspend {
  override external = true;
  constructor(private readonly task: Task) {
    super();
  }
  settle(ok: boolean, v: unknown): void {
    const t = this.task;
    if (t._wait !== this) return; // the wait was abandoned (cancelled, timed out)
    if (ok) t._sched.wake(t, v);
    else t._sched.wakeThrow(t, v);
  }
  abandon(): void {}
  describe(): string {
    return "a Promise";
  }
}

/** Register `t` to be woken when `promise` settles; returns the Suspend to park on. */
export function awaitPromise(t: Task, promise: PromiseLike<unknown>): Suspend {
  const w = new PromiseSuspend(t);
  promise.then(
    (v) => w.settle(true, v),
    (e) => w.settle(false, e),
  );
  return w;
}
