/**
 * The tree of tasks of a run: spawning (a child is linked under its parent),
 * cancellation, and the end of a task. A task whose body has ended waits for
 * its children (they are cancelled), then completes; its outcome goes to its
 * joiners, and an error nobody joined goes to its parent, whose other
 * children are cancelled before the error is thrown into it (structured
 * concurrency, as in Trio's nurseries).
 */
import { describeValue } from "../config/options.js";
import { Resume, TaskFlag, TaskState, type TaskStateCode } from "./constants.js";
import { addSuppressed } from "./errors.js";
import { BirthLog } from "./birth-log.js";
import { publishEnd, publishSpawn, taskEndChannel, taskSpawnChannel } from "./diagnostics.js";
import { type DumpableRun, recordSpawnSite, runEnded, runStarted } from "./dump.js";
import { endOwnership } from "./owned.js";
import { ReadyQueue } from "./ready-queue.js";
import { Suspend } from "./suspend.js";
import { Bits, Task, nextTaskId, type TaskLabel, type TaskScheduler } from "./task.js";
import type { Body, Instruction, Operation } from "./types.js";
import { Waiter } from "./waiter.js";

const ERR_PENDING = TaskFlag.ErrPending;

export abstract class TaskTree extends ReadyQueue implements TaskScheduler, DumpableRun {
  protected root: Task | null = null;
  /** `run(..., { traceSpawns: true })`: record each spawn's stack for task dumps. */
  protected traceSpawns = false;
  /** When the run's tasks were born (for task dumps): noted by the loop, see `noteBirths`. */
  private readonly births = new BirthLog();
  /** The first task id not yet covered by a note of `births`. */
  protected idMark = 0;

  // The rest of what tasks ask of their run, implemented by the loop (scheduler.ts).
  abstract atTickEnd(fn: () => void): void;
  abstract joinOp<T>(target: Task<T>): Operation<T> & Iterator<Instruction, T, unknown>;
  abstract readonly asyncContext: boolean;

  spawnRoot<T>(body: Body<T>, name: string | undefined): Task<T> {
    const t = this.spawn(body, null, name);
    t._flags |= TaskFlag.Root;
    this.root = t;
    this.giveSlot(t);
    runStarted(this);
    void t.promise(); // created now, so a failure nobody awaits is an unhandled rejection, not silence
    return t;
  }

  spawn<T>(body: Body<T>, parent: Task | null, name: string | undefined): Task<T> {
    if (typeof body !== "function") {
      throw new TypeError(`spawn() expects a generator function (function* () {...}), got ${describeValue(body)}`);
    }
    this.checkParent(parent);
    return this.adopt(new Task<T>(this, body, parent, name), parent);
  }

  /**
   * @internal Spawn a task whose generator exists already: the runtime's own
   * per-connection tasks, which so cost no body closure. The task counts as
   * started (cancelled before its first step, it runs to its first
   * suspension point and is cancelled there, so its `finally` blocks run);
   * its name is `${base}#${id}`, built when first read.
   */
  spawnGenerator<T>(gen: Generator<Instruction, T, unknown>, parent: Task, base: TaskLabel): Task<T> {
    this.checkParent(parent);
    // A label object stays in `_name` until the name is first read: the name getter's template string calls its toString().
    const t = new Task<T>(this, gen as unknown as Body<T>, parent, base as string);
    t._gen = gen;
    t._bits = Bits.AutoName | Bits.Started | Bits.Generator; // Ready, Resume.Next
    return this.adopt(t, parent);
  }

  private checkParent(parent: Task | null): void {
    if (parent !== null && parent._state === TaskState.Finishing) {
      throw new Error(`task ${parent.name} has finished its body and cannot spawn children`);
    }
  }

