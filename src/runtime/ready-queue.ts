/**
 * The run queue, and the parks that leave it and rejoin it: a task parks on
 * a Suspend (with a timer when its park has a deadline); `wake` and
 * `wakeThrow` end the park and queue the task; a park ended for another
 * reason is undone (`abandonPark`); an expired timer ends its park with
 * TIMED_OUT. Only the run loop (scheduler.ts) takes tasks off the queue.
 */
import { Resume, TaskFlag, TaskState } from "./constants.js";
import { RESUMED, TIMED_OUT, type Suspend } from "./suspend.js";
import { Bits, type Task } from "./task.js";
import { RunTimers } from "./timers.js";

// The hot paths read and write Task._bits directly, with the values of
// `Bits` (literals in the bundle): one load and one store where the
// _state/_mode/_flags accessors would make several.

export abstract class ReadyQueue extends RunTimers {
  /**
   * The run queue: tasks in the order they became ready, linked through
   * their `_wnext` (a ready task waits in no list, so the link is free). It is
   * kept here rather than in the core so that a wake is two stores and a tick
   * needs no slot lookup; the core only hands back the slots whose timers
   * expired. A tick takes the whole list as its batch. Linking tasks to each
   * other rather than storing them in a long-lived array also spares the
   * garbage collector a remembered-set entry per task spawned.
   */
  protected runHead: Task | null = null;
  protected runTail: Task | null = null;
  /** Tasks not yet done. */
  protected live = 0;
  /** Parked tasks whose wait ends from outside the run (Promise, I/O). */
  protected external = 0;
  /** The loop is draining the queue now: a wake needs no new turn of it. */
  protected running = false;
  /** A turn of the loop is already asked for (setImmediate). */
  protected scheduled = false;
  /** Deadline of the armed park of the task in each core slot (valid while TaskFlag.TimerArmed is set): for task dumps. */
  private readonly deadlines: number[] = [];

  /** Number of tasks of this run that are not done yet. */
  get liveTasks(): number {
    return this.live;
  }

  /** End `t`'s park with a value. The caller has already removed it from its wait structure. */
  wake(t: Task, value: unknown): void {
    t._wait = null;
    if ((t._bits & (Bits.TimerArmed | Bits.External | Bits.Racer)) !== 0) this.endPark(t);
    t._bits &= ~Bits.StateMode; // Ready, Resume.Next
    t._val = value;
    this.enqueue(t);
    // `=== false` rather than `!`: V8 types a boolean field only as a heap
    // object, so `!this.running` compiles to a full truthiness test, which
    // for `true` (as during a drain) makes half a dozen comparisons.
    if (this.running === false) this.schedule();
  }

  /** End `t`'s park by throwing `error` at its `yield*`. */
  wakeThrow(t: Task, error: unknown): void {
    this.endPark(t);
    t._mode = Resume.Throw;
    t._val = error;
    this.makeReady(t);
  }

  /** Queue `t`, whose resume mode and value are set, and have the loop run. */
  protected makeReady(t: Task): void {
    t._state = TaskState.Ready;
    this.enqueue(t);
    if (this.running === false) this.schedule();
  }

  /** `t` yielded (`yieldNow`): back to the end of the run queue, to be resumed with RESUMED. */
  protected requeue(t: Task): void {
    t._bits &= ~Bits.StateMode; // Ready, Resume.Next
    t._val = RESUMED;
    this.enqueue(t);
  }

  /** Append `t` (not in any wait list) to the run queue. */
  protected enqueue(t: Task): void {
    t._wnext = null;
    const tail = this.runTail;
    if (tail === null) this.runHead = t;
    else tail._wnext = t;
    this.runTail = t;
  }

  /** Ask for a turn of the loop on the event loop's next check phase. */
  protected schedule(): void {
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.loop);
    }
  }

  /** Park `t`, which yielded `ins`, with the park deadline if one was set. */
  protected park(t: Task, ins: Suspend): void {
    t._wait = ins;
    if ((t._bits & Bits.HoldsBody) !== 0) t.dropBody();
    let b = (t._bits & ~Bits.StateMask) | Bits.Parked;
    if (ins.external) {
      b |= Bits.External;
      this.external++;
    }
    const d = this.parkDeadline;
    if (d !== Infinity) {
      this.parkDeadline = Infinity;
      if (t._slot < 0) this.giveSlot(t);
      this.core.arm(t._slot, d);
      this.deadlines[t._slot] = d;
      this.armed++;
      b |= Bits.TimerArmed;
    }
    t._bits = b;
  }

  /** Deadline of `t`'s park (ms of the run's clock), Infinity when it has none. */
  parkDeadlineOf(t: Task): number {
    return (t._bits & Bits.TimerArmed) !== 0 ? this.deadlines[t._slot]! : Infinity;
  }

  /**
   * Bookkeeping shared by every end of a park that completes its operation
   * (the wait registration is handled by the caller): a value or an error
   * handed over, or its own deadline.
   */
  private endPark(t: Task): void {
    this.releasePark(t);
    if ((t._flags & TaskFlag.Racer) !== 0) this.decideRace(t);
  }

  /** Disarm the park's timer and uncount an external wait. */
  protected releasePark(t: Task): void {
    t._wait = null;
    const f = t._flags;
    if ((f & (TaskFlag.TimerArmed | TaskFlag.External)) !== 0) {
      if ((f & TaskFlag.TimerArmed) !== 0) {
        this.core.disarm(t._slot);
        this.armed--;
      }
      if ((f & TaskFlag.External) !== 0) this.external--;
      t._flags = f & ~(TaskFlag.TimerArmed | TaskFlag.External);
    }
  }

  /** End a park for a reason other than its Suspend's own wake (cancelled, a child failed): undo the registration too. */
  protected abandonPark(t: Task): void {
    const w = t._wait;
    if (w !== null) w.abandon(t);
    this.releasePark(t);
  }

  /**
   * `t` races with one built-in operation, which has just completed: the
   * race is decided now, at the hand-over, not when `t` next runs. Its rivals
   * are cancelled at once, so that none of them, still parked, can be handed
   * an item, a permit or a message it would then have to drop; a rival
   * parked on a channel or queue is simply taken off it.
   */
  private decideRace(t: Task): void {
    t._flags &= ~TaskFlag.Racer;
    t._x!.race!.decide(t);
  }

  /**
   * Timers that expired: their parks end now, at the start of the tick, so a
   * task woken by its deadline is ready like any other (an earlier task of
   * the batch can no longer wake it a second time, nor disarm a timer that
   * has already fired). Each is resumed with TIMED_OUT.
   */
  protected expire(k: number): void {
    const slots = this.core.batch;
    const tasks = this.tasks;
    this.armed -= k;
    let racers: Task[] | null = null;
    for (let i = 0; i < k; i++) {
      const t = tasks[slots[i]!]!;
      t._flags &= ~TaskFlag.TimerArmed;
      this.abandonPark(t);
      t._mode = Resume.Next;
      t._val = TIMED_OUT;
      t._state = TaskState.Ready;
      this.enqueue(t);
      if ((t._flags & TaskFlag.Racer) !== 0) (racers ??= []).push(t);
    }
    // Its deadline completes a racer's operation. Decided once the whole
    // batch is ready: deciding cancels rivals, whose timers may be in this
    // very batch (already fired: nothing to disarm, and ready already).
    if (racers !== null) for (const t of racers) this.decideRace(t);
  }
}
