/**
 * Stage: a bounded queue in front of a bounded number of handler tasks, the
 * unit of SEDA (Welsh, Culler and Brewer, "SEDA: An Architecture for
 * Well-Conditioned, Scalable Internet Services", 2001). Overload is met at
 * the door: past the queue's bound a submit is shed at once with
 * {@link OverloadedError}, or waits for room, instead of slowing every
 * request down. Each admitted item runs in a task of its own, a child of the
 * task that made the stage, so cancelling a submitter can cancel exactly its
 * own work, and the stage's work ends with the scope that made it.
 */
import { resolveStage, type StageConfig } from "../config/options.js";
import { currentTask } from "../runtime/current.js";
import { TaskletError } from "../runtime/errors.js";
import { cancel, now, spawnChild, wake, wakeThrow, watchDone } from "../runtime/kernel.js";
import { Op } from "../runtime/op.js";
import { Suspend, WaitList, type WaitNode } from "../runtime/suspend.js";
import type { Task } from "../runtime/task.js";
import type { Instruction, Operation } from "../runtime/types.js";
import { Waiter } from "../runtime/waiter.js";

/**
 * Thrown by `submit` on a stage whose queue is full when its overflow policy
 * is `"shed"`: the item was not queued and nothing runs for it.
 *
 * @example
 * const pages = stage(fetchPage, { concurrency: 4, queue: 16, overflow: "shed" });
 * try { console.log(yield* pages.submit(url)); } catch (e) { if (e instanceof OverloadedError) console.log(`busy: ${e.queued} queued`); }
 */
export class OverloadedError extends TaskletError {
  override name = "OverloadedError";
  /** The stage's name. */
  readonly stage: string;
  /** Items that were queued when this one was shed (the queue's bound). */
  readonly queued: number;
  /** Items that were running. */
  readonly inFlight: number;
  constructor(message: string, stage: string, queued: number, inFlight: number) {
    super(message);
    this.stage = stage;
    this.queued = queued;
    this.inFlight = inFlight;
  }
}

/**
 * Thrown by `submit` on a stage that was closed, or whose scope ended while
 * the item waited or ran.
 *
 * @example
 * const pages = stage(fetchPage);
 * yield* pages.close();
 * try { yield* pages.submit(url); } catch (e) { if (e instanceof StageClosedError) console.log("closed"); }
 */
export class StageClosedError extends TaskletError {
  override name = "StageClosedError";
}

/** What `stage()` takes. */
export interface StageOptions {
  /** Items handled at once (handler tasks alive). Default 1. */
  concurrency?: number;
  /** Items that may wait for a handler beyond those running; 0 (default): none. `Infinity` for no bound. */
  queue?: number;
  /**
   * A submit that finds the queue full: `"shed"` throws {@link OverloadedError}
   * at once; `"wait"` (default) waits, in FIFO order, until there is room.
   */
  overflow?: "shed" | "wait";
  /** Latency samples kept for `stats()`'s percentiles: the newest this many. Default 1024. */
  window?: number;
  /** Name in errors and task names. */
  name?: string;
}

/** A stage's figures, from {@link Stage.stats}. Latencies are in ms of the run's clock. */
export interface StageStats {
  /** Items waiting in the queue. */
  readonly queued: number;
  /** Submitters waiting for room in a full queue (overflow `"wait"`). */
  readonly waiting: number;
  /** Items whose handler task is alive (at most `concurrency`). */
  readonly inFlight: number;
  /** Submits made (the ones refused because the stage was closed are not counted). */
  readonly submitted: number;
  /** Handlers that returned. */
  readonly served: number;
  /** Handlers that threw. */
  readonly failed: number;
  /** Submits refused with OverloadedError. */
  readonly shed: number;
  /**
   * Submits whose submitter was cancelled before the outcome, or whose item
   * was dropped because the stage's scope ended. Once nothing is queued,
   * waiting or in flight, `served + failed + shed + cancelled === submitted`.
   */
  readonly cancelled: number;
  /** Median time from submit to outcome (served or failed) over the window; NaN with no sample yet. */
  readonly p50: number;
  /** 99th percentile of the same. */
  readonly p99: number;
  /** Samples the percentiles are taken over (at most the window). */
  readonly samples: number;
}

/** Where a submit is. */
const enum At {
  /** Waiting for room in a full queue (overflow "wait"). */
  Room,
  /** In the queue, waiting for a handler. */
  Queue,
  /** Its handler task is alive. */
  Running,
  /** Its outcome is decided (given, or the submitter is gone). */
  Done,
}

