/** Event: a flag tasks can wait for. */
import { currentTask } from "../runtime/current.js";
import { wake } from "../runtime/kernel.js";
import { Op } from "../runtime/op.js";
import { WaitList } from "../runtime/suspend.js";
import type { Task } from "../runtime/task.js";
import type { Instruction, Operation } from "../runtime/types.js";

let eventIds = 0;

/**
 * A flag tasks can wait for (gevent's `Event`): `wait()` returns at once when
 * set, else parks until `set()`, which wakes every waiter. `clear()` resets it.
 *
 * @example
 * const ready = new Event();
 * spawn(function* () { yield* ready.wait(); console.log("go"); });
 * ready.set();
 */
export class Event {
  private flag = false;
  /** @internal */ readonly waiters: WaitList;
  readonly name: string;

  constructor(name?: string) {
    this.name = name ?? `Event#${++eventIds}`;
    this.waiters = new WaitList(() => `wait on ${this.name}`);
  }

  /** Whether the event is set. */
  isSet(): boolean {
    return this.flag;
  }

  /** Set the flag and wake every waiting task. */
  set(): void {
    this.flag = true;
    const list = this.waiters;
    for (let n = list.shift(); n !== null; n = list.shift()) wake(n as Task, undefined);
  }

  /** Reset the flag; later `wait()`s park again. */
  clear(): void {
    this.flag = false;
  }

  /** Wait until the event is set. */
  wait(): Operation<void> {
    return new WaitOp(this);
  }
}

class WaitOp extends Op<void> {
  constructor(private readonly ev: Event) {
    super();
  }
  protected begin(): IteratorResult<Instruction, void> {
    if (this.ev.isSet()) return this.ok(undefined);
    const me = currentTask("Event.wait");
    this.ev.waiters.push(me);
    return this.wait(this.ev.waiters);
  }
  protected clone(): Op<void> {
    return new WaitOp(this.ev);
  }
  protected override resumed(): void {}
}