  /** Link a new task under its parent and queue its first step. */
  private adopt<T>(t: Task<T>, parent: Task | null): Task<T> {
    if (parent !== null) {
      const px = parent.ext();
      const last = px.lastChild;
      t._prevSib = last;
      if (last === null) px.firstChild = t as Task;
      else last._nextSib = t as Task;
      px.lastChild = t as Task;
      px.nchildren++;
    }
    this.live++;
    this.enqueue(t as Task);
    if (this.running === false) this.schedule();
    if (taskSpawnChannel.hasSubscribers) publishSpawn(t as Task, parent);
    if (this.traceSpawns === true) recordSpawnSite(t as Task);
    // A scope that is failing (a child's error waits to be thrown into
    // `parent`) cancelled its children when the error arrived; one spawned
    // since is cancelled at birth, as in a cancelled Trio nursery: its body
    // never starts, and the parent settles with the first error instead of
    // waiting for a child nobody will ever cancel.
    if (parent !== null && (parent._bits & Bits.ErrPending) !== 0) this.cancel(t as Task, undefined);
    return t;
  }

  /** Note that the tasks spawned since the last note were first seen now (the loop calls it when `nextTaskId()` moved past `idMark`). */
  protected noteBirths(): void {
    this.births.note(this.idMark, this.clock.now());
    this.idMark = nextTaskId();
  }

  // DumpableRun: what task dumps (dump.ts) read of a run.
  get dumpRoot(): Task | null {
    return this.root;
  }
  get backendName(): string {
    return this.core.backend;
  }
  get clockKind(): "real" | "virtual" {
    return this.clock.kind;
  }
  bornAt(t: Task): number {
    if (nextTaskId() !== this.idMark) this.noteBirths();
    return this.births.bornAt(t.id);
  }

  /** Request the cancellation of `t`: at once when parked, else at its next suspension point (see `Task.cancel`). */
  cancel(t: Task, reason: unknown): void {
    const f = t._flags;
    if (t._state >= TaskState.Finishing || (f & (TaskFlag.Cancelling | TaskFlag.CancelRequested)) !== 0) return;
    if (reason !== undefined) t.ext().reason = reason;
    switch (t._state) {
      case TaskState.Parked:
        this.abandonPark(t);
        t._flags |= TaskFlag.Cancelling;
        t._mode = Resume.Return;
        t._val = undefined;
        this.makeReady(t);
        return;
      case TaskState.Ready:
        if ((f & TaskFlag.Started) === 0) {
          t._flags |= TaskFlag.Cancelling;
          t._mode = Resume.Return; // step() completes it without calling the body
        } else {
          // It already has a result in hand (a value received, a lock acquired):
          // let it take it, and cancel it at its next suspension point.
          t._flags |= TaskFlag.CancelRequested;
        }
        return;
      case TaskState.Running:
        t._flags |= TaskFlag.CancelRequested;
        return;
    }
  }

  /** The body has ended. Children still running are cancelled; the task is done when the last one is. */
  protected bodyDone(t: Task, outcome: TaskStateCode, value: unknown): void {
    t._gen = null;
    t._wait = null;
    if ((t._flags & ERR_PENDING) !== 0) {
      // A child's error that never reached the body: it decides the outcome.
      const pending = takePending(t);
      if (outcome === TaskState.Failed && value !== pending) addSuppressed(pending, value);
      outcome = TaskState.Failed;
      value = pending;
    }
    t._mode = outcome; // while Finishing, _mode/_val hold the outcome to report
    t._val = value;
    if (t.childCount() > 0) {
      t._state = TaskState.Finishing;
      for (let c = t._x!.firstChild; c !== null; c = c._nextSib) this.cancel(c, undefined);
      return;
    }
    this.complete(t);
  }

  /**
   * `t` is done. When it was the last child of a finishing parent, the
   * parent is done too, and so on up: a loop rather than recursion, so that
   * a deep tree of tasks cannot overflow the stack.
   */
  private complete(first: Task): void {
    for (let t: Task | null = first; t !== null; ) t = this.completeOne(t);
    if (this.live === 0) {
      this.stopWakeTimer();
      runEnded(this);
    }
  }

