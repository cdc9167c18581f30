// The Wasm scheduler core (entry of scheduler.wasm).
//
// Version 0: only the layout version is exported; the run queue, timer wheel
// and wait-queues arrive with the Wasm backend. The runtime treats a version
// below 1 as "no Wasm core" and falls back to the TypeScript core.

/** Layout version of the core's memory and command ring; 0 means not implemented. */
export function coreVersion(): i32 {
  return 0;
}
