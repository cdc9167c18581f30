/**
 * TaskLocal: a value per task, as gevent's `local` is per greenlet, and
 * inherited as a `contextvars` value is: a child starts with its parent's
 * values as they were when it was spawned; what either sets afterwards is
 * its own. The values of a task live in one Map, shared with its children
 * until one side sets a value and copies it first, so spawning costs one
 * test when no TaskLocal is in use and one pointer copy when one is.
 */
import { describeValue } from "../config/options.js";
import { peekCurrent } from "./current.js";
import type { Task } from "./task.js";
import type { Body, Instruction, Operation } from "./types.js";

/** A TaskLocal with no value in a task (the Map holds `undefined` for an explicit set). */
const UNSET: unique symbol = Symbol("tasklet.TaskLocal.unset");

/**
 * A value per task. `get()` returns the running task's value: the one it
 * set, else the one its parent had when it spawned the task (and so on up),
 * else the initial value. `set(v)` changes it for the running task and the
 * children it spawns afterwards, never for its parent or siblings.
 *
 * @example
 * const user = new TaskLocal<string>("anonymous");
 * yield* user.with("ada", function* () {
 *   spawn(function* () { console.log(user.get()); }); // "ada"
 * });
 * user.get(); // "anonymous" again
 */
export class TaskLocal<T> {
  readonly #initial: T;

  /** `initial`: what `get()` returns in a task where no value was set nor inherited. */
  constructor(initial?: T) {
    this.#initial = initial as T;
  }

  /**
   * The running task's value. Throws outside a task.
   *
   * @example
   * const requestId = new TaskLocal<number>(0);
   * console.log(`[${requestId.get()}] handling`);
   */
  get(): T {
    const x = runningTask("get")._x;
    if (x === null || x.locals === null) return this.#initial;
    const v = x.locals.get(this);
    return v === undefined && !x.locals.has(this) ? this.#initial : (v as T);
  }

  /**
   * Set the running task's value; the children it spawns from now on start
   * with it. Throws outside a task.
   *
   * @example
   * const requestId = new TaskLocal<number>(0);
   * requestId.set(42);
   */
  set(value: T): void {
    writeLocal(runningTask("set"), this, value);
  }

  /**
   * Run `body` in the running task with the value set to `value`, then put
   * back what was there before, however `body` ends. Children `body` spawns
   * start with `value`.
   *
   * @example
   * const user = new TaskLocal<string>();
   * const greeting = yield* user.with("ada", function* () { return `hello, ${user.get()}`; });
   */
  with<R>(value: T, body: Operation<R> | Body<R>): Operation<R> {
    if (typeof body !== "function" && (body === null || typeof body !== "object" || typeof body[Symbol.iterator] !== "function")) {
      throw new TypeError(`TaskLocal.with(value, body): body must be an operation or a generator function, got ${describeValue(body)}`);
    }
    return { [Symbol.iterator]: () => withValue(this, value, body) };
  }
}

function* withValue<T, R>(local: TaskLocal<T>, value: T, body: Operation<R> | Body<R>): Generator<Instruction, R, any> {
  const me = runningTask("with");
  const x = me._x;
  const prev = x === null || x.locals === null || !x.locals.has(local) ? UNSET : x.locals.get(local);
  writeLocal(me, local, value);
  try {
    return yield* typeof body === "function" ? body() : body;
  } finally {
    writeLocal(me, local, prev);
  }
}

/** Set (or with UNSET, remove) `t`'s value of `local`, copying a shared map first. */
function writeLocal(t: Task, local: object, value: unknown): void {
  const x = t.ext();
  let m = x.locals;
  if (m === null || !x.localsOwned) {
    m = x.locals = m === null ? new Map() : new Map(m);
    x.localsOwned = true;
  }
  if (value === UNSET) m.delete(local);
  else m.set(local, value);
}

function runningTask(what: string): Task {
  const t = peekCurrent();
  if (t === null) {
    throw new Error(`TaskLocal.${what}() was called outside a task: a TaskLocal holds one value per task; use it in the body of a task started with run() or spawn()`);
  }
  return t;
}
