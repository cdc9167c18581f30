import { performance } from "node:perf_hooks";
import { type Clock, RealClock, VirtualClock } from "./clock.js";
import { Resume, TaskFlag, TaskState, type TaskStateCode } from "./constants.js";
import { createCore } from "../core/backend.js";
import type { SchedulerCore } from "../core/scheduler-core.js";
import { setCurrent } from "./current.js";
import { DeadlockError, addSuppressed, type StuckTask } from "./errors.js";
import { describeValue } from "../config/options.js";
import { GEN_NEXT, isGenerator, iteratorOf } from "./generators.js";
import { YIELD, parking } from "./instruction.js";
import { JoinOp } from "./join.js";
import { RESUMED, Suspend, TIMED_OUT } from "./suspend.js";
import { Bits, Task, type TaskScheduler } from "./task.js";
import type { Body, Instruction, Operation, RunOptions } from "./types.js";
import { Waiter } from "./waiter.js";

/** How long one drain of the run queue may hold the event loop before I/O gets a turn. */
const SLICE_MS = 4;
/** The slice clock is read once every this many ticks (a power of two minus one, as a mask). */
const SLICE_CHECK_MASK = 63;

const ERR_PENDING = TaskFlag.ErrPending;
// The hot paths read and write Task._bits directly, with the values of
// `Bits` (literals in the bundle): one load and one store where the
// _state/_mode/_flags accessors would make several.

/**
 * One run: a tree of tasks under one root, one scheduler core and one clock.
 *
 * The drain loop follows Trio's `unrolled_run` (../shared/STYLE.md, item 3): a
 * re-entrancy guard, then ticks; each tick runs only the tasks that were ready
 * when it began, so tasks woken during a tick wait for the next one. After a
 * few milliseconds of ticks the loop gives the event loop a turn
 * (`setImmediate`), so sockets, timers and promise callbacks are never
 * starved by busy tasks.
 */
export class Scheduler implements TaskScheduler {
  readonly core: SchedulerCore;
  readonly clock: Clock;
  /**
   * Task of each core slot. A task takes a slot only when it first arms a
   * timer (the root at once, so that the Wasm core keeps its instance for the
   * whole run) and keeps it until it is done: most tasks never need one.
   */
  private readonly tasks: (Task | undefined)[] = [];
  /**
   * The run queue: tasks in the order they became ready, linked through
   * their `_wnext` (a ready task waits in no list, so the link is free). It is
   * kept here rather than in the core so that a wake is two stores and a tick
   * needs no slot lookup; the core only hands back the slots whose timers
   * expired. A tick takes the whole list as its batch. Linking tasks to each
   * other rather than storing them in a long-lived array also spares the
   * garbage collector a remembered-set entry per task spawned.
   */
  private runHead: Task | null = null;
  private runTail: Task | null = null;
  /** Tasks not yet done. */
  private live = 0;
  /** Parked tasks whose wait ends from outside the run (Promise, I/O). */
  private external = 0;
  /** Timers armed in the core: the core's own count, kept here too so that each tick reads a field of one class. */
  private armed = 0;
  private root: Task | null = null;
  private running = false;
  private scheduled = false;
  /** What `atTickEnd` asked for, called once when the current tick's batch has run. */
  private tickEnd: (() => void)[] | null = null;
  private wakeTimer: NodeJS.Timeout | null = null;
  private wakeAt = Infinity;
  /** Set after the first deadlock: every stuck task was cancelled to let it clean up. */
  private deadlocked = false;
  /**
   * Deadline (ms) of the park the running task is about to make, set by the
   * operation just before it yields (sleep, withTimeout) and consumed by the
   * driver; Infinity for none. Kept here rather than per task: only the
   * running task can be about to park.
   */
  parkDeadline = Infinity;
  /**
   * %GeneratorPrototype%.next (GEN_NEXT), on the prototype: read through
   * `this`, it is a constant to V8's optimizing compiler, which then calls
   * the builtin directly; read from a module binding (a mutable `var` in the
   * bundle), it is only known at run time, and each resume goes through the
   * generic Call builtins first.
   */
  declare private readonly genNext: (this: Generator, v: unknown) => IteratorResult<unknown, unknown>;

