/**
 * `abortable(signal, body)`: a tasklet operation that a foreign AbortSignal
 * (an HTTP framework's, a CLI's Ctrl-C controller...) can cancel. The body
 * runs as a child task, as under withTimeout; the task that waits parks on
 * the child's outcome or the signal's abort, whichever comes first, and the
 * listener it adds to the signal is removed however the wait ends.
 */
import { describeValue } from "../config/options.js";
import { currentTask } from "../runtime/current.js";
import { joiners, passOwnership, spawnChild, wake } from "../runtime/kernel.js";
import { Suspend, type WaitList, type WaitNode } from "../runtime/suspend.js";
import type { Body, Instruction, Operation } from "../runtime/types.js";

/** Resume value of a wait ended by the signal. */
const ABORTED: unique symbol = Symbol("tasklet.aborted");

/**
 * Run `body` until it ends or `signal` aborts, whichever comes first. If the
 * signal aborts first, `body` is cancelled (its `finally` blocks run, and may
 * wait; the cancellation's reason is the signal's), then the signal's
 * `reason` is thrown, as `signal.throwIfAborted()` and `fetch` do (by
 * default a `DOMException` named `AbortError`). An already aborted signal
 * throws at once; `body` never starts. `body` runs as a child task, so
 * whatever it spawned is cancelled with it.
 *
 * The wait counts as one on the outside world, like `call`: no deadlock is
 * declared and the virtual clock does not jump while a task waits here.
 *
 * @example
 * const controller = new AbortController();
 * process.once("SIGINT", () => controller.abort());
 * yield* abortable(controller.signal, function* () {
 *   for (;;) yield* sleep(1000); // until Ctrl-C
 * });
 */
export function abortable<T>(signal: AbortSignal, body: Operation<T> | Body<T>): Operation<T> {
  if (signal === null || typeof signal !== "object" || typeof signal.aborted !== "boolean" || typeof signal.addEventListener !== "function") {
    throw new TypeError(`abortable(signal, body): signal must be an AbortSignal, got ${describeValue(signal)}`);
  }
  let b: Body<T>;
  if (typeof body === "function") b = body;
  else if (body !== null && typeof body === "object" && typeof body[Symbol.iterator] === "function") b = () => body;
  else throw new TypeError(`abortable(signal, body): body must be an operation or a generator function, got ${describeValue(body)}`);
  return { [Symbol.iterator]: () => abortableBody(signal, b) };
}

function* abortableBody<T>(signal: AbortSignal, body: Body<T>): Generator<Instruction, T, any> {
  const me = currentTask("abortable");
  if (signal.aborted) throw signal.reason;
  const child = spawnChild(me, body, "abortable");
  passOwnership(child);
  const list = joiners(child);
  const onAbort = (): void => {
    if (list.holds(me)) {
      list.remove(me);
      wake(me, ABORTED);
    }
  };
  signal.addEventListener("abort", onAbort, { once: true });
  let v: unknown;
  try {
    list.push(me);
    v = yield new AbortWait(list);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
  if (v !== ABORTED) return v as T;
  yield* child.cancel(signal.reason);
  // The body may have been handed its result in the very tick the signal
  // aborted (a cancel waits for its next suspension point): then it stands.
  if (child.state === "completed") return yield* child;
  throw signal.reason;
}

/** The park of `abortable`: on the child's join list, or until the signal aborts, which comes from outside the run. */
class AbortWait extends Suspend {
  override external = true;
  constructor(private readonly list: WaitList) {
    super();
  }
  abandon(task: WaitNode): void {
    this.list.abandon(task);
  }
  describe(): string {
    return `${this.list.describe()}, or an AbortSignal`;
  }
}
