/** Lock: a semaphore with one permit. */
import { Semaphore } from "./semaphore.js";
import type { Body, Instruction } from "../runtime/types.js";

/**
 * A mutual-exclusion lock: a semaphore with one permit.
 *
 * @example
 * const lock = new Lock();
 * yield* lock.withLock(function* () { balance += yield* readDelta(); });
 */
export class Lock extends Semaphore {
  constructor(name?: string) {
    super(1, name);
  }
  /** Whether some task holds the lock. */
  get locked(): boolean {
    return this.available === 0;
  }
  /** Run `body` holding the lock. */
  withLock<T>(body: Body<T>): Generator<Instruction, T, any> {
    return this.withPermit(body);
  }
}