let stageIds = 0;

/**
 * Frees a handler slot when the handler's task is done, however it ended:
 * a watcher rather than a `finally`, since a task cancelled before its first
 * step never runs its body.
 */
class HandlerDone<I, R> extends Waiter {
  constructor(private readonly e: Entry<I, R>) {
    super();
  }
  fire(): void {
    this.e.stage._handlerDone(this.e);
  }
}

/**
 * One submit: the Suspend its submitter parks on, and the node that sits in
 * the stage's queue or room list, so that a cancelled submitter leaves its
 * list in O(1) (its `abandon`).
 */
class Entry<I, R> extends Suspend implements WaitNode {
  _wnext: WaitNode | null = null;
  _wprev: WaitNode | null = null;
  _val: unknown = undefined;
  at = At.Queue;
  /** The handler's task, once started. */
  task: Task | null = null;
  constructor(
    readonly stage: Stage<I, R>,
    readonly item: I,
    readonly submitter: Task,
    readonly t0: number,
  ) {
    super();
  }
  abandon(): void {
    this.stage._abandon(this);
  }
  describe(): string {
    const where = this.at === At.Room ? "waiting for room" : this.at === At.Queue ? "queued" : "running";
    return `submit to ${this.stage.name} (${where})`;
  }
}

/**
 * A stage made by {@link stage}. `submit(item)` runs the handler on the item
 * and gives back its result or its error; at most `concurrency` handlers run
 * at once, at most `queue` items wait; beyond that the overflow policy
 * decides.
 *
 * **Cancellation.** A submitter cancelled while its item waits takes the item
 * out (its handler never runs); cancelled while the item runs, the handler's
 * task is cancelled (its `finally` blocks run in the background; the
 * submitter does not wait for them, but the slot stays taken until they end).
 *
 * **Lifetime.** Handler tasks are children of the task that made the stage:
 * when its scope ends, running handlers are cancelled, and every submitter
 * still waiting gets {@link StageClosedError}. `close()` refuses new submits
 * and waits until what was submitted is done.
 *
 * **Latency** is measured from submit to outcome, served or failed, and kept
 * for the newest `window` outcomes in a ring: O(1) per item; `stats()`
 * sorts a copy of the window, so call it now and then, not per item.
 *
 * @example
 * const pages = stage(fetchPage, { concurrency: 4, queue: 100, overflow: "shed" });
 * const page = yield* pages.submit(url);
 */
export class Stage<I, R> {
  readonly name: string;
  readonly concurrency: number;
  /** The queue's bound. */
  readonly queueSize: number;
  readonly overflow: "shed" | "wait";
  private readonly handler: (item: I) => Operation<R>;
  private readonly owner: Task;
  private readonly queue = new WaitList(() => "");
  private readonly room = new WaitList(() => "");
  private queued = 0;
  private waiting = 0;
  private running = 0;
  private closing = false;
  private readonly drained: WaitList;
  private submitted = 0;
  private served = 0;
  private failed = 0;
  private shed = 0;
  private cancelled = 0;
  /** Latency ring: the newest `window` samples, `next` the slot to write. */
  private readonly lat: Float64Array;
  private latCount = 0;
  private latNext = 0;

  /** @internal Use stage(). */
  constructor(handler: (item: I) => Operation<R>, cfg: StageConfig, owner: Task) {
    this.handler = handler;
    this.owner = owner;
    this.name = cfg.name ?? `Stage#${++stageIds}`;
    this.concurrency = cfg.concurrency;
    this.queueSize = cfg.queue;
    this.overflow = cfg.overflow;
    this.lat = new Float64Array(cfg.window);
    this.drained = new WaitList(() => `close of ${this.name} (${this.running} running, ${this.queued} queued, ${this.waiting} waiting)`);
  }

  /** Run the handler on `item` (after a wait in the queue if all handlers are busy) and return its result, or throw its error. */
  submit(item: I): Operation<R> {
    return new SubmitOp<I, R>(this, item);
  }

  /** Whether `close()` was called or the stage's scope has ended: submits throw {@link StageClosedError}. */
  get closed(): boolean {
    return this.closing || this.ownerEnded();
  }

