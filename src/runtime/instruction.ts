/**
 * What a built-in operation's iterator hands the driver on each step: the
 * one shared IteratorResult, carrying either the operation's value (done) or
 * the instruction the task stops on: a Suspend given with `parkOn`, or YIELD.
 */
import type { Suspend } from "./suspend.js";
import type { Instruction } from "./types.js";

/**
 * The one IteratorResult every built-in operation returns, refilled on each
 * `next()`. `yield*` reads `done` and `value` as soon as `next()` returns and
 * passes the same object up to the driver, which also reads it at once; so
 * one object serves every step, and the driver's property loads see a single
 * shape instead of one per operation class.
 */
const RESULT: { done: boolean; value: unknown } = { done: false, value: undefined };

/**
 * @internal The last Suspend a built-in operation parked on. The driver
 * compares what a task yields with it before anything else: equal, it is a
 * Suspend (nothing else is ever stored here), with no prototype walk.
 */
export let parking: Suspend | null = null;

/** @internal Park on `s`: the IteratorResult that yields it to the driver. */
export function parkOn<T>(s: Suspend): IteratorResult<Instruction, T> {
  parking = s;
  const r = RESULT;
  r.done = false;
  r.value = s;
  return r as IteratorResult<Instruction, T>;
}

/** @internal Fill and return the shared IteratorResult. */
export function result<T>(done: boolean, value: unknown): IteratorResult<Instruction, T> {
  const r = RESULT; // one load of the module binding for both stores
  r.done = done;
  r.value = value;
  return r as IteratorResult<Instruction, T>;
}

/** Yielded by `yieldNow()`: the driver puts the task at the back of the run queue. */
export const YIELD: Instruction = Object.freeze({ yieldNow: true }) as unknown as Instruction;