  constructor(options: RunOptions = {}) {
    this.core = createCore(options.backend);
    this.clock = options.clock === "virtual" ? new VirtualClock() : new RealClock();
    if (options.clock !== undefined && options.clock !== "real" && options.clock !== "virtual") {
      throw new TypeError(`clock must be "real" or "virtual", got ${JSON.stringify(options.clock)}`);
    }
  }

  /** Current time of this run's clock, in ms. */
  now(): number {
    return this.clock.now();
  }

  /** Deadline `ms` from now, rounded up to the core's whole-millisecond resolution. */
  deadlineAfter(ms: number): number {
    return Math.ceil(this.clock.now() + ms);
  }

  /** Number of tasks of this run that are not done yet. */
  get liveTasks(): number {
    return this.live;
  }

  // ---------------------------------------------------------------- spawning

  spawnRoot<T>(body: Body<T>, name: string | undefined): Task<T> {
    const t = this.spawn(body, null, name);
    t._flags |= TaskFlag.Root;
    this.root = t;
    this.giveSlot(t);
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
  spawnGenerator<T>(gen: Generator<Instruction, T, unknown>, parent: Task, base: string): Task<T> {
    this.checkParent(parent);
    const t = new Task<T>(this, gen as unknown as Body<T>, parent, base);
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
    // A scope that is failing (a child's error waits to be thrown into
    // `parent`) cancelled its children when the error arrived; one spawned
    // since is cancelled at birth, as in a cancelled Trio nursery: its body
    // never starts, and the parent settles with the first error instead of
    // waiting for a child nobody will ever cancel.
    if (parent !== null && (parent._bits & Bits.ErrPending) !== 0) this.cancel(t as Task, undefined);
    return t;
  }

  // ------------------------------------------------------------------ wakes

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

  private makeReady(t: Task): void {
    t._state = TaskState.Ready;
    this.enqueue(t);
    if (this.running === false) this.schedule();
  }

  /** `t` yielded (`yieldNow`): back to the end of the run queue, to be resumed with RESUMED. */
  private requeue(t: Task): void {
    t._bits &= ~Bits.StateMode; // Ready, Resume.Next
    t._val = RESUMED;
    this.enqueue(t);
  }

  /** Append `t` (not in any wait list) to the run queue. */
  private enqueue(t: Task): void {
    t._wnext = null;
    const tail = this.runTail;
    if (tail === null) this.runHead = t;
    else tail._wnext = t;
    this.runTail = t;
  }

  /** A core slot for `t`, which has none yet: it is about to arm its first timer (or it is the root). */
  private giveSlot(t: Task): void {
    const slot = this.core.alloc();
    t._slot = slot;
    this.tasks[slot] = t;
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
  private releasePark(t: Task): void {
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

  /** End a park for a reason other than its Suspend's own wake (cancelled, a child failed): undo the registration too. */
  private abandonPark(t: Task): void {
    const w = t._wait;
    if (w !== null) w.abandon(t);
    this.releasePark(t);
  }

  private park(t: Task, ins: Suspend): void {
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
      this.armed++;
      b |= Bits.TimerArmed;
    }
    t._bits = b;
  }

  // ----------------------------------------------------------------- driver

  /**
   * Run one task until it parks, yields, or its body ends. The common case
   * comes first, short enough to be inlined into the drain loop: a started
   * generator resumed with a value that parks again on a built-in operation,
   * with nothing interrupting it. Anything else goes on in `drive`.
   */
  private step(t: Task): void {
    const b = t._bits;
    if ((b & Bits.HotMask) !== Bits.HotBits) {
      this.stepSlow(t, b);
      return;
    }
    const val = t._val;
    t._val = undefined;
    t._bits = b | Bits.Running; // from Ready (0)
    const prev = setCurrent(t);
    let r: IteratorResult<Instruction, unknown>;
    try {
      r = this.genNext.call(t._gen as Generator, val) as IteratorResult<Instruction, unknown>;
    } catch (e) {
      setCurrent(prev);
      this.bodyDone(t, TaskState.Failed, e);
      return;
    }
    const ins = r.value;
    if (r.done !== true && (t._bits & Bits.Interrupt) === 0) {
      if (ins === parking) {
        this.park(t, ins as Suspend);
        setCurrent(prev);
        return;
      }
      if (ins === YIELD) {
        this.requeue(t);
        setCurrent(prev);
        return;
      }
    }
    this.drive(t, Resume.Next, undefined, r, prev);
  }

  /** `step` for a task not yet started, resumed by throw or return, or not a plain generator. */
  private stepSlow(t: Task, b: number): void {
    if ((b & Bits.StateMask) !== Bits.Ready) return; // done meanwhile (the run was abandoned)
    if ((b & Bits.Started) === 0) {
      if (!this.start(t)) return;
      b = t._bits;
    }
    const mode = (b >> Bits.ModeShift) & 7;
    const val = t._val;
    t._val = undefined;
    t._bits = b | Bits.Running; // from Ready (0)
    this.drive(t, mode, val, null, setCurrent(t));
  }

  /**
   * The driver loop of a running task: resume it (unless `first` is the
   * result of a resume already made) and act on what it yields, until it
   * parks, yields or its body ends; then restore `prev` as the current task.
   */
  private drive(t: Task, mode: number, val: unknown, first: IteratorResult<Instruction, unknown> | null, prev: Task | null): void {
    const gen = t._gen as Iterator<Instruction, unknown, unknown>;
    const plain = (t._bits & Bits.Generator) !== 0;
    let outcome: TaskStateCode | 0 = 0;
    let result: unknown;
    try {
      for (;;) {
        let r: IteratorResult<Instruction, unknown>;
        if (first !== null) {
          r = first;
          first = null;
        } else {
          r =
            mode === Resume.Next
              ? plain
                ? (this.genNext.call(gen as Generator, val) as IteratorResult<Instruction, unknown>)
                : gen.next(val)
              : mode === Resume.Throw
                ? gen.throw!(val)
                : gen.return!(undefined);
        }
        if (r.done === true) {
          outcome = (t._flags & TaskFlag.Cancelling) !== 0 ? TaskState.Cancelled : TaskState.Completed;
          result = r.value;
          break;
        }
        const ins = r.value;
        const fb = t._bits;
        if ((fb & Bits.Interrupt) === 0 || (fb & Bits.Cancelling) !== 0) {
          // The common case: nothing interrupts it, so it parks or yields as asked.
          if (ins === parking) {
            this.park(t, ins as Suspend);
            break;
          }
          if (ins === YIELD) {
            this.requeue(t);
            break;
          }
          if (ins instanceof Suspend) {
            this.park(t, ins);
            break;
          }
          this.parkDeadline = Infinity;
          mode = Resume.Throw;
          val = new TypeError(
            `task ${t.name} yielded ${describeValue(ins)} to the scheduler; use \`yield*\` with tasklet operations, not \`yield\``,
          );
          continue;
        }
        // Cancelled, or a child failed, while it ran: stop at this suspension point.
        const f = fb >>> Bits.FlagShift;
        if (ins instanceof Suspend) ins.abandon(t);
        this.parkDeadline = Infinity;
        if ((f & TaskFlag.CancelRequested) !== 0) {
          t._flags = (f & ~TaskFlag.CancelRequested) | TaskFlag.Cancelling;
          mode = Resume.Return;
          continue;
        }
        if (t.childCount() > 0) {
          this.park(t, DRAIN);
          break;
        }
        mode = Resume.Throw;
        val = takePending(t);
      }
    } catch (e) {
      outcome = TaskState.Failed;
      result = e;
    }
    // Not a `finally`: the catch above takes every exception, and this is shorter on the hot path.
    setCurrent(prev);
    if (outcome !== 0) this.bodyDone(t, outcome, result);
  }

  /**
   * Timers that expired: their parks end now, at the start of the tick, so a
   * task woken by its deadline is ready like any other (an earlier task of
   * the batch can no longer wake it a second time, nor disarm a timer that
   * has already fired). Each is resumed with TIMED_OUT.
   */
  private expire(k: number): void {
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

  /** First step: call the body for its iterator. False when the task ended instead (cancelled before it ran, or the body threw). */
  private start(t: Task): boolean {
    t._flags |= TaskFlag.Started;
    if (t._mode === Resume.Return) {
      this.bodyDone(t, TaskState.Cancelled, undefined); // cancelled before it ever ran
      return false;
    }
    let gen: Iterator<Instruction, unknown, unknown>;
    let plain: boolean;
    try {
      const op = (t._gen as Body<unknown>)();
      plain = isGenerator(op);
      if (plain) gen = op as Generator<Instruction, unknown, unknown>;
      else {
        gen = iteratorOf(t, op);
        plain = isGenerator(gen);
      }
    } catch (e) {
      this.bodyDone(t, TaskState.Failed, e);
      return false;
    }
    t._gen = gen;
    if (plain) t._flags |= TaskFlag.Generator;
    return true;
  }

  // ------------------------------------------------------------ cancellation

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

  // ------------------------------------------------------ completion & errors

  /** The body has ended. Children still running are cancelled; the task is done when the last one is. */
  private bodyDone(t: Task, outcome: TaskStateCode, value: unknown): void {
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
    if (this.live === 0) this.idle();
  }

  /** Complete one task; returns its parent when that completes next (see `complete`). */
  private completeOne(t: Task): Task | null {
    const outcome = t._mode as TaskStateCode;
    t._state = outcome;
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

  private dropSlot(t: Task): void {
    this.core.release(t._slot);
    this.tasks[t._slot] = undefined;
    t._slot = -1;
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

  // ------------------------------------------------------------- the loop

  private schedule(): void {
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.loop);
    }
  }

  private readonly loop = (): void => {
    this.scheduled = false;
    if (this.running) return;
    this.running = true;
    try {
      this.drain();
    } finally {
      this.running = false;
      if (this.tickEnd !== null) this.endTick(); // (a drain that threw part way)
    }
  };

  /**
   * @internal Call `fn` once at the end of the tick now running, after the
   * last task of its batch: green sockets gather the small writes of a tick
   * and hand them to the kernel together there (src/net/outbox.ts). Only
   * from inside a task's step.
   */
  atTickEnd(fn: () => void): void {
    (this.tickEnd ??= []).push(fn);
  }

  private endTick(): void {
    const fns = this.tickEnd!;
    this.tickEnd = null;
    for (const fn of fns) fn();
  }

  private readonly onWakeTimer = (): void => {
    this.wakeTimer = null;
    this.wakeAt = Infinity;
    this.loop();
  };

  private drain(): void {
    const core = this.core;
    const clock = this.clock;
    const sliceEnd = performance.now() + SLICE_MS;
    let ticks = 0;
    for (;;) {
      if (this.armed > 0) {
        const k = core.tick(clock.now());
        if (k > 0) this.expire(k);
      }
      let t = this.runHead;
      if (t !== null) {
        this.runHead = this.runTail = null; // the batch; tasks readied from now on form the next one
        do {
          const next = t._wnext as Task | null;
          t._wnext = null;
          this.step(t);
          t = next;
        } while (t !== null);
        if (this.tickEnd !== null) this.endTick();
        if ((++ticks & SLICE_CHECK_MASK) === 0 && performance.now() >= sliceEnd) {
          this.schedule(); // let I/O and timers in, then carry on
          return;
        }
        continue;
      }
      if (this.live === 0) return;
      if (this.armed > 0) {
        if (clock.kind === "virtual") {
          if (this.external > 0) return; // a Promise or socket may still act first
          clock.advanceTo(core.fireNext()); // the timers due then are queued in the core...
          const k = core.tick(-Infinity); // ...and handed out here, firing nothing more
          if (k > 0) this.expire(k);
          continue;
        }
        const next = core.nextDeadline();
        const wait = next - clock.now();
        if (wait <= 0) continue;
        this.armWakeTimer(next, wait);
        return;
      }
      if (this.external > 0) return;
      this.deadlock();
      if (this.live === 0) return;
    }
  }

  private armWakeTimer(at: number, wait: number): void {
    if (this.wakeTimer !== null) {
      if (this.wakeAt <= at) return;
      clearTimeout(this.wakeTimer);
    }
    this.wakeAt = at;
    this.wakeTimer = setTimeout(this.onWakeTimer, Math.max(1, Math.ceil(wait)));
  }

  private idle(): void {
    if (this.wakeTimer !== null) {
      clearTimeout(this.wakeTimer);
      this.wakeTimer = null;
      this.wakeAt = Infinity;
    }
  }

  // ------------------------------------------------------------ deadlock

  private deadlock(): void {
    const stuck: StuckTask[] = [];
    const parked: Task[] = [];
    for (const t of this.liveTaskList()) {
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
      if ((root._flags & ERR_PENDING) !== 0) addSuppressed(root._x!.pendingErr, err);
      else {
        root._flags |= ERR_PENDING;
        root.ext().pendingErr = err;
      }
    }
    for (const t of parked) this.cancel(t, err);
  }

  /** Cleanup deadlocked too: give up on the remaining tasks without running them. */
  private abort(err: DeadlockError): void {
    const root = this.root!;
    for (const t of this.liveTaskList()) {
      if (t._state === TaskState.Parked) this.abandonPark(t);
      t._gen = null;
      t._state = t === root ? TaskState.Failed : TaskState.Cancelled;
      t._val = t === root ? (root._mode === TaskState.Failed && root._state === TaskState.Finishing ? root._val : err) : undefined;
      if (t._slot >= 0) this.dropSlot(t);
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
    this.idle();
  }

  /** Every task of the run not done yet, in spawn order: the root and its descendants. */
  private liveTaskList(): Task[] {
    const out: Task[] = [];
    if (this.root !== null && this.root._state < TaskState.Completed) out.push(this.root);
    // Breadth first over `out` itself: no recursion, however deep the tree.
    for (let i = 0; i < out.length; i++) {
      const x = out[i]!._x;
      if (x !== null) for (let c = x.firstChild; c !== null; c = c._nextSib) out.push(c);
    }
    return out.sort((a, b) => a.id - b.id);
  }

  /** The operation `yield* target` runs. */
  joinOp<T>(target: Task<T>): JoinOp<T> {
    return new JoinOp(target);
  }
}

/**
 * %GeneratorPrototype%.next on the prototype: read through `this`, it is a
 * constant to V8's optimizing compiler, which then calls the builtin
 * directly (see `genNext`).
 */
(Scheduler.prototype as unknown as { genNext: typeof GEN_NEXT }).genNext = GEN_NEXT;

/** Park until the task's children have all finished (a child failed; its error is delivered after the siblings' cleanup). */
class DrainSuspend extends Suspend {
  abandon(): void {}
  describe(task: Task): string {
    return `its ${task.childCount()} children to finish cleanup after a child failed`;
  }
}
const DRAIN = new DrainSuspend();

function noop(): void {}

/** Take a task's pending child error (TaskFlag.ErrPending is set). */
function takePending(t: Task): unknown {
  const x = t._x!;
  const err = x.pendingErr;
  x.pendingErr = undefined;
  t._flags &= ~ERR_PENDING;
  return err;
}
