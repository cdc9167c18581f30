/**
 * `call`: wait for a Promise inside a task. A function that declares a
 * parameter is handed an AbortSignal of its own, aborted when the call is
 * abandoned (its task cancelled, timed out, a lost race), so that the work
 * it started on the Promise side (a `fetch`, a stream) stops too.
 */
import { currentTask } from "../runtime/current.js";
import { awaitPromise } from "../runtime/kernel.js";
import { Op } from "../runtime/op.js";
import { TIMED_OUT } from "../runtime/suspend.js";
import type { Task } from "../runtime/task.js";
import type { Instruction, Operation } from "../runtime/types.js";

/** What `call` accepts: a Promise, or a function returning one (or a plain value), called with an AbortSignal if it declares a parameter. */
export type CallTarget<T> = PromiseLike<T> | ((signal: AbortSignal) => T | PromiseLike<T>);

class CallOp<T> extends Op<T> {
  /** The signal's controller: only for a function that declares a parameter. */
  private abort: AbortController | null = null;
  private task: Task | null = null;

  constructor(private readonly target: CallTarget<T>) {
    super();
  }

  protected begin(): IteratorResult<Instruction, T> {
    const me = currentTask("call");
    const target = this.target;
    let v: T | PromiseLike<T>;
    if (typeof target !== "function") v = target;
    else if (target.length === 0) v = (target as () => T | PromiseLike<T>)();
    else {
      const c = (this.abort = new AbortController());
      this.task = me;
      v = target(c.signal);
    }
    if (!isThenable(v)) return this.ok(v as T);
    // Settled, the call keeps its signal as it is (registered before the
    // wake, so it runs first).
    if (this.abort !== null) {
      const settled = (): void => {
        this.abort = null;
      };
      v.then(settled, settled);
    }
    return this.wait(awaitPromise(me, v));
  }

  // The three ways a call can end before its Promise settles: the deadline
  // of withDeadline, an error thrown into the task at its park (a child
  // failed), the task's cancellation (yield* forwards `return()` here). The
  // signal aborts in each, before the task goes on.

  override next(v?: unknown): IteratorResult<Instruction, T> {
    if (this.deadline !== Infinity && this.phase !== 0 && v === TIMED_OUT) {
      const e = this.onDeadline!();
      this.abandoned(e);
      throw e;
    }
    return super.next(v);
  }

  override throw(e: unknown): IteratorResult<Instruction, T> {
    this.abandoned(e);
    throw e;
  }

  override return(v?: unknown): IteratorResult<Instruction, T> {
    if (this.task !== null) this.abandoned(this.task.cancelReason());
    return super.return(v);
  }

  private abandoned(reason: unknown): void {
    const c = this.abort;
    if (c !== null) {
      this.abort = null;
      c.abort(reason);
    }
  }

  protected clone(): Op<T> {
    return new CallOp(this.target);
  }
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === "object" || typeof v === "function") && typeof (v as PromiseLike<unknown>).then === "function";
}

/**
 * Wait for a Promise inside a task. Pass the promise, or a function that
 * returns one (or a plain value); the function is called when the operation
 * starts. A rejection is thrown at the `yield*`. While a task waits here the
 * virtual clock does not jump and no deadlock is declared.
 *
 * A function that declares a parameter (`fn.length >= 1`) is called with an
 * `AbortSignal` made for this call. It aborts if the call ends without the
 * Promise's value: the task is cancelled, times out under `withTimeout`, or
 * loses a `race` (the reason: the `TimeoutError`, or the cancellation's
 * reason, see `Task.signal`), or a child's error is thrown into the task
 * while it waits. Once the Promise has settled the signal is left alone, so a
 * `Response`'s body can still be read after the call; put the whole exchange
 * in the call (or use `current().signal`) to make that read abortable too.
 *
 * @example
 * const res = yield* withTimeout(5000, call((signal) => fetch("http://127.0.0.1:3000/", { signal })));
 * const body = yield* call(res.text());
 */
export function call<T>(promiseOrFunction: CallTarget<T>): Operation<Awaited<T>> {
  if (!isThenable(promiseOrFunction) && typeof promiseOrFunction !== "function") {
    throw new TypeError("call() expects a Promise or a function returning one");
  }
  return new CallOp(promiseOrFunction) as Operation<Awaited<T>>;
}