  /**
   * Refuse new submits, and wait until every item already submitted (queued
   * or waiting for room included) is done. Calling it again waits again.
   *
   * @example
   * const pages = stage(fetchPage, { concurrency: 4 });
   * const page = yield* pages.submit(url);
   * yield* pages.close(); // every item submitted is done
   */
  close(): Operation<void> {
    this.closing = true;
    return new DrainOp(this);
  }

  /** The stage's figures now (see {@link StageStats}). */
  stats(): StageStats {
    const n = this.latCount;
    const sorted = this.lat.slice(0, n).sort();
    return {
      queued: this.queued,
      waiting: this.waiting,
      inFlight: this.running,
      submitted: this.submitted,
      served: this.served,
      failed: this.failed,
      shed: this.shed,
      cancelled: this.cancelled,
      p50: rank(sorted, 0.5),
      p99: rank(sorted, 0.99),
      samples: n,
    };
  }

  private ownerEnded(): boolean {
    return this.owner.done || this.owner.state === "finishing";
  }

  /** @internal The start of a submit, in the submitter's step: the Entry to park on. Throws when closed or shed. */
  _enter(item: I): Entry<I, R> {
    const me = currentTask(`${this.name}.submit`);
    if (this.closed) throw new StageClosedError(`submit to ${this.name}: the stage is closed${this.closing ? "" : " (the scope that made it has ended)"}`);
    this.submitted++;
    const e = new Entry<I, R>(this, item, me, now(me));
    if (this.running < this.concurrency) {
      try {
        this.start(e);
      } catch (err) {
        this.submitted--; // not parked yet: the error is this submit's, thrown at once
        throw err;
      }
    } else if (this.queued < this.queueSize) {
      e.at = At.Queue;
      this.queue.push(e);
      this.queued++;
    } else if (this.overflow === "shed") {
      this.shed++;
      throw new OverloadedError(
        `submit to ${this.name}: overloaded (${this.running} running, ${this.queued} queued, the queue holds ${this.queueSize}); shed`,
        this.name,
        this.queued,
        this.running,
      );
    } else {
      e.at = At.Room;
      this.room.push(e);
      this.waiting++;
    }
    return e;
  }

  /** Start `e`'s handler task; throws what spawning threw (its slot given back). */
  private start(e: Entry<I, R>): void {
    e.at = At.Running;
    this.running++;
    try {
      e.task = spawnChild(this.owner, () => this.work(e), `${this.name} handler`);
    } catch (err) {
      this.running--;
      throw err;
    }
    watchDone(e.task, new HandlerDone(e));
  }

  /** @internal `e`'s handler task is done: free its slot, and refill. */
  _handlerDone(e: Entry<I, R>): void {
    this.running--;
    // Cancelled without its submitter going: the stage's scope is ending.
    if (e.at !== At.Done) this.shutDown(e);
    this.pump();
  }

  /** The body of a handler task. Never fails: the outcome goes to the submitter, not to the stage's scope. */
  private *work(e: Entry<I, R>): Generator<Instruction, void, any> {
    let ok = false;
    let v: unknown;
    try {
      v = yield* this.handler(e.item);
      ok = true;
    } catch (err) {
      v = err;
    }
    this.finish(e, ok, v);
  }

  /** Hand `e`'s outcome to its submitter (unless it is gone). */
  private finish(e: Entry<I, R>, ok: boolean, v: unknown): void {
    if (e.at === At.Done) return;
    e.at = At.Done;
    this.record(now(e.submitter) - e.t0);
    if (ok) {
      this.served++;
      wake(e.submitter, v);
    } else {
      this.failed++;
      wakeThrow(e.submitter, v);
    }
  }

  /** Drop `e` with StageClosedError, counted as cancelled. */
  private drop(e: Entry<I, R>, why: string): void {
    e.at = At.Done;
    this.cancelled++;
    wakeThrow(e.submitter, new StageClosedError(`submit to ${this.name}: ${why}`));
  }

  /** The scope that made the stage is ending: `e`'s handler was cancelled; fail it and everything waiting. */
  private shutDown(e: Entry<I, R>): void {
    this.closing = true;
    this.drop(e, "the scope that made the stage ended while the item ran");
    for (let n = this.queue.shift(); n !== null; n = this.queue.shift()) {
      this.queued--;
      this.drop(n as Entry<I, R>, "the scope that made the stage ended while the item was queued");
    }
    for (let n = this.room.shift(); n !== null; n = this.room.shift()) {
      this.waiting--;
      this.drop(n as Entry<I, R>, "the scope that made the stage ended while the submit waited for room");
    }
  }

