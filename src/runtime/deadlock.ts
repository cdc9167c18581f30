/**
 * Deadlock: the run loop found no ready task, no armed timer and no
 * external wait, so no live task can ever be woken. The root fails with a
 * DeadlockError listing what each task waits on, and every stuck task is
 * cancelled so that its `finally` blocks run; if that cleanup deadlocks
 * too, the run is given up without running the remaining tasks.
 */
import { TaskFlag, TaskState } from "./constants.js";
import { publishEnd, taskEndChannel } from "./diagnostics.js";
import { runEnded } from "./dump.js";
import { DeadlockError, addSuppressed, type StuckTask } from "./errors.js";
import { TaskTree, noop } from "./task-tree.js";
import type { Task } from "./task.js";
import { Waiter } from "./waiter.js";

export abstract class DeadlockGuard extends TaskTree {
  /** Set after the first deadlock: every stuck task was cancelled to let it clean up. */
  private deadlocked = false;

  /** Called by the loop when nothing can wake any live task. */
  protected deadlock(): void {
    const stuck: StuckTask[] = [];
    const parked: Task[] = [];
    for (const t of liveTaskList(this.root)) {
      if (t._state === TaskState.Parked) {
        parked.push(t);
        stuck.push({ name: t.name, waitingOn: t._wait!.describe(t) });
      } else if (t._state === TaskState.Finishing) {
        stuck.push({ name: t.name, waitingOn: `its ${t.childCount()} children to finish` });
      }
    }
    const err = new DeadlockError(stuck);
    const root = this.root!;
    if (this.deadlocked) {
      this.abort(err);
      return;
    }
    this.deadlocked = true;
    // Fail the root with the report, and cancel every stuck task so that its
    // finally blocks run.
    if (root._state === TaskState.Finishing) {
      if (root._mode !== TaskState.Failed) {
        root._mode = TaskState.Failed;
        root._val = err;
      } else addSuppressed(root._val, err);
    } else {
      if ((root._flags & TaskFlag.ErrPending) !== 0) addSuppressed(root._x!.pendingErr, err);
      else {
        root._flags |= TaskFlag.ErrPending;
        root.ext().pendingErr = err;
      }
    }
    for (const t of parked) this.cancel(t, err);
  }

  /** Cleanup deadlocked too: give up on the remaining tasks without running them. */
  private abort(err: DeadlockError): void {
    const root = this.root!;
    for (const t of liveTaskList(root)) {
      if (t._state === TaskState.Parked) this.abandonPark(t);
      t._gen = null;
      t._state = t === root ? TaskState.Failed : TaskState.Cancelled;
      t._val = t === root ? (root._mode === TaskState.Failed && root._state === TaskState.Finishing ? root._val : err) : undefined;
      if (t._slot >= 0) this.dropSlot(t);
      if (taskEndChannel.hasSubscribers) publishEnd(t, t._state, t._val);
      const joiners = t._x === null ? null : t._x.joiners;
      if (joiners !== null) {
        for (let n = joiners.shift(); n !== null; n = joiners.shift()) {
          if (n instanceof Waiter) n.fire(true, t);
          else (n as Task)._sched.wakeThrow(n as Task, t.failure());
        }
      }
      const x = t._x;
      if (x !== null && x.settle !== null) {
        if (t !== root) x.promise!.catch(noop);
        x.settle(false, t.failure());
        x.settle = null;
      }
    }
    this.live = 0;
    this.external = 0;
    this.armed = 0;
    this.runHead = this.runTail = null; // joiners woken above are done too
    this.stopWakeTimer();
    runEnded(this);
  }
}

/** Every task of the run not done yet, in spawn order: the root and its descendants. */
function liveTaskList(root: Task | null): Task[] {
  const out: Task[] = [];
  if (root !== null && root._state < TaskState.Completed) out.push(root);
  // Breadth first over `out` itself: no recursion, however deep the tree.
  for (let i = 0; i < out.length; i++) {
    const x = out[i]!._x;
    if (x !== null) for (let c = x.firstChild; c !== null; c = c._nextSib) out.push(c);
  }
  return out.sort((a, b) => a.id - b.id);
}
