/**
 * What a task parks on: a {@link Suspend}, most often a {@link WaitList} of
 * the tasks waiting for the same thing; and the values a park may be resumed
 * with besides an operation's own (TIMED_OUT, RESUMED). Nothing here knows
 * the Task class: a parked task is seen as the {@link WaitNode} it put in a
 * list, so these structures sit below task.ts.
 */
import type { Instruction } from "./types.js";

/**
 * A node of a {@link WaitList}. A Task is its own node for ordinary waits;
 * `select` makes one node per case because it waits on several lists at once.
 */
export interface WaitNode {
  /** @internal */
  _wnext: WaitNode | null;
  /** @internal */
  _wprev: WaitNode | null;
  /**
   * @internal
   * Payload carried by the waiter while it is in a list, e.g. the value a
   * parked sender offers. A Task uses its resume-value field: a parked task
   * has no resume value until it is woken, and whoever takes the payload
   * does so before waking it.
   */
  _val: unknown;
}

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
  /** Undo the registration of `task` (the parked Task, as the node it registered); it will not be woken by this Suspend. */
  abstract abandon(task: WaitNode): void;
  /** Human-readable wait of `task`, for deadlock reports: "recv on Channel#2". */
  abstract describe(task: WaitNode): string;
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

  abandon(task: WaitNode): void {
    if (this.holds(task)) this.remove(task);
  }

  describe(): string {
    return this.what();
  }
}

/**
 * Resume value of a park whose own deadline (the park deadline, see
 * kernel.ts `parkUntil`) was reached before anything else woke it.
 * Operations compare against it.
 */
export const TIMED_OUT: unique symbol = Symbol("tasklet.timedOut");

/** Resume value of `yieldNow()`. */
export const RESUMED: unique symbol = Symbol("tasklet.resumed");
