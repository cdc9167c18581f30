/** Which task is running now: set by the driver around each step, read by every operation. */
import type { Task } from "./task.js";
import { otherCopyError, registerCopy } from "./instance.js";

/** The task whose generator is executing right now (one thread: at most one). */
let running: Task | null = null;
registerCopy(() => running);

/** @internal */
export function peekCurrent(): Task | null {
  return running;
}

/** @internal Returns the previous value so the driver can restore it. */
export function setCurrent(t: Task | null): Task | null {
  const prev = running;
  running = t;
  return prev;
}

/** @internal The running task, or a clear error naming the operation used outside one. */
export function currentTask(what: string): Task {
  if (running === null) {
    throw otherCopyError(`${what}()`) ?? new Error(`${what}() must run inside a task: use it as \`yield* ${what}(...)\` in a generator passed to run() or spawn()`);
  }
  return running;
}
