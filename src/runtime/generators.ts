/**
 * What the driver needs to know of a task's iterator: whether it is a plain
 * generator object, which the driver resumes by calling
 * %GeneratorPrototype%.next itself (GEN_NEXT), and the iterator of any other
 * Operation a body returned.
 */
import { describeValue } from "../config/options.js";
import type { Task } from "./task.js";
import type { Instruction } from "./types.js";

/** %GeneratorPrototype%: the prototype of every generator function's `prototype`. */
const GENERATOR_PROTOTYPE = Object.getPrototypeOf(Object.getPrototypeOf((function* () {})())) as object;

/**
 * `next` of every generator object. Bodies are almost always generators; calling
 * this one function directly spares the driver a property lookup on a
 * generator object whose hidden class differs per generator function.
 */
export const GEN_NEXT = (GENERATOR_PROTOTYPE as Generator).next as (this: Generator, v: unknown) => IteratorResult<unknown, unknown>;

/** A constructor whose `prototype` is %GeneratorPrototype%: `v instanceof GeneratorObject` holds for every generator object. */
function GeneratorObject(): void {}
GeneratorObject.prototype = GENERATOR_PROTOTYPE;

/**
 * Whether `v` is a generator object, told by its prototype chain (its
 * prototype is its function's `prototype`, whose prototype is
 * %GeneratorPrototype%) instead of by reading `next` or `[Symbol.iterator]`:
 * every evaluation of a `function*` literal gives its generators a hidden
 * class of their own, so those reads would miss V8's inline caches (a
 * runtime call each) for a task whose body is an inline `function*`, while
 * `instanceof` walks the chain without a cache.
 */
export function isGenerator(v: unknown): v is Generator<Instruction, unknown, unknown> {
  return v instanceof (GeneratorObject as unknown as new () => object);
}

/** The iterator of what a body returned, which is not a generator: any Operation will do. */
export function iteratorOf(t: Task, op: unknown): Iterator<Instruction, unknown, unknown> {
  if (op === null || typeof op !== "object" || typeof (op as Partial<Iterable<unknown>>)[Symbol.iterator] !== "function") {
    throw new TypeError(
      `task ${t.name}: its body returned ${describeValue(op)}, not an operation; pass a generator function (function* () {...})`,
    );
  }
  return (op as Iterable<Instruction>)[Symbol.iterator]() as Iterator<Instruction, unknown, unknown>;
}
