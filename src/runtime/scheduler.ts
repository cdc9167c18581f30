/**
 * The run loop: the Scheduler of one run, the top of its class chain, and
 * the one place where tasks are taken off the run queue and stepped.
 *
 * A Scheduler is one object built in layers, each a file with one job:
 *   timers.ts       RunTimers      clock, the core's park timers, the wake timer
 *   ready-queue.ts  ReadyQueue     the run queue, park, wake, expired timers
 *   task-tree.ts    TaskTree       spawning, cancellation, completion, errors
 *   deadlock.ts     DeadlockGuard  what to do when nothing can wake any task
 *   scheduler.ts    Scheduler      the loop, and the driver that steps a task
 * One class rather than objects that call each other: the hot paths (step,
 * park, wake) stay calls on one receiver, which V8 inlines.
 *
 * The drain loop follows Trio's `unrolled_run` (../shared/STYLE.md, item 3): a
 * re-entrancy guard, then ticks; each tick runs only the tasks that were ready
 * when it began, so tasks woken during a tick wait for the next one. After a
 * few milliseconds of ticks the loop gives the event loop a turn
 * (`setImmediate`), so sockets, timers and promise callbacks are never
 * starved by busy tasks.
 */
import { performance } from "node:perf_hooks";
import { describeValue } from "../config/options.js";
import { Resume, TaskFlag, TaskState, type TaskStateCode } from "./constants.js";
import { recaptureAfterStep, recaptureContext, type TaskContext } from "./context.js";
import { setCurrent } from "./current.js";
import { DeadlockGuard } from "./deadlock.js";
import { GEN_NEXT, isGenerator, iteratorOf } from "./generators.js";
import { foreignInstructionError } from "./instance.js";
import { YIELD, parking } from "./instruction.js";
import { JoinOp } from "./join.js";
import { reportStepStall, stallWatch } from "./stall.js";
import { Suspend } from "./suspend.js";
import { DRAIN, takePending } from "./task-tree.js";
import { Bits, nextTaskId, type Task, type TaskScheduler } from "./task.js";
import type { Body, Instruction, RunOptions } from "./types.js";

/** How long one drain of the run queue may hold the event loop before I/O gets a turn. */
const SLICE_MS = 4;
/** The slice clock is read once every this many ticks (a power of two minus one, as a mask). */
const SLICE_CHECK_MASK = 63;

/** One run: a tree of tasks under one root, one scheduler core and one clock. */
export class Scheduler extends DeadlockGuard implements TaskScheduler {
  /** What `atTickEnd` asked for, called once when the current tick's batch has run. */
  private tickEnd: (() => void)[] | null = null;
  /**
   * %GeneratorPrototype%.next (GEN_NEXT), on the prototype: read through
   * `this`, it is a constant to V8's optimizing compiler, which then calls
   * the builtin directly; read from a module binding (a mutable `var` in the
   * bundle), it is only known at run time, and each resume goes through the
   * generic Call builtins first.
   */
  declare private readonly genNext: (this: Generator, v: unknown) => IteratorResult<unknown, unknown>;

  /** Under a stall detector: when the step about to run began (stepOther). */
  private stepMark = 0;

  /** RunOptions.asyncContext: every step runs in its task's async context (context.ts). */
  readonly asyncContext: boolean;
  /** ...and the context is captured again after each step (Node's AsyncContextFrame). */
  private readonly recapture: boolean;

  constructor(options: RunOptions = {}) {
    super(options);
    this.traceSpawns = options.traceSpawns === true;
    this.asyncContext = options.asyncContext === true;
    this.recapture = this.asyncContext && recaptureAfterStep();
  }

