/**
 * Combinators of operations: a time limit (`withTimeout`), all of several
 * (`all`), the first of several (`race`). Each runs its operations as child
 * tasks, so that whatever they spawned ends with them.
 */
import { currentTask } from "../runtime/current.js";
import { TimeoutError } from "../runtime/errors.js";
import { cancel, deadlineAfter, enterRace, joiners, parkUntil, passOwnership, scope, spawnChild, wake } from "../runtime/kernel.js";
import { Op } from "../runtime/op.js";
import { Suspend, TIMED_OUT } from "../runtime/suspend.js";
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
  const child = spawnChild(me, body, `withTimeout(${ms})`);
  passOwnership(child);
  if (ms === Infinity) return yield* child;
  const list = joiners(child);
  list.push(me);
  parkUntil(me, deadlineAfter(me, ms));
  const v = yield list;
  if (v !== TIMED_OUT) return v as T;
  // The cancellation's reason: the body's signals abort with this error.
  const timedOut = new TimeoutError(`${child.name} timed out after ${ms} ms`, ms);
  yield* child.cancel(timedOut);
  // The body may have been handed its result in the very tick the deadline
  // passed (a cancel waits for its next suspension point); then that result
  // stands, rather than a TimeoutError with the value lost.
  if (child.state === "completed") return yield* child;
  throw timedOut;
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
    const me = currentTask("all");
    const tasks = bodies.map((b) => spawnChild(me, b));
    for (const t of tasks) passOwnership(t);
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
    const me = currentTask("race");
    const gate = new RaceGate(bodies.length);
    for (let i = 0; i < bodies.length; i++) {
      const b = bodies[i]!;
      const t = spawnChild(me, function* racer() {
        const value = yield* b();
        if (gate.decide(t)) gate.settle(value);
      });
      passOwnership(t);
      if (ops[i] instanceof Op) enterRace(t, gate);
      gate.racers.push(t);
    }
    yield* new RaceWait(gate);
    return gate.value as Winner<Ops>;
    // returning ends the scope's body: the remaining racers are cancelled.
  });
}

/**
 * One race: the first racer to complete wins, and its rivals are cancelled
 * at that moment. The scheduler calls `decide` from the wake that completes a
 * racer's built-in operation (see `enterRace`), which holds because a
 * built-in operation parks at most once; a generator racer calls it when it
 * returns. The race's own task parks on the gate until the winner's value
 * is in (`settle`).
 */
class RaceGate extends Suspend implements RaceDecider {
  winner: Task | null = null;
  value: unknown = undefined;
  settled = false;
  /** The race's task while it waits for the value. */
  waiter: Task | null = null;
  readonly racers: Task[] = [];

  constructor(private readonly size: number) {
    super();
  }

  decide(t: Task): boolean {
    if (this.winner !== null) return this.winner === t;
    this.winner = t;
    for (const r of this.racers) if (r !== t) cancel(r);
    return true;
  }

  settle(value: unknown): void {
    this.value = value;
    this.settled = true;
    const w = this.waiter;
    if (w !== null) {
      this.waiter = null;
      wake(w, undefined);
    }
  }

  abandon(): void {
    this.waiter = null;
  }

  describe(): string {
    return `the first of ${this.size} racers to complete`;
  }
}

/** The race's task waits for the winner's value. */
class RaceWait extends Op<void> {
  constructor(private readonly gate: RaceGate) {
    super();
  }
  protected begin(): IteratorResult<Instruction, void> {
    const gate = this.gate;
    if (gate.settled) return this.ok(undefined);
    gate.waiter = currentTask("race");
    return this.wait(gate);
  }
  protected clone(): Op<void> {
    return new RaceWait(this.gate);
  }
  protected override resumed(): void {}
}

/** A body from an Operation or a body. */
function toBody<T>(op: Operation<T> | Body<T>, what: string): Body<T> {
  if (typeof op === "function") return op;
  if (op !== null && typeof op === "object" && typeof op[Symbol.iterator] === "function") return () => op;
  throw new TypeError(`${what}: expected an operation or a generator function, got ${op === null ? "null" : typeof op}`);
}