  /** Fill free handler slots from the queue (then from the room), and the queue from the room. */
  private pump(): void {
    while (this.running < this.concurrency) {
      let e = this.queue.shift() as Entry<I, R> | null;
      if (e !== null) this.queued--;
      else {
        e = this.room.shift() as Entry<I, R> | null;
        if (e === null) break;
        this.waiting--;
      }
      if (this.ownerEnded()) {
        this.drop(e, "the scope that made the stage has ended");
        continue;
      }
      try {
        this.start(e);
      } catch (err) {
        this.finish(e, false, err); // its submitter is parked: it gets the error
      }
    }
    while (this.queued < this.queueSize && !this.room.isEmpty()) {
      const e = this.room.shift() as Entry<I, R>;
      this.waiting--;
      e.at = At.Queue;
      this.queue.push(e);
      this.queued++;
    }
    if (this.running === 0 && this.queued === 0 && this.waiting === 0) {
      for (let n = this.drained.shift(); n !== null; n = this.drained.shift()) wake(n as Task, undefined);
    }
  }

  /** @internal `e`'s submitter stopped waiting (cancelled): take the item out, or cancel its handler. */
  _abandon(e: Entry<I, R>): void {
    switch (e.at) {
      case At.Room:
        this.room.remove(e);
        this.waiting--;
        break;
      case At.Queue:
        this.queue.remove(e);
        this.queued--;
        break;
      case At.Running:
        cancel(e.task!, "its submitter was cancelled");
        break;
      case At.Done:
        return;
    }
    e.at = At.Done;
    this.cancelled++;
    this.pump();
  }

  /** @internal Whether close() has nothing left to wait for. */
  _idle(): boolean {
    return this.running === 0 && this.queued === 0 && this.waiting === 0;
  }

  /** @internal */
  _drainList(): WaitList {
    return this.drained;
  }

  private record(ms: number): void {
    this.lat[this.latNext] = ms;
    this.latNext = this.latNext + 1 === this.lat.length ? 0 : this.latNext + 1;
    if (this.latCount < this.lat.length) this.latCount++;
  }
}

/** The nearest-rank percentile `q` of sorted samples; NaN when there are none. */
function rank(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

class SubmitOp<I, R> extends Op<R> {
  constructor(
    private readonly st: Stage<I, R>,
    private readonly item: I,
  ) {
    super();
  }
  protected begin(): IteratorResult<Instruction, R> {
    return this.wait(this.st._enter(this.item));
  }
  protected clone(): Op<R> {
    return new SubmitOp(this.st, this.item);
  }
}

class DrainOp extends Op<void> {
  constructor(private readonly st: Stage<any, any>) {
    super();
  }
  protected begin(): IteratorResult<Instruction, void> {
    if (this.st._idle()) return this.ok(undefined);
    const me = currentTask("Stage.close");
    const list = this.st._drainList();
    list.push(me);
    return this.wait(list);
  }
  protected clone(): Op<void> {
    return new DrainOp(this.st);
  }
  protected override resumed(): void {}
}

/**
 * Make a {@link Stage}: `handler` (a generator function, like a green HTTP
 * handler) runs for each submitted item, in a task of its own that is a
 * child of the calling task, at most `concurrency` at once, with at most
 * `queue` items waiting; a submit beyond that is shed with
 * {@link OverloadedError} (`overflow: "shed"`) or waits for room (`"wait"`,
 * the default). Call it in a task; the stage's work ends with that task's
 * scope.
 *
 * @example
 * const lookups = stage(function* (key: string) {
 *   yield* sleep(5); // a slow backend
 *   return key.toUpperCase();
 * }, { concurrency: 8, queue: 64, overflow: "shed" });
 * try {
 *   console.log(yield* lookups.submit("a")); // "A"
 * } catch (e) {
 *   if (e instanceof OverloadedError) console.log("busy, try later");
 *   else throw e;
 * }
 * console.log(lookups.stats()); // { queued, inFlight, served, shed, p50, p99, ... }
 */
export function stage<I, R>(handler: (item: I) => Operation<R>, options?: StageOptions): Stage<I, R> {
  if (typeof handler !== "function") throw new TypeError(`stage(handler, options): handler must be a generator function (function* (item)), got ${typeof handler}`);
  const cfg = resolveStage("stage()", options);
  return new Stage(handler, cfg, currentTask("stage()"));
}