  /** One turn of the loop, on the event loop's check phase (setImmediate) or the wake timer. */
  protected readonly loop = (): void => {
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

  /**
   * The loop proper: tick after tick, expire the timers that are due, then
   * step every task of the batch; when no task is ready, jump the virtual
   * clock, sleep until the next deadline, wait for the outside world, or
   * find a deadlock.
   */
  private drain(): void {
    const core = this.core;
    const clock = this.clock;
    const sliceEnd = performance.now() + SLICE_MS;
    // Each step runs plain, unless it runs in its async context or a stall
    // detector times it (stall.ts); read once per drain, so the detector
    // off costs no more than this.
    const direct = !this.asyncContext && stallWatch.threshold === Infinity;
    let ticks = 0;
    // Tasks spawned since the last note (between drains, or in the last
    // tick) are noted as born now: one comparison per tick, and a clock read
    // only after ticks that spawned (see birth-log.ts).
    if (nextTaskId() !== this.idMark) this.noteBirths();
    for (;;) {
      if (this.armed > 0) {
        const k = core.tick(clock.now());
        if (k > 0) this.expire(k);
      }
      let t = this.runHead;
      if (t !== null) {
        this.runHead = this.runTail = null; // the batch; tasks readied from now on form the next one
        if (!direct) this.stepMark = performance.now();
        do {
          const next = t._wnext as Task | null;
          t._wnext = null;
          if (direct) this.step(t);
          else this.stepOther(t);
          t = next;
        } while (t !== null);
        if (this.tickEnd !== null) this.endTick();
        if (nextTaskId() !== this.idMark) this.noteBirths();
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
      this.ended(t, TaskState.Failed, e);
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

  /**
   * `step` in the task's async context, timed when a stall detector is on:
   * one clock read per step, its end (the start of the batch's next step;
   * the drain reads the clock at each batch's start too).
   */
  private stepOther(t: Task): void {
    const limit = stallWatch.threshold;
    if (limit === Infinity) {
      this.stepInContext(t);
      return;
    }
    if (this.asyncContext) this.stepInContext(t);
    else this.step(t);
    const end = performance.now();
    const ms = end - this.stepMark;
    this.stepMark = end;
    if (ms >= limit) reportStepStall(t, ms);
  }

  /** `step` inside the task's async context (RunOptions.asyncContext). */
  private stepInContext(t: Task): void {
    const x = t._x;
    const ctx = x === null ? null : x.ctx;
    if (ctx === null) this.step(t);
    else if (this.recapture) ctx.runInAsyncScope(this.stepAndRecapture, this, t, ctx);
    else ctx.runInAsyncScope(this.step, this, t);
  }

  /** A step, then the context it ends in kept for the next one (what it set with `enterWith`). */
  private stepAndRecapture(t: Task, ctx: TaskContext): void {
    this.step(t);
    if (t._state < TaskState.Finishing) t._x!.ctx = recaptureContext(ctx);
  }

  /** `step` for a task not yet started, resumed by throw or return, or not a plain generator. */
  private stepSlow(t: Task, b: number): void {
    if ((b & Bits.StateMask) !== Bits.Ready) return; // done meanwhile (the run was abandoned)
    if ((b & Bits.Started) === 0) {
      if (!this.start(t)) return;
      b = t._bits;
    }
    const mode = (b & Bits.ModeMask) >> Bits.ModeShift;
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
                : this.unwind(t, gen);
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
          val =
            foreignInstructionError(t.name, ins) ??
            new TypeError(`task ${t.name} yielded ${describeValue(ins)} to the scheduler; use \`yield*\` with tasklet operations, not \`yield\``);
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
    if (outcome !== 0) this.ended(t, outcome, result);
  }

  /** First step: call the body for its iterator. False when the task ended instead (cancelled before it ran, or the body threw). */
  private start(t: Task): boolean {
    t._flags |= TaskFlag.Started;
    if (t._mode === Resume.Return) {
      this.ended(t, TaskState.Cancelled, undefined); // cancelled before it ever ran
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
      this.ended(t, TaskState.Failed, e);
      return false;
    }
    t._gen = gen;
    if (plain) t._flags |= TaskFlag.Generator;
    return true;
  }

  /** Resume a cancelled task with `return()`; its signal, if anyone asked for it, aborts first, so its `finally` blocks see it aborted. */
  private unwind(t: Task, gen: Iterator<Instruction, unknown, unknown>): IteratorResult<Instruction, unknown> {
    if (t._x !== null && t._x.abort !== null) t.abortSignal();
    return gen.return!(undefined);
  }

  /** The body has ended (task-tree.ts `bodyDone`); then the task's signal, if anyone asked for it, aborts. */
  private ended(t: Task, outcome: TaskStateCode, value: unknown): void {
    this.bodyDone(t, outcome, value);
    if (t._x !== null && t._x.abort !== null) t.abortSignal();
  }

  /** The operation `yield* target` runs. */
  joinOp<T>(target: Task<T>): JoinOp<T> {
    return new JoinOp(target);
  }
}
(Scheduler.prototype as unknown as { genNext: typeof GEN_NEXT }).genNext = GEN_NEXT;
