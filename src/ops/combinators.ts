import { currentTask } from "../runtime/current.js";
import { TimeoutError } from "../runtime/errors.js";
import { Event } from "../sync/event.js";
import { scope, toBody } from "../runtime/run.js";
import { TaskFlag, TaskState } from "../runtime/constants.js";
import { Op } from "../runtime/op.js";
import { TIMED_OUT } from "../runtime/suspend.js";
import type { RaceDecider, Task } from "../runtime/task.js";
import type { Body, Instruction, Operation } from "../runtime/types.js";

/**
 * Run `body` with a time limit. When `ms` passes first, `body` is cancelled
 * (its `finally` blocks run, and may themselves wait), then `TimeoutError` is
 * thrown. `body` runs as a child task, so whatever it spawned is cancelled
 * with it.
 *
 * @example
 * try {
 *   const line = yield* withTimeout(1000, conn.readUntil("\n", 1024));
 * } catch (e) {
 *   if (e instanceof TimeoutError) console.log("too slow");
 * }
 */
export function withTimeout<T>(ms: number, body: Operation<T> | Body<T>): Operation<T> {
  if (typeof ms !== "number" || Number.isNaN(ms) || ms < 0) {
    throw new RangeError(`withTimeout(ms): ms must be a number >= 0, got ${String(ms)}`);
  }
  const b = toBody(body, "withTimeout");
  return { [Symbol.iterator]: () => timeoutBody(ms, b) };
}

function* timeoutBody<T>(ms: number, body: Body<T>): Generator<Instruction, T, any> {
  const me = currentTask("withTimeout");
  const child = me._sched.spawn(body, me, `withTimeout(${ms})`);
  if (ms === Infinity) return yield* child;
  const deadline = me._sched.deadlineAfter(ms);
  const list = child.joinList();
  list.push(me);
  me._sched.parkDeadline = deadline;
  const v = yield list;
  if (v !== TIMED_OUT) return v as T;
  yield* child.cancel("timed out");
  // The body may have been handed its result in the very tick the deadline
  // passed (a cancel waits for its next suspension point); then that result
  // stands, rather than a TimeoutError with the value lost.
  if (child._state === TaskState.Completed) return child._val as T;
  throw new TimeoutError(`${child.name} timed out after ${ms} ms`, ms);
}

type Results<Ops extends readonly (Operation<unknown> | Body<unknown>)[]> = {
  -readonly [K in keyof Ops]: Ops[K] extends Operation<infer T> ? T : Ops[K] extends Body<infer T> ? T : never;
};

/**
 * Run operations concurrently, each in its own task, and return all results
 * in input order. The first failure cancels the others and is thrown.
 *
 * @example
 * const [a, b] = yield* all([fetchA(), fetchB()]);
 */
export function all<const Ops extends readonly (Operation<unknown> | Body<unknown>)[]>(ops: Ops): Operation<Results<Ops>> {
  const bodies = Array.from(ops, (op, i) => toBody(op, `all(): item ${i}`));
  return scope("all", function* all() {
    const tasks = bodies.map((b) => spawnChild(b));
    const out: unknown[] = [];
    for (const t of tasks) out.push(yield* t);
    return out as Results<Ops>;
  });
}

type Winner<Ops extends readonly (Operation<unknown> | Body<unknown>)[]> = Results<Ops>[number];

/**
 * Run operations concurrently and return the value of the first to complete;
 * the losers are cancelled (and have finished their cleanup) before `race`
 * returns. If one fails before any completes, the others are cancelled and the
 * error is thrown.
 *
 * A built-in operation given to `race` itself (`q.get()`, `ch.recv()`,
 * `ch.send(v)`, `sem.acquire()`, `select(...)`, `sleep(ms)`...) either wins
 * or takes nothing: the race is decided the moment one of them completes, and
 * the others are withdrawn from their queues then, so a losing `get` never
 * consumes an item. A generator body decides the race when it returns; if it
 * loses, the steps it had already taken stand.
 *
 * @example
 * const first = yield* race([fetchFrom(mirrorA), fetchFrom(mirrorB)]);
 * @example
 * const job = yield* race([inbox.get(), sleep(1000)]); // undefined after 1 s, and no job taken
 */
export function race<const Ops extends readonly (Operation<unknown> | Body<unknown>)[]>(ops: Ops): Operation<Winner<Ops>> {
  if (ops.length === 0) throw new TypeError("race() needs at least one operation");
  const bodies = Array.from(ops, (op, i) => toBody(op, `race(): item ${i}`));
  return scope("race", function* race() {
    const gate = new RaceGate();
    for (let i = 0; i < bodies.length; i++) {
      const b = bodies[i]!;
      const t = spawnChild(function* racer() {
        const value = yield* b();
        if (gate.decide(t)) {
          gate.value = value;
          gate.done.set();
        }
      });
      t.ext().race = gate;
      if (ops[i] instanceof Op) t._flags |= TaskFlag.Racer;
      gate.racers.push(t);
    }
    yield* gate.done.wait();
    return gate.value as Winner<Ops>;
    // returning ends the scope's body: the remaining racers are cancelled.
  });
}

/**
 * One race: the first racer to complete wins, and its rivals are cancelled
 * at that moment. The scheduler calls `decide` from the wake that completes a
 * racer's built-in operation (TaskFlag.Racer), which holds because a built-in
 * operation parks at most once; a generator racer calls it when it returns.
 */
class RaceGate implements RaceDecider {
  winner: Task | null = null;
  value: unknown = undefined;
  readonly racers: Task[] = [];
  readonly done = new Event("race winner");

  decide(t: Task): boolean {
    if (this.winner !== null) return this.winner === t;
    this.winner = t;
    for (const r of this.racers) if (r !== t) r._sched.cancel(r, undefined);
    return true;
  }
}

function spawnChild<T>(body: Body<T>): Task<T> {
  const me = currentTask("spawn");
  return me._sched.spawn(body, me, undefined);
}
