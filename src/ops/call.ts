/** `call`: wait for a Promise inside a task. */
import { currentTask } from "../runtime/current.js";
import { awaitPromise } from "../runtime/kernel.js";
import { Op } from "../runtime/op.js";
import type { Instruction, Operation } from "../runtime/types.js";

class CallOp<T> extends Op<T> {
  constructor(private readonly target: PromiseLike<T> | (() => T | PromiseLike<T>)) {
    super();
  }
  protected begin(): IteratorResult<Instruction, T> {
    const me = currentTask("call");
    const v = typeof this.target === "function" ? this.target() : this.target;
    if (!isThenable(v)) return this.ok(v as T);
    return this.wait(awaitPromise(me, v));
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
 * @example
 * const res = yield* call(() => fetch("http://127.0.0.1:3000/"));
 * const body = yield* call(res.text());
 */
export function call<T>(promiseOrFunction: PromiseLike<T> | (() => T | PromiseLike<T>)): Operation<Awaited<T>> {
  if (!isThenable(promiseOrFunction) && typeof promiseOrFunction !== "function") {
    throw new TypeError("call() expects a Promise or a function returning one");
  }
  return new CallOp(promiseOrFunction) as Operation<Awaited<T>>;
}
