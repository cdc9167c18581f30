/**
 * Names and numbers of the scheduler cores that layers above them use too:
 * the backend names, and the opcodes of the Wasm core's command ring
 * (assembly/ mirrors them; test/core/constants.test.ts checks that both
 * sides agree).
 */

/** Scheduler backend: the pure-TypeScript core or the WebAssembly core. */
export type BackendName = "ts" | "wasm";

/** Scheduler core opcodes written to the command ring of the Wasm core. */
export const CoreOp = {
  /** Append a task slot to the run queue. */
  Ready: 1,
  /** Arm the slot's timer at a deadline (ms, f64). */
  Arm: 2,
  /** Disarm the slot's timer. */
  Disarm: 3,
} as const;
