import { TaskFlag } from "./constants.js";
import type { Task } from "./task.js";
import type { Instruction } from "./types.js";

/**
 * What a task parks on. An operation registers the task with the thing it
 * waits for, then yields the Suspend; the driver marks the task parked. Every
 * Suspend says how to undo its own registration (`abandon`), which the driver
 * calls when the wait ends for another reason: cancellation, a timeout, or a
 * child's error (../shared/STYLE.md, item 2).
 */
export abstract class Suspend implements Instruction {
  declare readonly __taskletInstruction: true;
  /** True when something outside the run (Promise, I/O) will end the wait: keeps the virtual clock still and rules out deadlock. */
  external = false;
  /** Undo the registration of `task`; it will not be woken by this Suspend. */
  abstract abandon(task: Task): void;
  /** Human-readable wait, for deadlock reports: "recv on Channel#2". */
  abstract describe(task: Task): string;
}

/**
 * A node of a {@link WaitList}. A Task is its own node for ordinary waits;
 * `select` makes one node per case because it waits on several lists at once.
 */
export interface WaitNode {
  _wnext: WaitNode | null;
  _wprev: WaitNode | null;
  /**
   * Payload carried by the waiter while it is in a list, e.g. the value a
   * parked sender offers. A Task uses its resume-value field: a parked task
   * has no resume value until it is woken, and whoever takes the payload
   * does so before waking it.
   */
  _val: unknown;
}

/**
 * An intrusive FIFO of waiters. Used as the Suspend of plain waits: recv, send,
 * join, acquire, Event.wait... No allocation per wait.
 */
export class WaitList extends Suspend {
  head: WaitNode | null = null;
  tail: WaitNode | null = null;

  constructor(private readonly what: () => string) {
    super();
  }

  push(node: WaitNode): void {
    node._wnext = null;
    node._wprev = this.tail;
    if (this.tail === null) this.head = node;
    else this.tail._wnext = node;
    this.tail = node;
  }

  /** Whether nobody waits. */
  isEmpty(): boolean {
    return this.head === null;
  }

  /** Waiters in the list, counted by walking it: no counter to keep on every push and shift (few callers ask). */
  get length(): number {
    let n = 0;
    for (let x = this.head; x !== null; x = x._wnext) n++;
    return n;
  }

  shift(): WaitNode | null {
    const node = this.head;
    if (node !== null) {
      // remove(node) for the head, whose _wprev is null
      const next = node._wnext;
      this.head = next;
      if (next === null) this.tail = null;
      else next._wprev = null;
      node._wnext = null;
    }
    return node;
  }

  remove(node: WaitNode): void {
    const { _wprev: prev, _wnext: next } = node;
    if (prev === null) this.head = next;
    else prev._wnext = next;
    if (next === null) this.tail = prev;
    else next._wprev = prev;
    node._wnext = node._wprev = null;
  }

  /** Whether `node` is in this list, given that it is in this list or in none (a node carries no back-pointer: tasks stay smaller). */
  holds(node: WaitNode): boolean {
    return node._wprev !== null || this.head === node;
  }

  abandon(task: Task): void {
    if (this.holds(task)) this.remove(task);
  }

  describe(): string {
    return this.what();
  }
}

/** Yielded by `yieldNow()`: the driver puts the task at the back of the run queue. */
export const YIELD: Instruction = Object.freeze({ yieldNow: true }) as unknown as Instruction;

/**
 * Resume value of a park whose own deadline (`Scheduler.parkDeadline`) was reached
 * before anything else woke it. Operations compare against it.
 */
export const TIMED_OUT: unique symbol = Symbol("tasklet.timedOut");

/** Resume value of `yieldNow()`. */
export const RESUMED: unique symbol = Symbol("tasklet.resumed");

/** Park with nothing but a deadline: `sleep`. */
class SleepSuspend extends Suspend {
  abandon(): void {}
  describe(task: Task): string {
    return (task._flags & TaskFlag.TimerArmed) !== 0 ? "sleep" : "sleep(Infinity): only cancellation ends it";
  }
}
export const SLEEP = new SleepSuspend();

/** Park until the task's children have all finished (a child failed; its error is delivered after the siblings' cleanup). */
class DrainSuspend extends Suspend {
  abandon(): void {}
  describe(task: Task): string {
    return `its ${task.childCount()} children to finish cleanup after a child failed`;
  }
}
export const DRAIN = new DrainSuspend();
