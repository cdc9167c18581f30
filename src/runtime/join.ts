/**
 * `yield* task` and `task.join()`: wait for a task's outcome. A task of the
 * same run is joined through its join list; one of another run through its
 * promise. The scheduler hands this operation to Task (`joinOp`), which so
 * needs no import of it.
 */
import { TaskState } from "./constants.js";
import { currentTask } from "./current.js";
import { parkOn, result } from "./instruction.js";
import { Op } from "./op.js";
import { awaitPromise } from "./promise-wait.js";
import { TIMED_OUT, type Suspend } from "./suspend.js";
import type { Task } from "./task.js";
import type { Instruction } from "./types.js";

export class JoinOp<T> extends Op<T> {
  constructor(private readonly target: Task<T>) {
    super();
  }

  // `next` and `[Symbol.iterator]` written out rather than inherited: see Op.
  override [Symbol.iterator](): Iterator<Instruction, T, unknown> {
    return this.phase === 0 ? this : this.clone();
  }

  override next(v?: unknown): IteratorResult<Instruction, T> {
    if (this.phase === 0) {
      this.phase = 1;
      return this.begin();
    }
    if (this.deadline !== Infinity && v === TIMED_OUT) throw this.onDeadline!();
    return result(true, v);
  }

  protected begin(): IteratorResult<Instruction, T> {
    const target = this.target;
    if (target.done) {
      if (target._state === TaskState.Completed) return result(true, target._val);
      throw target.failure();
    }
    const me = currentTask("join");
    if (me._sched !== target._sched) {
      // A task of another run: wait on its promise, which counts as external.
      return this.parkOn(me, awaitPromise(me, target.promise()));
    }
    for (let t: Task | null = me; t !== null; t = t._parent) {
      if (t === target) {
        throw new Error(`task ${me.name} cannot join ${t === me ? "itself" : `its ancestor ${target.name}`}: that would wait forever`);
      }
    }
    const list = target.joinList();
    list.push(me);
    return this.parkOn(me, list);
  }

  private parkOn(me: Task, on: Suspend): IteratorResult<Instruction, T> {
    if (this.deadline !== Infinity) me._sched.parkDeadline = this.deadline;
    return parkOn(on);
  }

  protected clone(): Op<T> {
    return new JoinOp(this.target);
  }
}