  /** Complete one task; returns its parent when that completes next (see `complete`). */
  private completeOne(t: Task): Task | null {
    if (t._x !== null && t._x.owned !== null) endOwnership(t); // may turn the outcome into a failure
    const outcome = t._mode as TaskStateCode;
    t._state = outcome;
    if (taskEndChannel.hasSubscribers) publishEnd(t, outcome, t._val);
    if (t._slot >= 0) this.dropSlot(t);
    this.live--;

    // Joiners get the outcome; a failure some task joined counts as handled.
    // Watchers (Pool's slot release) are told too, but do not count.
    let observed = false;
    const joiners = t._x === null ? null : t._x.joiners;
    if (joiners !== null && !joiners.isEmpty()) {
      const err = outcome === TaskState.Completed ? undefined : t.failure();
      for (let n = joiners.shift(); n !== null; n = joiners.shift()) {
        if (n instanceof Waiter) {
          n.fire(true, t);
          continue;
        }
        observed = true;
        const j = n as Task;
        if (outcome === TaskState.Completed) j._sched.wake(j, t._val);
        else j._sched.wakeThrow(j, err);
      }
    }

    const p = t._parent;
    if (p !== null) {
      const px = p._x!;
      const { _prevSib: prev, _nextSib: next } = t;
      if (prev === null) px.firstChild = next;
      else prev._nextSib = next;
      if (next === null) px.lastChild = prev;
      else next._prevSib = prev;
      t._prevSib = t._nextSib = null;
      px.nchildren--;
      if (outcome === TaskState.Failed && !observed) this.propagate(p, t._val);
    }

    const x = t._x;
    if (x !== null && x.settle !== null) {
      if (outcome === TaskState.Completed) x.settle(true, t._val);
      else {
        // A cancelled root that nobody awaits is not an error; a failed one is.
        if (outcome === TaskState.Cancelled) x.promise!.catch(noop);
        x.settle(false, t.failure());
      }
      x.settle = null;
    }

    return p !== null && p._x!.nchildren === 0 ? this.childrenDone(p) : null;
  }

  /** An unhandled child error reaches the parent: siblings are cancelled, then it is thrown into the parent. */
  private propagate(p: Task, err: unknown): void {
    if (p._state === TaskState.Finishing) {
      if (p._mode !== TaskState.Failed) {
        p._mode = TaskState.Failed;
        p._val = err;
      } else addSuppressed(p._val, err);
      return;
    }
    if ((p._flags & ERR_PENDING) !== 0) {
      addSuppressed(p._x!.pendingErr, err);
      return;
    }
    p._flags |= ERR_PENDING;
    p.ext().pendingErr = err;
    for (let c = p._x!.firstChild; c !== null; c = c._nextSib) this.cancel(c, undefined);
    if ((p._flags & TaskFlag.Cancelling) !== 0) return; // applied when its cleanup ends (bodyDone)
    if (p._state === TaskState.Parked) {
      this.abandonPark(p);
      if (p.childCount() > 0) this.park(p, DRAIN);
      else this.deliverPending(p);
    }
    // Ready or Running: the step loop sees ERR_PENDING at the next suspension point.
  }

  /** The last child of `p` is done. Returns `p` when it completes now (it was finishing), for the caller to complete. */
  private childrenDone(p: Task): Task | null {
    if (p._state === TaskState.Finishing) return p;
    if (p._state === TaskState.Parked && p._wait === DRAIN) {
      this.releasePark(p);
      this.deliverPending(p);
    }
    return null;
  }

  private deliverPending(p: Task): void {
    const err = takePending(p);
    p._mode = Resume.Throw;
    p._val = err;
    this.makeReady(p);
  }
}

/** Park until the task's children have all finished (a child failed; its error is delivered after the siblings' cleanup). */
class DrainSuspend extends Suspend {
  abandon(): void {}
  describe(task: Task): string {
    return `its ${task.childCount()} children to finish cleanup after a child failed`;
  }
}
export const DRAIN = new DrainSuspend();

/** Take a task's pending child error (TaskFlag.ErrPending is set). */
export function takePending(t: Task): unknown {
  const x = t._x!;
  const err = x.pendingErr;
  x.pendingErr = undefined;
  t._flags &= ~ERR_PENDING;
  return err;
}

export function noop(): void {}
